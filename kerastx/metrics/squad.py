"""Exact match and F1 for extractive question answering, as the official SQuAD v1.1 evaluation
computes them (the numbers the Hugging Face course reports), with no network or extra package.

Both compare answers after ``normalize_answer``, and a prediction is scored against its best-matching
reference. For SQuAD v2.0, a question with no references is answered correctly only by an empty
prediction.
"""

from __future__ import annotations

import re
import string
from collections import Counter

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = frozenset(string.punctuation)  # ASCII only, as in the official script: "’" and "–" stay


def normalize_answer(text: str) -> str:
    """Lowercase, drop ASCII punctuation, drop the articles a/an/the, collapse whitespace.

    Example::

        normalize_answer("The Eiffel  Tower!")   # 'eiffel tower'
    """
    text = "".join(character for character in text.lower() if character not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, truths: list[str]) -> float:
    """1.0 if the normalized prediction equals any normalized truth, else 0.0. With no truths (an
    unanswerable SQuAD v2.0 question), 1.0 only for an empty prediction."""
    if not truths:
        return float(not normalize_answer(prediction))
    predicted = normalize_answer(prediction)
    return float(any(predicted == normalize_answer(truth) for truth in truths))


def f1_score(prediction: str, truths: list[str]) -> float:
    """The best token-level F1 of the prediction against any truth (tokens: words of the normalized
    texts, counted with repetition). With no truths, 1.0 only for an empty prediction.

    Example::

        f1_score("Saint Bernadette", ["Saint Bernadette Soubirous"])   # 0.8 (precision 1, recall 2/3)
    """
    if not truths:
        return float(not normalize_answer(prediction))
    predicted = normalize_answer(prediction).split()
    return max(_f1(predicted, normalize_answer(truth).split()) for truth in truths)


def _f1(predicted: list[str], truth: list[str]) -> float:
    # No shared token scores 0, also when both are empty (a truth of only "the"), as the v1.1 script does.
    shared = sum((Counter(predicted) & Counter(truth)).values())
    if shared == 0:
        return 0.0
    precision, recall = shared / len(predicted), shared / len(truth)
    return 2 * precision * recall / (precision + recall)


def squad_scores(predictions: list[str], references: list[list[str]]) -> dict[str, float]:
    """Mean exact match and F1 over the questions, in percent (0-100) like the official script.

    Each reference is the list of acceptable answers of one question (a single string is taken as a
    list of one); an empty list marks an unanswerable question.

    Example::

        squad_scores(["Denver Broncos"], [["Denver Broncos", "The Broncos"]])   # {'exact_match': 100.0, 'f1': 100.0}
    """
    if len(predictions) != len(references):
        raise ValueError(f"got {len(predictions)} predictions but {len(references)} references; "
                         "there must be one list of acceptable answers per prediction")
    if not predictions:
        raise ValueError("no predictions to score: predictions and references are empty")
    truths = [[reference] if isinstance(reference, str) else list(reference) for reference in references]
    pairs = list(zip(predictions, truths))
    return {
        "exact_match": 100 * sum(exact_match(p, t) for p, t in pairs) / len(pairs),
        "f1": 100 * sum(f1_score(p, t) for p, t in pairs) / len(pairs),
    }
