"""Running a SavedModel's signatures in a new Python process that imports only TensorFlow (and tensorflow_text for
in-graph tokenizers), the way a serving process sees the export."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from kerastx.errors import ExportError


def run_signatures(saved_model: str | Path, inputs: dict[str, dict], text_ops: bool = False) -> dict[str, dict]:
    """``{signature: {output: array}}`` for ``inputs`` (``{signature: {input: array-like}}``), computed by
    :mod:`kerastx.export.reload_check` in a fresh process.

    Example::

        run_signatures("export/mrpc/1", {"predict_text": {"text": ["a"], "text_pair": ["b"]}}, text_ops=True)
    """
    import numpy as np

    script = Path(__file__).with_name("reload_check.py")
    with tempfile.TemporaryDirectory(prefix="kerastx-reload-") as work:
        for signature, values in inputs.items():
            np.savez(Path(work) / f"{signature}.inputs.npz", **{name: np.asarray(value) for name, value in values.items()})
        command = [sys.executable, str(script), str(saved_model), work, *inputs] + (["--text-ops"] if text_ops else [])
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["(no message)"])[-1]
            raise ExportError(f"{saved_model}: reloading it in a fresh TensorFlow process failed: {last}")
        outputs = {}
        for signature in inputs:
            with np.load(Path(work) / f"{signature}.outputs.npz") as stored:
                outputs[signature] = {name: stored[name] for name in stored.files}
        return outputs
