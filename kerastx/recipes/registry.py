"""Every recipe by name, and what a finished run directory needs to predict again.

Recipe modules are light (their TensorFlow imports sit inside functions), so importing them all here
costs nothing at ``--help`` time.
"""

from __future__ import annotations

from pathlib import Path

from kerastx.errors import KerastxError
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


# What save_pretrained writes for a TF model: one weights file, or an index of shards.
WEIGHTS_FILES = ("tf_model.h5", "tf_model.h5.index.json", "model.safetensors", "model.safetensors.index.json")


def load_run(run_dir: str | Path):
    """``(recipe, config)`` of a finished run directory, from its ``config.yaml``. Anything else (a folder
    without config.yaml, a config.yaml kerastx did not write, a run without its model) is a one-line
    KerastxError saying which, found without loading TensorFlow."""
    from kerastx.config import parse_saved_config

    recipe, saved = read_run(run_dir)
    return recipe, parse_saved_config(recipe.config_class, saved)


def read_run(run_dir: str | Path):
    """``(recipe, saved config.yaml as a dict)`` of a finished run directory, checked as :func:`load_run` says."""
    from kerastx.config import SECTIONS, parse_yaml
    from kerastx.utf8 import read_utf8

    folder = Path(run_dir)
    if not folder.is_dir():
        raise KerastxError(f"{run_dir}: " + ("a file, not a run directory" if folder.exists() else "no such folder"))
    config_file = folder / "config.yaml"
    if not config_file.is_file():
        raise KerastxError(f"{run_dir}: not a kerastx run directory (no config.yaml)")
    saved = parse_yaml(read_utf8(config_file, KerastxError), str(config_file), KerastxError)
    not_written_by_a_run = f"{config_file}: not the config.yaml of a kerastx run"
    if not isinstance(saved, dict) or not isinstance(saved.get("recipe"), str):
        raise KerastxError(f"{not_written_by_a_run} (it has no 'recipe: <task>' line)")
    if saved["recipe"] not in RECIPES:
        raise KerastxError(f"{not_written_by_a_run}: unknown recipe {saved['recipe']!r} "
                           f"(recipes: {', '.join(RECIPES)})")
    malformed = next((s for s in SECTIONS if not isinstance(saved.get(s) or {}, dict)), None)
    if malformed:
        raise KerastxError(f"{not_written_by_a_run}: its '{malformed}' section is not a mapping of option: value")
    if not any((folder / name).is_file() for name in WEIGHTS_FILES):
        raise KerastxError(f"{run_dir}: no saved model ({WEIGHTS_FILES[0]}); the run did not finish, or its files "
                           "were moved: run the recipe again")
    return RECIPES[saved["recipe"]], saved


def load_predictor(run_dir: str | Path):
    """The predictor of a finished run: ``load_predictor("runs/mrpc")([("a", "b")])``."""
    from kerastx.models.resolve import load_trained

    recipe, config = load_run(run_dir)
    tokenizer, model = load_trained(run_dir, recipe.model_class)
    return recipe.predictor(config, model, tokenizer)
