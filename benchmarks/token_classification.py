"""NER benchmark: run recipes/conll2003.yaml (packaged MiniLM, CoNLL-2003 train -> valid) and print one
JSON line with entity precision/recall/F1 overall and per type.

    .venv/bin/python benchmarks/token_classification.py [--keep runs/conll2003] [extra recipe flags...]

Target (issue 10): entity F1 >= 0.88 within 45 minutes on 2 CPU cores.
"""

from __future__ import annotations

import sys

from common import report, run_config


def main(argv: list[str]) -> None:
    from kerastx.recipes.token_classification import RECIPE

    result, minutes = run_config(RECIPE, "recipes/conll2003.yaml", argv)
    report("conll2003", argv, result, minutes, **{k.removeprefix("val_"): v for k, v in result.metrics.items()})


if __name__ == "__main__":
    main(sys.argv[1:])
