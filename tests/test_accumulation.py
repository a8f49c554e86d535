"""--gradient_accumulation_steps: K micro-batches make the update that one batch of all their rows makes (a tiny
BERT classifier on real MRPC pairs: the same to 1e-5 in fp32, on one device and mirrored on two CPU replicas,
within a stated tolerance under mixed precision), and it counts as one optimizer step; through a recipe, every
step the run counts is an update."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from accumulation_update import mrpc_batch, relative_difference, update
from kerastx.recipes import text_classification
from tests_helpers import TINY_TRAINING, as_flags, mrpc_files

pytestmark = pytest.mark.trains

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def batch(shared_data):
    return mrpc_batch(shared_data("mrpc"))


@pytest.fixture(scope="module")
def one_batch(batch):
    return update(*batch, accumulate=1)


@pytest.mark.parametrize("jit_compile", [False, True], ids=["graph", "xla"])
def test_four_micro_batches_of_8_update_as_one_batch_of_32_and_count_as_one_step(batch, one_batch, jit_compile):
    expected, iterations = one_batch
    changes, accumulated_iterations = update(*batch, accumulate=4, jit_compile=jit_compile)
    assert iterations == accumulated_iterations == 1  # one optimizer step: the schedule counts updates
    # measured 6.6e-7, under XLA 7.6e-7 (a sum of the micro-batch gradients without the 1/4 would be 3.0)
    assert relative_difference(changes, expected) < 1e-5


def test_rows_known_only_at_run_time_are_cut_evenly_and_weighed_by_their_rows(batch):
    tokenizer, rows = batch
    partial = {name: values[:30] for name, values in rows.items()}  # micro-batches of 7, 8, 7 and 8 rows
    expected, _ = update(tokenizer, partial, accumulate=1, known_rows=False)
    changes, _ = update(tokenizer, partial, accumulate=4, known_rows=False)
    assert relative_difference(changes, expected) < 1e-5  # measured 6.1e-7


# Micro-batches of 8 round differently from a batch of 32 in 16-bit compute; measured 4.1e-3 (bfloat16: 8 bits of
# mantissa) and 7.1e-4 (float16, whose loss scaling applies to each micro-batch's backward pass).
@pytest.mark.parametrize("precision, tolerance", [("mixed_bfloat16", 2e-2), ("mixed_float16", 5e-3)])
def test_under_mixed_precision_the_update_is_the_one_batch_update_within_its_rounding(batch, precision, tolerance):
    expected, _ = update(*batch, accumulate=1, precision=precision)
    changes, iterations = update(*batch, accumulate=4, precision=precision)
    assert iterations == 1
    assert relative_difference(changes, expected) < tolerance


@pytest.mark.spawns
def test_mirrored_on_two_cpu_replicas_each_accumulates_its_half_and_the_update_is_the_same(shared_data):
    finished = subprocess.run([sys.executable, str(ROOT / "tests" / "accumulation_update.py"),
                               str(shared_data("mrpc"))], capture_output=True, text=True, timeout=300,
                              env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'tests'}"})
    assert finished.returncode == 0, finished.stderr[-2000:]
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    assert result["iterations"] == 1
    assert result["relative_difference"] < 1e-5  # measured 6.5e-7


def test_a_recipe_run_counts_updates(shared_data, tmp_path, capsys):
    options = {**mrpc_files(shared_data("mrpc"), tmp_path, train_rows=64, dev_rows=16), **TINY_TRAINING,
               "batch_size": 8, "gradient_accumulation_steps": 4, "epochs": 2, "output_dir": tmp_path / "run"}
    result = text_classification.main(as_flags(options))
    out = capsys.readouterr().out
    assert "OneDeviceStrategy, 1 replica x 8 = batch 8;" in out
    assert ("[train] 64 rows, reshuffled each epoch into 2 batches of 32; each update accumulates the gradients of "
            "4 micro-batches of 8") in out
    assert [entry["step"] for entry in result.evaluations] == [2, 4]  # two updates per epoch
    metrics = json.loads((result.output_dir / "metrics.json").read_text())
    assert len(metrics["train_loss"]) == 2
