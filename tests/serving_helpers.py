"""Running a SavedModel signature in a fresh process that imports only TensorFlow (+ tensorflow_text)."""

from pathlib import Path

from kerastx.export.fresh_process import run_signatures


def run_in_fresh_process(saved_model: Path, signature: str, inputs: dict, text_ops: bool = False) -> dict:
    """The signature's outputs for ``inputs`` (name -> array-like), computed by a new Python process that loads
    ``saved_model`` with only tensorflow (and tensorflow_text when ``text_ops``) imported."""
    return run_signatures(saved_model, {signature: inputs}, text_ops)[signature]
