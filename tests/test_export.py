"""`kerastx export`: a finished run as a SavedModel TF Serving loads, whose signatures answer in a fresh process
(only tensorflow + tensorflow_text imported) as the trained model does in Python; TFLite and ONNX conversions of
its ids signature; one-line errors for runs that cannot be exported."""

import json

import numpy as np
import pytest
import yaml

from kerastx.__main__ import main as kerastx_main
from kerastx.export.fresh_process import run_signatures
from kerastx.recipes import text_classification
from recipe_harness import check_export
from serving_helpers import run_in_fresh_process
from tests_helpers import ANY_MACHINE, as_flags, mrpc_files, one_line_error


@pytest.fixture(scope="module")
def minilm_run(tmp_path_factory, shared_data):
    """The packaged pretrained MiniLM fine-tuned for 4 steps on real MRPC pairs (its real uncased WordPiece
    tokenizer is what the raw-text signature must reproduce in the graph)."""
    tmp = tmp_path_factory.mktemp("minilm")
    options = {**mrpc_files(shared_data("mrpc"), tmp, train_rows=64, dev_rows=32), "model": "minilm",
               "batch_size": 16, "max_length": 64, "max_steps": 4, "label_names": ["not_equivalent", "equivalent"],
               "output_dir": tmp / "out", **ANY_MACHINE}
    return text_classification.main(as_flags(options)).output_dir


@pytest.fixture(scope="module")
def dev_pairs(shared_data):
    from kerastx.data.files import read_data_file

    table, _ = read_data_file(shared_data("mrpc") / "dev.tsv")
    return list(zip(table["#1 String"][:40], table["#2 String"][:40]))


@pytest.fixture(scope="module")
def minilm_export(minilm_run, tmp_path_factory):
    return check_export(minilm_run, tmp_path_factory.mktemp("export"), show=True)


@pytest.mark.trains
def test_the_export_has_tf_servings_layout_and_describes_its_signatures(minilm_export):
    version, serving, _ = minilm_export
    assert version.name == "1" and (version / "saved_model.pb").is_file() and (version / "variables").is_dir()
    assert serving["serving_default"] == "predict_text"
    text = serving["signatures"]["predict_text"]
    assert set(text["inputs"]) == {"text", "text_pair"} and text["needs_tensorflow_text"]
    assert {"label", "score", "probabilities"} <= set(text["outputs"])
    assert text["rest_request"]["signature_name"] == "predict_text"
    assert (version / "assets.extra/labels.txt").read_text().split() == ["not_equivalent", "equivalent"]
    assert (version / "assets.extra/tokenizer/tokenizer.json").is_file()


@pytest.fixture(scope="module")
def dev_logits(minilm_run, dev_pairs):
    """The real pairs tokenized, and the trained model's float32 logits for them."""
    from transformers import AutoTokenizer, TFAutoModelForSequenceClassification

    tokenizer = AutoTokenizer.from_pretrained(str(minilm_run))
    encoded = tokenizer([a for a, _ in dev_pairs], [b for _, b in dev_pairs], truncation=True, max_length=64,
                        padding=True, return_tensors="np")
    return dict(encoded), TFAutoModelForSequenceClassification.from_pretrained(str(minilm_run))(dict(encoded)).logits.numpy()


@pytest.fixture(scope="module")
def served(minilm_export, dev_pairs, dev_logits):
    """Both signatures of the export on the real pairs, run by one fresh process (tensorflow_text imported: the model
    holds text ops)."""
    version, _, _ = minilm_export
    return run_signatures(version, {"predict_text": {"text": [a for a, _ in dev_pairs],
                                                     "text_pair": [b for _, b in dev_pairs]},
                                    "predict_ids": dev_logits[0]}, text_ops=True)


@pytest.mark.trains
def test_raw_text_signature_answers_as_the_predictor_on_real_pairs(minilm_run, served, dev_pairs):
    from kerastx.recipes.registry import load_predictor

    predicted = load_predictor(minilm_run)(dev_pairs)
    assert served["predict_text"]["label"].tolist() == [label for label, _ in predicted]
    assert np.max(np.abs(served["predict_text"]["score"] - [score for _, score in predicted])) <= 1e-5


@pytest.mark.trains
def test_ids_signature_gives_the_trained_models_logits_on_real_pairs(served, dev_logits):
    _, logits = dev_logits
    assert np.max(np.abs(served["predict_ids"]["logits"] - logits)) <= 1e-5
    assert np.allclose(served["predict_ids"]["probabilities"].sum(-1), 1, atol=1e-6)


