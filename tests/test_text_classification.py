"""The text-classification recipe end to end: run directory, pipeline round trip, predict, bad input."""

import subprocess
import sys
import time

import pytest
import yaml

from kerastx.recipes import text_classification
from kerastx.recipes.text_classification import main
from recipe_harness import check_predict, check_run_directory
from tests_helpers import as_flags, mrpc_files, one_line_error, TINY_TRAINING


@pytest.fixture(scope="module")
def mrpc_run(tmp_path_factory, shared_data):
    """One short real run on MRPC rows with a scratch tiny BERT."""
    tmp = tmp_path_factory.mktemp("run")
    options = {**mrpc_files(shared_data("mrpc"), tmp), **TINY_TRAINING, "epochs": 2,
               "label_names": ["not_equivalent", "equivalent"], "output_dir": tmp / "out"}
    result = main(as_flags(options))
    return result, options


def test_run_directory_and_predict_follow_the_harness(mrpc_run, capsys):
    result, options = mrpc_run
    metrics = check_run_directory(text_classification.RECIPE, result)
    assert [e["epoch"] for e in metrics["evaluations"]] == [1, 2]
    assert yaml.safe_load((result.output_dir / "config.yaml").read_text())["training"]["learning_rate"] == \
        TINY_TRAINING["learning_rate"]
    assert "not_equivalent, equivalent" in (result.output_dir / "README.md").read_text()
    lines = check_predict(result.output_dir, ["The cat sat on the mat .\tA cat was sitting on the mat .",
                                              "He left .\tShe stayed ."], capsys)
    assert all(line.split("\t")[0] in ("not_equivalent", "equivalent") for line in lines)


def test_saved_model_loads_in_a_tf_pipeline_and_agrees_with_predict(mrpc_run):
    from transformers import pipeline

    _, options = mrpc_run
    out = options["output_dir"]
    # dtype=None: transformers 4.57's pipeline() looks the default dtype up in torch, which is absent
    classifier = pipeline("text-classification", model=str(out), framework="tf", dtype=None)
    first, second = "The cat sat on the mat .", "A cat was sitting on the mat ."
    expected = classifier({"text": first, "text_pair": second})
    assert expected["label"] in ("not_equivalent", "equivalent")
    predicted = subprocess.run([sys.executable, "-m", "kerastx.predict", str(out), f"{first}\t{second}"],
                               capture_output=True, text=True, check=True).stdout.strip().split("\t")
    assert predicted[0] == expected["label"]
    assert float(predicted[1]) == pytest.approx(expected["score"], abs=1e-3)


def run_failing(argv, capsys):
    return one_line_error(main, argv, capsys)


@pytest.mark.parametrize("edit, message", [
    (lambda o, tmp: {**o, "text_column": "sentence"}, "train.tsv: no column 'sentence'"),
    (lambda o, tmp: {**o, "train_file": _write(tmp / "empty.tsv", "")}, "empty.tsv: the file is empty"),
    (lambda o, tmp: {**o, "validation_file": _write(tmp / "dev.tsv", "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n"
                                                    "1\t1\t2\ta\tb\n7\t3\t4\tc\td\n")},
     "dev.tsv line 3: column 'Quality' has label 7"),
    (lambda o, tmp: {**o, "train_file": tmp / "missing.tsv"}, "missing.tsv: no such file"),
    (lambda o, tmp: _with_model(o, "no-such-org/no-such-model"), "model 'no-such-org/no-such-model' is not in the local cache"),
    (lambda o, tmp: _with_model(o, "./no/such/dir"), "./no/such/dir: no such model directory"),
    (lambda o, tmp: {**o, "config": _write(tmp / "bad.yaml", "epochs: [\n")}, "bad.yaml: invalid YAML at line"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, shared_data, capsys, edit, message):
    options = {**mrpc_files(shared_data("mrpc"), tmp_path), **TINY_TRAINING, "output_dir": tmp_path / "out"}
    error = run_failing(as_flags(edit(options, tmp_path)), capsys)
    assert message in error
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.partial*"))


def test_offline_hub_dataset_fails_fast_with_the_way_out(tmp_path, capsys):
    started = time.perf_counter()
    error = run_failing(["--dataset", "glue", "--dataset_config", "mrpc", "--output_dir", str(tmp_path / "o")], capsys)
    assert "dataset 'glue'" in error and "--train_file" in error
    assert time.perf_counter() - started < 15


def test_existing_output_dir_is_kept_without_overwrite(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    error = run_failing(["--output_dir", str(tmp_path / "out")], capsys)
    assert "already exists" in error
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


def _with_model(options, model):
    """Options for a pretrained ``model`` (a scratch-only option such as vocab_size would be an error)."""
    return {**{k: v for k, v in options.items() if k != "vocab_size"}, "model": model}


def _write(path, text):
    path.write_text(text)
    return path


def test_predict_errors_are_one_line(tmp_path, capsys, mrpc_run):
    from kerastx.predict import main as predict_main

    _, options = mrpc_run
    for argv, message in (([str(tmp_path)], "not a kerastx run directory (no config.yaml)"),
                          ([str(options["output_dir"])], "nothing to predict"),
                          ([str(options["output_dir"]), "only one sentence"], "separate the two sentences")):
        with pytest.raises(SystemExit) as exit_info:
            predict_main(argv)
        assert exit_info.value.code == 2
        error = capsys.readouterr().err.strip()
        assert message in error and error.count("\n") == 0
