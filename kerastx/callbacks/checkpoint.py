"""The run's progress, checkpointed so that a killed or preempted run continues at the exact step."""

from __future__ import annotations

import math
import signal
import time
from dataclasses import asdict, dataclass, field

from kerastx.compat.keras import tf_keras
from kerastx.data.pipeline import DataPosition
from kerastx.errors import NonFiniteLossError, TrainingStopped


@dataclass
class Progress:
    """How far a run is: steps done, where in its data, and the mean training loss of each finished epoch.

    ``position`` is the object the training dataset reads (see
    :func:`kerastx.data.pipeline.build_train_dataset`), so moving it on moves the data on.
    """

    step: int = 0
    position: DataPosition = field(default_factory=DataPosition)
    epoch_losses: list[float] = field(default_factory=list)
    epoch_loss_total: float = 0.0  # the sum of the batch losses of the current epoch so far

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, saved: dict) -> "Progress":
        return cls(step=saved["step"], position=DataPosition(**saved["position"]),
                   epoch_losses=list(saved["epoch_losses"]), epoch_loss_total=saved["epoch_loss_total"])


class CheckpointCallback(tf_keras.callbacks.Callback):
    """Moves ``progress`` on after every step and epoch, and saves ``checkpoints``
    (:class:`~kerastx.training.checkpoints.RunCheckpoints`) every ``every_steps`` steps, at the end of every
    epoch and when SIGUSR1 asks. ``run_state()`` gives what is saved beside ``progress`` (evaluations, best
    metric...). On SIGTERM or SIGINT (``requests``, a :class:`~kerastx.training.stop_signals.StopRequests`)
    it saves and raises :class:`~kerastx.errors.TrainingStopped`; on a NaN or infinite loss it raises
    :class:`~kerastx.errors.NonFiniteLossError`, without saving, naming the latest checkpoint (``saved_step``,
    given by a resumed run).

    A request at the last step of an epoch (``steps_per_epoch``) waits for the epoch's end, so that a
    checkpoint is never taken between an epoch's last step and its evaluation.

    Put it last in the list given to ``fit``: a checkpoint then holds what the other callbacks did at that
    step (an evaluation, a best model).
    """

    def __init__(self, checkpoints, progress: Progress, steps_per_epoch: int, every_steps: int | None, requests,
                 run_state=dict, saved_step: int | None = None):
        super().__init__()
        self.checkpoints = checkpoints
        self.progress = progress
        self.steps_per_epoch = steps_per_epoch
        self.every_steps = every_steps
        self.requests = requests
        self.run_state = run_state
        self.where = str(checkpoints.directory)
        self.saved_step = saved_step  # the latest checkpoint's step (a resumed run's: the one it resumed from)
        self.save_seconds: list[float] = []
        self._restored_total = progress.epoch_loss_total  # of the batches before this process resumed the epoch

    def on_epoch_begin(self, epoch, logs=None):
        if self.progress.position.batch == 0:
            self._restored_total = 0.0

    def on_train_batch_end(self, batch, logs=None):
        loss = float((logs or {}).get("loss", 0.0))
        if not math.isfinite(loss):
            raise NonFiniteLossError(
                f"the training loss is {loss} at step {self.progress.step + 1}; "
                + (f"the last good checkpoint (step {self.saved_step}) is kept in {self.where}"
                   if self.saved_step is not None else "no checkpoint was saved yet")
                + ": lower --learning_rate or set --clip_norm, then re-run with --no-resume")
        self.progress.step += 1
        self.progress.position.batch += 1
        # Keras' logs["loss"] is the mean over this process's batches of the epoch so far
        self.progress.epoch_loss_total = self._restored_total + loss * (batch + 1)
        if self.progress.position.batch >= self.steps_per_epoch:
            return  # the epoch's end comes next, and saves
        self._stop_if_asked()
        if self.requests.take_save_request() or (self.every_steps and self.progress.step % self.every_steps == 0):
            self.save()

    def on_epoch_end(self, epoch, logs=None):
        done = self.progress.position.batch
        if done:
            self.progress.epoch_losses.append(self.progress.epoch_loss_total / done)
        self.progress.position.epoch, self.progress.position.batch = epoch + 1, 0
        self.progress.epoch_loss_total = 0.0
        self.requests.take_save_request()
        self.save()
        self._stop_if_asked()

    def _stop_if_asked(self) -> None:
        if self.requests.stop_signal is None:
            return
        if self.saved_step != self.progress.step:
            self.save()
        name = signal.Signals(self.requests.stop_signal).name
        raise TrainingStopped(f"stopped by {name} at step {self.progress.step}: checkpoint saved in {self.where}; "
                              f"run the same command again to continue", 128 + self.requests.stop_signal)

    def save(self) -> None:
        started = time.perf_counter()
        self.checkpoints.save({**self.progress.to_dict(), **self.run_state()})
        self.save_seconds.append(time.perf_counter() - started)
        self.saved_step = self.progress.step
