"""What the recipe benchmarks share: run a recipe's YAML config in a scratch directory and print one
JSON line of results."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rounded(values: dict) -> dict:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in values.items()}


def run_config(recipe, config: str, argv: list[str]):
    """``(RunResult, wall minutes)`` of ``recipe`` run with ``--config config`` plus ``argv`` flags.

    The run directory is temporary unless ``argv`` starts with ``--keep DIR`` (e.g. to time generation
    on the model or read its summaries).
    """
    from kerastx.cli import run_cli

    keep_dir = None
    if argv[:1] == ["--keep"]:
        keep_dir, argv = argv[1], argv[2:]

    os.chdir(ROOT)  # the configs' data paths are relative to the repository
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        output_dir = keep_dir or f"{scratch}/run"
        result = run_cli(recipe, ["--config", config, "--output_dir", output_dir, "--overwrite_output_dir", *argv])
    return result, (time.perf_counter() - started) / 60


def report(name: str, argv: list[str], result, minutes: float, **scores) -> None:
    print(json.dumps({
        "benchmark": name,
        "args": argv,
        **rounded(scores),
        "train_samples_per_second": round(result.train_samples_per_second, 1),
        "wall_minutes": round(minutes, 2),
        "evaluations": [rounded(e) for e in result.evaluations],
        **cpu(),
    }))


def cpu() -> dict:
    """The processor the figures were measured on: bf16 pays off only where AVX512-BF16 exists."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {"cpu_count": os.cpu_count()}
    model = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "")
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    return {"cpu_count": os.cpu_count(), "cpu": model,
            "cpu_features": [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_bf16") if f in flags]}
