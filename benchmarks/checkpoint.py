"""What checkpoints cost: the time to write one, as a share of training time at the default interval, and the
time a stopped run takes to continue. Prints one JSON line.

    .venv/bin/python benchmarks/checkpoint.py [extra recipe flags...]

The MRPC config (the packaged MiniLM, 22.7M weights, AdamW: a checkpoint holds weights and two moments) runs
45 steps, checkpointing every 15; then a second run of 45 steps is stopped by SIGTERM after its first
checkpoint, and the same command continues it. Step times are the medians of steps 5 on (the first ones
trace the train step). The times to the first step compare the stopped run and the resumed one, both started
in this process after the first run, so TensorFlow's start-up counts in neither.
"""

from __future__ import annotations

import os
import signal
import statistics
import sys
import tempfile
import threading
import time

from common import ROOT, cpu, rounded

STEPS, EVERY = 45, 15


def main(argv: list[str]) -> None:
    import json

    from kerastx.callbacks.checkpoint import CheckpointCallback
    from kerastx.cli import run_cli
    from kerastx.config import RunConfig
    from kerastx.recipes.text_classification import RECIPE
    from kerastx.training import trainer
    from kerastx.training.checkpoints import RunCheckpoints

    timings = StepTimings()
    add_timing = trainer._callbacks  # noqa: SLF001 (a benchmark looks inside)
    trainer._callbacks = lambda *args, **kwargs: [timings.callback(), *add_timing(*args, **kwargs)]  # noqa: SLF001
    os.chdir(ROOT)
    flags = ["--config", "recipes/mrpc.yaml", "--max_steps", str(STEPS), "--checkpoint_every_steps", str(EVERY),
             "--max_eval_samples", "64", "--overwrite_output_dir", *argv]
    with tempfile.TemporaryDirectory() as scratch:
        timings.start()
        full = run_cli(RECIPE, [*flags, "--output_dir", f"{scratch}/full"])
        step_seconds = timings.median_step()

        stop_after_first_checkpoint(CheckpointCallback)
        timings.start()
        try:
            run_cli(RECIPE, [*flags, "--output_dir", f"{scratch}/stopped"])
        except SystemExit as stopped:
            assert stopped.code == 143, stopped.code
        first_step_new = timings.first_step_after_start  # TensorFlow loaded, as for the resumed run next
        restoring = time_restores(RunCheckpoints)
        timings.start()
        resumed = run_cli(RECIPE, [*flags, "--output_dir", f"{scratch}/stopped"])
        first_step_resumed = timings.first_step_after_start

    save_seconds = statistics.mean(full.checkpoint_seconds)
    default_interval = RunConfig.checkpoint_every_steps
    print(json.dumps({
        "benchmark": "checkpoint",
        "args": argv,
        **rounded({"step_seconds": step_seconds, "checkpoint_seconds": save_seconds,
                   "checkpoints_written": len(full.checkpoint_seconds),
                   "overhead_percent_at_default_interval": 100 * save_seconds / (default_interval * step_seconds),
                   "default_interval_steps": default_interval,
                   "seconds_to_first_step_new_run": first_step_new,
                   "seconds_to_first_step_resumed_run": first_step_resumed,
                   "restore_seconds": restoring[0],
                   "resumed_from_step": resumed.resumed_from_step,
                   "same_final_metrics_as_uninterrupted": resumed.metrics == full.metrics}),
        **cpu(),
    }))


class StepTimings:
    """Wall time of every training step, and from the start of a run to the end of its first step."""

    def __init__(self):
        self.steps: list[float] = []
        self.started = 0.0
        self.first_step_after_start: float | None = None

    def start(self) -> None:
        self.steps, self.started, self.first_step_after_start = [], time.perf_counter(), None

    def callback(self):
        from kerastx.compat.keras import tf_keras

        timings = self

        class Timing(tf_keras.callbacks.Callback):
            def on_train_batch_begin(self, batch, logs=None):
                self.begun = time.perf_counter()

            def on_train_batch_end(self, batch, logs=None):
                now = time.perf_counter()
                timings.steps.append(now - self.begun)
                if timings.first_step_after_start is None:
                    timings.first_step_after_start = now - timings.started

        return Timing()

    def median_step(self) -> float:
        return statistics.median(self.steps[4:])


def time_restores(checkpoints_class) -> list[float]:
    """The seconds each restore of a checkpoint takes, from now on."""
    seconds = []
    restore = checkpoints_class.restore_latest

    def timed(self):
        started = time.perf_counter()
        progress = restore(self)
        seconds.append(time.perf_counter() - started)
        return progress

    checkpoints_class.restore_latest = timed
    return seconds


def stop_after_first_checkpoint(callback_class) -> None:
    """SIGTERM to this process right after the first checkpoint of the next run (as a preemption would)."""
    save = callback_class.save

    def save_then_stop(self):
        save(self)
        if len(self.save_seconds) == 1 and self.progress.step == EVERY:
            threading.Timer(0.0, os.kill, (os.getpid(), signal.SIGTERM)).start()

    callback_class.save = save_then_stop


if __name__ == "__main__":
    main(sys.argv[1:])
