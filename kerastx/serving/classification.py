"""Serving a text classifier: label probabilities from token ids, and label names with scores from raw text (or
sentence pairs), tokenized inside the graph."""

from __future__ import annotations

from kerastx.serving.base import Signature
from kerastx.serving.ids import ID_MEANINGS, id_names, ids_function, text_problem, tokenized, unsupported_text

TEXTS = ["A warm, funny and beautifully acted film.", "The update broke everything and support never answered."]
PAIRS = [("The company said its profit rose 5 percent in the quarter.",
          "Quarterly profit at the company was up 5 percent, it said."),
         ("He left the meeting early.", "The weather in Paris was cold on Tuesday.")]


def classification_serving(config, classifier) -> list:
    """``predict_ids`` and ``predict_text`` for a :class:`~kerastx.inference.classification.TextClassifier`."""
    import tensorflow as tf

    model, tokenizer = classifier.model, classifier.tokenizer
    names = id_names(tokenizer)

    def scores(inputs):
        logits = tf.cast(model(inputs, training=False).logits, tf.float32)
        return {"logits": logits, "probabilities": tf.nn.softmax(logits, axis=-1)}

    ids = tokenized(tokenizer, *_example_texts(classifier.paired), truncation=True, max_length=classifier.max_length)
    problem = text_problem(tokenizer)
    text = unsupported_text("predict_text", problem) if problem else _text_signature(classifier, names, scores)
    return [_ids_signature(model, names, ids, scores), text]


def _example_texts(paired: bool) -> tuple[list[str], list[str] | None]:
    return ([a for a, _ in PAIRS], [b for _, b in PAIRS]) if paired else (TEXTS, None)


def _ids_signature(model, names: list[str], ids: dict, scores) -> Signature:
    import numpy as np

    def expected():
        logits = np.asarray(model({name: np.asarray(ids[name]) for name in names}, training=False).logits, np.float32)
        return {"logits": logits}

    return Signature(
        "predict_ids", ids_function(names, scores), "Label logits and probabilities of tokenized texts.",
        inputs={name: ID_MEANINGS[name] for name in names},
        outputs={"logits": "one row per text, in the order of labels.txt", "probabilities": "softmax of the logits"},
        examples=ids, expected=expected, tolerance={"logits": 1e-5})


def _text_signature(classifier, names: list[str], scores) -> Signature:
    """Raw texts (or sentence pairs) tokenized in the graph -> label, score and probabilities."""
    import numpy as np
    import tensorflow as tf

    from kerastx.serving.text_graph import GraphTokenizer

    graph_tokenizer = GraphTokenizer(classifier.tokenizer, classifier.max_length)
    id2label = classifier.model.config.id2label
    label_names = tf.constant([id2label[i] for i in range(len(id2label))])

    def answer(texts, pairs=None):
        encoded = graph_tokenizer.encode(texts, pairs)
        probabilities = scores({name: encoded[name] for name in names})["probabilities"]
        best = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        return {"label": tf.gather(label_names, best), "score": tf.reduce_max(probabilities, axis=-1),
                "probabilities": probabilities}

    text_spec = tf.TensorSpec([None], tf.string, name="text")
    if classifier.paired:
        function = tf.function(lambda text, text_pair: answer(text, text_pair),
                               input_signature=[text_spec, tf.TensorSpec([None], tf.string, name="text_pair")])
        firsts, seconds = _example_texts(paired=True)
        examples = {"text": firsts, "text_pair": seconds}
        inputs, meanings = list(PAIRS), {"text": "the first sentences", "text_pair": "the second sentences"}
    else:
        function = tf.function(lambda text: answer(text), input_signature=[text_spec])
        examples, inputs, meanings = {"text": TEXTS}, list(TEXTS), {"text": "the texts to classify"}

    def expected():
        predicted = classifier(inputs)
        return {"label": np.array([label for label, _ in predicted]),
                "score": np.array([score for _, score in predicted], np.float32)}

    return Signature(
        "predict_text", function, "Label and probability of raw texts, tokenized inside the graph.", inputs=meanings,
        outputs={"label": "the most probable label", "score": "its probability",
                 "probabilities": "every label's, in the order of labels.txt"},
        examples=examples, expected=expected, tolerance={"label": 0, "score": 1e-5}, needs_text_ops=True,
        trackables=(graph_tokenizer,))
