"""Translation benchmark: English->French on Tatoeba from scratch (recipes/translation_tatoeba.yaml),
BLEU and chrF on a fixed sample of 1,000 held-out English sentences, each scored against all of its
French translations. Prints one JSON line.

    .venv/bin/python benchmarks/translation.py [--keep runs/tatoeba] [extra recipe flags...]

Target (issue 3): BLEU >= 25 in <= 30 minutes on 2 CPU cores.
"""

from __future__ import annotations

import sys

from common import report, run_config


def main(argv: list[str]) -> None:
    from kerastx.recipes.translation import RECIPE

    result, minutes = run_config(RECIPE, "recipes/translation_tatoeba.yaml", argv)
    before = result.evaluations[0]
    report("translation_tatoeba", argv, result, minutes, bleu=result.metrics["val_bleu"],
           chrf=result.metrics["val_chrf"], bleu_before_training=before["val_bleu"])


if __name__ == "__main__":
    main(sys.argv[1:])
