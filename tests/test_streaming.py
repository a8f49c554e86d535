"""--streaming: training documents read as a datasets IterableDataset, tokenized and cut into blocks as training
reads them. Real slices of the CPython corpus (gzip jsonl) and of IMDB reviews (text, one per line): a causal and
a masked LM train on them; the streamed blocks are the in-memory ones; a continued run skips exactly the batches
trained on; bad options are one line."""

import dataclasses
import gzip
import json
import math
import re

import numpy as np
import pytest

from kerastx.data.blocks import group_into_blocks
from kerastx.data.pipeline import DataPosition
from kerastx.data.streaming import StreamedBlocks
from kerastx.data.readers.text_corpus import read_text_corpus
from kerastx.models.scratch import train_tokenizer
from kerastx.recipes import causal_lm, masked_lm
from kerastx.training.preparation import load_task_splits
from recipe_harness import check_bad_inputs, check_run_directory, write
from tests_helpers import ANY_MACHINE, as_flags

CODE = {"model": "scratch:gpt2-tiny", "vocab_size": 500, "max_length": 64, "batch_size": 8, "max_new_tokens": 16,
        **ANY_MACHINE}


@pytest.fixture(scope="module")
def code_files(tmp_path_factory, shared_data):
    """The corpus's first 80 files (gzip jsonl, codeparrot layout) to stream, and the next 10 as a validation file."""
    folder = tmp_path_factory.mktemp("streamed-code")
    with gzip.open(shared_data("python_code") / "cpython312_stdlib_train.jsonl.gz", "rt", encoding="utf-8") as file:
        lines = [line for _, line in zip(range(90), file)]
    train, validation = folder / "code.jsonl.gz", folder / "validation.jsonl"
    with gzip.open(train, "wt", encoding="utf-8") as file:
        file.writelines(lines[:80])
    validation.write_text("".join(lines[80:]), encoding="utf-8")
    return train, validation


@pytest.fixture(scope="module")
def reviews_file(tmp_path_factory, shared_data):
    """60 positive IMDB training reviews, one per line (their <br /> breaks made spaces)."""
    files = sorted((shared_data("imdb") / "aclImdb" / "train" / "pos").glob("*.txt"))[:60]
    reviews = tmp_path_factory.mktemp("streamed-reviews") / "reviews.txt"
    reviews.write_text("".join(re.sub(r"<br\s*/?>|\n", " ", f.read_text(encoding="utf-8")) + "\n" for f in files),
                       encoding="utf-8")
    return reviews


@pytest.fixture(scope="module")
def code_tokenizer(code_files):
    corpus, _ = read_text_corpus(code_files[0])
    return train_tokenizer(corpus["text"], "gpt2", "bpe", 500)


def streamed(recipe, tokenizer, **options):
    """``(data, splits, prepared)`` of a config with ``options``, read as the run reads them."""
    config = recipe.config_class(**options)
    data = recipe.data(config)
    splits = load_task_splits(recipe, config, data)
    return data, splits, data.prepare(splits, tokenizer)


@pytest.mark.trains
def test_a_streamed_corpus_trains_a_scratch_gpt2_whose_perplexity_falls(code_files, tmp_path):
    result = causal_lm.main(as_flags({**CODE, "train_file": code_files[0], "streaming": True, "max_steps": 6,
                                      "max_eval_samples": 8, "learning_rate": 2e-3, "output_dir": tmp_path / "run"}))
    before, after = result.evaluations
    assert after["step"] == 6 and after["val_perplexity"] < before["val_perplexity"]
    assert after["val_perplexity"] == pytest.approx(math.exp(after["val_loss"]), rel=1e-6)
    check_run_directory(causal_lm.RECIPE, result)
    card = (result.output_dir / "README.md").read_text(encoding="utf-8")
    assert "48 training blocks of 64 tokens read from a stream (6 steps of 8) and 8 validation blocks" in card
    assert "in 8 documents)" in card  # the stream's first 8 documents, held out


def test_each_pass_is_cut_into_the_blocks_of_the_in_memory_corpus_and_later_passes_are_reshuffled(
        code_files, code_tokenizer):
    train, validation = code_files
    options = {"train_file": str(train), "validation_file": str(validation), "max_length": 64}
    *_, in_memory = streamed(causal_lm.RECIPE, code_tokenizer, **options)
    _, _, prepared = streamed(causal_lm.RECIPE, code_tokenizer, **options, streaming=True, shuffle_buffer=1,
                              max_steps=1)
    expected = np.array(in_memory.train["input_ids"])
    assert np.array_equal(np.stack(list(prepared.train.blocks(0))), expected)
    assert np.array_equal(np.array(prepared.validation["input_ids"]), np.array(in_memory.validation["input_ids"]))

    blocks = prepared.train
    shuffled = StreamedBlocks(dataclasses.replace(blocks.documents, shuffle_buffer=16), blocks.document_ids, 64,
                              blocks.columns)
    first, second = (np.stack(list(shuffled.blocks(stream_pass))) for stream_pass in (0, 1))
    assert len(first) == len(second) == len(expected)  # the same tokens each pass, in another order
    assert not np.array_equal(first, expected) and not np.array_equal(first, second)


