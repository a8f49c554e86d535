"""The text-classification recipe end to end: run directory, max_steps, evaluations every N steps, mixed
precision with static shapes, early stopping, pipeline round trip, predict, bad input."""

import json
import math

import numpy as np
import pytest
import yaml

from kerastx.recipes import text_classification
from kerastx.recipes.text_classification import main
from recipe_harness import check_predict, check_run_directory, write
from tests_helpers import as_flags, mrpc_files, one_line_error, TINY_TRAINING

LABELS = ["not_equivalent", "equivalent"]


def keeping(function, kept: list):
    """``function``, appending what each call returns to ``kept`` (to look at what the trainer built)."""
    def call(*args, **kwargs):
        kept.append(function(*args, **kwargs))
        return kept[-1]
    return call


@pytest.fixture(scope="module")
def mrpc_run(tmp_path_factory, shared_data):
    """One short real run on 170 MRPC rows with a scratch tiny BERT, in mixed_bfloat16 with static shapes (10
    whole batches of 16 per epoch), stopped after 13 steps, evaluated before training and every 5 steps.
    Returns the result, the options, and the model and tf.data pipelines the trainer built."""
    from kerastx.data import pipeline
    from kerastx.training import trainer

    tmp = tmp_path_factory.mktemp("run")
    dynamic_padding = {k: v for k, v in TINY_TRAINING.items() if k != "pad_to_multiple_of"}
    options = {**mrpc_files(shared_data("mrpc"), tmp, train_rows=170), **dynamic_padding, "max_steps": 13, "eval_every_steps": 5,
               "evaluate_before_training": True, "precision": "mixed_bfloat16", "static_shapes": True,
               "label_names": LABELS, "output_dir": tmp / "out"}
    models, pipelines = [], []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(trainer, "load_model", keeping(trainer.load_model, models))
        patch.setattr(pipeline, "build_train_dataset", keeping(pipeline.build_train_dataset, pipelines))
        result = main(as_flags(options))  # its precision is held for the run only
    return result, options, models[0], pipelines[0]


@pytest.mark.trains
def test_run_directory_and_predict_follow_the_harness(mrpc_run, capsys):
    result, options, _, _ = mrpc_run
    check_run_directory(text_classification.RECIPE, result)
    assert yaml.safe_load((result.output_dir / "config.yaml").read_text())["training"]["learning_rate"] == \
        TINY_TRAINING["learning_rate"]
    assert "not_equivalent, equivalent" in (result.output_dir / "README.md").read_text()
    check_predict(result.output_dir, ["The cat sat on the mat .\tA cat was sitting on the mat .",
                                      "He left .\tShe stayed ."], capsys)


@pytest.mark.trains
def test_max_steps_stops_after_that_many_steps_and_evaluations_come_every_n_steps(mrpc_run):
    result, _, _, _ = mrpc_run
    # before training; every 5 steps, the one at step 10 also ending epoch 1; and the end of the run at step 13
    assert [(e["epoch"], e["step"]) for e in result.evaluations] == [(0, 0), (1, 5), (1, 10), (2, 13)]
    metrics = json.loads((result.output_dir / "metrics.json").read_text())
    assert len(metrics["train_loss"]) == 2  # the second epoch was cut short, not skipped or completed


@pytest.mark.trains
def test_mixed_bfloat16_and_static_shapes_reach_the_model_and_the_batches(mrpc_run):
    result, options, model, train = mrpc_run
    config = yaml.safe_load((result.output_dir / "config.yaml").read_text())["training"]
    assert (config["precision"], config["static_shapes"]) == ("mixed_bfloat16", True)
    assert model.compute_dtype == "bfloat16" and model.variable_dtype == "float32"
    shapes = {tuple(features["input_ids"].shape) for features, _ in train}
    assert shapes == {(options["batch_size"], options["max_length"])}  # one shape: padded to max_length
    assert len(list(train)) == 170 // options["batch_size"]  # the last partial batch (10 rows) is dropped
    metrics = json.loads((result.output_dir / "metrics.json").read_text())
    assert all(math.isfinite(loss) for loss in metrics["train_loss"])


