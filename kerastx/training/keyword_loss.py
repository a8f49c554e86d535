"""The course's keyword-weighted loss for a causal language model: texts that use chosen keywords count more.

To steer a code model towards, say, data-science code, each training block's loss is weighted by
``1 + alpha * (keyword tokens in the block)``, with keywords such as ``plt, pd, sk, fit, predict``. The
hook replaces the loss the model computes from its ``labels``, so Keras ``fit`` (which trains on that
loss when compiled without one) trains on the weighted loss, and ``evaluate`` reports it.

Two choices differ slightly from the course's PyTorch loop, and make ``alpha=0`` the model's own loss:

- keyword tokens are counted among the tokens the model predicts (the labels shifted by one, without
  the ``-100`` ones): the block's first token is never predicted and is not counted;
- the loss is the weighted sum of the token losses over the number of predicted tokens. For blocks of
  equal length with no ignored labels (what block packing gives), that is the course's mean over
  examples of ``weight * the example's mean token loss``.
"""

from __future__ import annotations

from kerastx.errors import ConfigError, shortened


def keyword_token_ids(tokenizer, keywords: list[str]) -> list[int]:
    """The token ids counted as keywords: each keyword's spellings as one token, as it is and after a space
    (byte-level BPE spells ``plt`` at the start of a line and `` plt`` after a space or indent differently).

    A keyword with no one-token spelling is refused (ConfigError naming it and its pieces) rather than
    counted by a piece: ``f``, the first piece of a split ``fit``, would weigh every word that starts with it.

    Example::

        keyword_token_ids(tokenizer, ["plt", "pd", "fit"])  # ids of the one-token spellings: "plt", " plt", " pd"..
    """
    ids = []
    for keyword in (word.strip() for word in keywords):  # "plt, pd" is "plt" and "pd"
        if not keyword:
            raise ConfigError(f"a keyword in {','.join(keywords)!r} is empty: give words such as --keywords plt,pd,fit")
        spellings = [tokenizer(text, add_special_tokens=False)["input_ids"] for text in (keyword, " " + keyword)]
        single = [pieces[0] for pieces in spellings if len(pieces) == 1]
        if not single:
            pieces = tokenizer.convert_ids_to_tokens(spellings[0])
            raise ConfigError(f"keyword {shortened(keyword)} is not one token of this tokenizer (it splits into "
                              f"{', '.join(map(repr, pieces))}), so it cannot be counted; drop it from --keywords "
                              "or train the tokenizer with a larger --vocab_size")
        ids += [token for token in single if token not in ids]
    return ids


def keyword_weighted_loss(labels, logits, keyword_ids: list[int], alpha: float):
    """The mean token loss with each example's tokens weighted by ``1 + alpha * its keyword tokens``.

    ``labels`` (batch, length) are the ids each position predicts (``-100``: none), ``logits`` (batch,
    length, vocabulary) the model's scores for them; both already shifted, as a causal LM's
    ``hf_compute_loss`` receives them. Returns a (1,) float32 tensor, as that method does.
    """
    import tensorflow as tf

    labels = tf.cast(labels, tf.int32)
    predicted = tf.cast(labels != -100, tf.float32)
    token_loss = tf.nn.sparse_softmax_cross_entropy_with_logits(tf.nn.relu(labels), tf.cast(logits, tf.float32))
    is_keyword = tf.reduce_any(labels[:, :, None] == tf.constant(keyword_ids, tf.int32)[None, None, :], axis=-1)
    keywords = tf.reduce_sum(tf.cast(is_keyword, tf.float32) * predicted, axis=1)
    weights = 1.0 + alpha * keywords
    weighted = tf.reduce_sum(token_loss * predicted * weights[:, None])
    return tf.reshape(weighted / tf.reduce_sum(predicted), (1,))


def use_keyword_weighted_loss(model, keyword_ids: list[int], alpha: float) -> None:
    """Make ``model`` (a transformers TF causal LM) compute the keyword-weighted loss from its ``labels``.

    The model's ``call`` shifts the labels and logits and hands them to ``hf_compute_loss``; this replaces
    that method on this model only. Call it before ``fit``, or again to change the keywords.

    Example::

        model = TFAutoModelForCausalLM.from_config(config)
        use_keyword_weighted_loss(model, keyword_token_ids(tokenizer, ["plt", "pd", "sk", "fit", "predict"]), 1.0)
        model.compile(optimizer="adam")  # no loss: Keras trains on the model's own, now weighted
        model.fit(blocks)  # {"input_ids": ..., "labels": ...} batches
    """
    from transformers.modeling_tf_utils import TFCausalLanguageModelingLoss

    if not isinstance(model, TFCausalLanguageModelingLoss):
        raise ConfigError(f"the keyword-weighted loss is for causal language models, and {type(model).__name__} is "
                          "not one; leave --keywords out")
    if not keyword_ids:
        raise ConfigError("the keyword-weighted loss needs at least one keyword: give --keywords plt,pd,fit")
    if alpha < 0:
        raise ConfigError(f"keyword_alpha {alpha} must be 0 or more (a keyword token adds alpha to its text's weight)")
    ids = list(keyword_ids)
    model.hf_compute_loss = lambda labels, logits: keyword_weighted_loss(labels, logits, ids, alpha)
    # Keras keeps the train and test functions it traced; they would go on with the old loss
    model.train_function = model.test_function = None
