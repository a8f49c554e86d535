"""The trainer's optimizer updates after the backward pass and with dense gradients only
(:class:`kerastx.training.optimizer.UpdatesAfterBackward`): how it updates changes, not what."""

import numpy as np
import pytest

import kerastx  # noqa: F401  (legacy Keras before TensorFlow)
import tensorflow as tf
from kerastx.compat.keras import tf_keras
from kerastx.config import RunConfig
from kerastx.training.optimizer import UpdatesAfterBackward, build_optimizer

VOCABULARY, LENGTH = 40, 6


def _classifier():
    """An embedding table (whose gradient is sparse), a decayed kernel and an undecayed bias."""
    tf_keras.utils.set_random_seed(0)
    inputs = tf_keras.Input((LENGTH,), dtype="int32")
    pooled = tf_keras.layers.GlobalAveragePooling1D()(tf_keras.layers.Embedding(VOCABULARY, 8)(inputs))
    return tf_keras.Model(inputs, tf_keras.layers.Dense(2)(pooled))


def _trained_weights(optimizer):
    rng = np.random.default_rng(0)
    ids, labels = rng.integers(0, VOCABULARY, (32, LENGTH)), rng.integers(0, 2, 32)
    model = _classifier()
    model.compile(optimizer=optimizer, loss=tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(ids, labels, batch_size=8, epochs=2, shuffle=False, verbose=0)
    return model.get_weights()


@pytest.mark.trains
@pytest.mark.parametrize("weight_decay", [0.01, 0.0])  # transformers' AdamWeightDecay; tf_keras' Adam
def test_same_weights_as_transformers_optimizer(weight_decay, monkeypatch):
    from transformers import create_optimizer

    config = RunConfig(learning_rate=1e-2, warmup_ratio=0.25, weight_decay=weight_decay, clip_norm=1.0)
    stock, _ = create_optimizer(init_lr=1e-2, num_train_steps=8, num_warmup_steps=2,
                                weight_decay_rate=weight_decay, adam_global_clipnorm=1.0)
    ours = build_optimizer(config, total_steps=8)
    assert isinstance(ours, UpdatesAfterBackward) and type(ours).__name__ == type(stock).__name__

    handed_on = []
    base_apply = type(stock).apply_gradients

    def spy(self, grads_and_vars, *args, **kwargs):
        grads_and_vars = list(grads_and_vars)
        handed_on.extend(type(g).__name__ for g, _ in grads_and_vars)
        return base_apply(self, grads_and_vars, *args, **kwargs)

    expected = _trained_weights(stock)
    monkeypatch.setattr(type(stock), "apply_gradients", spy)
    got = _trained_weights(ours)
    assert handed_on and "IndexedSlices" not in handed_on
    for want, have in zip(expected, got, strict=True):
        np.testing.assert_allclose(have, want, rtol=1e-5, atol=1e-7)
    assert not np.allclose(expected[0], _classifier().get_weights()[0])  # the embedding table did train


def test_gradients_of_untrained_variables_stay_none():
    optimizer = build_optimizer(RunConfig(learning_rate=1e-3, weight_decay=0.01), total_steps=4)
    used, unused = tf.Variable(tf.ones((3, 2)), name="kernel"), tf.Variable(tf.ones(2), name="other")
    optimizer.apply_gradients([(tf.IndexedSlices(tf.ones((1, 2)), tf.constant([1]), tf.constant([3, 2])), used),
                               (None, unused)])
    assert np.all(used.numpy()[1] < 1) and np.all(used.numpy()[[0, 2]] < 1)  # decayed everywhere, moved in row 1
    np.testing.assert_array_equal(unused.numpy(), np.ones(2))
