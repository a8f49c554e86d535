"""Post-processing as TensorFlow ops, so that a served SavedModel returns entities and answers, not logits.

Each function gives what a Python post-processing step of :mod:`kerastx.inference` gives, on whole batches and
with no Python loop over the data: it runs in a ``tf.function`` of unknown batch size and length and is saved
with it. Results that are lists in Python come out dense, padded to the longest row of the batch. Character
offsets count Unicode characters, as Python ``str`` indices and fast tokenizers' offsets do;
:func:`char_offsets` turns the byte offsets of tensorflow-text tokenizers into them.

- :func:`first_subtoken_words`: ``EntityPredictor._words``, each word's tag, score and character span;
- :func:`group_entities_graph`: ``entities.group_entities``, words grouped into entities;
- :func:`best_span_graph`: ``answers._best_span``, the best answer span of each window;
- :func:`span_texts`: a token span's text and character offsets in its context.
"""

from __future__ import annotations

from typing import Sequence

import tensorflow as tf

from kerastx.inference.entities import OUTSIDE


def first_subtoken_words(word_ids, offsets, probabilities) -> dict:
    """Each row's words, in order: ``word_starts``/``word_ends`` (characters, from the start of the word's first
    sub-token to the end of its last), ``word_tag_ids`` and ``word_scores`` (the most probable label of the
    first sub-token, the lowest id on ties, and its probability) and ``word_mask``, all ``[batch, words]``
    padded to the row with most words (with -1, -1, -1, 0.0 and False).

    ``word_ids`` is int ``[batch, length]``, a fast tokenizer's ``word_ids()`` with -1 for its ``None``
    (special and padding tokens); ``offsets`` int ``[batch, length, 2]``; ``probabilities`` float
    ``[batch, length, labels]``. As in ``EntityPredictor._words``, a token continues a word when its word id
    is that of the previous token with a word id. The keys are :func:`group_entities_graph`'s arguments.

    Example::

        words = first_subtoken_words([[-1, 0, 0, 1, -1]], [[[0, 0], [0, 3], [3, 5], [6, 11], [0, 0]]],
                                     probabilities)  # [1, 5, labels]
        words["word_starts"], words["word_ends"]  # [[0, 6]], [[5, 11]]: "Johns" and "Smith" in "Johns Smith"
    """
    word_ids = tf.cast(word_ids, tf.int32)
    offsets = tf.cast(offsets, tf.int32)
    probabilities = tf.cast(probabilities, tf.float32)
    in_word = word_ids >= 0
    begins_word = in_word & tf.not_equal(word_ids, _previous_where(word_ids, in_word))
    word_index = tf.cumsum(tf.cast(begins_word, tf.int32), axis=1) - 1  # of a token in a word: that word
    positions = _positions(word_ids)
    first_token = _compact(positions, begins_word)
    word_mask = first_token >= 0
    last_token = _reduce_groups(tf.math.unsorted_segment_max, positions, word_index, in_word,
                                tf.shape(first_token)[1])
    # padded words read token 0 (there is one when there is a word) and are masked below
    first_token, last_token = tf.maximum(first_token, 0), tf.maximum(last_token, 0)
    first_probabilities = tf.gather(probabilities, first_token, batch_dims=1)
    tag_ids = _first_argmax(first_probabilities)
    return {
        "word_starts": tf.where(word_mask, tf.gather(offsets[..., 0], first_token, batch_dims=1), -1),
        "word_ends": tf.where(word_mask, tf.gather(offsets[..., 1], last_token, batch_dims=1), -1),
        "word_tag_ids": tf.where(word_mask, tag_ids, -1),
        "word_scores": tf.where(word_mask, tf.reduce_max(first_probabilities, axis=-1), 0.0),
        "word_mask": word_mask,
    }


