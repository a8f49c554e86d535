"""ROUGE of extractive summaries, and how well the picked sentences match the oracle's."""

from __future__ import annotations

from kerastx.evaluation.base import maximized
from kerastx.evaluation.generation import ROUGE


class ExtractiveEvaluator:
    """``rouge1``... ``rougeLsum`` of the summaries a sentence scorer picks, ``sentence_f1`` of the picked
    sentences against the oracle's ``labels``, and ``sentences``, the mean number picked per summary
    (reported, not optimised: it has no better direction).

    ``documents`` are lists of sentences. ``scorer`` is a :class:`kerastx.generation.extractive.SentenceScorer`
    of the model to evaluate; without one, one is built from ``scorer_settings`` (tokenizer, max_length, ...).

    Example::

        sentences = [split_sentences(doc) for doc in documents]
        labels = [oracle_labels(s, summary) for s, summary in zip(sentences, summaries)]
        evaluator = ExtractiveEvaluator(sentences, summaries, labels, tokenizer=tokenizer, max_length=512)
        print(evaluator.evaluate(model))
    """

    directions = {**ROUGE, **maximized("sentence_f1")}

    def __init__(self, documents: list[list[str]], references: list[str], labels: list[list[int]], scorer=None,
                 **scorer_settings):
        self.documents = documents
        self.references = references
        self.labels = labels
        self.scorer = scorer
        self.scorer_settings = scorer_settings
        self.predictions: list[str] = []  # of the latest evaluation

    def evaluate(self, model) -> dict[str, float]:
        import numpy as np

        from kerastx.generation.extractive import SentenceScorer
        from kerastx.metrics.classification import classification_metrics
        from kerastx.metrics.generation import rouge_scores

        if self.scorer is None or self.scorer.model is not model:
            self.scorer = SentenceScorer(model, **self.scorer_settings)
        picked = self.scorer.pick(self.documents)
        self.predictions = [" ".join(sentences[i] for i in chosen) for sentences, chosen in zip(self.documents, picked)]
        results = rouge_scores(self.predictions, self.references)
        predicted = np.concatenate([np.isin(np.arange(len(labels)), chosen) for labels, chosen in zip(self.labels, picked)])
        truth = np.concatenate([np.asarray(labels, dtype=int) for labels in self.labels])
        results["sentence_f1"] = classification_metrics(predicted.astype(int), truth, 2)["f1"]
        results["sentences"] = float(np.mean([len(chosen) for chosen in picked]))
        return {name: float(value) for name, value in results.items()}
