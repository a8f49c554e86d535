"""Labels mean what the user wrote: ``label_names`` that are the label values map by value, other names only
rename integer labels 0..n-1, and the ids saved in the model config name the rows' own labels. No TensorFlow."""

import pytest

from kerastx.data.files import Source
from kerastx.data.labels import LabelMap
from kerastx.errors import ConfigError

TRAIN = Source("train.csv", first_line=2)


def test_names_that_are_the_labels_map_by_value_in_their_order():
    labels = LabelMap.from_training(["neg", "pos", "neg"], TRAIN, "label", ["pos", "neg"])
    assert labels.id2label == {0: "pos", 1: "neg"}
    assert labels.encode(["neg", "pos", "neg"], TRAIN, "label") == [1, 0, 1]


def test_the_saved_config_names_each_row_by_its_own_label(tmp_path):
    from transformers import AutoConfig, BertConfig

    rows = ["neg", "pos", "neg", "pos"]
    labels = LabelMap.from_training(rows, TRAIN, "label", ["pos", "neg"])
    BertConfig(num_labels=2, id2label=labels.id2label, label2id=labels.label2id).save_pretrained(tmp_path)
    saved = AutoConfig.from_pretrained(tmp_path)  # what predict and export read back
    assert [saved.id2label[i] for i in labels.encode(rows, TRAIN, "label")] == rows
    assert {name: saved.label2id[name] for name in rows} == {"pos": 0, "neg": 1}


def test_other_names_rename_integer_labels_in_order():
    labels = LabelMap.from_training([1, 0, 1], TRAIN, "label", ["not_equivalent", "equivalent"])
    assert labels.id2label == {0: "not_equivalent", 1: "equivalent"}
    assert labels.encode([1, 0], TRAIN, "label") == [1, 0]


def test_other_names_for_text_labels_are_refused():
    with pytest.raises(ConfigError) as caught:
        LabelMap.from_training(["neg", "pos"], TRAIN, "label", ["negative", "positive"])
    assert str(caught.value) == (
        "label_names negative, positive are not the labels of train.csv column 'label' (neg, pos): list those "
        "labels, in the order of the ids you want (--label_names neg pos); only integer labels 0..n-1 can be given "
        "other names")


def test_integer_labels_that_are_not_0_to_n_minus_1_cannot_be_renamed():
    with pytest.raises(ConfigError, match=r"are not the labels of train.csv column 'label' \(1, 2\)"):
        LabelMap.from_training([2, 1], TRAIN, "label", ["low", "high"])


def test_a_name_given_twice_is_refused():
    with pytest.raises(ConfigError, match="label_names gives 'pos' twice; each class needs a name of its own"):
        LabelMap.from_training(["neg", "pos"], TRAIN, "label", ["pos", "pos"])
