"""Serving a masked language model: the most likely tokens at every position of token ids, and the guesses for
each mask token of raw text, as :class:`~kerastx.inference.fill_mask.MaskFiller` gives them."""

from __future__ import annotations

from kerastx.serving.base import Signature
from kerastx.serving.ids import (ID_MEANINGS, id_names, ids_function, log_softmax, text_problem, tokenized,
                                 unsupported_text)

TEXTS = ["This movie was [MASK] and the actors were great.", "I would [MASK] watch it [MASK]."]


def fill_mask_serving(config, filler) -> list:
    """``predict_ids`` and ``predict_text`` for a MaskFiller."""
    import numpy as np
    import tensorflow as tf

    model, tokenizer, top_k = filler.model, filler.tokenizer, filler.top_k
    names = id_names(tokenizer)
    texts = [text.replace("[MASK]", tokenizer.mask_token) for text in TEXTS]
    examples = tokenized(tokenizer, texts, truncation=True, max_length=filler.max_length)

    def best(inputs):
        log_probs = tf.nn.log_softmax(tf.cast(model(inputs, training=False).logits, tf.float32), axis=-1)
        top = tf.math.top_k(log_probs, k=top_k)
        return {"top_token_ids": top.indices, "top_log_probs": top.values}

    def expected():
        log_probs = log_softmax(model({name: np.asarray(examples[name]) for name in names}, training=False).logits)
        order = np.argsort(-log_probs, axis=-1, kind="stable")[..., :top_k]
        return {"top_token_ids": order.astype(np.int32), "top_log_probs": np.take_along_axis(log_probs, order, -1)}

    signatures = [Signature("predict_ids", ids_function(names, best),
                      f"The {top_k} most likely tokens at every position (mask tokens included) and their log-probabilities.",
                      inputs={name: ID_MEANINGS[name] for name in names},
                      outputs={"top_token_ids": "token ids, most likely first", "top_log_probs": "their log-probabilities"},
                      examples=examples, expected=expected, tolerance={"top_log_probs": 1e-5})]  # near-ties may swap ids
    problem = text_problem(tokenizer)
    if problem:
        return signatures + [unsupported_text("predict_text", problem)]
    return signatures + [guesses_signature(filler, texts)]


def guesses_signature(filler, texts: list[str]) -> Signature:
    """``predict_text``: texts with mask tokens in, the ``top_k`` guesses for each mask out, as strings the way
    MaskFiller writes them (``tokenizer.decode([id]).strip()``)."""
    import numpy as np
    import tensorflow as tf

    from kerastx.serving.text_graph import GraphTokenizer

    model, tokenizer, top_k = filler.model, filler.tokenizer, filler.top_k
    graph_tokenizer = GraphTokenizer(tokenizer, filler.max_length)
    names = id_names(tokenizer)
    token_texts = tf.constant([tokenizer.decode([i]).strip() for i in range(len(tokenizer))])

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def guesses(text):
        encoded = graph_tokenizer.encode_with_mask_token(text)
        logits = tf.cast(model({name: encoded[name] for name in names}, training=False).logits, tf.float32)
        at_mask = tf.where(tf.equal(encoded["input_ids"], tokenizer.mask_token_id))  # [masks, (row, column)]
        top = tf.math.top_k(tf.nn.softmax(tf.gather_nd(logits, at_mask), axis=-1), k=top_k)
        rows = tf.shape(text, out_type=tf.int64)[0]
        per_text = tf.RaggedTensor.from_value_rowids(top.indices, at_mask[:, 0], nrows=rows)
        chances = tf.RaggedTensor.from_value_rowids(top.values, at_mask[:, 0], nrows=rows)
        return {"tokens": tf.gather(token_texts, per_text).to_tensor(""), "probabilities": chances.to_tensor(0.0),
                "mask_count": tf.cast(per_text.row_lengths(), tf.int32)}

    def expected():
        found = filler(texts)
        width = max(map(len, found))
        padding = [[("", 0.0)] * top_k]
        rows = [row + padding * (width - len(row)) for row in found]
        return {"tokens": np.array([[[token for token, _ in mask] for mask in row] for row in rows]),
                "probabilities": np.array([[[p for _, p in mask] for mask in row] for row in rows], np.float32),
                "mask_count": np.array(list(map(len, found)), np.int32)}

    mask = tokenizer.mask_token
    return Signature(
        "predict_text", guesses, f"The {top_k} most likely tokens for each {mask} of raw texts.",
        inputs={"text": f"texts with {mask} where a token is missing"},
        outputs={"tokens": "per text, per mask (in text order), the guesses, most likely first ('' after the last "
                           "mask)", "probabilities": "their probabilities", "mask_count": "masks per text"},
        examples={"text": texts}, expected=expected, tolerance={"probabilities": 1e-5, "mask_count": 0},
        needs_text_ops=True, trackables=(graph_tokenizer,))
