"""The first-hour benchmark: time `make demo` as a user runs it (after installation) and print one JSON
line: wall minutes, BLEU before and after training, the precision `auto` chose, the CPU's features, and
the demo's five translations.

    .venv/bin/python benchmarks/demo.py
    ONEDNN_MAX_CPU_ISA=AVX2 .venv/bin/python benchmarks/demo.py   # what a CPU without AVX-512 gets

Target (issue 11): <= 6 minutes on 2 cores with or without AVX-512, BLEU >= 15 on held-out strings.
``ONEDNN_MAX_CPU_ISA=AVX2`` keeps oneDNN (TensorFlow's CPU kernels) to AVX2 on a CPU that has more, and
``precision: auto`` then picks float32, as it does on an AVX2-only CPU.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import yaml

from common import ROOT, cpu

DEMO_RUN = ROOT / "runs" / "demo"


def main() -> None:
    started = time.perf_counter()
    done = subprocess.run(["make", "-s", "demo"], cwd=ROOT, capture_output=True, text=True)
    minutes = (time.perf_counter() - started) / 60
    if done.returncode != 0:
        sys.exit(f"make demo failed ({done.returncode}):\n{done.stderr[-2000:]}")
    metrics = json.loads((DEMO_RUN / "metrics.json").read_text())
    runtime = yaml.safe_load((DEMO_RUN / "config.yaml").read_text())["runtime"]
    before, after = metrics["evaluations"][0], metrics["final"]
    translations = done.stdout.strip().splitlines()[-5:]  # kerastx.predict's answers end the output
    print(json.dumps({
        "benchmark": "demo", "wall_minutes": round(minutes, 2),
        "bleu_before": round(before["val_bleu"], 2), "bleu_after": round(after["val_bleu"], 2),
        "chrf_after": round(after["val_chrf"], 2), "precision": runtime["precision"],
        "precision_reason": runtime["precision_reason"], "fit_seconds": round(metrics["fit_seconds"], 1),
        "translations": translations, "ONEDNN_MAX_CPU_ISA": os.environ.get("ONEDNN_MAX_CPU_ISA"), **cpu()},
        ensure_ascii=False))


if __name__ == "__main__":
    main()
