"""The tpu/ scripts: a tokenizer trained and saved, a corpus written as shards the recipes' way, and the
training entry's one-line refusals and its no-TPU line."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from kerastx.data.blocks import group_into_blocks
from kerastx.data.tfrecords import ShardedBlocks

TPU = Path(__file__).resolve().parent.parent / "tpu"


def script(name: str):
    spec = importlib.util.spec_from_file_location(f"tpu_{name}", TPU / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reviews_text(folder: str, count: int) -> list[str]:
    from kerastx.data.readers.text_corpus import read_text_corpus

    return read_text_corpus(folder)[0]["text"][:count]


@pytest.fixture(scope="module")
def reviews(shared_data) -> str:
    return str(shared_data("imdb") / "aclImdb" / "train" / "neg")


def test_blocks_carry_the_tokens_left_over_from_one_batch_of_documents_to_the_next():
    documents = [list(range(start, start + size)) for start, size in ((0, 5), (100, 7), (200, 3), (300, 9))]
    batches = [documents[:2], documents[2:3], documents[3:]]
    carried = np.array(list(script("write_shards").blocks_of(iter(batches), 4)))
    np.testing.assert_array_equal(carried, group_into_blocks(documents, 4))


@pytest.mark.parametrize("task, architecture", [("masked_lm", "bert"), ("causal_lm", "gpt2")])
def test_a_corpus_becomes_shards_framed_as_its_recipe_frames_documents(reviews, tmp_path, capsys, task,
                                                                       architecture):
    from transformers import AutoTokenizer

    script("train_tokenizer").main(["--corpus", reviews, "--output", str(tmp_path / "tokenizer"), "--architecture",
                                    architecture, "--vocab_size", "600", "--max_documents", "60"])
    script("write_shards").main(["--task", task, "--tokenizer", str(tmp_path / "tokenizer"), "--corpus", reviews,
                                 "--output", str(tmp_path / "shards"), "--sequence_length", "32",
                                 "--examples_per_shard", "100", "--max_documents", "60"])
    printed = capsys.readouterr().out
    assert f"[tokenizer] 600 tokens ({architecture}" in printed and "tokens in " in printed
    index = json.loads((tmp_path / "shards" / "index.json").read_text())
    assert (index["task"], index["documents"], index["vocab_size"]) == (task, 60, 600)
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "shards" / "tokenizer")  # saved beside the shards
    first = tokenizer(reviews_text(reviews, 1)[0])["input_ids"]
    expected = first if task == "masked_lm" else first + [tokenizer.eos_token_id]  # [CLS] ... [SEP] / ... <eos>
    blocks = ShardedBlocks(str(tmp_path / "shards"))
    read = np.concatenate([f["input_ids"].numpy() for f, _ in blocks.dataset(1, 0, 0, causal=True)])
    assert any(list(row) == expected[:32] for row in read)  # the first document opens a block


def test_training_entry_refuses_a_folder_without_shards_in_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        script("train").main(["masked_lm", "--train_shards", str(tmp_path), "--model", "scratch:bert-tiny"])
    assert exited.value.code == 2
    error = capsys.readouterr().err.strip()
    assert error == (f"tpu/train.py: error: shard folder {tmp_path}: no index.json and no shards in it; write the "
                     "shards with tpu/write_shards.py")


def test_without_a_tpu_one_line_says_training_goes_on_elsewhere(capsys):
    assert script("train").find_tpu(None) is None
    line = capsys.readouterr().out
    assert line.startswith("[tpu] no TPU found (") and line.endswith(": training on CPU/GPU instead\n")
    assert line.count("\n") == 1
