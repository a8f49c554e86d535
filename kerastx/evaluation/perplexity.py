"""Perplexity of a language model on labelled validation blocks (and bits per byte, for byte-level tokenizers)."""

from __future__ import annotations

import math

import numpy as np

from kerastx.evaluation.base import MIN, label_names, split_batch


class PerplexityEvaluator:
    """``loss`` (mean negative log-likelihood per predicted token, in nats), ``perplexity`` = exp(loss), and,
    given ``bytes_per_token``, ``bits_per_byte``: the same likelihood per byte of text the predicted tokens
    stand for, in bits, which compares across tokenizers and with a compressor's output size.

    Every predicted token of the whole validation set counts once (batches are summed, not averaged), so
    the value does not depend on the batch size. ``causal``: the model predicts each token from the ones
    before it (labels are the inputs, shifted here as the model's own loss shifts them); else the labels
    are the masked tokens (-100 elsewhere).

    Example::

        evaluator = PerplexityEvaluator(validation_batches, causal=False)
        print(evaluator.evaluate(model))   # {"loss": 2.43, "perplexity": 11.4}
    """

    def __init__(self, dataset, causal: bool, bytes_per_token: np.ndarray | None = None):
        self.dataset = dataset
        self.causal = causal
        self.bytes_per_token = bytes_per_token
        self.directions = {"loss": MIN, "perplexity": MIN, **({"bits_per_byte": MIN} if bytes_per_token is not None
                                                              else {})}
        self._model = None
        self._sums = None

    def evaluate(self, model) -> dict[str, float]:
        if self._model is not model:  # one traced pass per model, reused at every evaluation
            self._sums = self._batch_sums(model)
            self._model = model
        names = label_names(model)
        nats = tokens = text_bytes = 0.0
        for batch in self.dataset:
            features, labels = split_batch(batch, names)
            batch_nats, batch_tokens, batch_bytes = (float(v) for v in self._sums(features, labels))
            nats, tokens, text_bytes = nats + batch_nats, tokens + batch_tokens, text_bytes + batch_bytes
        loss = nats / max(tokens, 1.0)
        metrics = {"loss": loss, "perplexity": math.exp(min(loss, 700.0))}
        if self.bytes_per_token is not None:
            metrics["bits_per_byte"] = nats / math.log(2) / max(text_bytes, 1.0)
        return metrics

    def _batch_sums(self, model):
        import tensorflow as tf

        byte_table = tf.constant(self.bytes_per_token if self.bytes_per_token is not None else [0], tf.float32)
        causal = self.causal

        @tf.function(reduce_retracing=True)
        def sums(features, labels):
            logits = tf.cast(model(features, training=False).logits, tf.float32)
            labels = tf.cast(labels, tf.int32)
            if causal:  # token t is predicted from the tokens before it
                logits, labels = logits[:, :-1], labels[:, 1:]
            counted = labels != -100
            safe = tf.where(counted, labels, 0)
            nll = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=safe, logits=logits)
            weight = tf.cast(counted, tf.float32)
            text_bytes = tf.reduce_sum(tf.gather(byte_table, tf.minimum(safe, tf.size(byte_table) - 1)) * weight)
            return tf.reduce_sum(nll * weight), tf.reduce_sum(weight), text_bytes

        return sums
