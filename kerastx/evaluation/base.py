"""Evaluators: model in, metrics out, each metric with the direction that makes it better.

*How* a task is measured lives here; *when* (every epoch, every N steps, before training) is the one
shared :class:`kerastx.callbacks.metrics.EvaluationCallback`. An evaluator can also be used alone,
before or after ``fit``: ``evaluator.evaluate(model)``.
"""

from __future__ import annotations

from typing import Callable, Protocol

import numpy as np

MAX, MIN = "max", "min"


class Evaluator(Protocol):
    """``directions`` maps every metric name that ``evaluate`` returns to ``"max"`` or ``"min"``
    (perplexity and losses get better as they fall)."""

    directions: dict[str, str]

    def evaluate(self, model) -> dict[str, float]:
        ...


class DatasetEvaluator:
    """Runs ``model`` over ``dataset`` (``(features, labels)`` batches) and scores what it outputs.

    ``output_fn(outputs, labels)`` turns one batch into numpy values; ``metric_fn(outputs, labels)``
    turns the lists of them into ``{name: float}``.

    Example::

        accuracy = DatasetEvaluator(val_ds, {"accuracy": MAX},
                                    output_fn=lambda out, y: (out.logits.numpy().argmax(-1), y.numpy()),
                                    metric_fn=lambda p, y: {"accuracy": (np.concatenate(p) == np.concatenate(y)).mean()})
        print(accuracy.evaluate(model))
    """

    def __init__(self, dataset, directions: dict[str, str], output_fn: Callable, metric_fn: Callable):
        self.dataset = dataset
        self.directions = directions
        self.output_fn = output_fn
        self.metric_fn = metric_fn
        self._forward = None
        self._model = None

    def evaluate(self, model) -> dict[str, float]:
        import tensorflow as tf

        if self._model is not model:  # one traced forward pass per model, reused at every evaluation
            self._forward = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
            self._model = model
        outputs, labels = [], []
        for features, batch_labels in self.dataset:
            out, lab = self.output_fn(self._forward(features), batch_labels)
            outputs.append(out)
            labels.append(lab)
        return {name: float(value) for name, value in self.metric_fn(outputs, labels).items()}


def concat(parts) -> np.ndarray:
    return np.concatenate([np.asarray(p) for p in parts]) if parts else np.array([])


def maximized(*names: str) -> dict[str, str]:
    return dict.fromkeys(names, MAX)
