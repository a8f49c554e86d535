"""tpu/colab.ipynb runs top to bottom on CPU with its tiny test config, so it cannot rot: tokenizer, shards,
training through tpu/train.py (which says there is no TPU), results."""

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.trains, pytest.mark.spawns]

ROOT = Path(__file__).resolve().parent.parent


def cell_text(cell) -> str:
    return "".join(output.get("text", "") for output in cell.get("outputs", []))


def test_notebook_runs_on_cpu_with_its_test_config(shared_data, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install -e '.[test]')")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (pip install -e '.[test]')")
    monkeypatch.setenv("KERASTX_NOTEBOOK_TEST", "1")
    monkeypatch.setenv("KERASTX_NOTEBOOK_WORK", str(tmp_path))
    monkeypatch.setenv("KERASTX_NOTEBOOK_CORPUS", str(shared_data("imdb") / "aclImdb" / "train" / "pos"))
    monkeypatch.setenv("KERASTX_NOTEBOOK_VALIDATION", str(shared_data("imdb") / "aclImdb" / "train" / "neg"))
    notebook = nbformat.read(ROOT / "tpu" / "colab.ipynb", as_version=4)
    nbclient.NotebookClient(notebook, timeout=240, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "tpu")}}).execute()
    printed = "\n".join(cell_text(cell) for cell in notebook.cells)
    assert "[tpu] no TPU found (" in printed and "training on CPU/GPU instead" in printed
    assert "[tokenizer] 1000 tokens (bert, wordpiece) from 200 documents" in printed
    index = json.loads((tmp_path / "shards" / "index.json").read_text())
    assert index["sequence_length"] == 64 and index["vocab_size"] == 1000
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["final"]["val_perplexity"] > 1
