"""``no_repeat_ngram_size`` that also works inside XLA-compiled ``generate``.

transformers' ``TFNoRepeatNGramLogitsProcessor`` walks the generated tokens in Python and raises
under ``tf.function``. This one finds the repeated n-grams with tensor ops on the whole
(fixed-size) buffer of generated ids, so XLA can compile it; eagerly it bans the same tokens.
"""

from __future__ import annotations

import tensorflow as tf
from transformers.generation.tf_logits_process import TFLogitsProcessor


class NoRepeatNGramProcessor(TFLogitsProcessor):
    """Bans every token that would complete an n-gram already present in the sequence generated so far.

    Example::

        model.generate(**inputs, no_repeat_ngram_size=0, logits_processor=[NoRepeatNGramProcessor(3)])
    """

    def __init__(self, ngram_size: int):
        if not isinstance(ngram_size, int) or ngram_size <= 0:
            raise ValueError(f"ngram_size must be a positive integer, got {ngram_size!r}")
        self.ngram_size = ngram_size

    def __call__(self, input_ids: tf.Tensor, scores: tf.Tensor, cur_len) -> tf.Tensor:
        n = self.ngram_size
        batch, vocab = tf.shape(scores)[0], tf.shape(scores)[1]
        buffer_length = input_ids.shape[1] if input_ids.shape[1] is not None else tf.shape(input_ids)[1]
        starts = buffer_length - n + 1  # n-gram windows that fit in the buffer
        if isinstance(starts, int) and starts <= 0:
            return scores
        ids = tf.cast(input_ids, tf.int32)
        windows = tf.stack([ids[:, i:i + starts] for i in range(n)], axis=-1)  # [batch, starts, n]
        # The last n-1 generated tokens: a window whose first n-1 tokens equal them is repeated by its last token.
        tail_positions = tf.maximum(cur_len - n + 1 + tf.range(n - 1), 0)
        tail = tf.gather(ids, tail_positions, axis=1)  # [batch, n-1]
        same_prefix = tf.reduce_all(windows[:, :, : n - 1] == tail[:, None, :], axis=-1)
        complete = tf.range(starts) + n <= cur_len  # the window lies within the tokens generated so far
        banned_here = same_prefix & complete[None, :] & (cur_len + 1 >= n)
        rows = tf.broadcast_to(tf.range(batch)[:, None], tf.shape(banned_here))
        indices = tf.reshape(tf.stack([rows, windows[:, :, n - 1]], axis=-1), [-1, 2])
        banned = tf.tensor_scatter_nd_max(tf.zeros([batch, vocab], tf.int32), indices,
                                          tf.reshape(tf.cast(banned_here, tf.int32), [-1]))
        return tf.where(banned > 0, tf.cast(-float("inf"), scores.dtype), scores)
