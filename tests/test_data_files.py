"""Local data files: each format, MRPC's TSV quirks, and one-line errors that name the file and line."""

import json

import pandas as pd
import pytest

from kerastx.data.files import read_data_file
from kerastx.data.labels import LabelMap
from kerastx.errors import ConfigError, DataError


def test_mrpc_tsv_with_bom_and_bare_quotes(mrpc_dir):
    dataset, source = read_data_file(mrpc_dir / "train.tsv")
    assert len(dataset) == 3668  # the default CSV quoting would merge rows at bare '"'
    assert dataset.column_names[0] == "Quality"  # BOM stripped from the header
    assert dataset[0]["#1 String"].startswith('Amrozi accused his brother , whom he called " the witness "')
    assert sum(dataset["Quality"]) == 2474
    assert source.where(0) == f"{mrpc_dir / 'train.tsv'} line 2"


@pytest.mark.parametrize("suffix", ["csv", "json", "jsonl", "parquet"])
def test_each_format_reads_the_same_rows(tmp_path, suffix):
    frame = pd.DataFrame({"text": ['He said "hi", twice', "plain", "ünïcode"], "label": ["b", "a", "b"]})
    path = tmp_path / f"data.{suffix}"
    if suffix == "csv":
        frame.to_csv(path, index=False)
    elif suffix == "json":
        path.write_text(json.dumps(frame.to_dict("records")), encoding="utf-8")
    elif suffix == "jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    else:
        frame.to_parquet(path)
    dataset, _ = read_data_file(path)
    assert list(dataset["text"]) == frame["text"].tolist()
    assert list(dataset["label"]) == ["b", "a", "b"]


def test_missing_empty_and_unsupported_files(tmp_path):
    with pytest.raises(DataError, match="nope.csv: no such file"):
        read_data_file(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="news_folder: no such file"):  # not "unsupported file type ''"
        read_data_file(tmp_path / "news_folder")
    with pytest.raises(DataError, match=f"{tmp_path}: a folder, not a data file"):
        read_data_file(tmp_path)
    (tmp_path / "empty.tsv").write_text("")
    with pytest.raises(DataError, match="empty.tsv: the file is empty"):
        read_data_file(tmp_path / "empty.tsv")
    (tmp_path / "header.csv").write_text("text,label\n")
    with pytest.raises(DataError, match="header but no rows"):
        read_data_file(tmp_path / "header.csv")
    (tmp_path / "data.xlsx").write_text("x")
    with pytest.raises(DataError, match="unsupported file type '.xlsx'"):
        read_data_file(tmp_path / "data.xlsx")


def test_bad_jsonl_line_is_named(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "a", "label": 1}\n{"text": "b", label: 2}\n')
    with pytest.raises(DataError, match="bad.jsonl line 2: invalid JSON"):
        read_data_file(path)


def test_labels_inferred_sorted_and_renamed():
    labels = LabelMap.infer([1, 0, 1, 1], ["not_equivalent", "equivalent"])
    assert labels.id2label == {0: "not_equivalent", 1: "equivalent"}
    assert LabelMap.infer(["pos", "neg", "pos"]).label2id == {"neg": 0, "pos": 1}
    with pytest.raises(ConfigError, match="label_names has 3 names but the training labels have 2"):
        LabelMap.infer([0, 1], ["a", "b", "c"])


def test_unseen_validation_label_names_file_column_and_line(tmp_path):
    path = tmp_path / "dev.csv"
    path.write_text("text,label\nfine,pos\nodd,maybe\n")
    dataset, source = read_data_file(path)
    labels = LabelMap.infer(["pos", "neg"])
    with pytest.raises(DataError, match=r"dev.csv line 3: column 'label' has label 'maybe', which the training data does not have"):
        labels.encode(dataset["label"], source, "label")
