"""The predict_ids signature of an exported classifier, converted to TFLite (float32, int8 weights) and ONNX, answers
as the SavedModel does on real MRPC pairs, at any batch size and length."""

import sys

import numpy as np
import pytest

from kerastx.errors import ExportError
from kerastx.export.onnx import convert_to_onnx, run_onnx
from kerastx.export.tflite import convert_to_tflite, run_tflite

ID_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def save_signature(folder, function, input_signature, model=None):
    """``function`` (of ``model``, when it has one) saved as the SavedModel signature ``predict_ids`` in ``folder``,
    as the exporter saves it."""
    import tensorflow as tf

    module = tf.Module()
    module.model = model  # the variables the function reads must be reachable from the saved object
    module.predict_ids = tf.function(function, input_signature=input_signature)
    tf.saved_model.save(module, str(folder), signatures={"predict_ids": module.predict_ids})
    return folder


@pytest.fixture(scope="module")
def exported(tmp_path_factory, shared_data):
    """``(saved_model, batches, expected)``: an untrained scratch BERT-tiny MRPC classifier saved with predict_ids,
    the first 64 real MRPC dev pairs as two batches of different shapes (48 and 16 pairs, each padded to its
    longest), and the SavedModel's logits for them."""
    import tensorflow as tf
    from transformers import TFAutoModelForSequenceClassification

    from kerastx.compat.keras import tf_keras
    from kerastx.data.files import read_data_file
    from kerastx.models.scratch import ScratchSpec, train_tokenizer

    mrpc = shared_data("mrpc")
    train, _ = read_data_file(mrpc / "train.tsv")
    train = train.select(range(200))
    tokenizer = train_tokenizer(train["#1 String"][:] + train["#2 String"][:], "bert", "wordpiece", 600)
    tf_keras.utils.set_random_seed(0)
    # initial weights 10x BERT's (0.02): at 0.02 the untrained model gives every pair the same class, and int8's
    # agreement with it would say nothing
    config = ScratchSpec.parse("scratch:bert-tiny").build_config(tokenizer, 64, num_labels=2, initializer_range=0.2)
    model = TFAutoModelForSequenceClassification.from_config(config)

    def predict_ids(input_ids, attention_mask, token_type_ids):
        logits = model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                       training=False).logits
        return {"logits": logits, "probabilities": tf.nn.softmax(logits)}

    specs = [tf.TensorSpec([None, None], tf.int32, name=name) for name in ID_INPUTS]
    saved_model = save_signature(tmp_path_factory.mktemp("export") / "1", predict_ids, specs, model)

    dev, _ = read_data_file(mrpc / "dev.tsv")
    batches = []
    for rows in (range(0, 48), range(48, 64)):
        pairs = dev.select(rows)
        encoded = tokenizer(pairs["#1 String"][:], pairs["#2 String"][:], padding=True, truncation=True,
                            max_length=512, return_tensors="np")  # BERT's positions: no pair is cut
        batches.append({name: encoded[name] for name in ID_INPUTS})  # int64, as a tokenizer gives them
    assert all(np.not_equal(batches[0]["input_ids"].shape, batches[1]["input_ids"].shape))
    signature = tf.saved_model.load(str(saved_model)).signatures["predict_ids"]
    expected = [signature(**{name: tf.constant(ids, tf.int32) for name, ids in batch.items()})["logits"].numpy()
                for batch in batches]
    return saved_model, batches, expected


@pytest.fixture(scope="module")
def converted(exported, tmp_path_factory):
    saved_model, _, _ = exported
    folder = tmp_path_factory.mktemp("converted")
    return {"float": convert_to_tflite(saved_model, folder / "model.tflite"),
            "int8": convert_to_tflite(saved_model, folder / "model-int8.tflite", int8=True),
            "onnx": convert_to_onnx(saved_model, folder / "model.onnx")}


def test_float_tflite_answers_as_the_saved_model_at_two_shapes(exported, converted):
    _, batches, expected = exported
    for batch, logits in zip(batches, expected):
        outputs = run_tflite(converted["float"], batch)
        np.testing.assert_allclose(outputs["logits"], logits, atol=1e-4)
        np.testing.assert_allclose(outputs["probabilities"].sum(axis=1), 1.0, atol=1e-5)