@pytest.mark.trains
def test_saved_model_loads_in_a_tf_pipeline_and_agrees_with_predict(mrpc_run, capsys):
    from transformers import pipeline

    from kerastx.predict import main as predict_main

    out = mrpc_run[1]["output_dir"]
    classifier = pipeline("text-classification", model=str(out), framework="tf")
    first, second = "The cat sat on the mat .", "A cat was sitting on the mat ."
    expected = classifier({"text": first, "text_pair": second})
    capsys.readouterr()
    predict_main([str(out), f"{first}\t{second}"])
    predicted = capsys.readouterr().out.strip().split("\t")
    assert predicted[0] == expected["label"]
    assert float(predicted[1]) == pytest.approx(expected["score"], abs=1e-3)


@pytest.fixture(scope="module")
def stopped_run(tmp_path_factory, shared_data):
    """Early stopping that must happen: the validation rows are all "not_equivalent", so the F1 of
    "equivalent" (the watched metric) is 0 whatever the model does, and patience 1 stops at epoch 2 of 4.
    Returns the result and the model's weights at the end of each epoch, before early stopping acts."""
    from kerastx.data import pipeline
    from kerastx.training import trainer

    tmp = tmp_path_factory.mktemp("stopped")
    files = mrpc_files(shared_data("mrpc"), tmp, dev_rows=120)
    header, *rows = files["validation_file"].read_text(encoding="utf-8").splitlines(keepends=True)
    write(files["validation_file"], header + "".join(row for row in rows if row.startswith("0\t")))
    options = {**files, **TINY_TRAINING, "epochs": 4, "early_stopping_patience": 1, "label_names": LABELS,
               "output_dir": tmp / "out"}
    weights = []

    class WeightsSeenByEarlyStopping(trainer.BestModel):
        def on_epoch_end(self, epoch, logs=None):
            weights.append(self.model.get_weights())
            super().on_epoch_end(epoch, logs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(trainer, "BestModel", WeightsSeenByEarlyStopping)
        return main(as_flags(options)), weights


@pytest.mark.trains
def test_early_stopping_stops_when_the_metric_stops_improving_and_saves_the_best_weights(stopped_run):
    from transformers import TFAutoModelForSequenceClassification

    result, weights = stopped_run
    first, second = result.evaluations
    assert (first["epoch"], second["epoch"]) == (1, 2) and first["val_f1"] == second["val_f1"] == 0.0
    assert len(weights) == 2  # epochs 3 and 4 never ran
    saved = TFAutoModelForSequenceClassification.from_pretrained(str(result.output_dir)).get_weights()
    assert all(np.array_equal(s, w) for s, w in zip(saved, weights[0], strict=True))  # epoch 1's weights...
    assert not all(np.array_equal(s, w) for s, w in zip(saved, weights[1]))  # ...not the last ones
    assert result.metrics == pytest.approx({k: v for k, v in first.items() if k.startswith("val_")})


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


def test_offline_hub_dataset_fails_with_the_way_out(tmp_path, capsys):
    error = run_failing(["--dataset", "glue", "--dataset_config", "mrpc", "--output_dir", str(tmp_path / "o")], capsys)
    assert "dataset 'glue'" in error and "--train_file" in error


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


@pytest.mark.trains
def test_predict_errors_are_one_line(tmp_path, capsys, mrpc_run):
    from kerastx.predict import main as predict_main

    options = mrpc_run[1]
    for argv, message in (([str(tmp_path)], "not a kerastx run directory (no config.yaml)"),
                          ([str(options["output_dir"])], "nothing to predict"),
                          ([str(options["output_dir"]), "only one sentence"], "separate the two sentences")):
        with pytest.raises(SystemExit) as exit_info:
            predict_main(argv)
        assert exit_info.value.code == 2
        error = capsys.readouterr().err.strip()
        assert message in error and error.count("\n") == 0
