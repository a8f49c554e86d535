"""The recipe registry: every recipe by name, each with its console script, a light --help, and a scratch
architecture check that fails before anything loads."""

import subprocess
import sys
import tomllib
from functools import partial
from pathlib import Path

import pytest

from kerastx.cli import run_cli
from kerastx.errors import KerastxError
from kerastx.recipes.registry import RECIPES, get_recipe
from tests_helpers import one_line_error

ROOT = Path(__file__).resolve().parent.parent


def test_every_recipe_has_its_console_script_and_predict_has_one():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    expected = {recipe.command: f"kerastx.recipes.{name}:main" for name, recipe in RECIPES.items()}
    assert {k: v for k, v in scripts.items() if k not in ("kerastx-predict", "kerastx")} == expected
    assert scripts["kerastx-predict"] == "kerastx.predict:main"
    assert scripts["kerastx"] == "kerastx.__main__:main"  # kerastx export / kerastx predict
    assert set(RECIPES) == {"text_classification", "token_classification", "question_answering", "translation",
                            "summarization", "extractive_summarization", "masked_lm", "causal_lm"}


@pytest.mark.spawns
def test_importing_every_recipe_and_predict_does_not_load_tensorflow():
    code = ("import sys, kerastx.recipes.registry, kerastx.predict, kerastx.export_cli;"
            "assert 'tensorflow' not in sys.modules, 'tensorflow imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_an_unknown_recipe_name_lists_the_recipes():
    with pytest.raises(KerastxError, match="unknown recipe 'ner' \\(recipes: text_classification, "):
        get_recipe("ner")


@pytest.mark.parametrize("name, model", [("text_classification", "scratch:t5-tiny"),
                                         ("token_classification", "scratch:marian-mini"),
                                         ("question_answering", "scratch:bart-tiny"),
                                         ("translation", "scratch:bert-tiny"),
                                         ("summarization", "scratch:bert-mini")])
def test_a_scratch_architecture_that_does_not_fit_the_task_fails_before_loading(name, model, tmp_path, capsys):
    recipe = RECIPES[name]
    error = one_line_error(partial(run_cli, recipe), ["--train_file", str(tmp_path / "absent.jsonl"), "--model", model,
                                         "--output_dir", str(tmp_path / "out")], capsys)
    assert f"model '{model}'" in error and name.replace("_", " ") in error
    assert "absent.jsonl" not in error  # nothing was read
