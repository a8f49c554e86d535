"""Classification metrics computed offline with scikit-learn (``evaluate.load`` needs the Hub)."""

from __future__ import annotations

import numpy as np


def classification_metrics(predictions, labels, num_labels: int) -> dict[str, float]:
    """Accuracy and F1: binary F1 of class 1 for two classes (as GLUE reports it), macro F1 otherwise."""
    from sklearn.metrics import accuracy_score, f1_score

    predictions, labels = np.asarray(predictions), np.asarray(labels)
    average = "binary" if num_labels == 2 else "macro"
    return {
        "accuracy": float(accuracy_score(labels, predictions)),
        "f1": float(f1_score(labels, predictions, average=average, zero_division=0)),
    }
