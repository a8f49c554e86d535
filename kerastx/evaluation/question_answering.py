"""Exact match and F1 (the official SQuAD measures) of the answers a QA predictor finds."""

from __future__ import annotations

from kerastx.evaluation.base import maximized


class QuestionAnsweringEvaluator:
    """``exact_match`` and ``f1`` (0-100, best over each question's reference answers) of the answers
    ``predictor`` (an :class:`~kerastx.inference.answers.AnswerPredictor` of the model being evaluated)
    gives for ``(question, context)`` pairs, windows and n-best post-processing included. Without a
    predictor, one is built for the model being evaluated from ``predictor_settings`` (tokenizer,
    max_length, stride...).

    Example::

        evaluator = QuestionAnsweringEvaluator(list(zip(questions, contexts)), [a["text"] for a in answers],
                                               tokenizer=tokenizer, max_length=384, stride=128)
        evaluator.evaluate(model)   # {"exact_match": 61.2, "f1": 72.9}
    """

    directions = maximized("exact_match", "f1")

    def __init__(self, inputs: list[tuple[str, str]], references: list[list[str]], predictor=None,
                 **predictor_settings):
        self.inputs = inputs
        self.references = references
        self.predictor = predictor
        self.predictor_settings = predictor_settings
        self.predictions: list[dict] = []  # of the latest evaluation

    def evaluate(self, model) -> dict[str, float]:
        from kerastx.inference.answers import AnswerPredictor
        from kerastx.metrics.squad import squad_scores

        if self.predictor is None or self.predictor.model is not model:
            self.predictor = AnswerPredictor(model, **self.predictor_settings)
        self.predictions = self.predictor(self.inputs)
        return squad_scores([p["answer"] for p in self.predictions], self.references)
