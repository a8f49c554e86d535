"""The core training path on a tiny scratch model and real MRPC rows: loss goes down, metrics reach Keras logs."""

import numpy as np
import pytest

from kerastx.compat.keras import tf_keras
from tests_helpers import tokenized_mrpc


@pytest.fixture(scope="module")
def setup(shared_data):
    """A scratch tiny BERT for MRPC with train/validation tf.data pipelines built the way the trainer does."""
    from transformers import TFAutoModelForSequenceClassification

    from kerastx.data.pipeline import build_tf_dataset
    from kerastx.models.scratch import ScratchSpec

    tf_keras.utils.set_random_seed(0)
    tokenizer, data, collator = tokenized_mrpc(shared_data("mrpc"), rows=256, vocab_size=800)

    def fresh_model():
        config = ScratchSpec.parse("scratch:bert-tiny").build_config(tokenizer, 64, num_labels=2)
        return TFAutoModelForSequenceClassification.from_config(config)

    model = fresh_model()
    train = build_tf_dataset(model, data.select(range(192)), collator, 16, shuffle=True, seed=0, group_by_length=True)
    validation = build_tf_dataset(model, data.select(range(192, 256)), collator, 32, shuffle=False)
    return fresh_model, train, validation, list(data.select(range(192, 256))["labels"])


@pytest.mark.trains
def test_loss_goes_down_with_the_internal_loss_and_schedule(setup):
    from kerastx.config import RunConfig
    from kerastx.training.optimizer import build_optimizer

    fresh_model, train, _, _ = setup
    model = fresh_model()
    config = RunConfig(learning_rate=1e-3, warmup_ratio=0.1, weight_decay=0.01, clip_norm=1.0)
    model.compile(optimizer=build_optimizer(config, total_steps=12 * 10))
    losses = model.fit(train, epochs=10, verbose=0).history["loss"]
    assert losses[-1] < losses[0] * 0.7, losses


@pytest.mark.trains
def test_metric_values_reach_early_stopping_and_later_callbacks(setup):
    from kerastx.callbacks.metrics import ClassificationMetricsCallback

    fresh_model, train, validation, labels = setup
    model = fresh_model()
    model.compile(optimizer=tf_keras.optimizers.Adam(1e-3))
    metrics = ClassificationMetricsCallback(validation, num_labels=2, verbose=False)
    seen = []
    spy = tf_keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(dict(logs)))
    # patience 0 with min_delta 1.0: EarlyStopping must stop after the 2nd epoch, and only can if it sees val_f1
    stopper = tf_keras.callbacks.EarlyStopping(monitor="val_f1", mode="max", patience=0, min_delta=1.0)
    history = model.fit(train, epochs=5, verbose=0, callbacks=[metrics, spy, stopper])
    assert len(history.history["loss"]) == 2
    assert stopper.stopped_epoch == 1
    assert [s["val_f1"] for s in seen] == [h["val_f1"] for h in metrics.history]
    assert history.history["val_accuracy"] == [h["val_accuracy"] for h in metrics.history]
    logits = np.concatenate([model(x, training=False).logits.numpy() for x, _ in validation])
    expected_accuracy = float((logits.argmax(-1) == np.array(labels)).mean())
    assert metrics.evaluate()["val_accuracy"] == pytest.approx(expected_accuracy)


@pytest.mark.trains
def test_evaluation_every_n_steps_is_recorded(setup):
    from kerastx.callbacks.metrics import ClassificationMetricsCallback

    fresh_model, train, validation, _ = setup
    model = fresh_model()
    model.compile(optimizer=tf_keras.optimizers.Adam(1e-3))
    metrics = ClassificationMetricsCallback(validation, num_labels=2, every_steps=5, verbose=False)
    model.fit(train, epochs=1, verbose=0, callbacks=[metrics])
    assert [h["step"] for h in metrics.history] == [5, 10, 12]


@pytest.mark.trains
def test_static_shapes_train_under_xla_with_mixed_bfloat16_and_restore_fp32(setup, shared_data):
    from kerastx.training.precision import global_precision

    fresh_model, _, _, _ = setup
    with global_precision("mixed_bfloat16"):
        model = fresh_model()
        assert model.layers[0].compute_dtype == "bfloat16"
        model.compile(optimizer=tf_keras.optimizers.Adam(1e-3), jit_compile=True)
        ids = np.random.default_rng(0).integers(5, 500, size=(32, 64))
        features = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        history = model.fit(features, np.arange(32) % 2, batch_size=16, epochs=2, verbose=0)
        assert np.isfinite(history.history["loss"]).all()
    assert fresh_model().layers[0].compute_dtype == "float32"


def test_multi_worker_is_configured_by_a_tf_config_of_several_tasks(monkeypatch):
    from kerastx.training.strategy import _multi_worker_configured

    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 0}}')
    assert _multi_worker_configured()
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["a:1"]}}')
    assert not _multi_worker_configured()


@pytest.mark.parametrize("gpus, expected", [(0, ("one_device", "/cpu:0")), (1, ("one_device", "/device:GPU:0")),
                                            (2, ("mirrored",))])
def test_auto_strategy_follows_the_gpus_tensorflow_shows(monkeypatch, gpus, expected):
    """Whatever this machine has: TensorFlow is shown ``gpus`` GPUs, and the strategies are stand-ins."""
    import types

    import tensorflow as tf

    from kerastx.training.strategy import choose_strategy

    for variable in ("TF_CONFIG", "TPU_NAME", "COLAB_TPU_ADDR"):
        monkeypatch.delenv(variable, raising=False)
    shown = [types.SimpleNamespace(name=f"/device:GPU:{i}") for i in range(gpus)]
    monkeypatch.setattr(tf.config, "list_logical_devices", lambda kind=None: shown if kind == "GPU" else [])
    monkeypatch.setattr(tf.distribute, "MirroredStrategy", lambda: ("mirrored",))
    monkeypatch.setattr(tf.distribute, "OneDeviceStrategy", lambda device: ("one_device", device))
    assert choose_strategy("auto") == expected


@pytest.mark.parametrize("spec, setting", [("scratch:bert-tiny", "hidden_dropout_prob"), ("scratch:marian-tiny", "dropout"),
                                           ("scratch:t5-tiny", "dropout_rate"), ("minilm", "hidden_dropout_prob")])
def test_dropout_option_reaches_the_models_own_setting(spec, setting):
    from transformers import TFAutoModel

    from kerastx.models.resolve import load_model
    from kerastx.models.scratch import ScratchSpec, train_tokenizer
    from kerastx.recipes.text_classification import TextClassificationConfig

    texts = ["open the file", "close the window", "save all files"] * 20
    tokenizer = None if spec == "minilm" else train_tokenizer(texts, ScratchSpec.parse(spec).architecture, "wordpiece", 60)
    default = load_model(TFAutoModel, TextClassificationConfig(model=spec, max_length=16), tokenizer)
    changed = load_model(TFAutoModel, TextClassificationConfig(model=spec, max_length=16, dropout=0.0), tokenizer)
    assert getattr(default.config, setting) > 0 and getattr(changed.config, setting) == 0.0
