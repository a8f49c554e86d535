"""Layer norm and GELU with closed-form gradients (:mod:`kerastx.models.fewer_ops`): fewer ops, same numbers."""

import numpy as np
import pytest

import kerastx  # noqa: F401  (legacy Keras before TensorFlow)
import tensorflow as tf
from kerastx.compat.keras import tf_keras
from kerastx.models.fewer_ops import gelu, layer_norm, use_fewer_ops


def _values_and_gradients(function, inputs: list):
    """``function(*inputs)`` and the gradients of a random projection of it with respect to each input."""
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        outputs = function(*inputs)
        loss = tf.reduce_sum(outputs * tf.random.stateless_normal(outputs.shape, seed=[1, 2]))
    return [outputs, *tape.gradient(loss, inputs)]


def _assert_close(ours, reference, atol):
    for got, expected in zip(ours, reference):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=atol)


def test_gelu_matches_tf_keras_exact_gelu_and_its_gradient():
    x = tf.random.stateless_normal([3, 5, 16], seed=[0, 1]) * 4
    _assert_close(_values_and_gradients(gelu, [x]), _values_and_gradients(tf_keras.activations.gelu, [x]), 1e-6)


@pytest.mark.parametrize("epsilon", [1e-12, 1e-3])
def test_layer_norm_matches_tf_keras_and_its_gradients(epsilon):
    x = tf.random.stateless_normal([3, 5, 16], seed=[0, 3]) * 3 + 1
    reference = tf_keras.layers.LayerNormalization(epsilon=epsilon)
    reference.build(x.shape)
    reference.set_weights([tf.random.stateless_normal([16], seed=[0, s]).numpy() for s in (4, 5)])
    gamma, beta = (tf.convert_to_tensor(v) for v in (reference.gamma, reference.beta))

    ours = _values_and_gradients(lambda x, g, b: layer_norm(x, g, b, epsilon), [x, gamma, beta])
    with tf.GradientTape() as tape:
        tape.watch(x)
        outputs = reference(x)
        loss = tf.reduce_sum(outputs * tf.random.stateless_normal(outputs.shape, seed=[1, 2]))
    _assert_close(ours, [outputs, *tape.gradient(loss, [x, reference.gamma, reference.beta])], 1e-5)


def test_a_switched_model_computes_what_it_did_and_trains_the_same():
    from transformers import BertConfig, TFBertForSequenceClassification

    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, layer_norm_eps=1e-12, hidden_dropout_prob=0.0,
                        attention_probs_dropout_prob=0.0)
    ids = tf.constant(np.random.default_rng(0).integers(1, 50, (4, 7)), tf.int32)
    labels = tf.constant([0, 1, 1, 0])
    results = []
    for switch in (False, True):
        tf_keras.utils.set_random_seed(0)
        model = TFBertForSequenceClassification(config)
        model(model.dummy_inputs)
        if switch:
            # the embeddings' layer norm, two per layer, one GELU per layer
            assert use_fewer_ops(model) == 1 + 2 * 2 + 2
        with tf.GradientTape() as tape:
            loss = model(input_ids=ids, labels=labels, training=True).loss
        results.append([loss, *map(tf.convert_to_tensor, tape.gradient(loss, model.trainable_variables))])
    _assert_close(results[1], results[0], 1e-6)
