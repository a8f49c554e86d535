"""tf.data pipelines: dynamic padding to a multiple, length-grouped batches, static shapes, and the training rows
resumed at a position."""

import numpy as np
import pytest

from kerastx.data.pipeline import build_tf_dataset, length_grouped_batches


@pytest.fixture(scope="module")
def tiny(shared_data):
    """A scratch BERT and its tokenizer, trained on real MRPC sentences, plus a tokenized slice."""
    import datasets
    from transformers import TFAutoModelForSequenceClassification

    from kerastx.data.files import read_data_file
    from kerastx.models.scratch import ScratchSpec, train_tokenizer
    rows, _ = read_data_file(shared_data("mrpc") / "dev.tsv")
    rows = rows.select(range(100))
    tokenizer = train_tokenizer(list(rows["#1 String"]), "bert", "wordpiece", 500)
    spec = ScratchSpec.parse("scratch:bert-tiny")
    model = TFAutoModelForSequenceClassification.from_config(spec.build_config(tokenizer, 64, num_labels=2))
    encoded = tokenizer(list(rows["#1 String"]), list(rows["#2 String"]), truncation=True, max_length=64)
    data = datasets.Dataset.from_dict({**encoded, "labels": list(rows["Quality"])})
    return model, tokenizer, data


def collator(tokenizer, **kwargs):
    from transformers import DataCollatorWithPadding

    return DataCollatorWithPadding(tokenizer, return_tensors="np", **kwargs)


def test_dynamic_padding_rounds_lengths_up_to_the_multiple(tiny):
    model, tokenizer, data = tiny
    dataset = build_tf_dataset(model, data, collator(tokenizer, pad_to_multiple_of=16), 8, shuffle=False)
    lengths = set()
    for features, labels in dataset:
        assert features["input_ids"].shape == features["attention_mask"].shape
        assert labels.shape == (features["input_ids"].shape[0],)
        lengths.add(features["input_ids"].shape[1])
    assert all(length % 16 == 0 for length in lengths)
    assert len(lengths) <= 64 // 16


def test_static_shapes_give_one_shape_and_drop_the_remainder(tiny):
    model, tokenizer, data = tiny
    static = collator(tokenizer, padding="max_length", max_length=64)
    shapes = [f["input_ids"].shape for f, _ in build_tf_dataset(model, data, static, 32, shuffle=True, drop_remainder=True)]
    assert shapes == [(32, 64)] * (100 // 32)


def test_length_grouped_batches_cover_every_example_once_and_reshuffle():
    lengths = np.random.default_rng(0).integers(5, 120, size=1000)
    rng = np.random.default_rng(1)
    first = length_grouped_batches(lengths, 16, shuffle=True, rng=rng)
    second = length_grouped_batches(lengths, 16, shuffle=True, rng=rng)
    assert sorted(np.concatenate(first).tolist()) == list(range(1000))
    assert [b.tolist() for b in first] != [b.tolist() for b in second]
    spread = np.mean([lengths[b].max() - lengths[b].min() for b in first])
    random_spread = np.mean([lengths[b].max() - lengths[b].min() for b in np.array_split(rng.permutation(1000), 63)])
    assert spread < random_spread / 4  # similar lengths share a batch


def test_length_grouped_dataset_pads_less_than_random_batches(tiny):
    model, tokenizer, data = tiny
    pad = collator(tokenizer, pad_to_multiple_of=8)

    def padded_tokens(dataset):
        return sum(int(np.prod(f["input_ids"].shape)) for f, _ in dataset)

    grouped = build_tf_dataset(model, data, pad, 8, shuffle=True, seed=0, group_by_length=True)
    plain = build_tf_dataset(model, data, pad, 8, shuffle=True, seed=0)
    labels = sorted(int(y) for _, batch in grouped for y in batch.numpy())
    assert labels == sorted(data["labels"])
    assert padded_tokens(grouped) < padded_tokens(plain)


@pytest.mark.parametrize("static_shapes, steps", [(False, 100 // 32 + 1), (True, 100 // 32)])
def test_a_row_source_resumes_an_epoch_at_a_position_with_the_batches_left(tiny, static_shapes, steps):
    from kerastx.data.pipeline import DataPosition, RowSource

    model, tokenizer, data = tiny
    static = collator(tokenizer, padding="max_length", max_length=64)
    source = RowSource(data, 32, seed=3, static_shapes=static_shapes)
    assert (source.examples, source.steps_per_epoch()) == (100, steps)
    assert source.describe().startswith(f"100 rows, reshuffled each epoch into {steps} batches of 32")

    def batches(position):
        dataset, stated = source.dataset(position, 1, model, static)
        assert stated is None and int(dataset.cardinality()) == steps - position.batch
        return [features["input_ids"].numpy() for features, _ in dataset]

    whole, resumed = batches(DataPosition(1, 0)), batches(DataPosition(1, 2))
    assert len(whole) == steps and len(resumed) == steps - 2
    assert all(np.array_equal(a, b) for a, b in zip(whole[2:], resumed))
    assert not np.array_equal(whole[0], batches(DataPosition(2, 0))[0])  # another epoch, another order