def group_entities_graph(texts, labels: Sequence[str], word_starts, word_ends, word_tag_ids, word_scores,
                         word_mask) -> dict:
    """The entities of each text, as ``entities.group_entities`` groups its words, ``[batch, entities]`` padded
    to the text with most: ``entity_group`` (the type, "" padding), ``entity_word`` (``text[start:end]``, ""),
    ``entity_start``/``entity_end`` (int32 characters, -1), ``entity_score`` (float32 mean of the words' scores,
    taken in float64 as Python does, 0.0) and ``entity_count`` (int32 ``[batch]``).

    ``texts`` is string ``[batch]``; the word arguments are ``[batch, words]`` as :func:`first_subtoken_words`
    returns them, ``word_tag_ids`` indexing ``labels`` (the model's labels in id order, read once when the
    graph is built). B-X starts an entity, I-X continues one of type X and otherwise starts one, a bare tag X
    is read as I-X and O ends an entity. Words outside ``word_mask`` are no words: they do not end an entity.

    Example::

        words = first_subtoken_words(word_ids, offsets, probabilities)
        entities = group_entities_graph(["John Smith in Paris"], ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"],
                                        **words)
        entities["entity_word"], entities["entity_start"]  # [[b"John Smith", b"Paris"]], [[0, 14]]
    """
    kinds = sorted({_kind(label) for label in labels if label != OUTSIDE})
    kind_of_label = tf.constant([kinds.index(_kind(label)) if label != OUTSIDE else -1 for label in labels],
                                tf.int32)
    begins_of_label = tf.constant([label.startswith("B-") for label in labels], tf.bool)
    word_mask = tf.cast(word_mask, tf.bool)
    tag_ids = tf.where(word_mask, tf.cast(word_tag_ids, tf.int32), 0)  # padding may hold any id
    kind = tf.where(word_mask, tf.gather(kind_of_label, tag_ids), -1)  # -1: O
    in_entity = kind >= 0
    # the entity being read is the previous word's, if that word is in one (its kind is then >= 0)
    continues = in_entity & ~tf.gather(begins_of_label, tag_ids) & tf.equal(kind, _previous_where(kind, word_mask))
    begins = in_entity & ~continues
    entity_index = tf.cumsum(tf.cast(begins, tf.int32), axis=1) - 1  # of a word in an entity: that entity
    positions = _positions(kind)
    first_word = _compact(positions, begins)
    width = tf.shape(first_word)[1]
    last_word = _reduce_groups(tf.math.unsorted_segment_max, positions, entity_index, in_entity, width)
    scores = tf.cast(word_scores, tf.float64)
    score_sum = _reduce_groups(tf.math.unsorted_segment_sum, scores, entity_index, in_entity, width)
    size = _reduce_groups(tf.math.unsorted_segment_sum, tf.ones_like(scores), entity_index, in_entity, width)
    entity_mask = first_word >= 0
    first_word, last_word = tf.maximum(first_word, 0), tf.maximum(last_word, 0)
    starts = tf.where(entity_mask, tf.gather(tf.cast(word_starts, tf.int32), first_word, batch_dims=1), -1)
    ends = tf.where(entity_mask, tf.gather(tf.cast(word_ends, tf.int32), last_word, batch_dims=1), -1)
    group = tf.gather(tf.constant(kinds, tf.string), tf.maximum(tf.gather(kind, first_word, batch_dims=1), 0))
    return {
        "entity_group": tf.where(entity_mask, group, ""),
        "entity_word": tf.where(entity_mask, _substrings(texts, starts, ends), ""),
        "entity_start": starts,
        "entity_end": ends,
        "entity_score": tf.cast(tf.where(entity_mask, score_sum / tf.maximum(size, 1.0), 0.0), tf.float32),
        "entity_count": tf.reduce_sum(tf.cast(begins, tf.int32), axis=1),
    }


