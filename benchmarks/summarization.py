"""Summarization benchmark: BBC News Summary from scratch (recipes/summarization_bbc.yaml), ROUGE of
the model's summaries beside the lead-3 baseline on the same held-out articles. Prints one JSON line.

    .venv/bin/python benchmarks/summarization.py [--keep runs/bbc] [extra recipe flags...]

Target (issue 3): beat lead-3 on ROUGE-L.
"""

from __future__ import annotations

import sys

from common import report, run_config


def main(argv: list[str]) -> None:
    from kerastx.recipes.summarization import RECIPE

    result, minutes = run_config(RECIPE, "recipes/summarization_bbc.yaml", argv)
    report("summarization_bbc", argv, result, minutes, **{k.removeprefix("val_"): v for k, v in result.metrics.items()},
           **result.baselines)


if __name__ == "__main__":
    main(sys.argv[1:])
