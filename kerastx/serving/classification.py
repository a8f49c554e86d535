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
    import numpy as np
    import tensorflow as tf

    model, tokenizer = classifier.model, classifier.tokenizer
    names = id_names(tokenizer)
    firsts, seconds = ([a for a, _ in PAIRS], [b for _, b in PAIRS]) if classifier.paired else (TEXTS, None)
    ids = tokenized(tokenizer, firsts, seconds, truncation=True, max_length=classifier.max_length)

    def scores(inputs):
        logits = tf.cast(model(inputs, training=False).logits, tf.float32)
        return {"logits": logits, "probabilities": tf.nn.softmax(logits, axis=-1)}

    def expected_ids():
        logits = np.asarray(model({name: np.asarray(ids[name]) for name in names}, training=False).logits, np.float32)
        return {"logits": logits}

    signatures = [Signature(
        "predict_ids", ids_function(names, scores), "Label logits and probabilities of tokenized texts.",
        inputs={name: ID_MEANINGS[name] for name in names},
        outputs={"logits": "one row per text, in the order of labels.txt",
                 "probabilities": "softmax of the logits"},
        examples=ids, expected=expected_ids, tolerance={"logits": 1e-5})]
    problem = text_problem(tokenizer)
    if problem:
        return signatures + [unsupported_text("predict_text", problem)]

    from kerastx.serving.text_graph import GraphTokenizer

    graph_tokenizer = GraphTokenizer(tokenizer, classifier.max_length)
    label_names = tf.constant([model.config.id2label[i] for i in range(len(model.config.id2label))])

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
        examples = {"text": firsts, "text_pair": seconds}
        inputs = list(PAIRS)
    else:
        function = tf.function(lambda text: answer(text), input_signature=[text_spec])
        examples, inputs = {"text": firsts}, list(firsts)

    def expected_text():
        predicted = classifier(inputs)
        return {"label": np.array([label for label, _ in predicted]),
                "score": np.array([score for _, score in predicted], np.float32)}

    meanings = {"text": "the texts to classify"}
    if classifier.paired:
        meanings = {"text": "the first sentences", "text_pair": "the second sentences"}
    return signatures + [Signature(
        "predict_text", function, "Label and probability of raw texts, tokenized inside the graph.",
        inputs=meanings,
        outputs={"label": "the most probable label", "score": "its probability",
                 "probabilities": "every label's, in the order of labels.txt"},
        examples=examples, expected=expected_text, tolerance={"label": 0, "score": 1e-5}, needs_text_ops=True,
        trackables=(graph_tokenizer,))]
