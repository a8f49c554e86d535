"""Serving a token classifier: per-token tag probabilities from token ids, and entity spans of raw text computed
inside the graph (tokenizer, first-sub-token tags and B-/I- grouping as :mod:`kerastx.inference.entities` does)."""

from __future__ import annotations

from kerastx.serving.base import Signature
from kerastx.serving.ids import ID_MEANINGS, id_names, ids_function, text_problem, tokenized, unsupported_text

TEXTS = ["Angela Merkel met Emmanuel Macron in Paris on Tuesday .",
         "The United Nations opened an office in New York , said Reuters ."]


def tag_scores_signature(model, tokenizer, examples: dict, summary: str) -> Signature:
    """``predict_ids`` of a token classifier: logits, probabilities and the best tag id of every token."""
    import numpy as np
    import tensorflow as tf

    names = id_names(tokenizer)

    def scores(inputs):
        logits = tf.cast(model(inputs, training=False).logits, tf.float32)
        return {"logits": logits, "probabilities": tf.nn.softmax(logits, axis=-1),
                "tag_ids": tf.argmax(logits, axis=-1, output_type=tf.int32)}

    def expected():
        return {"logits": np.asarray(model({name: np.asarray(examples[name]) for name in names}, training=False).logits,
                                     np.float32)}

    return Signature("predict_ids", ids_function(names, scores), summary,
                     inputs={name: ID_MEANINGS[name] for name in names},
                     outputs={"logits": "one row per token, in the order of labels.txt",
                              "probabilities": "softmax of the logits",
                              "tag_ids": "the most probable tag of each token (a line of labels.txt, from 0)"},
                     examples=examples, expected=expected, tolerance={"logits": 1e-5})


def token_classification_serving(config, predictor) -> list:
    """``predict_ids`` and ``predict_text`` for an :class:`~kerastx.inference.entities.EntityPredictor`."""
    import numpy as np
    import tensorflow as tf

    model, tokenizer = predictor.model, predictor.tokenizer
    examples = tokenized(tokenizer, TEXTS, truncation=True, max_length=predictor.max_length)
    signatures = [tag_scores_signature(model, tokenizer, examples, "Tag logits and probabilities of every token.")]
    problem = text_problem(tokenizer)
    if problem:
        return signatures + [unsupported_text("predict_text", problem)]

    from kerastx.serving.postprocess import first_subtoken_words, group_entities_graph
    from kerastx.serving.text_graph import GraphTokenizer

    graph_tokenizer = GraphTokenizer(tokenizer, predictor.max_length)
    labels = [predictor.id2label[i] for i in range(len(predictor.id2label))]
    names = id_names(tokenizer)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def entities(text):
        encoded = graph_tokenizer.encode(text)
        logits = tf.cast(model({name: encoded[name] for name in names}, training=False).logits, tf.float32)
        words = first_subtoken_words(encoded["word_ids"], encoded["offsets"], tf.nn.softmax(logits, axis=-1))
        return group_entities_graph(text, labels, **words)

    def expected():
        found = predictor(TEXTS)
        width = max(map(len, found))
        def column(key, fill, dtype=None):
            return np.array([[e[key] for e in row] + [fill] * (width - len(row)) for row in found], dtype=dtype)
        return {"entity_group": column("entity_group", ""), "entity_word": column("word", ""),
                "entity_start": column("start", -1, np.int32), "entity_end": column("end", -1, np.int32),
                "entity_score": column("score", 0.0, np.float32),
                "entity_count": np.array(list(map(len, found)), np.int32)}

    return signatures + [Signature(
        "predict_text", entities, "Entities of raw texts: words tagged by their first sub-token, grouped as B-/I- "
        "tags say (as transformers' aggregation_strategy='simple').",
        inputs={"text": "the texts to tag"},
        outputs={"entity_group": "each entity's type (PER, LOC...), '' after the last one",
                 "entity_word": "its text", "entity_start": "its first character in the text (-1: none)",
                 "entity_end": "the character after its last (-1: none)",
                 "entity_score": "the mean probability of its words' tags", "entity_count": "entities per text"},
        examples={"text": TEXTS}, expected=expected,
        tolerance={"entity_group": 0, "entity_word": 0, "entity_start": 0, "entity_end": 0, "entity_count": 0,
                   "entity_score": 1e-5},
        needs_text_ops=True, trackables=(graph_tokenizer,))]
