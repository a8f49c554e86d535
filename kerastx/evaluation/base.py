"""Evaluators: model in, metrics out, each metric with the direction that makes it better.

*How* a task is measured lives here; *when* (every epoch, every N steps, before training) is the one
shared :class:`kerastx.callbacks.metrics.EvaluationCallback`. An evaluator can also be used alone,
before or after ``fit``: ``evaluator.evaluate(model)``.
"""

from __future__ import annotations

from typing import Callable, Protocol

import numpy as np

from kerastx.errors import DataError

MAX, MIN = "max", "min"


class Evaluator(Protocol):
    """``directions`` maps every metric name that ``evaluate`` returns to ``"max"`` or ``"min"``
    (perplexity and losses get better as they fall)."""

    directions: dict[str, str]

    def evaluate(self, model) -> dict[str, float]:
        ...


class DatasetEvaluator:
    """Runs ``model`` over ``dataset`` and scores what it outputs. Batches hold their labels either way
    Hugging Face TF scripts do (see :func:`split_batch`): ``(features, labels)`` tuples, as
    ``model.prepare_tf_dataset`` and ``to_tf_dataset(..., label_cols=...)`` make them, or inside the
    features dict under the model's label name (``labels``).

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
        names = label_names(model)
        outputs, labels = [], []
        for batch in self.dataset:
            features, batch_labels = split_batch(batch, names)
            out, lab = self.output_fn(self._forward(features), batch_labels)
            outputs.append(out)
            labels.append(lab)
        return {name: float(value) for name, value in self.metric_fn(outputs, labels).items()}


def label_names(model) -> list[str]:
    """The label arguments of a Hugging Face model's ``call`` (``labels``; a QA model's start and end
    positions), found as its ``train_step`` finds them; ``["labels"]`` for other models."""
    from transformers.utils import find_labels

    return find_labels(type(model)) or ["labels"]


def split_batch(batch, names: list[str]):
    """``(features, labels)`` of one batch: a ``(features, labels)`` or ``(features, labels, sample_weight)``
    tuple (Keras' convention), or a features dict that holds the labels under ``names`` (the Hugging Face
    convention; they are taken out, so the model is not asked for its loss). One label is returned as a
    tensor, several as a dict, as ``prepare_tf_dataset`` does.
    """
    if isinstance(batch, (tuple, list)) and len(batch) in (2, 3):
        features, labels = batch[0], batch[1]
    elif isinstance(batch, dict) and any(name in batch for name in names):
        features = {key: value for key, value in batch.items() if key not in names}
        labels = {name: batch[name] for name in names if name in batch}
    else:
        found = f"a dict of {sorted(batch)}" if isinstance(batch, dict) else f"a {type(batch).__name__}"
        raise DataError(f"an evaluation batch has no labels: expected (features, labels) tuples or a features dict "
                        f"holding {' or '.join(repr(n) for n in names)}, got {found}")
    if isinstance(labels, dict) and len(labels) == 1:
        labels = next(iter(labels.values()))
    return features, labels


def concat(parts) -> np.ndarray:
    return np.concatenate([np.asarray(p) for p in parts]) if parts else np.array([])


def maximized(*names: str) -> dict[str, str]:
    return dict.fromkeys(names, MAX)
