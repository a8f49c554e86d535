"""Run a recipe in this process and interrupt it for real, for the resume tests:

    python tests/interrupted_run.py kill 0.4 -- --train_file ...     # SIGKILL 0.4 s after the first checkpoint
    python tests/interrupted_run.py term 0.4 -- --train_file ...     # SIGTERM 0.4 s after the first checkpoint
    python tests/interrupted_run.py kill-in-save 2 -- --train_file ...  # SIGKILL inside the 2nd checkpoint's write,
                                                                         # after its files, before it is recorded
    python tests/interrupted_run.py none 0 -- --train_file ...       # no interruption

The recipe is text classification, or the one ``KERASTX_RECIPE`` names (e.g. ``translation``).

The signals are real ones sent to this process by a timer thread (``kill``, ``term``) or from inside
TensorFlow's ``CheckpointManager`` (``kill-in-save``), so what they interrupt is whatever the run is doing.
"""

import os
import signal
import sys
import threading

import kerastx  # noqa: F401  (before TensorFlow: pins Keras 2)
from kerastx.callbacks.checkpoint import CheckpointCallback
from kerastx.recipes.registry import RECIPES
from tensorflow.python.checkpoint import checkpoint_management


def signal_after_first_checkpoint(signum: int, delay: float) -> None:
    save = CheckpointCallback.save

    def save_then_arm(self):
        save(self)
        if len(self.save_seconds) == 1:
            threading.Timer(delay, os.kill, (os.getpid(), signum)).start()

    CheckpointCallback.save = save_then_arm


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
    if how == "kill":
        signal_after_first_checkpoint(signal.SIGKILL, float(amount))
    elif how == "term":
        signal_after_first_checkpoint(signal.SIGTERM, float(amount))
    elif how == "kill-in-save":
        kill_inside_save(int(amount))
    RECIPES[os.environ.get("KERASTX_RECIPE", "text_classification")].main(argv)
