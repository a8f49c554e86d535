"""Labels mean what the user wrote: ``label_names`` that are the label values map by value, other names only
rename integer labels 0..n-1, and the ids saved in the model config name the rows' own labels. No TensorFlow."""

import pytest

from kerastx.data.files import Source
from kerastx.data.labels import LabelMap
from kerastx.errors import ConfigError
from tests_helpers import ANY_MACHINE

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


# --- as a run reads them: spaces stripped, case variants kept, each with one warning line --------------------

def prepared(tmp_path, train: str, validation: str | None = None, **options):
    """``prepare_run`` of a text classification run (a scratch BERT's tokenizer) on these csv texts."""
    from kerastx.recipes.text_classification import RECIPE
    from kerastx.training.preparation import prepare_run

    files = {"train_file": tmp_path / "train.csv"}
    files["train_file"].write_text(train, encoding="utf-8")
    if validation is not None:
        files["validation_file"] = tmp_path / "dev.csv"
        files["validation_file"].write_text(validation, encoding="utf-8")
    config = RECIPE.config_class(**files, model="scratch:bert-tiny", vocab_size=100, batch_size=1,
                                 output_dir=str(tmp_path / "out"), **ANY_MACHINE, **options)
    return prepare_run(RECIPE, config)


def warnings_in(capsys) -> list[str]:
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith("[warning]")]


def test_spaces_around_labels_are_stripped_in_training_and_validation_with_one_warning(tmp_path, capsys):
    ready = prepared(tmp_path, "text,label\na cat,pos \na dog, neg\na cow,pos\na pig,neg\n",
                     "text,label\na hen, pos\na fox,neg\n")
    assert ready.prepared.model_overrides["id2label"] == {0: "neg", 1: "pos"}
    assert ready.prepared.validation["labels"] == [1, 0]
    assert warnings_in(capsys) == [
        f"[warning] column 'label': removed the spaces around 3 labels (2 in train, 1 in validation; the first: "
        f"'pos ' on {tmp_path}/train.csv line 2), which would otherwise be classes of their own"]


def test_labels_that_differ_only_by_case_stay_classes_with_one_warning(tmp_path, capsys):
    ready = prepared(tmp_path, "text,label\na,pos\nb,Pos\nc,pos\nd,POS\ne,neg\nf,Neg\ng,pos\n",
                     "text,label\nh,pos\n")
    assert len(ready.prepared.model_overrides["id2label"]) == 5
    assert warnings_in(capsys) == [
        f"[warning] {tmp_path}/train.csv: column 'label' has labels that differ only by case: pos (3), Pos (1), "
        "POS (1); neg (1), Neg (1); they are trained as different classes"]


def test_clean_labels_give_no_warning(tmp_path, capsys):
    prepared(tmp_path, "text,label\na,pos\nb,neg\n", "text,label\nc,pos\n")
    assert warnings_in(capsys) == []
