"""The best model so far, by one evaluated metric and its direction; early stopping on the same watch."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from kerastx.compat.keras import tf_keras


class BestModel(tf_keras.callbacks.Callback):
    """Keeps the model of the best evaluation of ``metric`` (``mode`` "max" or "min") so far in ``directory``
    (``save_pretrained``, with ``tokenizer`` when given), replaced whole only once the new copy is complete.
    With ``patience``, stops training after that many evaluations without a better value.

    It reads the evaluations of ``evaluation`` (an :class:`~kerastx.callbacks.metrics.EvaluationCallback`),
    so put it after that one in the list given to ``fit``.

    Example::

        metrics = EvaluationCallback(evaluator, every_steps=500)
        best = BestModel(metrics, "val_f1", metrics.mode("val_f1"), "runs/x/best", tokenizer, patience=3)
        model.fit(train_ds, epochs=10, callbacks=[metrics, best])
        print(best.best)   # {"value": 0.91, "epoch": 4, "step": 2300}
    """

    def __init__(self, evaluation, metric: str, mode: str, directory, tokenizer=None, patience: int | None = None):
        super().__init__()
        self.evaluation = evaluation
        self.metric = metric
        self.mode = mode
        self.directory = Path(directory)
        self.tokenizer = tokenizer
        self.patience = patience
        self.best: dict | None = None  # {"value", "epoch", "step"} of the best evaluation so far
        self.evaluations_since_best = 0
        self._seen = 0  # evaluations already compared

    def state(self) -> dict:
        """What a checkpoint keeps of this callback; :meth:`restore` puts it back."""
        return {"best": self.best, "evaluations_since_best": self.evaluations_since_best, "seen": self._seen}

    def restore(self, state: dict) -> None:
        self.best, self.evaluations_since_best, self._seen = state["best"], state["evaluations_since_best"], state["seen"]
        replaced = self.directory.with_name(self.directory.name + ".replaced")
        if not self.directory.exists() and replaced.exists():  # stopped between the two renames of _save
            os.replace(replaced, self.directory)

    def on_train_begin(self, logs=None):
        self._compare_new_evaluations()  # the one before training, if any

    def on_train_batch_end(self, batch, logs=None):
        self._compare_new_evaluations()

    def on_epoch_end(self, epoch, logs=None):
        self._compare_new_evaluations()

    def _compare_new_evaluations(self) -> None:
        for entry in self.evaluation.history[self._seen:]:
            value = entry.get(self.metric)
            if value is None:
                continue
            if self.best is None or self._better(value, self.best["value"]):
                self.best = {"value": value, "epoch": entry["epoch"], "step": entry["step"]}
                self.evaluations_since_best = 0
                self._save()
            else:
                self.evaluations_since_best += 1
        self._seen = len(self.evaluation.history)
        if self.patience and self.evaluations_since_best >= self.patience:
            self.model.stop_training = True

    def _better(self, value: float, best: float) -> bool:
        return value > best if self.mode == "max" else value < best

    def _save(self) -> None:
        writing = self.directory.with_name(self.directory.name + ".writing")
        shutil.rmtree(writing, ignore_errors=True)
        self.model.save_pretrained(writing)
        if self.tokenizer is not None:
            self.tokenizer.save_pretrained(writing)
        replaced = self.directory.with_name(self.directory.name + ".replaced")
        if self.directory.exists():
            os.replace(self.directory, replaced)
        os.replace(writing, self.directory)
        shutil.rmtree(replaced, ignore_errors=True)
