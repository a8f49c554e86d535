"""The masked-LM recipe on real IMDB reviews: blocks, masking (token and whole-word, fixed for evaluation,
reproducible per training batch), a short fit of the packaged MiniLM whose perplexity falls, the harness
checks, the fill-mask pipeline round trip, bad input."""

import re

import numpy as np
import pytest

from kerastx.data.blocks import group_into_blocks
from kerastx.data.masking import IGNORED_LABEL, MaskingRule, mask_tokens
from kerastx.recipes import masked_lm
from recipe_harness import check_bad_inputs, check_predict, check_run_directory, write
from tests_helpers import ANY_MACHINE, as_flags


@pytest.fixture(scope="module")
def minilm_tokenizer():
    from transformers import AutoTokenizer

    import kerastx

    return kerastx.from_pretrained(AutoTokenizer, "minilm")


@pytest.fixture(scope="module")
def reviews(shared_data):
    """The first 200 unlabelled IMDB reviews, as the recipe reads them."""
    from kerastx.data.readers.text_corpus import read_text_corpus

    corpus, _ = read_text_corpus(shared_data("imdb") / "aclImdb" / "train" / "unsup")
    return corpus["text"][:200]


@pytest.fixture(scope="module")
def review_blocks(reviews, minilm_tokenizer):
    ids = minilm_tokenizer(reviews, verbose=False)["input_ids"]
    return group_into_blocks(ids, 128), ids