def test_onnx_answers_as_the_saved_model_at_two_shapes(exported, converted):
    _, batches, expected = exported
    for batch, logits in zip(batches, expected):
        outputs = run_onnx(converted["onnx"], batch)
        assert sorted(outputs) == ["logits", "probabilities"]
        np.testing.assert_allclose(outputs["logits"], logits, atol=1e-4)


def test_int8_tflite_is_smaller_moves_the_logits_more_and_keeps_most_predictions(exported, converted):
    _, batches, expected = exported
    float_logits = np.concatenate([run_tflite(converted["float"], batch)["logits"] for batch in batches])
    int8_logits = np.concatenate([run_tflite(converted["int8"], batch)["logits"] for batch in batches])
    tf_logits = np.concatenate(expected)
    assert converted["int8"].stat().st_size < converted["float"].stat().st_size / 2
    assert np.abs(int8_logits - tf_logits).max() > 10 * np.abs(float_logits - tf_logits).max()
    predicted = tf_logits.argmax(axis=1)
    assert 0 < predicted.sum() < len(predicted)  # both classes, so that agreeing is not just one class everywhere
    agreement = (int8_logits.argmax(axis=1) == predicted).mean()
    assert agreement >= 0.85, agreement


def test_exact_gelu_erfc_converts_to_onnx_as_one_minus_erf(tmp_path):
    import tensorflow as tf

    saved_model = save_signature(tmp_path / "erfc", lambda x: {"y": tf.math.erfc(x)},
                                 [tf.TensorSpec([None], tf.float32, name="x")])
    x = np.linspace(-6, 6, 97, dtype=np.float32)
    outputs = run_onnx(convert_to_onnx(saved_model, tmp_path / "erfc.onnx"), {"x": x})
    np.testing.assert_allclose(outputs["y"], tf.math.erfc(x).numpy(), rtol=0, atol=2e-7)


@pytest.mark.parametrize("convert", [convert_to_tflite, convert_to_onnx])
def test_a_missing_signature_is_a_one_line_error_naming_the_ones_there_are(exported, convert, tmp_path):
    saved_model, _, _ = exported
    with pytest.raises(ExportError) as error:
        convert(saved_model, tmp_path / "model", signature="predict_text")
    message = str(error.value)
    assert "\n" not in message
    assert "no signature 'predict_text' to convert; it has predict_ids" in message
    assert not (tmp_path / "model").exists()


@pytest.mark.parametrize("convert, says", [(convert_to_tflite, "no TFLite builtin op for Igamma"),
                                           (convert_to_onnx, "tf2onnx cannot convert to ONNX: Igamma")])
def test_an_op_without_a_conversion_is_a_one_line_error_naming_it(convert, says, tmp_path):
    import tensorflow as tf

    saved_model = save_signature(tmp_path / "igamma", lambda x: {"y": tf.math.igamma(x, x)},
                                 [tf.TensorSpec([None], tf.float32, name="x")])
    with pytest.raises(ExportError) as error:
        convert(saved_model, tmp_path / "model")
    assert "\n" not in str(error.value) and says in str(error.value)
    assert not (tmp_path / "model").exists()


@pytest.mark.parametrize("module", ["tf2onnx", "onnxruntime"])
def test_onnx_without_its_packages_says_what_to_install(module, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, module, None)  # an import of it now raises ImportError
    with pytest.raises(ExportError, match=r"pip install 'kerastx\[onnx\]'"):
        if module == "tf2onnx":
            convert_to_onnx(tmp_path, tmp_path / "model.onnx")
        else:
            run_onnx(tmp_path / "model.onnx", {})


@pytest.mark.parametrize("kind, run", [("float", run_tflite), ("onnx", run_onnx)])
def test_running_without_an_input_the_model_takes_names_the_ones_it_takes(exported, converted, kind, run):
    _, batches, _ = exported
    without_types = {name: batches[0][name] for name in ("input_ids", "attention_mask")}
    with pytest.raises(ExportError, match="takes inputs attention_mask, input_ids, token_type_ids; got "
                                          "attention_mask, input_ids$"):
        run(converted[kind], without_types)
