"""Scaling on CPU: the MRPC config (packaged MiniLM, global batch 32) trained by one process and by two local
workers (`kerastx launch --workers 2`, each worker one intra-op thread), the all-reduce of one step's gradients
between those two workers, and how one process's step time grows with the sequence length. One JSON line.

    .venv/bin/python benchmarks/scaling.py [--steps 24] [--lengths 64,128,256,512]

Train samples/s are the runs' own (steps x global batch / fit seconds: tracing the step and one evaluation of
32 pairs included, the same in every run). The all-reduce is timed alone, outside training: the gradients'
shapes summed across the workers as MultiWorkerMirroredStrategy sums them (ring all-reduce over gRPC on
127.0.0.1), median of 10 after 2 warm-ups. Run it with nothing else on the cores.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

from common import ROOT, cpu

MRPC = ["--config", "recipes/mrpc.yaml", "--max_eval_samples", "32", "--strategy"]
ONE_THREAD = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}


def samples_per_second(output: str) -> float:
    """The chief's (or the only process's) train samples/s, from its `[done]` line."""
    return float(re.search(r"(?:^|\[w0\] )\[done\] .*\(([\d.]+) train samples/s", output, re.M).group(1))


def run(argv: list[str], env: dict) -> str:
    finished = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", **env})
    if finished.returncode:
        sys.exit(f"scaling: {' '.join(argv[:6])} ... failed:\n{finished.stderr[-3000:]}")
    return finished.stdout


def one_process(steps: int, threads: dict, output_dir: str) -> float:
    return samples_per_second(run([sys.executable, "-m", "kerastx.recipes.text_classification", *MRPC, "one_device",
                                   "--max_steps", str(steps), "--output_dir", output_dir, "--overwrite_output_dir"],
                                  threads))


def two_workers(steps: int, output_dir: str) -> float:
    return samples_per_second(run([sys.executable, "-m", "kerastx", "launch", "--workers", "2", "--", sys.executable,
                                   "-m", "kerastx.recipes.text_classification", *MRPC, "multi_worker",
                                   "--max_steps", str(steps), "--output_dir", output_dir,
                                   "--overwrite_output_dir"], ONE_THREAD))


def all_reduce_seconds() -> float:
    """Median seconds of one all-reduce of MiniLM's gradient shapes between two local workers."""
    output = run([sys.executable, "-m", "kerastx", "launch", "--workers", "2", "--", sys.executable, __file__,
                  "--all-reduce-worker"], ONE_THREAD)
    return float(re.search(r"^\[w0\] all_reduce_seconds ([\d.e-]+)$", output, re.M).group(1))


def all_reduce_worker() -> None:
    import kerastx  # before TensorFlow: pins Keras 2
    import tensorflow as tf
    from transformers import TFAutoModelForSequenceClassification

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    with strategy.scope():
        model = kerastx.from_pretrained(TFAutoModelForSequenceClassification, "minilm", num_labels=2)
        gradients = [tf.Variable(tf.ones_like(w)) for w in model.trainable_weights]

    @tf.function
    def reduce():
        context = tf.distribute.get_replica_context()
        return context.all_reduce(tf.distribute.ReduceOp.SUM, [g.read_value() for g in gradients])

    seconds = []
    for attempt in range(12):
        started = time.perf_counter()
        summed = strategy.run(reduce)
        _ = [float(tf.reduce_sum(t)) for t in strategy.experimental_local_results(summed)[0][:1]]
        if attempt >= 2:
            seconds.append(time.perf_counter() - started)
    print("all_reduce_seconds", statistics.median(seconds), flush=True)


def step_seconds(length: int, steps: int) -> float:
    """Median seconds of one training step of the MRPC model on batches of 32 x ``length`` tokens (one process,
    every core), after the step is traced."""
    code = f"""
import statistics, time
import numpy as np
import kerastx
from kerastx.recipes.text_classification import TextClassificationConfig
from kerastx.training.optimizer import build_optimizer
from transformers import TFAutoModelForSequenceClassification
model = kerastx.from_pretrained(TFAutoModelForSequenceClassification, "minilm", num_labels=2)
model.compile(optimizer=build_optimizer(TextClassificationConfig(learning_rate=1e-4, weight_decay=0.01), {steps} + 2))
rng = np.random.default_rng(0)
batch = {{"input_ids": rng.integers(1000, 30000, (32, {length})).astype(np.int32),
          "attention_mask": np.ones((32, {length}), np.int32), "labels": rng.integers(0, 2, 32).astype(np.int32)}}
seconds = []
for step in range({steps} + 2):
    started = time.perf_counter()
    model.train_on_batch(batch)
    seconds.append(time.perf_counter() - started)
print("step_seconds", statistics.median(seconds[2:]))
"""
    output = run([sys.executable, "-c", code], {})
    return float(re.search(r"^step_seconds ([\d.e-]+)$", output, re.M).group(1))


def main(argv: list[str]) -> None:
    steps, lengths = 24, [64, 128, 256, 512]
    if "--steps" in argv:
        steps = int(argv[argv.index("--steps") + 1])
    if "--lengths" in argv:
        lengths = [int(n) for n in argv[argv.index("--lengths") + 1].split(",")]
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch:
        one = one_process(steps, {}, f"{scratch}/one")
        one_thread = one_process(steps, ONE_THREAD, f"{scratch}/one-thread")
        two = two_workers(steps, f"{scratch}/two")
    reduce = all_reduce_seconds()
    by_length = {length: step_seconds(length, 4) for length in lengths}
    print(json.dumps({
        "benchmark": "scaling", "steps": steps, "global_batch": 32, "load_average_before": round(load, 2),
        "samples_per_second": {"one_process": round(one, 1), "one_process_one_thread": round(one_thread, 1),
                               "two_workers_one_thread_each": round(two, 1)},
        "all_reduce_seconds_per_step": round(reduce, 4),
        "step_seconds_by_length": {str(n): round(s, 3) for n, s in by_length.items()},
        **cpu(),
    }))


if __name__ == "__main__":
    if sys.argv[1:] == ["--all-reduce-worker"]:
        all_reduce_worker()
    else:
        main(sys.argv[1:])
