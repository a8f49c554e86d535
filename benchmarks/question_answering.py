"""QA benchmark: run recipes/squad.yaml (packaged MiniLM, the local SQuAD articles split by article) and
print one JSON line with exact match and F1 on the held-out articles.

    .venv/bin/python benchmarks/question_answering.py [--keep runs/squad] [extra recipe flags...]

Target (issue 10): F1 >= 65 within 60 minutes on 2 CPU cores.
"""

from __future__ import annotations

import sys

from common import report, run_config


def main(argv: list[str]) -> None:
    from kerastx.recipes.question_answering import RECIPE

    result, minutes = run_config(RECIPE, "recipes/squad.yaml", argv)
    report("squad", argv, result, minutes, **{k.removeprefix("val_"): v for k, v in result.metrics.items()})


if __name__ == "__main__":
    main(sys.argv[1:])
