"""TFRecord shards of language-model blocks: written, read back by a pure tf.data pipeline with static shapes,
in an order and with masks that are functions of (seed, epoch, batch), and refused with one line when broken."""

import json

import numpy as np
import pytest

from kerastx.data.blocks import group_into_blocks
from kerastx.data.masking import IGNORED_LABEL, MaskingRule, mask_tokens_in_graph
from kerastx.data.tfrecords import ShardedBlocks, check_vocabulary, read_index, write_shards
from kerastx.errors import DataError

LENGTH = 128
PER_SHARD = 64


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    import kerastx

    return kerastx.from_pretrained(AutoTokenizer, "minilm")


@pytest.fixture(scope="module")
def imdb_blocks(shared_data, tokenizer):
    """Blocks of 128 MiniLM tokens from the first 150 positive IMDB reviews (about 330 blocks)."""
    from kerastx.data.readers.text_corpus import read_text_corpus

    reviews, _ = read_text_corpus(shared_data("imdb") / "aclImdb" / "train" / "pos")
    return group_into_blocks(tokenizer(reviews["text"][:150])["input_ids"], LENGTH)


@pytest.fixture(scope="module")
def shard_folder(imdb_blocks, tokenizer, tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("shards"))
    write_shards(imdb_blocks, folder, PER_SHARD, {"vocab_size": len(tokenizer), "tokenizer": "minilm"})
    return folder


def rows(dataset) -> np.ndarray:
    return np.concatenate([features["input_ids"].numpy() for features, _ in dataset])


def test_index_lists_the_shards_last_one_short(shard_folder, imdb_blocks):
    with open(f"{shard_folder}/index.json") as file:
        index = json.load(file)
    full, rest = divmod(len(imdb_blocks), PER_SHARD)
    assert [s["examples"] for s in index["shards"]] == [PER_SHARD] * full + [rest]
    assert [s["file"] for s in index["shards"]][:2] == ["shard-00000.tfrecord", "shard-00001.tfrecord"]
    assert (index["format"], index["sequence_length"], index["examples"]) == ("kerastx-lm-shards/1", LENGTH,
                                                                             len(imdb_blocks))
    assert (index["vocab_size"], index["max_token_id"]) == (30522, imdb_blocks.max())


def test_blocks_read_back_equal_with_static_shapes(shard_folder, imdb_blocks):
    dataset = ShardedBlocks(shard_folder).dataset(batch_size=1, seed=0, epoch=0, causal=True)
    features, labels = dataset.element_spec
    assert features["input_ids"].shape == features["attention_mask"].shape == labels.shape == (1, LENGTH)
    read = rows(dataset)
    assert read.dtype == np.int32
    assert sorted(map(tuple, read)) == sorted(map(tuple, imdb_blocks))  # every block once, shuffled


def test_causal_batches_are_full_and_labelled_with_their_inputs(shard_folder, imdb_blocks):
    blocks = ShardedBlocks(shard_folder)
    batches = list(blocks.dataset(batch_size=32, seed=0, epoch=0, causal=True))
    assert len(batches) == blocks.steps_per_epoch(32) == len(imdb_blocks) // 32  # the partial batch is dropped
    for features, labels in batches:
        np.testing.assert_array_equal(labels, features["input_ids"])
        assert features["attention_mask"].numpy().min() == 1


def test_order_is_a_function_of_seed_and_epoch(shard_folder):
    blocks = ShardedBlocks(shard_folder)
    first = rows(blocks.dataset(16, seed=3, epoch=1, causal=True))
    np.testing.assert_array_equal(first, rows(blocks.dataset(16, seed=3, epoch=1, causal=True)))
    assert not np.array_equal(first, rows(blocks.dataset(16, seed=3, epoch=2, causal=True)))
    assert not np.array_equal(first, rows(blocks.dataset(16, seed=4, epoch=1, causal=True)))


def test_skipping_batches_gives_the_rest_of_the_epoch_with_the_same_masks(shard_folder, tokenizer):
    blocks, rule = ShardedBlocks(shard_folder), MaskingRule.for_tokenizer(tokenizer)
    whole = list(blocks.dataset(16, seed=5, epoch=2, masking=rule))
    rest = list(blocks.dataset(16, seed=5, epoch=2, skip_batches=7, masking=rule))
    assert len(rest) == len(whole) - 7
    for (features, labels), (resumed_features, resumed_labels) in zip(whole[7:], rest):
        np.testing.assert_array_equal(features["input_ids"], resumed_features["input_ids"])
        np.testing.assert_array_equal(labels, resumed_labels)


