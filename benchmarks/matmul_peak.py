"""The machine's matmul peak as one framework reaches it: GFLOP/s of a square fp32 and bf16 matmul, best of
several timed rounds. Runs under either environment (``tensorflow`` in .venv, ``torch`` in .venv-torch).

    python benchmarks/matmul_peak.py tensorflow|torch [SIZE] [fp32,bf16]
"""

from __future__ import annotations

import json
import os
import sys
import time

ROUNDS, ROUND_SECONDS = 5, 0.5


def best_seconds(run) -> float:
    """Best time of one call over ROUNDS rounds of about ROUND_SECONDS (a CPU without bf16 instructions may
    take seconds per bf16 call: then one call a round)."""
    started = time.perf_counter()
    run()  # first call: allocation, kernel selection
    calls = max(1, int(ROUND_SECONDS / (time.perf_counter() - started)))
    timings = []
    for _ in range(ROUNDS if calls > 1 else 2):
        started = time.perf_counter()
        for _ in range(calls):
            run()
        timings.append((time.perf_counter() - started) / calls)
    return min(timings)


def tensorflow_runs(size: int, dtypes: list[str]) -> dict:
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    runs = {}
    for name, dtype in (("fp32", tf.float32), ("bf16", tf.bfloat16)):
        if name not in dtypes:
            continue
        a, b = (tf.cast(tf.random.normal((size, size)), dtype) for _ in range(2))
        runs[name] = lambda a=a, b=b: tf.linalg.matmul(a, b).numpy()
    return runs


def torch_runs(size: int, dtypes: list[str]) -> dict:
    import torch

    runs = {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        if name not in dtypes:
            continue
        a, b = (torch.randn(size, size).to(dtype) for _ in range(2))
        runs[name] = lambda a=a, b=b: torch.mm(a, b)
    return runs


def main(framework: str, size: int, dtypes: list[str]) -> None:
    runs = (tensorflow_runs if framework == "tensorflow" else torch_runs)(size, dtypes)
    flops = 2 * size ** 3
    print(json.dumps({"framework": framework, "size": size,
                      **{f"{name}_gflops": round(flops / best_seconds(run) / 1e9, 1) for name, run in runs.items()}}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2048,
         sys.argv[3].split(",") if len(sys.argv) > 3 else ["fp32", "bf16"])
