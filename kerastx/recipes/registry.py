"""Every recipe by name, and what a finished run directory needs to predict again.

Recipe modules are light (their TensorFlow imports sit inside functions), so importing them all here
costs nothing at ``--help`` time.
"""

from __future__ import annotations

from pathlib import Path

from kerastx.errors import KerastxError
from kerastx.model_files import read_saved_run
from kerastx.recipes import (causal_lm, extractive_summarization, masked_lm, question_answering, summarization,
                             text_classification, token_classification, translation)
from kerastx.recipes.base import Recipe

RECIPES: dict[str, Recipe] = {module.RECIPE.name: module.RECIPE for module in (
    text_classification, token_classification, question_answering, translation, summarization,
    extractive_summarization, masked_lm, causal_lm)}


def get_recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise KerastxError(f"unknown recipe '{name}' (recipes: {', '.join(RECIPES)})")
    return RECIPES[name]


def load_run(run_dir: str | Path):
    """``(recipe, config)`` of a finished run directory, from its ``config.yaml``. Anything else (a folder
    without config.yaml, a config.yaml kerastx did not write, a run without its model) is a one-line
    KerastxError saying which, found without loading TensorFlow."""
    from kerastx.config import parse_saved_config

    recipe, saved = read_run(run_dir)
    return recipe, parse_saved_config(recipe.config_class, saved)


def read_run(run_dir: str | Path):
    """``(recipe, saved config.yaml as a dict)`` of a finished run directory, checked as :func:`load_run` says."""
    saved = read_saved_run(run_dir, known_recipes=RECIPES)
    return RECIPES[saved["recipe"]], saved


def load_predictor(run_dir: str | Path):
    """The predictor of a finished run: ``load_predictor("runs/mrpc")([("a", "b")])``."""
    from kerastx.models.resolve import load_trained

    recipe, config = load_run(run_dir)
    tokenizer, model = load_trained(run_dir, recipe.model_class)
    return recipe.predictor(config, model, tokenizer)