def test_without_validation_data_the_first_documents_are_held_out_and_skipped_by_training(
        code_files, code_tokenizer):
    data, splits, prepared = streamed(causal_lm.RECIPE, code_tokenizer, train_file=str(code_files[0]),
                                      max_length=64, streaming=True, shuffle_buffer=1, max_steps=1, max_eval_samples=5)
    texts = read_text_corpus(code_files[0])[0]["text"]
    assert splits.validation["text"] == [text for text in texts[:5] if text.strip()]
    training_ids = data.document_ids(code_tokenizer, [text for text in texts[5:] if text.strip()])
    assert np.array_equal(np.stack(list(prepared.train.blocks(0))), group_into_blocks(training_ids, 64))
    assert "its first 5 documents held out" in splits.description


def test_a_continued_run_skips_exactly_the_batches_trained_before(reviews_file):
    tokenizer = train_tokenizer(reviews_file.read_text(encoding="utf-8").splitlines(), "bert", "wordpiece", 600)
    data, _, prepared = streamed(masked_lm.RECIPE, tokenizer, train_file=str(reviews_file), streaming=True,
                                 max_steps=30, max_length=64, batch_size=16, max_eval_samples=4)
    source = data.training_source(prepared, tokenizer)
    blocks_per_pass = len(list(prepared.train.blocks(0)))
    done = blocks_per_pass // 16 + 1  # the continued run starts in the stream's second pass
    whole, steps = source.dataset(DataPosition(), 1, model=None, collator=None)
    continued, steps_left = source.dataset(DataPosition(batch=done), 1, model=None, collator=None)
    assert (steps, steps_left) == (30, 30 - done)
    from_start = list(whole.take(done + 2).as_numpy_iterator())
    after_restart = list(continued.take(2).as_numpy_iterator())
    assert len(after_restart) == len(from_start[done:]) == 2
    for (features, labels), (expected_features, expected_labels) in zip(after_restart, from_start[done:]):
        assert np.array_equal(features["input_ids"], expected_features["input_ids"])
        assert np.array_equal(labels, expected_labels)
    chosen = [labels != -100 for _, labels in from_start]
    assert not np.array_equal(chosen[0], chosen[1]) and all(0.05 < c.mean() < 0.3 for c in chosen)  # masked anew


@pytest.mark.trains
def test_masked_lm_trains_on_streamed_imdb_reviews(reviews_file, tmp_path):
    result = masked_lm.main(as_flags({
        "train_file": reviews_file, "streaming": True, "max_steps": 4, "max_eval_samples": 8, "batch_size": 8,
        "model": "scratch:bert-tiny", "vocab_size": 600, "max_length": 64, "learning_rate": 1e-3, **ANY_MACHINE,
        "output_dir": tmp_path / "run"}))
    assert [entry["step"] for entry in result.evaluations] == [0, 4]
    assert 1 < result.metrics["val_perplexity"] < 2 * 600  # a guess among the 600 tokens, not yet trained much
    assert "from a stream (4 steps of 8)" in (result.output_dir / "README.md").read_text(encoding="utf-8")


def test_bad_streaming_options_are_one_line(code_files, tmp_path, capsys):
    options = {**CODE, "train_file": code_files[0], "streaming": True, "max_steps": 2}
    check_bad_inputs(causal_lm.main, options, tmp_path, capsys, [
        (lambda o, t: {k: v for k, v in o.items() if k != "max_steps"}, "--streaming needs --max_steps"),
        (lambda o, t: {**o, "max_train_samples": 10}, "'max_train_samples' would be ignored with --streaming"),
        (lambda o, t: {**o, "streaming": False, "shuffle_buffer": 5}, "it only applies with --streaming"),
        (lambda o, t: {**o, "train_file": t}, "a folder, not a file to stream"),
        (lambda o, t: {k: v for k, v in o.items() if k != "train_file"}, "the built-in python-stdlib is read whole"),
        (lambda o, t: {**{k: v for k, v in o.items() if k != "train_file"}, "dataset": "codeparrot/codeparrot-clean"},
         "--streaming reads it from the Hub, and the Hub is switched off here"),
        (lambda o, t: {**o, "train_file": write(t / "tiny.txt", "x = 1\ny = 2\n"), "validation_file": code_files[1]},
         "the streamed documents hold fewer than one block of max_length=64 tokens"),
        (lambda o, t: {**o, "train_file": write(t / "cut.jsonl", '{"text": "x = 1"}\n{"text": "y = \n')},
         "cut.jsonl line 2: invalid JSON: Unterminated string starting at (column 10)"),  # as read whole
    ])


@pytest.mark.trains
def test_a_malformed_line_met_while_training_is_one_line_naming_it(code_tokenizer, tmp_path, capsys):
    """With a tokenizer of its own, a run reads the stream before training only up to its first block (the first 64
    documents, tokenized at once): line 70 is read by TensorFlow, inside fit, and still named in one line."""
    code_tokenizer.save_pretrained(tmp_path / "tokenizer")
    lines = [json.dumps({"text": f"x{i} = {i}"}) for i in range(80)]
    lines[69] = '{"text": "x69 = '
    options = {"model": "scratch:gpt2-tiny", "tokenizer": tmp_path / "tokenizer", "streaming": True, "max_steps": 50,
               "train_file": write(tmp_path / "code.jsonl", "\n".join(lines) + "\n"), "batch_size": 2,
               "validation_file": write(tmp_path / "validation.txt", "y = 1\n" * 40), "max_length": 16,
               "max_new_tokens": 4, "evaluate_before_training": False, **ANY_MACHINE}
    check_bad_inputs(causal_lm.main, options, tmp_path, capsys, [
        (lambda o, t: o, "code.jsonl line 70: invalid JSON: Unterminated string starting at (column 10)")])
