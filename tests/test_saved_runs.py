"""A finished run works in transformers as it is: ``pipeline(task, model=run_dir, framework="tf")`` with no
extra argument once kerastx is imported, a translation run decodes there as ``predict`` does (its decoding
options are in generation_config.json), and the model card is Hub metadata that huggingface_hub reads back."""

import json
import subprocess
import sys

import pytest

from kerastx.recipes import text_classification, translation
from recipe_harness import check_model_card_metadata
from tests_helpers import TINY_TRAINING, TINY_TRANSLATION_DECODING, as_flags, mrpc_files

SOURCES = ["I'm hungry.", "Tom is here.", "Where is my book?", "We have to go home now.", "Be careful.",
           "I don't know what you are talking about.", "It's cold.", "She likes to read books in the garden."]
DECODING = TINY_TRANSLATION_DECODING


@pytest.fixture(scope="module")
def classification_run(tmp_path_factory, shared_data):
    tmp = tmp_path_factory.mktemp("classification")
    options = {**mrpc_files(shared_data("mrpc"), tmp), **TINY_TRAINING, "epochs": 1, "output_dir": tmp / "out"}
    return text_classification.main(as_flags(options)).output_dir


@pytest.fixture(scope="module")
def translation_run(tiny_translation_run):
    """test_seq2seq's tiny Marian: it writes French-looking text and, after 4 short epochs, can still repeat itself,
    so the decoding options (beam search, no repeated bigram) change what it says."""
    return tiny_translation_run[0].output_dir


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
def test_generation_config_holds_the_runs_decoding_options(translation_run):
    from transformers import GenerationConfig

    saved = GenerationConfig.from_pretrained(str(translation_run))
    assert {name: getattr(saved, name) for name in DECODING} == DECODING
    assert not json.loads((translation_run / "generation_config.json").read_text()).get("_from_model_config")


@pytest.mark.trains
def test_translation_pipeline_and_generate_say_what_predict_says(translation_run):
    from transformers import AutoTokenizer, TFAutoModelForSeq2SeqLM, pipeline

    from kerastx.recipes.registry import load_predictor

    # one sentence at a time: in a batch, the padding of the others moves the scores of this half-trained model
    # by float rounding, enough to flip a near tie between two beams either way
    predictor = load_predictor(translation_run)
    predicted = [predictor([text])[0] for text in SOURCES]
    translator = pipeline("translation", model=str(translation_run), framework="tf")
    assert [translator(text)[0]["translation_text"].strip() for text in SOURCES] == predicted
    model, tokenizer = (TFAutoModelForSeq2SeqLM.from_pretrained(str(translation_run)),
                        AutoTokenizer.from_pretrained(str(translation_run)))
    generated = [tokenizer.decode(model.generate(**tokenizer([text], return_tensors="tf"))[0], skip_special_tokens=True)
                 for text in SOURCES]
    assert [text.strip() for text in generated] == predicted
    # the options matter for this model: greedy search that may repeat bigrams says something else
    plain = translator(SOURCES, num_beams=1, no_repeat_ngram_size=0)
    assert [answer["translation_text"].strip() for answer in plain] != predicted
    # not a degenerate model that says one thing to everything (how many differ depends on the CPU's rounding:
    # 4 of 8 on CI's machine, more here)
    assert len(set(predicted)) >= 3 and all(predicted)


@pytest.mark.trains
def test_translation_card_is_hub_metadata_with_the_measured_metrics(translation_run):
    final = json.loads((translation_run / "metrics.json").read_text())["final"]
    data = check_model_card_metadata(translation_run / "README.md", translation.RECIPE, final)
    assert data.language == ["en", "fr"] and data.base_model is None and data.datasets is None
    assert {result.metric_type for result in data.eval_results} == {"bleu", "chrf"}
    assert "dtype" not in (translation_run / "README.md").read_text()


@pytest.mark.trains
def test_translation_export_generates_the_predictors_ids_with_beam_search(translation_run, tmp_path):
    """Beam search (2 beams, no repeated bigram) served by XLA generate, in a fresh process: the ids the predictor
    generates for each row of the padded batch alone (the served search's batch of one; the predictor's batch of 8
    can keep another of two beams within rounding), and their text; predict_ids scores a target as the model does."""
    import numpy as np
    from transformers import TFAutoModelForSeq2SeqLM

    from kerastx.recipes.registry import load_predictor
    from kerastx.serving.generation import as_served
    from kerastx.export.fresh_process import run_signatures
    from recipe_harness import check_export

    version, serving, _ = check_export(translation_run, tmp_path, ["--no_verify"], show=True)
    assert serving["serving_default"] == "generate_ids" and "beam search, 2 beams" in \
        serving["signatures"]["generate_ids"]["summary"]
    generator = load_predictor(translation_run)
    encoded = generator.tokenizer(SOURCES)["input_ids"]
    input_ids, attention_mask = generator.pad(encoded, bucket=16)
    input_ids, attention_mask = input_ids[:len(SOURCES)], attention_mask[:len(SOURCES)]
    expected = as_served(generator.generate_padded, generator.options)(input_ids, attention_mask)
    targets = generator.tokenizer(text_target=["J'ai faim.", "Tom est ici.", "Où est mon livre ?", "Fais attention."],
                                  padding=True, return_tensors="np")["input_ids"].astype(np.int32)
    both = run_signatures(version, {"generate_ids": {"input_ids": input_ids, "attention_mask": attention_mask},
                                    "predict_ids": {"input_ids": input_ids[:4], "attention_mask": attention_mask[:4],
                                                    "labels": targets}})  # one fresh process
    served, scored = both["generate_ids"], both["predict_ids"]
    assert np.array_equal(served["sequences"], expected) and len({tuple(row) for row in expected}) >= 3
    assert served["text"].tolist() == [t.strip() for t in generator.tokenizer.batch_decode(expected,
                                                                                          skip_special_tokens=True)]
    model = TFAutoModelForSeq2SeqLM.from_pretrained(str(translation_run))
    logits = model(input_ids=input_ids[:4], attention_mask=attention_mask[:4], labels=targets).logits.numpy()
    logits = logits.astype(np.float64) - logits.max(-1, keepdims=True)
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    expected_scores = np.take_along_axis(log_probs, targets[..., None], -1)[..., 0]
    assert np.max(np.abs(scored["token_log_probs"] - expected_scores)) <= 1e-5


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
