"""Causal-LM benchmark: recipes/causal_lm_python.yaml (a scratch GPT-2 on the CPython standard library) and
``xz -9e`` on the same held-out validation files; one JSON line with both in bits per byte.

    .venv/bin/python benchmarks/causal_lm.py [extra recipe flags...]

Target (issue 13): validation bits per byte below xz -9e's within a 30-minute budget on 2 CPU cores.
"""

from __future__ import annotations

import lzma
import sys

from common import report, run_config


def xz_bits_per_byte(texts: list[str]) -> tuple[float, int]:
    """``xz -9e`` (LZMA2, preset 9 extreme) on the texts joined: compressed bits per input byte, and the bytes."""
    raw = "".join(texts).encode("utf-8")
    return 8 * len(lzma.compress(raw, format=lzma.FORMAT_XZ, preset=9 | lzma.PRESET_EXTREME)) / len(raw), len(raw)


def validation_texts(argv: list[str]) -> list[str]:
    """The held-out documents the run measures on, read as the recipe reads them (no TensorFlow)."""
    from kerastx.config import parse_config
    from kerastx.recipes.causal_lm import RECIPE
    from kerastx.training.preparation import load_task_splits

    config, _ = parse_config(RECIPE.config_class, ["--config", "recipes/causal_lm_python.yaml", *argv], "bench", "")
    data = RECIPE.data(config)
    splits = load_task_splits(RECIPE, config, data)
    return data.texts(splits.validation, splits.validation_source)


def main(argv: list[str]) -> None:
    from kerastx.recipes.causal_lm import RECIPE

    result, minutes = run_config(RECIPE, "recipes/causal_lm_python.yaml", argv)
    xz, validation_bytes = xz_bits_per_byte(validation_texts(argv))
    report("causal_lm_python", argv, result, minutes, bits_per_byte=result.metrics["val_bits_per_byte"],
           xz_bits_per_byte=xz, validation_bytes=validation_bytes, perplexity=result.metrics["val_perplexity"])


if __name__ == "__main__":
    main(sys.argv[1:])
