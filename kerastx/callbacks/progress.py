"""A progress line at a steady interval, for output that is not a terminal (CI logs, ``make demo > log``),
where Keras' ``verbose=2`` prints one line per epoch: nothing for minutes."""

from __future__ import annotations

import time

from kerastx.callbacks.recent_loss import RecentLoss
from kerastx.compat.keras import tf_keras


class ProgressLogger(tf_keras.callbacks.Callback):
    """Prints ``[train] step 120/938  epoch 1/2  loss 3.2145  41.3 samples/s  ETA 9m12s`` every
    ``every_seconds`` of training. The loss is the mean over the steps since the previous line; speed
    and ETA come from the same steps (time spent in evaluations between them included).
    ``total_steps`` defaults to what ``fit`` announces (epochs x steps per epoch).

    Example::

        model.fit(train_ds, epochs=3, verbose=2, callbacks=[ProgressLogger(batch_size=32, every_seconds=30)])
    """

    def __init__(self, batch_size: int, every_seconds: float = 30.0, total_steps: int | None = None):
        super().__init__()
        self.batch_size = batch_size
        self.every_seconds = every_seconds
        self.total_steps = total_steps
        self.loss = RecentLoss()
        self.step = 0
        self._epoch = 0
        self._since = (0, 0.0)  # (step, time) of the previous line

    def on_train_begin(self, logs=None):
        if self.total_steps is None and self.params.get("steps"):
            self.total_steps = self.params["steps"] * self.params["epochs"]
        self._since = (self.step, time.monotonic())

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch + 1
        self.loss.new_epoch()

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        self.loss.update(batch, logs)
        now = time.monotonic()
        if now - self._since[1] >= self.every_seconds:
            print(self.line(now), flush=True)

    def line(self, now: float) -> str:
        last_step, last_time = self._since
        self._since = (self.step, now)
        steps_per_second = (self.step - last_step) / max(now - last_time, 1e-9)
        parts = [f"[train] step {self.step}" + (f"/{self.total_steps}" if self.total_steps else "")]
        if self.params.get("epochs", 1) > 1:
            parts.append(f"epoch {self._epoch}/{self.params['epochs']}")
        loss = self.loss.take()
        if loss is not None:
            parts.append(f"loss {loss:.4f}")
        parts.append(f"{steps_per_second * self.batch_size:.1f} samples/s")
        if self.total_steps:
            parts.append(f"ETA {duration(max(self.total_steps - self.step, 0) / steps_per_second)}")
        return "  ".join(parts)


def duration(seconds: float) -> str:
    """``45s``, ``9m12s``, ``1h02m``."""
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
