"""Serving an extractive question-answering model: start and end logits from token ids, and the answer text of a
question about a context, found inside the graph."""

from __future__ import annotations

from kerastx.serving.base import Signature
from kerastx.serving.ids import ID_MEANINGS, id_names, ids_function, text_problem, tokenized, unsupported_text

QUESTIONS = ["Where did the committee meet?", "How many people live in the city?"]
CONTEXTS = ["The committee met in Geneva in March 2019 and agreed on a new budget for the following year.",
            "About 2.1 million people live in the city, which grew quickly after the railway arrived in 1850."]


def question_answering_serving(config, predictor) -> list:
    """``predict_ids`` and ``predict_text`` for an :class:`~kerastx.inference.answers.AnswerPredictor`."""
    import numpy as np
    import tensorflow as tf

    model, tokenizer = predictor.model, predictor.tokenizer
    names = id_names(tokenizer)
    examples = tokenized(tokenizer, QUESTIONS, CONTEXTS, truncation="only_second", max_length=predictor.max_length)

    def logits(inputs):
        output = model(inputs, training=False)
        return {"start_logits": tf.cast(output.start_logits, tf.float32),
                "end_logits": tf.cast(output.end_logits, tf.float32)}

    def expected():
        output = model({name: np.asarray(examples[name]) for name in names}, training=False)
        return {"start_logits": np.asarray(output.start_logits, np.float32),
                "end_logits": np.asarray(output.end_logits, np.float32)}

    signatures = [Signature("predict_ids", ids_function(names, logits),
                      "Start and end logits of every token of question + context inputs.",
                      inputs={name: ID_MEANINGS[name] for name in names},
                      outputs={"start_logits": "how likely each token starts the answer",
                               "end_logits": "how likely each token ends it"},
                      examples=examples, expected=expected, tolerance={"start_logits": 1e-5, "end_logits": 1e-5})]
    problem = text_problem(tokenizer)
    if problem:
        return signatures + [unsupported_text("predict_text", problem)]
    return signatures + [answer_text_signature(predictor, logits)]


def answer_text_signature(predictor, logits) -> Signature:
    """``predict_text``: question and context in, the best span of the context's first window out, as
    :func:`~kerastx.inference.answers.best_answers` picks it (n_best, max_answer_length, no-answer)."""
    import numpy as np
    import tensorflow as tf

    from kerastx.serving.postprocess import best_span_graph, span_texts
    from kerastx.serving.text_graph import GraphTokenizer

    graph_tokenizer = GraphTokenizer(predictor.tokenizer, predictor.max_length)
    names = id_names(predictor.tokenizer)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="question"),
                                  tf.TensorSpec([None], tf.string, name="context")])
    def answer(question, context):
        encoded = graph_tokenizer.encode(question, context, truncation="only_second")
        output = logits({name: encoded[name] for name in names})
        starts, ends = output["start_logits"], output["end_logits"]
        span = best_span_graph(starts, ends, encoded["attention_mask"], tf.equal(encoded["sequence_ids"], 1),
                               predictor.max_answer_length, predictor.n_best)
        text = span_texts(context, encoded["offsets"], span["start_token"], span["end_token"])
        no_answer_score = starts[:, 0] + ends[:, 0]  # the [CLS] token's
        unanswered = ~span["found"]
        if predictor.allow_no_answer:
            unanswered |= no_answer_score - span["score"] > 0
        return {"answer": tf.where(unanswered, "", text["answer"]),
                "answer_start": tf.where(unanswered, 0, text["answer_start"]),
                "answer_end": tf.where(unanswered, 0, text["answer_end"]),
                "score": tf.where(unanswered, no_answer_score, span["score"])}

    def expected():
        answers = predictor(list(zip(QUESTIONS, CONTEXTS)))
        return {"answer": np.array([a["answer"] for a in answers]),
                "answer_start": np.array([a["start"] for a in answers], np.int32),
                "answer_end": np.array([a["end"] for a in answers], np.int32),
                "score": np.array([a["score"] for a in answers], np.float32)}

    return Signature(
        "predict_text", answer, "The answer to a question about a context: the best span of the context's first "
        f"{predictor.max_length} tokens (longer contexts are cut; predict_ids or kerastx.predict read them in windows).",
        inputs={"question": "the questions", "context": "the text each question is about"},
        outputs={"answer": "the answer, a span of the context ('' when there is none)",
                 "answer_start": "its first character in the context", "answer_end": "the character after its last",
                 "score": "its start + end logit (not a probability: higher is surer)"},
        examples={"question": QUESTIONS, "context": CONTEXTS}, expected=expected,
        tolerance={"answer": 0, "answer_start": 0, "answer_end": 0, "score": 1e-5}, needs_text_ops=True,
        trackables=(graph_tokenizer,))
