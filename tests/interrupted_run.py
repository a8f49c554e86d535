"""Run a recipe in this process and interrupt it for real, for the resume tests:

    python tests/interrupted_run.py kill 0.4 -- --train_file ...     # SIGKILL 0.4 s after the first checkpoint
    python tests/interrupted_run.py term 0.4 -- --train_file ...     # SIGTERM 0.4 s after the first checkpoint
    python tests/interrupted_run.py kill-at-step 7 -- ...            # SIGKILL once step 7 is trained
    python tests/interrupted_run.py term-at-step 7 -- ...            # SIGTERM once step 7 is trained
    python tests/interrupted_run.py kill-in-save 2 -- --train_file ...  # SIGKILL inside the 2nd checkpoint's write,
                                                                         # after its files, before it is recorded
    python tests/interrupted_run.py none 0 -- --train_file ...       # no interruption

The recipe is text classification, or the one ``KERASTX_RECIPE`` names (e.g. ``translation``). With
``KERASTX_STEP_TRACE=file.jsonl``, every training step appends ``{"step", "iterations", "learning_rate"}`` to
that file: the step the trainer counts, the optimizer's step count, and the learning rate that step used.

The signals are real ones sent to this process by a timer thread (``kill``, ``term``), at the end of a step
(``*-at-step``, after every callback of that step, the checkpoint included) or from inside TensorFlow's
``CheckpointManager`` (``kill-in-save``), so what they interrupt is whatever the run is doing.
"""

import json
import os
import signal
import sys
import threading

import kerastx  # noqa: F401  (before TensorFlow: pins Keras 2)
from kerastx.callbacks.checkpoint import CheckpointCallback
from kerastx.callbacks.tensorboard import current_learning_rate
from kerastx.recipes.registry import RECIPES
from tensorflow.python.checkpoint import checkpoint_management


def signal_after_first_checkpoint(signum: int, delay: float) -> None:
    save = CheckpointCallback.save

    def save_then_arm(self):
        save(self)
        if len(self.save_seconds) == 1:
            threading.Timer(delay, os.kill, (os.getpid(), signum)).start()

    CheckpointCallback.save = save_then_arm


def trace_steps(path: str) -> None:
    """Each step recorded as the checkpoint callback (the last one) starts handling it, before it may stop the
    run: the step, the optimizer's step count and the learning rate the step used."""
    step_end = CheckpointCallback.on_train_batch_end

    def record_then_step_end(self, batch, logs=None):
        optimizer = self.model.optimizer
        with open(path, "a", encoding="utf-8") as trace:
            trace.write(json.dumps({"step": self.progress.step + 1, "iterations": int(optimizer.iterations.numpy()),
                                    "learning_rate": current_learning_rate(optimizer)}) + "\n")
        step_end(self, batch, logs)

    CheckpointCallback.on_train_batch_end = record_then_step_end


def signal_at_step(signum: int, step: int) -> None:
    """The signal once the checkpoint callback has handled step ``step`` (and saved, if it was to)."""
    step_end = CheckpointCallback.on_train_batch_end

    def step_end_then_signal(self, batch, logs=None):
        step_end(self, batch, logs)
        if self.progress.step == step:
            os.kill(os.getpid(), signum)

    CheckpointCallback.on_train_batch_end = step_end_then_signal


def kill_inside_save(number: int) -> None:
    record_state = checkpoint_management.CheckpointManager._record_state
    recorded = set()

    def record_or_die(self):  # called (twice) once a checkpoint's files are complete, to make it the latest
        if self._latest_checkpoint not in recorded and len(recorded) == number - 1:
            os.kill(os.getpid(), signal.SIGKILL)
        recorded.add(self._latest_checkpoint)
        record_state(self)

    checkpoint_management.CheckpointManager._record_state = record_or_die


if __name__ == "__main__":
    how, amount, separator, *argv = sys.argv[1:]
    assert separator == "--"
    if os.environ.get("KERASTX_STEP_TRACE"):
        trace_steps(os.environ["KERASTX_STEP_TRACE"])
    if how == "kill":
        signal_after_first_checkpoint(signal.SIGKILL, float(amount))
    elif how == "term":
        signal_after_first_checkpoint(signal.SIGTERM, float(amount))
    elif how == "kill-at-step":
        signal_at_step(signal.SIGKILL, int(amount))
    elif how == "term-at-step":
        signal_at_step(signal.SIGTERM, int(amount))
    elif how == "kill-in-save":
        kill_inside_save(int(amount))
    RECIPES[os.environ.get("KERASTX_RECIPE", "text_classification")].main(argv)
