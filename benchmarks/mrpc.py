"""MRPC benchmark: run recipes/mrpc.yaml end to end and print one JSON line.

    .venv/bin/python benchmarks/mrpc.py [--config recipes/mrpc.yaml] [extra recipe flags...]

Target (issue 2): accuracy >= 0.82 and F1 >= 0.87 on MRPC dev in <= 15 minutes on 2 CPU cores.
"""

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


def main(argv: list[str]) -> None:
    from kerastx.cli import run_cli
    from kerastx.recipes.text_classification import RECIPE

    os.chdir(ROOT)  # the config's data paths are relative to the repository
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        args = ["--config", "recipes/mrpc.yaml", "--output_dir", f"{scratch}/run", "--overwrite_output_dir", *argv]
        result = run_cli(RECIPE, args)
    print(json.dumps({
        "benchmark": "mrpc",
        "args": argv,
        "accuracy": round(result.metrics["val_accuracy"], 4),
        "f1": round(result.metrics["val_f1"], 4),
        "train_samples_per_second": round(result.train_samples_per_second, 1),
        "wall_minutes": round((time.perf_counter() - started) / 60, 2),
        "evaluations": [{k: round(v, 4) if isinstance(v, float) else v for k, v in e.items()} for e in result.evaluations],
        "cpu_count": os.cpu_count(),
    }))


if __name__ == "__main__":
    main(sys.argv[1:])
