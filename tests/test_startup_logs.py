"""An entry point's first lines are its own: TensorFlow's and transformers' start-up noise is hidden, and
``--verbose`` shows it. Subprocesses, because the noise is printed once, when TensorFlow loads."""

import subprocess
import sys

import pytest

from kerastx.compat.quiet_logs import TRANSFORMERS_DEPRECATION
from kerastx.startup_logs import TENSORFLOW_NOISE
from tests_helpers import TINY_TRAINING, as_flags, mrpc_files

pytestmark = [pytest.mark.trains, pytest.mark.spawns]


def run_tiny_recipe(tmp_path, shared_data, *extra: str) -> subprocess.CompletedProcess:
    options = {**mrpc_files(shared_data("mrpc"), tmp_path, train_rows=32, dev_rows=16), **TINY_TRAINING,
               "max_steps": 1, "precision": "fp32", "output_dir": tmp_path / "out"}
    return subprocess.run([sys.executable, "-m", "kerastx.recipes.text_classification", *as_flags(options), *extra],
                          capture_output=True, text=True, check=True)


def noise_in(stderr: str) -> list[str]:
    known = (*TENSORFLOW_NOISE, TRANSFORMERS_DEPRECATION)
    return [line for line in stderr.splitlines() if any(text in line for text in known)]


def test_a_run_starts_with_its_own_line_and_no_start_up_noise(tmp_path, shared_data):
    run = run_tiny_recipe(tmp_path, shared_data)
    first, second = run.stdout.splitlines()[:2]  # the data is read and checked before TensorFlow loads
    assert first.startswith("[data] ") and second.startswith("[setup] ")
    assert noise_in(run.stderr) == []


def test_verbose_shows_tensorflow_and_transformers_start_up_logs(tmp_path, shared_data):
    noise = noise_in(run_tiny_recipe(tmp_path, shared_data, "--verbose").stderr)
    assert any(TRANSFORMERS_DEPRECATION in line for line in noise)
    assert any(text in line for line in noise for text in TENSORFLOW_NOISE), noise