def test_blocks_are_the_documents_concatenated_and_cut_with_the_tail_dropped(review_blocks):
    assert group_into_blocks([[1, 2, 3], [4, 5], [6, 7, 8]], 3).tolist() == [[1, 2, 3], [4, 5, 6]]
    blocks, ids = review_blocks
    stream = [token for document in ids for token in document]
    assert blocks.shape == (len(stream) // 128, 128)
    assert blocks.ravel().tolist() == stream[:blocks.size]
    assert len(stream) - blocks.size < 128
    # a review's [CLS] may fall anywhere in a block: blocks cross document boundaries
    assert {int(np.flatnonzero(row == 101)[0]) for row in blocks if (row == 101).any()} != {0}


def test_masking_chooses_about_15_percent_and_follows_the_80_10_10_rule(review_blocks, minilm_tokenizer):
    blocks, _ = review_blocks
    rule = MaskingRule.for_tokenizer(minilm_tokenizer)
    masked, labels = mask_tokens(blocks, rule, np.random.default_rng(0))
    chosen = labels != IGNORED_LABEL
    maskable = rule.maskable(blocks)
    assert not (chosen & ~maskable).any()  # [CLS]/[SEP] never
    assert chosen.sum() / maskable.sum() == pytest.approx(0.15, abs=0.01)
    assert (labels[chosen] == blocks[chosen]).all()
    as_mask = (masked == rule.mask_id) & chosen
    unchanged = (masked == blocks) & chosen
    assert as_mask.sum() / chosen.sum() == pytest.approx(0.8, abs=0.02)
    assert unchanged.sum() / chosen.sum() == pytest.approx(0.1 + 0.1 / rule.vocab_size, abs=0.02)
    assert ((masked != blocks) & ~chosen).sum() == 0
    again, _ = mask_tokens(blocks, rule, np.random.default_rng(0))
    assert (again == masked).all()


def test_whole_word_masking_never_splits_a_word(review_blocks, minilm_tokenizer):
    blocks, _ = review_blocks
    rule = MaskingRule.for_tokenizer(minilm_tokenizer, whole_words=True)
    _, labels = mask_tokens(blocks, rule, np.random.default_rng(1))
    chosen = labels != IGNORED_LABEL
    pieces = rule.continues_word[blocks] & rule.maskable(blocks)
    assert pieces.sum() > 1000  # many words are split into pieces in 200 reviews
    for row, column in zip(*np.nonzero(pieces)):
        start = column
        while start > 0 and pieces[row, start]:
            start -= 1
        if not pieces[row, start]:  # the word starts in this block: its pieces share its fate
            assert chosen[row, column] == chosen[row, start], minilm_tokenizer.decode(blocks[row, start:column + 1])
    assert chosen.sum() / rule.maskable(blocks).sum() == pytest.approx(0.15, abs=0.03)



@pytest.mark.parametrize("whole_words", [False, True], ids=["tokens", "whole-words"])
def test_numpy_and_in_graph_masking_give_the_same_masks_for_the_same_draws(review_blocks, minilm_tokenizer,
                                                                          whole_words):
    import tensorflow as tf

    from kerastx.data.masking import Draws, GraphTensors, NumpyArrays, masked_by_rule

    blocks, _ = review_blocks
    rule = MaskingRule.for_tokenizer(minilm_tokenizer, whole_words=whole_words)
    rng = np.random.default_rng(3)
    draws = Draws(rng.random(blocks.shape).astype(np.float32), rng.random(blocks.shape).astype(np.float32),
                  rng.integers(0, rule.vocab_size, blocks.shape).astype(blocks.dtype))
    in_numpy = masked_by_rule(blocks, rule, draws, NumpyArrays(rule))
    in_graph = masked_by_rule(tf.constant(blocks), rule, Draws(*(tf.constant(d) for d in vars(draws).values())),
                              GraphTensors(rule))
    chosen = in_numpy[1] != IGNORED_LABEL
    assert 0.1 < chosen.sum() / rule.maskable(blocks).sum() < 0.2 and (in_numpy[0] == rule.mask_id).any()
    for numpy_form, graph_form in zip(in_numpy, in_graph):
        np.testing.assert_array_equal(numpy_form, graph_form.numpy())


@pytest.mark.parametrize("whole_words", [False, True], ids=["tokens", "whole-words"])
def test_numpy_and_in_graph_masking_choose_as_often_with_their_own_generators(review_blocks, minilm_tokenizer,
                                                                             whole_words):
    import tensorflow as tf

    from kerastx.data.masking import mask_tokens_in_graph

    blocks, _ = review_blocks
    rule = MaskingRule.for_tokenizer(minilm_tokenizer, whole_words=whole_words)
    shares = []
    for masked, labels in (mask_tokens(blocks, rule, np.random.default_rng(4)),
                           [t.numpy() for t in mask_tokens_in_graph(tf.constant(blocks), rule,
                                                                    tf.constant([4, 0], tf.int64))]):
        chosen = labels != IGNORED_LABEL
        shares.append((chosen.sum() / rule.maskable(blocks).sum(), np.mean(masked[chosen] == rule.mask_id)))
    assert shares[0] == pytest.approx(shares[1], abs=0.02)
    assert shares[0] == pytest.approx((0.15, 0.8), abs=0.03)

@pytest.fixture(scope="module")
def imdb_options(tmp_path_factory, reviews):
    folder = tmp_path_factory.mktemp("mlm")
    lines = [text.replace("\n", " ") for text in reviews]  # one review per line
    return {"train_file": str(write(folder / "train.txt", "\n".join(lines[:160]))),
            "validation_file": str(write(folder / "valid.txt", "\n".join(lines[160:]))),
            "model": "minilm", "max_length": 64, "batch_size": 16, "max_steps": 10, "max_eval_samples": 96,
            "learning_rate": 3e-4, "warmup_steps": 2, **ANY_MACHINE}


def test_validation_masks_are_drawn_once_from_the_seed(imdb_options, minilm_tokenizer):
    from kerastx.training.preparation import load_task_splits

    def validation(seed):
        config = masked_lm.MaskedLMConfig(**{**imdb_options, "seed": seed})
        data = masked_lm.MaskedLMData(config)
        prepared = data.prepare(load_task_splits(masked_lm.RECIPE, config, data), minilm_tokenizer)
        return np.array(prepared.validation["input_ids"]), np.array(prepared.validation["labels"])

    first, again, other = validation(42), validation(42), validation(43)
    assert (first[0] == again[0]).all() and (first[1] == again[1]).all()
    assert (first[1] != other[1]).any()


def test_training_masks_are_a_function_of_seed_epoch_and_batch(imdb_options, minilm_tokenizer):
    import datasets
    from transformers import TFAutoModelForMaskedLM

    from kerastx.data.features import FeatureCollator
    from kerastx.data.pipeline import DataPosition
    from kerastx.recipes.base import PreparedData

    config = masked_lm.MaskedLMConfig(**{**imdb_options, "batch_size": 4, "seed": 7})
    data = masked_lm.MaskedLMData(config)
    blocks = group_into_blocks(minilm_tokenizer(["a short review of a long film"] * 40)["input_ids"], 16)
    prepared = PreparedData(datasets.Dataset.from_dict({"input_ids": blocks}), None, None, [], 0)
    source = data.training_source(prepared, minilm_tokenizer)
    model = TFAutoModelForMaskedLM.from_config(_tiny_bert_config(minilm_tokenizer))
    collator = FeatureCollator.for_run(data.feature_spec(minilm_tokenizer), config, model)

    def epoch(position):
        dataset, _ = source.dataset(position, 1, model, collator)
        return [(features["input_ids"].numpy(), labels.numpy()) for features, labels in dataset]

    whole = epoch(DataPosition(0, 0))
    assert all((l != IGNORED_LABEL).any() for _, l in whole)
    assert all((a == b).all() and (la == lb).all() for (a, la), (b, lb) in zip(whole, epoch(DataPosition(0, 0))))
    resumed = epoch(DataPosition(0, 3))  # a resumed run masks the rest of the epoch as the first run did
    assert all((a == b).all() and (la == lb).all() for (a, la), (b, lb) in zip(whole[3:], resumed))
    next_epoch = epoch(DataPosition(1, 0))
    assert any((la != lb).any() for (_, la), (_, lb) in zip(whole, next_epoch))


def _tiny_bert_config(tokenizer):
    from transformers import BertConfig

    return BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                      intermediate_size=64)


