"""The checks every recipe passes, so that a recipe's own test file holds only what is task-specific.

    result = token_classification.main(as_flags(options))          # a short real run on a real slice
    check_run_directory(token_classification.RECIPE, result)       # what the run directory holds
    lines = check_predict(result.output_dir, ["EU rejects German call .", "Peter Blackburn"], capsys)
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
    assert recipe.title in card and 'kerastx.load_predictor("' in card and f"Best {main}" in card
    assert (f'pipeline("{recipe.pipeline_task}"' in card) == (recipe.pipeline_task is not None)
    check_model_card_metadata(out / "README.md", recipe, metrics["final"])
    assert (out / "training_curves.png").read_bytes().startswith(b"\x89PNG")
    assert list((out / "logs").rglob("events.out.tfevents.*"))
    assert (out / "tf_model.h5").is_file() and (out / "tokenizer_config.json").is_file()
    assert not list(out.parent.glob(f".{out.name}.partial*"))
    return metrics


def check_model_card_metadata(card_file, recipe, final: dict):
    """huggingface_hub reads the card back: library transformers, the recipe's pipeline tag, and every final
    metric in its model-index; returns the card's metadata."""
    from huggingface_hub import ModelCard

    data = ModelCard.load(card_file).data
    assert data.library_name == "transformers" and data.pipeline_tag == recipe.pipeline_task
    measured = {name: value for name, value in final.items() if isinstance(value, float)}
    reported = {result.metric_name: result.metric_value for result in data.eval_results}
    assert reported == pytest.approx(measured, abs=1e-4)
    return data


def check_predict(out, lines: list[str], capsys) -> list[str]:
    """``python -m kerastx.predict`` (in process), given the first input as an argument and the others in a
    ``--file``, prints the same lines, in the same order, as the predictor loaded from the run directory;
    returns them."""
    from kerastx.predict import main as predict_main

    predictor = load_predictor(out)
    expected = [predictor.format(result) for result in predictor([predictor.parse(line) for line in lines])]
    inputs = write(out.parent / f"{out.name}-inputs.txt", "".join(f"{line}\n\n" for line in lines[1:]))  # blank lines skipped
    capsys.readouterr()
    predict_main([str(out), lines[0], "--file", str(inputs)])
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


def check_export(run_dir, output, flags=(), show=False) -> tuple:
    """Export ``run_dir`` with ``kerastx export`` into ``output`` and check what every export must be: TF Serving's
    layout (``<output>/<name>/1``), each signature of serving.json checked in a fresh process (unless ``flags`` has
    --no_verify: the caller compares on real data itself), each unsupported one named with its reason, and with
    ``show`` every signature listed by ``saved_model_cli show`` with ``serving_default``. Returns ``(version folder,
    serving.json, what the command printed)``."""
    import contextlib
    import io
    import subprocess
    import sys
    from pathlib import Path

    from kerastx.__main__ import main as kerastx_main

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        kerastx_main(["export", str(run_dir), "--output", str(output), *flags])
    version = Path(output) / Path(run_dir).name / "1"
    serving = json.loads((version / "assets.extra/serving.json").read_text(encoding="utf-8"))
    assert (version / "saved_model.pb").is_file() and (version / "variables").is_dir()
    if "--no_verify" not in flags:
        for name in serving["signatures"]:
            assert f"[export] checked in a fresh TensorFlow process: {name}." in printed.getvalue(), printed.getvalue()
    for name, reason in serving["unsupported"].items():
        assert f"[export] {name}: not exported: {reason}" in printed.getvalue()
    if show:
        cli = Path(sys.executable).with_name("saved_model_cli")
        shown = subprocess.run([str(cli), "show", "--dir", str(version), "--tag_set", "serve"], capture_output=True,
                               text=True, check=True).stdout
        for name in [*serving["signatures"], "serving_default"]:
            assert f'SignatureDef key: "{name}"' in shown, shown
    return version, serving, printed.getvalue()


def served_entities(served) -> list[list[dict]]:
    """The padded entity outputs of a token classifier's predict_text, as EntityPredictor's lists of dicts."""
    return [[{"entity_group": served["entity_group"][row][i], "word": served["entity_word"][row][i],
              "start": int(served["entity_start"][row][i]), "end": int(served["entity_end"][row][i]),
              "score": float(served["entity_score"][row][i])} for i in range(count)]
            for row, count in enumerate(served["entity_count"])]
