"""MRPC benchmark: run recipes/mrpc.yaml end to end once per seed and print one JSON line with each seed's
dev accuracy and F1, their mean and spread.

    .venv/bin/python benchmarks/mrpc.py [--seeds 42,43,44] [extra recipe flags...]

Target (issue 21): mean dev accuracy over seeds 42, 43 and 44 >= 0.82 at the recipe's own precision. MRPC dev
has 408 pairs (one pair is 0.25 points), so a single seed says little.
"""

from __future__ import annotations

import statistics
import sys

from common import report, run_config


def main(argv: list[str]) -> None:
    from kerastx.recipes.text_classification import RECIPE

    seeds = [42, 43, 44]
    if argv[:1] == ["--seeds"]:
        seeds, argv = [int(s) for s in argv[1].split(",")], argv[2:]
    runs = [run_config(RECIPE, "recipes/mrpc.yaml", [*argv, "--seed", str(seed)]) for seed in seeds]
    results = [result for result, _ in runs]
    accuracies = [r.metrics["val_accuracy"] for r in results]
    f1s = [r.metrics["val_f1"] for r in results]
    report("mrpc", argv, results[-1], sum(minutes for _, minutes in runs),
           seeds=seeds, accuracy_per_seed=accuracies, f1_per_seed=f1s,
           accuracy_mean=statistics.mean(accuracies), accuracy_min=min(accuracies), accuracy_max=max(accuracies),
           f1_mean=statistics.mean(f1s),
           accuracy_per_evaluation_per_seed=[[round(e["val_accuracy"], 4) for e in r.evaluations if "val_accuracy" in e]
                                             for r in results],
           train_samples_per_second_per_seed=[round(r.train_samples_per_second, 1) for r in results])


if __name__ == "__main__":
    main(sys.argv[1:])