@pytest.fixture(scope="module")
def mlm_run(imdb_options, tmp_path_factory):
    """10 steps of the packaged MiniLM (its MLM head new) on 160 IMDB reviews, evaluated on 96 blocks of others
    (about 70 s on one AVX2 core; measured: perplexity 70,590 -> 1,087)."""
    return masked_lm.main(as_flags({**imdb_options, "output_dir": tmp_path_factory.mktemp("out") / "run"}))


@pytest.mark.trains
def test_perplexity_falls_and_is_lower_is_better(mlm_run):
    before, *_, after = mlm_run.evaluations
    assert before["step"] == 0 and after["step"] == 10
    assert before["val_perplexity"] == pytest.approx(np.exp(before["val_loss"]), rel=1e-6)
    assert after["val_perplexity"] < before["val_perplexity"] / 10
    metrics = check_run_directory(masked_lm.RECIPE, mlm_run)
    assert metrics["directions"]["val_perplexity"] == "min" and metrics["best"]["mode"] == "min"


@pytest.mark.trains
def test_predict_fills_the_mask_and_the_fill_mask_pipeline_agrees(mlm_run, capsys):
    from transformers import pipeline

    from kerastx.recipes.registry import load_predictor

    text = "This movie was [MASK] and I loved every minute of it."
    [line] = check_predict(mlm_run.output_dir, [text], capsys)
    assert len(re.findall(r"\(\d\.\d\d\)", line)) == 5  # five guesses, each with its probability
    [[ours]] = load_predictor(mlm_run.output_dir)([text])
    fill = pipeline("fill-mask", model=str(mlm_run.output_dir), framework="tf", dtype=None, top_k=5)
    theirs = fill(text)
    assert [token for token, _ in ours] == [guess["token_str"] for guess in theirs]
    assert [p for _, p in ours] == pytest.approx([guess["score"] for guess in theirs], abs=1e-4)


def test_bad_input_is_one_line(imdb_options, tmp_path, capsys):
    check_bad_inputs(masked_lm.main, imdb_options, tmp_path, capsys, [
        (lambda o, t: {**o, "train_file": write(t / "short.txt", "Too short.\n")},
         "fewer than one block of max_length=64 tokens"),
        (lambda o, t: {**o, "train_file": write(t / "blank.txt", "\n  \n")}, "no documents"),
        (lambda o, t: {**o, "mlm_probability": 1.5}, "mlm_probability must be between 0 and 1"),
        (lambda o, t: {**o, "model": "scratch:marian-tiny"}, "masked lm"),
        (lambda o, t: {**{k: v for k, v in o.items() if k != "train_file"}, "train_shards": str(t)},
         "no index.json and no shards in it"),
        (lambda o, t: {**o, "train_shards": str(t)}, "give the training data once"),
        (lambda o, t: {**o, "tokenizer": _bigger_tokenizer(t)}, "has 30532 tokens but minilm embeds only 30522"),
    ])


def _bigger_tokenizer(folder) -> str:
    """The packaged MiniLM's tokenizer with ten tokens more than the model has embeddings."""
    from transformers import AutoTokenizer

    import kerastx

    tokenizer = kerastx.from_pretrained(AutoTokenizer, "minilm")
    tokenizer.add_tokens([f"newword{i}" for i in range(10)])
    tokenizer.save_pretrained(folder / "bigger")
    return str(folder / "bigger")


@pytest.mark.trains
def test_export_fills_masks_of_raw_text_in_the_graph_as_the_predictor_does(mlm_run, reviews, tmp_path):
    from kerastx.recipes.registry import load_predictor
    from recipe_harness import check_export
    from serving_helpers import run_in_fresh_process

    version, serving, _ = check_export(mlm_run.output_dir, tmp_path, ["--no_verify"])
    assert serving["serving_default"] == "predict_text"
    texts = []
    for review in reviews[:30]:
        words = review.split()[:40]
        words[len(words) // 2] = "[MASK]"
        words[-1] = re.sub(r"\w+", "[MASK]", words[-1], count=1)  # a mask touching punctuation too
        texts.append(" ".join(words))
    predicted = load_predictor(mlm_run.output_dir)(texts)
    served = run_in_fresh_process(version, "predict_text", {"text": texts}, text_ops=True)
    assert served["mask_count"].tolist() == [len(masks) for masks in predicted]
    for row, masks in enumerate(predicted):
        for index, guesses in enumerate(masks):
            assert served["tokens"][row][index].tolist() == [token for token, _ in guesses]
            assert np.max(np.abs(served["probabilities"][row][index] - [p for _, p in guesses])) <= 1e-5
    # the guesses depend on the text: a 30-step model puts "the" first nearly everywhere and its top lists
    # differ in few texts (2 or 3 of 30, as the optimizer's rounding falls), but their probabilities in most
    assert len({tuple(token for token, _ in masks[0]) for masks in predicted}) >= 2
    assert len({tuple(round(p, 4) for _, p in masks[0]) for masks in predicted}) >= 20
