"""MRPC benchmark: run recipes/mrpc.yaml end to end and print one JSON line.

    .venv/bin/python benchmarks/mrpc.py [extra recipe flags...]

Target (issue 2): accuracy >= 0.82 and F1 >= 0.87 on MRPC dev in <= 15 minutes on 2 CPU cores.
"""

from __future__ import annotations

import sys

from common import report, run_config


def main(argv: list[str]) -> None:
    from kerastx.recipes.text_classification import RECIPE

    result, minutes = run_config(RECIPE, "recipes/mrpc.yaml", argv)
    report("mrpc", argv, result, minutes, accuracy=result.metrics["val_accuracy"], f1=result.metrics["val_f1"])


if __name__ == "__main__":
    main(sys.argv[1:])
