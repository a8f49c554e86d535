"""Run a recipe in this process and interrupt it for real, for the resume tests:

    python tests/interrupted_run.py kill 0.4 -- --train_file ...     # SIGKILL 0.4 s after the first checkpoint
    python tests/interrupted_run.py term 0.4 -- --train_file ...     # SIGTERM 0.4 s after the first checkpoint
    python tests/interrupted_run.py kill-in-save 2 -- --train_file ...  # SIGKILL inside the 2nd checkpoint's write,
                                                                         # after its files, before it is recorded
    python tests/interrupted_run.py none 0 -- --train_file ...       # no interruption
    python tests/interrupted_run.py term-in data -- --train_file ...        # SIGTERM as the data is read,
    python tests/interrupted_run.py term-in tensorflow -- --train_file ...  # inside TensorFlow's import,
    python tests/interrupted_run.py term-in model -- --train_file ...       # as the model is built

The recipe is text classification, or the one ``KERASTX_RECIPE`` names (e.g. ``translation``).

The signals are real ones sent to this process by a timer thread (``kill``, ``term``), from inside
TensorFlow's ``CheckpointManager`` (``kill-in-save``) or from the code that starts a moment of the run
(``term-in``), so what they interrupt is whatever the run is doing. TensorFlow is imported only by the run
itself (or by a mode that patches it), so that ``term-in tensorflow`` catches its import.
"""

import importlib.abc
import os
import signal
import sys
import threading

import kerastx  # noqa: F401  (before TensorFlow: pins Keras 2)
from kerastx.recipes.registry import RECIPES


def signal_after_first_checkpoint(signum: int, delay: float) -> None:
    from kerastx.callbacks.checkpoint import CheckpointCallback

    save = CheckpointCallback.save

    def save_then_arm(self):
        save(self)
        if len(self.save_seconds) == 1:
            threading.Timer(delay, os.kill, (os.getpid(), signum)).start()

    CheckpointCallback.save = save_then_arm


def kill_inside_save(number: int) -> None:
    from tensorflow.python.checkpoint import checkpoint_management

    record_state = checkpoint_management.CheckpointManager._record_state
    recorded = set()

    def record_or_die(self):  # called (twice) once a checkpoint's files are complete, to make it the latest
        if self._latest_checkpoint not in recorded and len(recorded) == number - 1:
            os.kill(os.getpid(), signal.SIGKILL)
        recorded.add(self._latest_checkpoint)
        record_state(self)

    checkpoint_management.CheckpointManager._record_state = record_or_die


def term_when(moment: str) -> None:
    """SIGTERM to this process as ``moment`` begins: ``data`` (reading the data files), ``tensorflow`` (its first
    submodule import, inside ``import tensorflow``), ``model`` (building the model, the run's staging folder made)."""
    def term():
        os.kill(os.getpid(), signal.SIGTERM)

    if moment == "tensorflow":
        class TermOnImport(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name.startswith("tensorflow."):  # not "tensorflow": transformers probes that one without importing
                    sys.meta_path.remove(self)
                    term()
                return None

        sys.meta_path.insert(0, TermOnImport())
        return
    module, name = {"data": ("kerastx.training.preparation", "load_task_splits"),
                    "model": ("kerastx.models.resolve", "load_model")}[moment]  # before the trainer imports it
    owner = importlib.import_module(module)
    original = getattr(owner, name)

    def term_then_go_on(*args, **kwargs):
        term()
        return original(*args, **kwargs)

    setattr(owner, name, term_then_go_on)


if __name__ == "__main__":
    how, amount, separator, *argv = sys.argv[1:]
    assert separator == "--"
    if how == "kill":
        signal_after_first_checkpoint(signal.SIGKILL, float(amount))
    elif how == "term":
        signal_after_first_checkpoint(signal.SIGTERM, float(amount))
    elif how == "kill-in-save":
        kill_inside_save(int(amount))
    elif how == "term-in":
        term_when(amount)
    RECIPES[os.environ.get("KERASTX_RECIPE", "text_classification")].main(argv)
