"""When to evaluate: one Keras callback for every task. *How* a task is measured is its evaluator
(:mod:`kerastx.evaluation`); this callback runs it at the end of every epoch (and every
``every_steps`` steps, and before training if asked) and writes the results into the Keras ``logs``
with the ``val_`` prefix, so that EarlyStopping, ModelCheckpoint, TensorBoard and your own
callbacks can watch them (e.g. ``val_f1``).

Put it *before* the callbacks that read its values in the list given to ``fit``: Keras calls
callbacks in order with one shared ``logs`` dict.
"""

from __future__ import annotations

import time
import warnings

from kerastx.compat.keras import tf_keras
from kerastx.errors import CallbackError


class EvaluationCallback(tf_keras.callbacks.Callback):
    """Evaluates ``evaluator`` on the model being trained and logs the results.

    Every evaluation is appended to ``self.history`` as ``{"epoch", "step", "val_...": ...}``; with
    ``evaluate_at_start``, the first one (epoch 0, step 0) measures the model before training.
    ``mode(name)`` is the direction ("max"/"min") of a logged metric, for EarlyStopping.

    ``evaluate()`` measures the model now, also before ``fit`` when it has a model: ``evaluate(model)``, or
    ``model=`` here (``fit`` then gives it the model it trains).

    Names: Keras itself logs ``val_`` + each ``compile(metrics=...)`` name when ``fit`` has validation data, so
    ``compile(metrics=["accuracy"])`` and a classification callback both write ``val_accuracy``. This callback's
    value then replaces Keras' (the logs, History and ``self.history`` agree), and a warning, once, names the
    metric and the fix: another ``prefix`` (``prefix="eval_"`` logs ``eval_accuracy`` beside Keras' value).

    Example::

        from kerastx.evaluation.classification import ClassificationEvaluator
        metrics = EvaluationCallback(ClassificationEvaluator(val_ds, num_labels=2))
        model.fit(train_ds, callbacks=[metrics, tf_keras.callbacks.EarlyStopping("val_f1", mode=metrics.mode("val_f1"))])
    """

    def __init__(self, evaluator, every_steps: int | None = None, evaluate_at_start: bool = False,
                 prefix: str = "val_", verbose: bool = True, model=None):
        super().__init__()
        self.evaluator = evaluator
        self.every_steps = every_steps
        self.evaluate_at_start = evaluate_at_start
        self.prefix = prefix
        self.verbose = verbose
        self.history: list[dict] = []
        self.steps = 0
        self._epoch = 0
        self._warned_of_replacing = False
        if model is not None:
            self.set_model(model)

    @property
    def directions(self) -> dict[str, str]:
        """The logged name of every metric with a direction, e.g. ``{"val_f1": "max"}``."""
        return {self.prefix + name: mode for name, mode in self.evaluator.directions.items()}

    def mode(self, name: str) -> str:
        return self.directions[name]

    def evaluate(self, model=None) -> dict[str, float]:
        """The metrics of ``model`` as it is now; by default of the model being trained, or given as ``model=``."""
        return self._prefixed(self.evaluator.evaluate(self._model_to_evaluate(model)))

    def _model_to_evaluate(self, model):
        model = self.model if model is None else model
        if model is None:
            name = type(self).__name__
            raise CallbackError(f"{name}.evaluate() has no model yet (fit() gives it one): call "
                                f"{name}.evaluate(model), or create it with {name}(..., model=model)")
        return model

    def _prefixed(self, results: dict[str, float]) -> dict[str, float]:
        return {f"{self.prefix}{name}": value for name, value in results.items()}

    def _measure(self) -> dict[str, float]:
        """The metrics of the model being trained, at a training event (before training, every N steps, epoch end)."""
        return self.evaluate()

    def _write(self, logs: dict, results: dict[str, float]) -> None:
        """Puts ``results`` into the Keras ``logs``, warning once when that replaces values already there."""
        replaced = sorted(name for name in results if name in logs)
        if replaced and not self._warned_of_replacing:
            self._warned_of_replacing = True
            name = type(self).__name__
            warnings.warn(
                f"{name} replaces {', '.join(replaced)} already in the Keras logs (Keras' own metric from "
                f"compile(metrics=...) with validation data, or another callback's): the logs and History now show "
                f"{name}'s; to keep both, give it another prefix: {name}(..., prefix=\"eval_\")", stacklevel=2)
        logs.update(results)

    def _record(self, logs: dict | None, epoch: int) -> dict[str, float]:
        started = time.perf_counter()
        results = self._measure()
        self.history.append({"epoch": epoch, "step": self.steps, **results})
        if logs is not None:
            self._write(logs, results)
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
            self._write(logs, {k: v for k, v in self.history[-1].items() if k.startswith(self.prefix)})
            return
        self._record(logs, epoch + 1)


class ClassificationMetricsCallback(EvaluationCallback):
    """``val_accuracy`` and ``val_f1`` of a sequence classifier on ``dataset``, whose batches are
    ``(features, labels)`` tuples or hold the labels inside the features dict (``labels``, the Hugging Face way).
    ``callback_options`` are EvaluationCallback's (``evaluate_at_start``, ``prefix``, ``model``).

    Example::

        callback = ClassificationMetricsCallback(val_ds, num_labels=2)
        model.fit(train_ds, callbacks=[callback, tf_keras.callbacks.EarlyStopping("val_f1", mode="max")])
    """

    def __init__(self, dataset, num_labels: int, every_steps: int | None = None, verbose: bool = True,
                 **callback_options):
        from kerastx.evaluation.classification import ClassificationEvaluator

        super().__init__(ClassificationEvaluator(dataset, num_labels), every_steps=every_steps, verbose=verbose,
                         **callback_options)
