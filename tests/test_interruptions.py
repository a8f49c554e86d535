"""SIGTERM outside ``fit`` (reading the data, importing TensorFlow, building the model): the run ends at once with one
line saying what is left, exit status 143, and nothing written. (SIGTERM during ``fit`` checkpoints first:
tests/test_resume.py. During ``kerastx export``: tests/test_export.py.)"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_bad_input import CLASSES_CSV, TINY_BERT
from tests_helpers import as_flags

pytestmark = [pytest.mark.trains, pytest.mark.spawns]

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("moment", ["data", "tensorflow", "model"])
def test_sigterm_before_the_first_checkpoint_is_one_line_exit_143_and_leaves_nothing(moment, tmp_path):
    (tmp_path / "train.csv").write_text(CLASSES_CSV, encoding="utf-8")
    argv = as_flags({"train_file": tmp_path / "train.csv", **TINY_BERT, "epochs": 1, "output_dir": tmp_path / "out"})
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "interrupted_run.py"), "term-in", moment, "--", *argv],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 143, done.stderr[-2000:]
    assert done.stderr == ("python -m kerastx.recipes.text_classification: stopped by SIGTERM before the run's first "
                           "checkpoint; nothing was written\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.csv"]  # no out/, no hidden .out.partial
