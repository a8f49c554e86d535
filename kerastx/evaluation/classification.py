"""Accuracy and F1 of a sequence classifier."""

from __future__ import annotations

import numpy as np

from kerastx.evaluation.base import DatasetEvaluator, concat, maximized


class ClassificationEvaluator(DatasetEvaluator):
    """``accuracy`` and ``f1`` (binary F1 of class 1 for two classes, macro F1 otherwise) on ``dataset``.

    Example::

        print(ClassificationEvaluator(val_ds, num_labels=2).evaluate(model))   # {"accuracy": ..., "f1": ...}
    """

    def __init__(self, dataset, num_labels: int):
        from kerastx.metrics.classification import classification_metrics

        super().__init__(
            dataset, maximized("accuracy", "f1"),
            output_fn=lambda outputs, labels: (np.argmax(outputs.logits.numpy(), axis=-1), np.asarray(labels)),
            metric_fn=lambda predictions, labels: classification_metrics(concat(predictions), concat(labels), num_labels))
