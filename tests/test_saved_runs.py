"""A finished run works in transformers as it is: ``pipeline(task, model=run_dir, framework="tf")`` with no
extra argument once kerastx is imported, and its export converts to TFLite and ONNX. (A translation run's
pipeline, generation config, model card and export are tested in test_seq2seq.py, beside the fit they read.)"""

import subprocess
import sys

import pytest

from kerastx.recipes import text_classification
from tests_helpers import TINY_TRAINING, as_flags, mrpc_files


@pytest.fixture(scope="module")
def classification_run(tmp_path_factory, shared_data):
    tmp = tmp_path_factory.mktemp("classification")
    options = {**mrpc_files(shared_data("mrpc"), tmp), **TINY_TRAINING, "epochs": 1, "output_dir": tmp / "out"}
    return text_classification.main(as_flags(options)).output_dir


@pytest.mark.spawns
def test_import_kerastx_loads_neither_transformers_nor_tensorflow():
    code = "import sys, kerastx; print(sorted(m for m in ('tensorflow', 'transformers') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


@pytest.mark.parametrize("torch_installed, given, expected", [
    (False, {}, {"dtype": None}), (False, {"dtype": "auto"}, {"dtype": None}),
    (False, {"dtype": "float16"}, {"dtype": "float16"}), (True, {}, {}), (True, {"dtype": "auto"}, {"dtype": "auto"}),
])
def test_pipeline_dtype_defaults_to_none_only_without_torch(monkeypatch, torch_installed, given, expected):
    import transformers.utils

    from kerastx.compat.torchless import torchless_default

    monkeypatch.setattr(transformers.utils, "is_torch_available", lambda: torch_installed)
    wrapped = torchless_default(lambda task, **kwargs: (task, kwargs))
    assert wrapped("translation", model="m", **given) == ("translation", {"model": "m", **expected})
    assert torchless_default(wrapped) is wrapped


@pytest.mark.trains
def test_classification_run_loads_in_the_pipeline_without_dtype_and_agrees_with_predict(classification_run):
    from transformers import pipeline

    from kerastx.recipes.registry import load_predictor

    classifier = pipeline("text-classification", model=str(classification_run), framework="tf")
    pairs = [("The cat sat on the mat .", "A cat was sitting on the mat ."), ("He left .", "She stayed .")]
    predicted = load_predictor(classification_run)(pairs)
    for (first, second), (label, score) in zip(pairs, predicted):
        answer = classifier({"text": first, "text_pair": second})
        assert answer["label"] == label and answer["score"] == pytest.approx(score, abs=1e-4)


@pytest.mark.trains
def test_export_converts_the_ids_signature_to_tflite_and_onnx_and_runs_them(classification_run, tmp_path):
    """--tflite --onnx: each converted model is run on the signature's examples beside the trained model (float
    ones within 1e-4, else no file); here again on real MRPC pairs."""
    import numpy as np
    from transformers import AutoTokenizer, TFAutoModelForSequenceClassification

    from kerastx.export.onnx import run_onnx
    from kerastx.export.tflite import run_tflite
    from recipe_harness import check_export

    _, _, printed = check_export(classification_run, tmp_path, ["--tflite", "--onnx", "--without_text"])
    assert "float TFLite" in printed and "int8 TFLite (dynamic range)" in printed and "ONNX" in printed
    tokenizer = AutoTokenizer.from_pretrained(str(classification_run))
    pairs = [line.split("\t")[3:5] for line in (classification_run.parent / "dev.tsv").read_text().splitlines()[1:]]
    encoded = dict(tokenizer([a for a, _ in pairs], [b for _, b in pairs], truncation=True, max_length=64,
                             padding=True, return_tensors="np"))
    logits = TFAutoModelForSequenceClassification.from_pretrained(str(classification_run))(encoded).logits.numpy()
    float_tflite = run_tflite(tmp_path / "out-tflite/1/model.tflite", encoded)["logits"]
    int8_tflite = run_tflite(tmp_path / "out-tflite/1/model_int8.tflite", encoded)["logits"]
    onnx = run_onnx(tmp_path / "out-onnx/1/model.onnx", encoded)["logits"]
    assert np.max(np.abs(float_tflite - logits)) <= 1e-4 and np.max(np.abs(onnx - logits)) <= 1e-4
    assert np.max(np.abs(int8_tflite - logits)) > np.max(np.abs(float_tflite - logits))  # int8 weights: coarser
    assert (tmp_path / "out-tflite/1/model_int8.tflite").stat().st_size < \
        (tmp_path / "out-tflite/1/model.tflite").stat().st_size / 2
