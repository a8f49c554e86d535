"""Task metrics as Keras callbacks, written into the Keras ``logs`` so that EarlyStopping,
ModelCheckpoint, TensorBoard and your own callbacks can watch them (e.g. ``val_f1``).

Put a metrics callback *before* the callbacks that read its values in the list given to ``fit``:
Keras calls callbacks in order with one shared ``logs`` dict.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from kerastx.training.keras import tf_keras


class EvaluationCallback(tf_keras.callbacks.Callback):
    """Runs the model over ``dataset`` at the end of every epoch (and every ``every_steps`` steps, if given),
    passes the outputs and labels to ``metric_fn`` and logs the results with the ``val_`` prefix.

    ``dataset`` yields ``(features, labels)`` batches; ``output_fn`` maps a batch's model outputs and
    labels to numpy values that ``metric_fn(outputs, labels)`` turns into ``{name: float}``.
    Every evaluation is appended to ``self.history`` as ``{"epoch", "step", "val_...": ...}``; with
    ``evaluate_at_start``, the first one (epoch 0, step 0) measures the model before training.

    Example::

        metrics = EvaluationCallback(val_ds, metric_fn=lambda p, y: {"acc": float((p == y).mean())},
                                     output_fn=lambda out, y: (out.logits.numpy().argmax(-1), y.numpy()))
        model.fit(train_ds, callbacks=[metrics, tf_keras.callbacks.EarlyStopping("val_acc", mode="max")])
    """

    def __init__(self, dataset, metric_fn: Callable, output_fn: Callable, every_steps: int | None = None,
                 prefix: str = "val_", verbose: bool = True, evaluate_at_start: bool = False):
        super().__init__()
        self.dataset = dataset
        self.metric_fn = metric_fn
        self.output_fn = output_fn
        self.every_steps = every_steps
        self.prefix = prefix
        self.verbose = verbose
        self.evaluate_at_start = evaluate_at_start
        self.history: list[dict] = []
        self.steps = 0
        self._epoch = 0
        self._forward = None

    def evaluate(self) -> dict[str, float]:
        """The metrics of the model as it is now (also usable before or after ``fit``)."""
        import tensorflow as tf

        if self._forward is None:
            self._forward = tf.function(lambda x: self.model(x, training=False), reduce_retracing=True)
        outputs, labels = [], []
        for features, batch_labels in self.dataset:
            out, lab = self.output_fn(self._forward(features), batch_labels)
            outputs.append(out)
            labels.append(lab)
        results = self.metric_fn(outputs, labels)
        return {f"{self.prefix}{name}": float(value) for name, value in results.items()}

    def _record(self, logs: dict | None, epoch: int) -> dict[str, float]:
        started = time.perf_counter()
        results = self.evaluate()
        entry = {"epoch": epoch, "step": self.steps, **results}
        self.history.append(entry)
        if logs is not None:
            logs.update(results)
        if self.verbose:
            shown = "  ".join(f"{k}={v:.4f}" for k, v in results.items())
            when = f"epoch {epoch} step {self.steps}" if epoch else "before training"
            print(f"[eval] {when}: {shown} ({time.perf_counter() - started:.1f}s)", flush=True)
        return results

    def on_train_begin(self, logs=None):
        if self.evaluate_at_start and not self.history:
            self._record(None, epoch=0)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.every_steps and self.steps % self.every_steps == 0:
            self._record(None, self._epoch + 1)

    def on_epoch_end(self, epoch, logs=None):
        if self.history and self.history[-1]["step"] == self.steps and self.history[-1]["epoch"]:
            logs.update({k: v for k, v in self.history[-1].items() if k.startswith(self.prefix)})
            return
        self._record(logs, epoch + 1)


def _concat(parts):
    return np.concatenate([np.asarray(p) for p in parts]) if parts else np.array([])


class ClassificationMetricsCallback(EvaluationCallback):
    """Accuracy and F1 (``val_accuracy``, ``val_f1``) of a sequence classifier on ``dataset``.

    Example::

        callback = ClassificationMetricsCallback(val_ds, num_labels=2)
        model.fit(train_ds, validation_data=None, callbacks=[callback, EarlyStopping("val_f1", mode="max")])
    """

    def __init__(self, dataset, num_labels: int, every_steps: int | None = None, verbose: bool = True):
        from kerastx.metrics.classification import classification_metrics

        super().__init__(
            dataset,
            metric_fn=lambda predictions, labels: classification_metrics(_concat(predictions), _concat(labels), num_labels),
            output_fn=lambda outputs, labels: (np.argmax(outputs.logits.numpy(), axis=-1), np.asarray(labels)),
            every_steps=every_steps,
            verbose=verbose,
        )
