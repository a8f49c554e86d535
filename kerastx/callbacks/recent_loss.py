"""The training loss of the last few steps, from the running mean Keras keeps."""

from __future__ import annotations


class RecentLoss:
    """Keras' ``logs["loss"]`` at the end of a batch is the mean over the epoch so far; this gives the
    mean over the steps since the last :meth:`take` (batches weighted equally), so that a curve of it
    shows what the epoch mean flattens, e.g. the loss falling during warm-up.

    A callback calls ``new_epoch()`` in ``on_epoch_begin`` and ``update(batch, logs)`` in
    ``on_train_batch_end``.
    """

    def __init__(self):
        self.new_epoch()

    def new_epoch(self) -> None:
        self._batches = self._taken_batches = 0
        self._total = self._taken_total = 0.0

    def update(self, batch: int, logs: dict | None) -> None:
        if logs and "loss" in logs:
            self._batches = batch + 1
            self._total = float(logs["loss"]) * self._batches

    def take(self) -> float | None:
        """The mean loss of the steps since the last call (None when there were none)."""
        steps = self._batches - self._taken_batches
        if steps <= 0:
            return None
        mean = (self._total - self._taken_total) / steps
        self._taken_batches, self._taken_total = self._batches, self._total
        return mean