def test_several_epochs_follow_one_another_in_one_dataset(shard_folder):
    blocks = ShardedBlocks(shard_folder)
    chained = rows(blocks.dataset(16, seed=5, epoch=1, skip_batches=3, causal=True, epochs=2))
    one_by_one = [rows(blocks.dataset(16, seed=5, epoch=1, skip_batches=3, causal=True)),
                  rows(blocks.dataset(16, seed=5, epoch=2, causal=True))]
    np.testing.assert_array_equal(chained, np.concatenate(one_by_one))



def test_a_masked_lm_reads_shards_through_a_source_that_resumes_with_the_same_masks(shard_folder, tokenizer):
    from kerastx.data.pipeline import DataPosition
    from kerastx.recipes import masked_lm
    from kerastx.recipes.base import PreparedData

    config = masked_lm.MaskedLMConfig(train_shards=shard_folder, validation_file="valid.txt", model="minilm",
                                      max_length=LENGTH, batch_size=16, seed=5)
    blocks = ShardedBlocks(shard_folder)
    source = masked_lm.MaskedLMData(config).training_source(PreparedData(blocks, None, None, [], 0), tokenizer)
    assert (source.examples, source.steps_per_epoch()) == (blocks.examples, blocks.steps_per_epoch(16))
    assert f"TFRecord shards ({shard_folder}), {blocks.steps_per_epoch(16)} full batches of 16" in source.describe()
    resumed, steps = source.dataset(DataPosition(epoch=2, batch=7), 1, model=None, collator=None)
    assert steps == blocks.steps_per_epoch(16) - 7
    expected = blocks.dataset(16, seed=5, epoch=2, skip_batches=7, masking=MaskingRule.for_tokenizer(tokenizer))
    for (features, labels), (expected_features, expected_labels) in zip(resumed, expected):
        np.testing.assert_array_equal(features["input_ids"], expected_features["input_ids"])
        np.testing.assert_array_equal(labels, expected_labels)

def test_pipelines_of_an_input_context_share_out_the_examples(shard_folder, imdb_blocks):
    import tensorflow as tf

    blocks = ShardedBlocks(shard_folder)
    shares = []
    for pipeline in range(2):
        context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=pipeline,
                                             num_replicas_in_sync=2)
        shares.append(rows(blocks.dataset(8, seed=0, epoch=0, causal=True, input_context=context)))
        assert len(shares[-1]) == blocks.steps_per_epoch(8, context) * 8
    assert len(shares[0]) == len(shares[1]) > 0.8 * len(imdb_blocks) / 2
    assert not set(map(tuple, shares[0])) & set(map(tuple, shares[1]))


def test_in_graph_masking_follows_bert_rule_on_imdb(shard_folder, tokenizer):
    rule = MaskingRule.for_tokenizer(tokenizer)
    batches = list(ShardedBlocks(shard_folder).dataset(64, seed=1, epoch=0, masking=rule))
    originals = np.concatenate([labels.numpy() for _, labels in batches])
    masked = np.concatenate([features["input_ids"].numpy() for features, _ in batches])
    chosen = originals != IGNORED_LABEL
    originals = np.where(chosen, originals, masked)  # where not chosen, the input is the original
    special = np.isin(originals, rule.special_ids)
    assert special.sum() > 100 and not (chosen & special).any()  # [CLS]/[SEP] of every review: never chosen
    assert chosen.sum() / (~special).sum() == pytest.approx(0.15, abs=0.01)
    shown = masked[chosen]
    as_mask = np.mean(shown == rule.mask_id)
    unchanged = np.mean(shown == originals[chosen])
    assert (as_mask, 1 - as_mask - unchanged, unchanged) == pytest.approx((0.8, 0.1, 0.1), abs=0.02)


def test_same_seed_same_masks_another_seed_others(imdb_blocks, tokenizer):
    import tensorflow as tf

    rule = MaskingRule.for_tokenizer(tokenizer)
    ids = tf.constant(imdb_blocks[:32], tf.int32)
    first = mask_tokens_in_graph(ids, rule, tf.constant([7, 0], tf.int64))
    again = mask_tokens_in_graph(ids, rule, tf.constant([7, 0], tf.int64))
    other = mask_tokens_in_graph(ids, rule, tf.constant([7, 1], tf.int64))
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])