@pytest.mark.trains
def test_an_export_without_text_from_a_process_in_mixed_precision_is_float32_and_needs_no_tensorflow_text(
        minilm_run, dev_logits, tmp_path, capsys):
    """As after training with --precision mixed_bfloat16 --export: the export computes in float32 (bfloat16 logits
    are about 1e-2 off) and the process keeps its policy; --without_text leaves the raw-text signature out, and the
    export's own check reloads it in a process where tensorflow_text is not imported."""
    import tf_keras

    from kerastx.training.precision import global_precision

    with global_precision("mixed_bfloat16"):
        kerastx_main(["export", str(minilm_run), "--output", str(tmp_path), "--without_text"])
        assert tf_keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    printed = capsys.readouterr().out
    assert "predict_text: not exported: left out by --without_text" in printed
    assert "[export] checked in a fresh TensorFlow process: predict_ids." in printed
    serving = json.loads((tmp_path / "out/1/assets.extra/serving.json").read_text())
    assert list(serving["signatures"]) == ["predict_ids"] and not serving["needs_tensorflow_text"]
    encoded, logits = dev_logits
    served = run_in_fresh_process(tmp_path / "out/1", "predict_ids", encoded, text_ops=False)
    assert np.max(np.abs(served["logits"] - logits)) <= 1e-5


@pytest.mark.trains
def test_a_second_export_is_the_next_version_and_never_overwrites(minilm_run, tmp_path, capsys):
    quick = ["--output", str(tmp_path), "--no_verify", "--without_text"]
    kerastx_main(["export", str(minilm_run), *quick])
    kerastx_main(["export", str(minilm_run), *quick])
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["1", "2"]
    error = one_line_error(kerastx_main, ["export", str(minilm_run), "--output", str(tmp_path), "--version", "2"],
                           capsys)
    assert "out/2 exists" in error and "never overwritten" in error


@pytest.mark.trains
def test_runs_that_cannot_be_exported_are_one_line_errors(minilm_run, tmp_path, capsys):
    import shutil

    assert "no such folder" in one_line_error(kerastx_main, ["export", str(tmp_path / "nothing")], capsys)
    copy = shutil.copytree(minilm_run, tmp_path / "copy")
    (copy / "tokenizer.json").unlink()
    (copy / "vocab.txt").unlink()
    assert "no tokenizer files" in one_line_error(kerastx_main, ["export", str(copy)], capsys)
    newer = shutil.copytree(minilm_run, tmp_path / "newer")
    saved = yaml.safe_load((newer / "config.yaml").read_text())
    saved["runtime"]["kerastx_version"] = "0.9.0"
    (newer / "config.yaml").write_text(yaml.safe_dump(saved))
    error = one_line_error(kerastx_main, ["export", str(newer)], capsys)
    assert "written by kerastx 0.9.0" in error and not (newer / "export").exists()
    saved["runtime"].pop("kerastx_version")
    saved["training"]["learning_rate_schedule"] = "cosine"
    (newer / "config.yaml").write_text(yaml.safe_dump(saved))
    assert "learning_rate_schedule" in one_line_error(kerastx_main, ["export", str(newer)], capsys)


@pytest.mark.trains
def test_sigterm_while_the_export_is_checked_stops_the_child_and_leaves_no_folder_behind(minilm_run, tmp_path,
                                                                                        monkeypatch, capsys):
    """SIGTERM reaches the export while its fresh process reloads the SavedModel: that child is killed, and the hidden
    version, the temporary folder of the check and the model folders this export made are all removed."""
    import os
    import signal
    import subprocess
    import tempfile
    import threading

    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    children = []

    class SignalledOnceStarted(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            children.append(self)
            threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM)).start()  # while the child reloads

    def reached_the_test(signum, frame):
        raise AssertionError("SIGTERM was not handled by the export")

    monkeypatch.setattr(subprocess, "Popen", SignalledOnceStarted)
    previous = signal.signal(signal.SIGTERM, reached_the_test)
    try:
        with pytest.raises(SystemExit) as stopped:
            kerastx_main(["export", str(minilm_run), "--output", str(tmp_path / "models"), "--without_text"])
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert stopped.value.code == 143
    assert capsys.readouterr().err == ("kerastx export: stopped by SIGTERM; the export it was writing is removed (the "
                                       "versions it reported as written are complete)\n")
    assert len(children) == 1 and children[0].returncode == -signal.SIGKILL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"]
    assert list((tmp_path / "tmp").glob("kerastx-reload-*")) == []  # (autograph leaves its own files there)


def test_kerastx_without_a_known_command_says_what_it_takes(capsys):
    assert kerastx_main(["train"]) == 2
    assert "unknown command 'train'" in capsys.readouterr().err
