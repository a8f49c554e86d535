"""Run a recipe in this process and interrupt it for real, for the resume tests:

    python tests/interrupted_run.py kill 0.4 -- --train_file ...     # SIGKILL 0.4 s after the first checkpoint
    python tests/interrupted_run.py term 0.4 -- --train_file ...     # SIGTERM 0.4 s after the first checkpoint
    python tests/interrupted_run.py kill-at-step 7 -- ...            # SIGKILL once step 7 is trained
    python tests/interrupted_run.py term-at-step 7 -- ...            # SIGTERM once step 7 is trained
    python tests/interrupted_run.py kill-in-save 2 -- --train_file ...  # SIGKILL inside the 2nd checkpoint's write,
                                                                         # after its files, before it is recorded
    python tests/interrupted_run.py none 0 -- --train_file ...       # no interruption
    python tests/interrupted_run.py term-in data -- --train_file ...        # SIGTERM as the data is read,
    python tests/interrupted_run.py term-in tensorflow -- --train_file ...  # inside TensorFlow's import,
    python tests/interrupted_run.py term-in model -- --train_file ...       # as the model is built

The recipe is text classification, or the one ``KERASTX_RECIPE`` names (e.g. ``translation``). In a multi-worker
run, ``KERASTX_INTERRUPT_WORKER=I`` interrupts worker I only (the others run uninterrupted). With
``KERASTX_STEP_TRACE=file.jsonl``, every training step appends ``{"step", "iterations", "learning_rate"}`` to
that file: the step the trainer counts, the optimizer's step count, and the learning rate that step used.

The signals are real ones sent to this process by a timer thread (``kill``, ``term``), at the end of a step
(``*-at-step``, after every callback of that step, the checkpoint included), from inside
TensorFlow's ``CheckpointManager`` (``kill-in-save``) or from the code that starts a moment of the run
(``term-in``), so what they interrupt is whatever the run is doing. TensorFlow is imported only by the run
itself (or by a mode that patches it), so that ``term-in tensorflow`` catches its import.
"""

import importlib.abc
import json
import os
import signal
import sys
import threading

import kerastx  # noqa: F401  (before TensorFlow: pins Keras 2)
from kerastx.cli import run_cli
from kerastx.recipes.registry import RECIPES


def signal_after_first_checkpoint(signum: int, delay: float) -> None:
    from kerastx.callbacks.checkpoint import CheckpointCallback

    save = CheckpointCallback.save

    def save_then_arm(self):
        save(self)
        if len(self.save_seconds) == 1:
            threading.Timer(delay, os.kill, (os.getpid(), signum)).start()

    CheckpointCallback.save = save_then_arm


def trace_steps(path: str) -> None:
    """Each step recorded as the checkpoint callback (the last one) starts handling it, before it may stop the
    run: the step, the optimizer's step count and the learning rate the step used."""
    from kerastx.callbacks.checkpoint import CheckpointCallback
    from kerastx.callbacks.tensorboard import current_learning_rate

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
    from kerastx.callbacks.checkpoint import CheckpointCallback

    step_end = CheckpointCallback.on_train_batch_end

    def step_end_then_signal(self, batch, logs=None):
        step_end(self, batch, logs)
        if self.progress.step == step:
            os.kill(os.getpid(), signum)

    CheckpointCallback.on_train_batch_end = step_end_then_signal


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
    only = os.environ.get("KERASTX_INTERRUPT_WORKER")
    if only is not None and json.loads(os.environ["TF_CONFIG"])["task"]["index"] != int(only):
        how = "none"
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
    elif how == "term-in":
        term_when(amount)
    run_cli(RECIPES[os.environ.get("KERASTX_RECIPE", "text_classification")], argv)