def test_whole_word_masking_chooses_every_piece_of_a_word(imdb_blocks, tokenizer):
    import tensorflow as tf

    rule = MaskingRule.for_tokenizer(tokenizer, whole_words=True)
    ids = imdb_blocks[:128]
    _, labels = mask_tokens_in_graph(tf.constant(ids, tf.int32), rule, tf.constant([3, 3], tf.int64))
    chosen = labels.numpy() != IGNORED_LABEL
    continues = rule.continues_word[ids] & rule.maskable(ids)
    pieces = continues[:, 1:]  # a continuation piece is chosen exactly when the piece before it is
    assert pieces.sum() > 600
    np.testing.assert_array_equal(chosen[:, 1:][pieces], chosen[:, :-1][pieces])
    assert chosen.sum() / rule.maskable(ids).sum() == pytest.approx(0.15, abs=0.03)


def test_blocks_of_another_length_are_refused_by_number(tmp_path):
    blocks = [np.arange(8), np.arange(8), np.arange(9)]
    with pytest.raises(DataError, match=r"^example 2 \(counted from 0\) has 9 tokens, the examples before it 8"):
        write_shards(blocks, str(tmp_path), 2)


def test_an_interrupted_writing_leaves_no_index(tmp_path):
    def blocks():
        yield from np.zeros((5, 8), np.int32)
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_shards(blocks(), str(tmp_path), 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shard-00000.tfrecord", "shard-00001.tfrecord"]
    with pytest.raises(DataError, match="has 2 shard files but no index.json: their writing did not finish"):
        read_index(str(tmp_path))


def test_a_folder_with_shards_is_overwritten_only_when_asked(tmp_path):
    write_shards(np.zeros((6, 8), np.int32), str(tmp_path), 2)
    with pytest.raises(DataError, match="already holds shards .* overwrite them"):
        write_shards(np.zeros((2, 4), np.int32), str(tmp_path), 2)
    write_shards(np.ones((2, 4), np.int32), str(tmp_path), 2, overwrite=True)
    assert (read_index(str(tmp_path)).examples, read_index(str(tmp_path)).sequence_length) == (2, 4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.json", "shard-00000.tfrecord"]


@pytest.mark.parametrize("breakage, message", [
    ("no folder", r"shard folder .*/gone does not exist"),
    ("empty folder", r"no index.json and no shards in it; write the shards with tpu/write_shards.py"),
    ("missing shard", r"1 listed shards are missing \(shard-00001.tfrecord\)"),
    ("mixed lengths in index", r"mixes sequence lengths: shard-00001.tfrecord holds 16 tokens per example, the "
                               r"index says 8"),
    ("shard of another writing", r"mixes sequence lengths: shard-00000.tfrecord holds 16 tokens per example, the "
                                 r"index says 8"),
    ("not an index", r"index.json: not a shard index"),
    ("corrupt shard", r"shards: cannot read it \(.*corrupted record"),
])
def test_broken_shard_folders_are_one_line_errors(tmp_path, breakage, message):
    folder = tmp_path / "shards"
    write_shards(np.zeros((4, 8), np.int32), str(folder), 2)
    index_file = folder / "index.json"
    if breakage == "no folder":
        folder = tmp_path / "gone"
    elif breakage == "empty folder":
        folder = tmp_path / "empty"
        folder.mkdir()
    elif breakage == "missing shard":
        (folder / "shard-00001.tfrecord").unlink()
    elif breakage == "mixed lengths in index":
        index = json.loads(index_file.read_text())
        index["shards"][1]["sequence_length"] = 16
        index_file.write_text(json.dumps(index))
    elif breakage == "shard of another writing":
        write_shards(np.zeros((2, 16), np.int32), str(tmp_path / "other"), 2)
        (tmp_path / "other" / "shard-00000.tfrecord").replace(folder / "shard-00000.tfrecord")
    elif breakage == "corrupt shard":
        (folder / "shard-00001.tfrecord").write_bytes(b"not a record" * 10)
    else:
        index_file.write_text('{"shards": 3}')
    with pytest.raises(DataError, match=message) as raised:
        ShardedBlocks(str(folder))
    assert "\n" not in str(raised.value)


def test_fewer_examples_than_one_batch_are_refused(tmp_path):
    write_shards(np.zeros((5, 8), np.int32), str(tmp_path), 2)
    with pytest.raises(DataError, match="5 examples per input pipeline, fewer than one batch of 8: use a smaller "
                                        "--batch_size"):
        ShardedBlocks(str(tmp_path)).steps_per_epoch(8)


def test_shards_of_a_larger_vocabulary_are_refused(shard_folder):
    index = read_index(shard_folder)
    check_vocabulary(index, 30522)
    with pytest.raises(DataError, match=r"tokenizer of 30522 tokens \(minilm\), larger than the model's vocabulary "
                                        r"of 8000"):
        check_vocabulary(index, 8000)