def best_span_graph(start_logits, end_logits, token_mask, context_mask, max_answer_length=30, n_best=20) -> dict:
    """The best answer span of each window, as ``answers._best_span`` finds it: ``start_token``/``end_token``
    (int32 ``[batch]``, -1 when there is none), ``score`` (float32 start + end logit, 0.0 when none) and
    ``found`` (bool).

    ``start_logits``/``end_logits`` are float ``[batch, length]``; ``token_mask`` marks a window's tokens (the
    attention mask: padding is no part of the window ``_best_span`` sees) and ``context_mask`` the context tokens
    (those whose offsets are not None). Like ``_best_span``, only the ``n_best`` highest start logits and the
    ``n_best`` highest end logits of the window's tokens (question and special tokens included; the earlier
    token first on ties) are paired; a valid pair has both tokens in the context, the end at or after the start
    and at most ``max_answer_length`` tokens. Of the best-scoring valid pairs, the first in ``_best_span``'s
    order wins: by start rank, then end rank. NaN logits are not supported (numpy ranks them last).

    Example::

        span = best_span_graph(output.start_logits, output.end_logits, inputs["attention_mask"],
                               context_mask, max_answer_length=30)
        span_texts(contexts, offsets, span["start_token"], span["end_token"])["answer"]  # [b"Lourdes"]
    """
    token_mask = tf.cast(token_mask, tf.bool)
    candidates = token_mask & tf.cast(context_mask, tf.bool)
    top_starts, start_values = _top_tokens(tf.cast(start_logits, tf.float32), token_mask, n_best)
    top_ends, end_values = _top_tokens(tf.cast(end_logits, tf.float32), token_mask, n_best)
    # every pair of a top start and a top end, flattened in _best_span's order: start rank, then end rank
    batch, count = tf.shape(top_starts)[0], tf.shape(top_starts)[1]
    pairs = [batch, count * count]
    starts = tf.reshape(tf.broadcast_to(top_starts[:, :, None], [batch, count, count]), pairs)
    ends = tf.reshape(tf.broadcast_to(top_ends[:, None, :], [batch, count, count]), pairs)
    scores = tf.reshape(start_values[:, :, None] + end_values[:, None, :], pairs)
    valid = (tf.gather(candidates, starts, batch_dims=1) & tf.gather(candidates, ends, batch_dims=1)
             & (ends >= starts) & (ends - starts + 1 <= tf.cast(max_answer_length, tf.int32)))
    best = tf.reduce_max(tf.where(valid, scores, float("-inf")), axis=1)
    # _best_span keeps the first pair with the best score; no valid pair picks the -1 put after the last one
    pick = tf.reduce_min(tf.where(valid & tf.equal(scores, best[:, None]), _positions(scores), count * count),
                         axis=1)
    found = tf.reduce_any(valid, axis=1)
    return {
        "start_token": tf.gather(_pad_minus_one(starts), pick, batch_dims=1),
        "end_token": tf.gather(_pad_minus_one(ends), pick, batch_dims=1),
        "score": tf.where(found, best, 0.0),
        "found": found,
    }


def span_texts(contexts, offsets, start_token, end_token) -> dict:
    """Each span's ``answer`` (``context[start:end]``), ``answer_start`` and ``answer_end`` (int32 characters:
    the start of its first token and the end of its last), or "", 0, 0 where ``start_token`` is -1, as
    ``answers.best_answers`` answers a window with no span.

    ``contexts`` is string ``[batch]``, ``offsets`` int ``[batch, length, 2]`` (characters of the context),
    ``start_token``/``end_token`` int ``[batch]`` as :func:`best_span_graph` returns them.

    Example::

        span_texts(["The grotto is at Lourdes."], offsets, [5], [5])  # answer [b"Lourdes"], start [17], end [24]
    """
    offsets = tf.cast(offsets, tf.int32)
    found = tf.cast(start_token, tf.int32) >= 0
    starts = tf.where(found, tf.gather(offsets[..., 0], tf.maximum(tf.cast(start_token, tf.int32), 0),
                                       batch_dims=1), 0)
    ends = tf.where(found, tf.gather(offsets[..., 1], tf.maximum(tf.cast(end_token, tf.int32), 0),
                                     batch_dims=1), 0)
    answers = _substrings(contexts, starts[:, None], ends[:, None])[:, 0]
    return {"answer": answers, "answer_start": starts, "answer_end": ends}


