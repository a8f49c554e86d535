"""Summarization benchmark on BBC News Summary: ROUGE of the model's summaries beside the lead-3
baseline on the same held-out articles. Prints one JSON line.

    .venv/bin/python benchmarks/summarization.py [--keep runs/bbc] [extra recipe flags...]
    .venv/bin/python benchmarks/summarization.py --extractive [--keep runs/bbc_ext] [extra recipe flags...]

Abstractive (default): a Marian from scratch, recipes/summarization_bbc.yaml. Extractive: the packaged
MiniLM picking sentences, recipes/extractive_summarization_bbc.yaml.
Target (issue 3): beat lead-3 on ROUGE-L.
"""

from __future__ import annotations

import sys

from common import report, run_config


def main(argv: list[str]) -> None:
    if argv[:1] == ["--extractive"]:
        from kerastx.recipes.extractive_summarization import RECIPE

        name, config, argv = "extractive_summarization_bbc", "recipes/extractive_summarization_bbc.yaml", argv[1:]
    else:
        from kerastx.recipes.summarization import RECIPE

        name, config = "summarization_bbc", "recipes/summarization_bbc.yaml"
    result, minutes = run_config(RECIPE, config, argv)
    report(name, argv, result, minutes, **{k.removeprefix("val_"): v for k, v in result.metrics.items()},
           **result.baselines)


if __name__ == "__main__":
    main(sys.argv[1:])
