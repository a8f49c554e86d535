"""The checks every recipe passes, so that a recipe's own test file holds only what is task-specific.

    result = token_classification.main(as_flags(options))          # a short real run on a real slice
    check_run_directory(token_classification.RECIPE, result)       # what the run directory holds
    lines = check_predict(result.output_dir, ["EU rejects German call ."], capsys)
    check_bad_inputs(token_classification.main, options, tmp_path, capsys, [(edit, message), ...])
"""

from __future__ import annotations

import json

import pytest
import yaml

from kerastx.recipes.registry import RECIPES, load_predictor
from tests_helpers import as_flags, one_line_error


def check_run_directory(recipe, result) -> dict:
    """The run directory holds the model, its tokenizer, the resolved config, every evaluation with the best
    one by the main metric's direction, the model card, the curves and TensorBoard logs; nothing half-written.
    Returns metrics.json."""
    out = result.output_dir
    assert RECIPES[recipe.name] is recipe
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["recipe"] == recipe.name
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["final"] == pytest.approx(result.metrics)
    main = f"val_{recipe.main_metric}"
    assert main in metrics["final"] and main in metrics["directions"]
    best = metrics["best"]
    scored = [e[main] for e in metrics["evaluations"]]
    assert best["metric"] == main and best["value"] == (max(scored) if best["mode"] == "max" else min(scored))
    assert [e["epoch"] for e in metrics["evaluations"]] == sorted(e["epoch"] for e in metrics["evaluations"])
    card = (out / "README.md").read_text()
    assert recipe.title in card and f'pipeline("{recipe.pipeline_task}"' in card and main in card
    assert f"Best {main}" in card
    assert (out / "training_curves.png").read_bytes().startswith(b"\x89PNG")
    assert list((out / "logs").rglob("events.out.tfevents.*"))
    assert (out / "tf_model.h5").is_file() and (out / "tokenizer_config.json").is_file()
    assert not list(out.parent.glob(f".{out.name}.partial*"))
    return metrics


def check_predict(out, lines: list[str], capsys) -> list[str]:
    """``python -m kerastx.predict`` (in process) prints one line per input, the same lines as the predictor
    loaded from the run directory; returns them."""
    from kerastx.predict import main as predict_main

    predictor = load_predictor(out)
    expected = [predictor.format(result) for result in predictor([predictor.parse(line) for line in lines])]
    capsys.readouterr()
    predict_main([str(out), *lines])
    printed = capsys.readouterr().out.splitlines()
    assert printed == expected
    return printed


def check_bad_inputs(main, options: dict, tmp_path, capsys, cases) -> None:
    """Each ``(edit, message)``: ``edit(options, tmp_path)`` gives options that fail with a one-line error
    containing ``message``, exit status 2, and no run directory."""
    for edit, message in cases:
        out = tmp_path / "bad-run"
        error = one_line_error(main, as_flags({**edit(dict(options), tmp_path), "output_dir": out}), capsys)
        assert message in error, error
        assert not out.exists() and not list(tmp_path.glob(".bad-run.partial*"))


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path
