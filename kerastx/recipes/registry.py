"""Every recipe by name, and what a finished run directory needs to predict again.

Recipe modules are light (their TensorFlow imports sit inside functions), so importing them all here
costs nothing at ``--help`` time.
"""

from __future__ import annotations

from pathlib import Path

from kerastx.errors import KerastxError
from kerastx.recipes import (extractive_summarization, question_answering, summarization, text_classification,
                             token_classification, translation)
from kerastx.recipes.base import Recipe

RECIPES: dict[str, Recipe] = {module.RECIPE.name: module.RECIPE for module in (
    text_classification, token_classification, question_answering, translation, summarization,
    extractive_summarization)}


def get_recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise KerastxError(f"unknown recipe '{name}' (recipes: {', '.join(RECIPES)})")
    return RECIPES[name]


def load_run(run_dir: str | Path):
    """``(recipe, config)`` of a finished run directory, from its ``config.yaml``."""
    import yaml

    from kerastx.config import parse_saved_config

    config_file = Path(run_dir) / "config.yaml"
    if not config_file.is_file():
        raise KerastxError(f"{run_dir}: not a kerastx run directory (no config.yaml)")
    saved = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    recipe = get_recipe(saved.get("recipe", ""))
    return recipe, parse_saved_config(recipe.config_class, saved)


def load_predictor(run_dir: str | Path):
    """The predictor of a finished run: ``load_predictor("runs/mrpc")([("a", "b")])``."""
    from kerastx.models.resolve import load_trained

    recipe, config = load_run(run_dir)
    tokenizer, model = load_trained(run_dir, recipe.model_class)
    return recipe.predictor(config, model, tokenizer)
