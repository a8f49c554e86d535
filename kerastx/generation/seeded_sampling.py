"""Sampling with a seed that gives the same texts every run, also inside XLA-compiled ``generate``.

transformers' TF ``generate(do_sample=True, seed=[a, b])`` draws every new token with that same seed, so
the random numbers repeat from step to step: a token that drew a lucky number at the first step is
favoured at every later one. Here sampling is greedy search over perturbed scores (the Gumbel-max
trick: the argmax of ``logits + Gumbel noise`` is a sample from ``softmax(logits)``), with fresh noise
at each step from a stateless generator keyed by the seed and the position.
"""

from __future__ import annotations

from dataclasses import dataclass

import tensorflow as tf
from transformers.generation.tf_logits_process import (TFLogitsProcessor, TFTemperatureLogitsWarper,
                                                       TFTopKLogitsWarper, TFTopPLogitsWarper)

from kerastx.errors import ConfigError


class GumbelNoise(TFLogitsProcessor):
    """Adds standard Gumbel noise to the scores, drawn from ``seed`` (two int32) and the current length.

    Example::

        model.generate(**inputs, do_sample=False, logits_processor=[GumbelNoise(tf.constant([42, 0]))])
    """

    def __init__(self, seed):
        self.seed = seed

    def __call__(self, input_ids: tf.Tensor, scores: tf.Tensor, cur_len) -> tf.Tensor:
        step_seed = tf.random.experimental.stateless_fold_in(self.seed, cur_len)
        # minval > 0 keeps log(uniform) finite
        uniform = tf.random.stateless_uniform(tf.shape(scores), seed=step_seed, minval=1e-20, maxval=1.0)
        return scores + tf.cast(-tf.math.log(-tf.math.log(uniform)), scores.dtype)


@dataclass
class SamplingOptions:
    """How completions are decoded: greedy unless ``do_sample``; then ``temperature`` (below 1: safer, above
    1: more varied), ``top_k`` (0: no limit) and ``top_p`` (1.0: no limit) shape the distribution sampled."""

    do_sample: bool = False
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    seed: int = 0

    def __post_init__(self):
        if self.temperature <= 0:
            raise ConfigError(f"temperature {self.temperature} must be more than 0 (1.0 samples the model's own "
                              "distribution; for the most likely tokens, leave sampling off)")
        if self.top_k < 0:
            raise ConfigError(f"top_k {self.top_k} must be 0 (no limit) or more")
        if not 0 < self.top_p <= 1:
            raise ConfigError(f"top_p {self.top_p} must be more than 0 and at most 1.0 (no limit)")

    def processors(self, seed) -> list:
        """Logits processors that turn greedy search into this sampling (none for greedy decoding); ``seed``
        is a (2,) int32 tensor, so that a new seed does not compile the generate function again."""
        if not self.do_sample:
            return []
        warpers = []
        if self.temperature != 1.0:
            warpers.append(TFTemperatureLogitsWarper(float(self.temperature)))
        if self.top_k:
            warpers.append(TFTopKLogitsWarper(int(self.top_k)))
        if self.top_p < 1.0:
            warpers.append(TFTopPLogitsWarper(float(self.top_p)))
        return [*warpers, GumbelNoise(seed)]