def char_offsets(texts, byte_offsets):
    """``byte_offsets`` (int ``[batch, ...]`` into each UTF-8 text, as tensorflow-text tokenizers give them) as
    character offsets, which Python ``str`` indices and fast tokenizers use; int32, same shape.

    Example::

        char_offsets(["café au lait"], [[[0, 5], [6, 8]]])  # [[[0, 4], [5, 7]]]: "é" is two bytes
    """
    texts = tf.convert_to_tensor(texts, tf.string)
    byte_offsets = tf.cast(byte_offsets, tf.int32)
    _, char_starts = tf.strings.unicode_decode_with_offsets(texts, "UTF-8")
    # a character is before byte b when it starts before it; rows are padded with starts past any text
    char_starts = tf.cast(char_starts, tf.int32).to_tensor(default_value=tf.int32.max)
    flat = tf.reshape(byte_offsets, [tf.shape(byte_offsets)[0], -1])
    return tf.reshape(tf.searchsorted(char_starts, flat, side="left", out_type=tf.int32), tf.shape(byte_offsets))


def _kind(label: str) -> str:
    """The entity type of a tag: "PER" for B-PER, I-PER and a bare PER."""
    return label[2:] if label[:2] in ("B-", "I-") else label


def _positions(values):
    """Each entry's index along axis 1: ``[batch, length]`` int32."""
    return tf.broadcast_to(tf.range(tf.shape(values)[1]), tf.shape(values))


def _compact(values, mask, fill=-1):
    """The masked entries of each row moved to its front, in order, padded with ``fill`` to the longest row."""
    return tf.ragged.boolean_mask(values, mask).to_tensor(default_value=fill)


def _previous_where(values, mask, fill=-1):
    """For each entry, the value of the last masked entry before it in its row (``fill`` when there is none)."""
    earlier = tf.cumsum(tf.cast(mask, tf.int32), axis=1, exclusive=True)  # masked entries before each entry
    table = tf.pad(_compact(values, mask, fill), [[0, 0], [1, 0]], constant_values=fill)
    return tf.gather(table, earlier, batch_dims=1)


def _reduce_groups(reduce, values, groups, mask, width):
    """``reduce`` (a ``tf.math.unsorted_segment_*`` op) of the masked ``values`` of each row by their ``groups``
    index in ``[0, width)``: ``[batch, width]``; groups with no value get the op's identity."""
    batch = tf.shape(values)[0]
    segments = tf.where(mask, tf.range(batch)[:, None] * width + groups, batch * width)  # the last: discarded
    return tf.reshape(reduce(values, segments, batch * width + 1)[:-1], [batch, width])


def _first_argmax(values):
    """Index of the largest value along the last axis, the lowest index on ties (``tf.argmax`` promises none)."""
    size = tf.shape(values)[-1]
    is_best = tf.equal(values, tf.reduce_max(values, axis=-1, keepdims=True))
    return tf.reduce_min(tf.where(is_best, tf.range(size), size), axis=-1)


def _top_tokens(logits, token_mask, n_best):
    """The ``n_best`` tokens of each row with the highest logits, as ``np.argsort(-logits, kind="stable")``
    ranks the row's tokens, and their logits: ``[batch, min(n_best, length)]`` each."""
    # padding sorts after every token (-inf, and a stable sort keeps it after equal tokens as it comes later)
    ranked = tf.where(token_mask, logits, float("-inf"))
    top = tf.argsort(ranked, axis=1, direction="DESCENDING", stable=True)[:, :n_best]
    return top, tf.gather(logits, top, batch_dims=1)


def _pad_minus_one(values):
    """``values`` with a column of -1 after the last."""
    return tf.pad(values, [[0, 0], [0, 1]], constant_values=-1)


def _substrings(texts, starts, ends):
    """``text[start:end]`` (in characters) of each text for each of its ``[batch, n]`` spans, clipped to the text
    as slicing is (``tf.strings.substr`` fails past the end)."""
    texts = tf.convert_to_tensor(texts, tf.string)
    length = tf.strings.length(texts, unit="UTF8_CHAR")[:, None]
    first = tf.clip_by_value(starts, 0, length)
    last = tf.clip_by_value(ends, first, length)
    return tf.strings.substr(tf.broadcast_to(texts[:, None], tf.shape(starts)), first, last - first,
                             unit="UTF8_CHAR")
