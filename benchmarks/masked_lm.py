"""Masked-LM benchmark: recipes/masked_lm_imdb.yaml with the packaged MiniLM adapted to IMDB reviews, then the
same architecture and vocabulary trained from scratch with the same budget; one JSON line with both.

    .venv/bin/python benchmarks/masked_lm.py [extra recipe flags...]

Target (issue 13): validation perplexity <= 20 after a 30-minute budget on 2 CPU cores (the course's
DistilBERT, same WordPiece vocabulary: 21.75 before adaptation, 11.32 after).
"""

from __future__ import annotations

import sys

from common import report, run_config


def main(argv: list[str]) -> None:
    from kerastx.recipes.masked_lm import RECIPE

    adapted, minutes = run_config(RECIPE, "recipes/masked_lm_imdb.yaml", argv)
    print(f"[bench] adapted: perplexity {adapted.metrics['val_perplexity']:.2f} ({minutes:.1f} min)", flush=True)
    scratch, scratch_minutes = run_config(RECIPE, "recipes/masked_lm_imdb.yaml", [*argv, "--from_scratch"])
    report("masked_lm_imdb", argv, adapted, minutes, perplexity_before=adapted.evaluations[0]["val_perplexity"],
           perplexity=adapted.metrics["val_perplexity"],
           from_scratch_perplexity=scratch.metrics["val_perplexity"],
           from_scratch_evaluations=[{k: round(v, 4) for k, v in e.items()} for e in scratch.evaluations],
           from_scratch_wall_minutes=round(scratch_minutes, 2))


if __name__ == "__main__":
    main(sys.argv[1:])
