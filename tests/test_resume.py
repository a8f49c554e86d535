"""A run survives a kill: killed (SIGKILL) at a random moment, stopped by SIGTERM, or killed inside a checkpoint's
write, the same command finishes it with the weights and metrics of a run never interrupted."""

import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from tests_helpers import ANY_MACHINE, MRPC_COLUMNS, as_flags, one_line_error

ROOT = Path(__file__).resolve().parent.parent
TOTAL_STEPS = 50  # 2 epochs of 25 batches of 8


@pytest.fixture(scope="module")
def options(shared_data, tmp_path_factory) -> dict:
    """A scratch BERT on 200 real MRPC pairs, checkpointing every 4 steps and evaluating every 7, so that kills
    land between checkpoints, between evaluations and across the epoch boundary. The tokenizer is trained once
    here and given, so that no process spends time training one (each would train the same one)."""
    from tests_helpers import mrpc_files, tokenized_mrpc

    mrpc_dir = shared_data("mrpc")
    folder = tmp_path_factory.mktemp("resume-data")
    tokenizer, _, _ = tokenized_mrpc(mrpc_dir, 200, vocab_size=600)
    tokenizer.save_pretrained(folder / "tokenizer")
    return {**mrpc_files(mrpc_dir, folder, train_rows=200, dev_rows=60), "model": "scratch:bert-tiny",
            "tokenizer": str(folder / "tokenizer"), "batch_size": 8, "max_length": 64, "learning_rate": 1e-3,
            "weight_decay": 0.01,  # transformers' AdamWeightDecay, a legacy Keras optimizer
            "epochs": 2, "checkpoint_every_steps": 4, "eval_every_steps": 7, **ANY_MACHINE}


def run(how: str, amount, options: dict, out: Path) -> subprocess.CompletedProcess:
    """The text classification recipe in a new process, interrupted as tests/interrupted_run.py says."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    argv = as_flags({**options, "output_dir": out})
    return subprocess.run([sys.executable, str(ROOT / "tests" / "interrupted_run.py"), how, str(amount), "--", *argv],
                          capture_output=True, text=True, env=env, timeout=600)


def uninterrupted_run(options, folder: Path) -> Path:
    out = folder / "run"
    finished = run("none", 0, options, out)
    assert finished.returncode == 0, finished.stderr[-2000:]
    return out


@pytest.fixture(scope="module")
def reference(options, tmp_path_factory) -> Path:
    return uninterrupted_run(options, tmp_path_factory.mktemp("reference"))


@pytest.fixture(scope="module")
def mirrored_reference(options, tmp_path_factory) -> Path:
    """Under MirroredStrategy AdamWeightDecay's sums come out in another order than on one device: runs under it
    equal each other bitwise, not the one-device run."""
    return uninterrupted_run({**options, "strategy": "mirrored"}, tmp_path_factory.mktemp("mirrored-reference"))


def weights(run_dir: Path) -> dict[str, np.ndarray]:
    found = {}
    with h5py.File(run_dir / "tf_model.h5") as file:
        file.visititems(lambda name, item: found.__setitem__(name, item[()]) if isinstance(item, h5py.Dataset) else None)
    return found


def assert_same_run(resumed: Path, reference: Path) -> None:
    """Bitwise the same weights, the same evaluations at the same steps, the same epoch losses (to float
    rounding: a resumed epoch's mean is summed in two parts)."""
    expected, got = weights(reference), weights(resumed)
    assert expected.keys() == got.keys()
    assert all(np.array_equal(expected[name], got[name]) for name in expected)
    expected_metrics, got_metrics = (json.loads((d / "metrics.json").read_text()) for d in (reference, resumed))
    assert got_metrics["evaluations"] == expected_metrics["evaluations"]
    assert got_metrics["evaluations"][-1]["step"] == TOTAL_STEPS
    assert got_metrics["train_loss"] == pytest.approx(expected_metrics["train_loss"], rel=1e-6)
    assert not (resumed / "checkpoints").exists() and not list(resumed.parent.glob(f".{resumed.name}.partial*"))


def resumed_step(finished: subprocess.CompletedProcess) -> int:
    assert finished.returncode == 0, finished.stderr[-2000:]
    return int(re.search(r"\[resume\] from the checkpoint of step (\d+)", finished.stdout).group(1))


@pytest.mark.parametrize("seed, strategy", [(3, "one_device"), (7, "one_device"), (11, "mirrored")])
def test_a_run_killed_at_a_random_moment_finishes_as_if_never_interrupted(options, request, tmp_path, seed,
                                                                           strategy):
    reference = request.getfixturevalue("mirrored_reference" if strategy == "mirrored" else "reference")
    out = tmp_path / "run"
    options = {**options, "strategy": strategy}
    killed = run("kill", round(random.Random(seed).uniform(0.0, 1.5), 2), options, out)
    assert killed.returncode == -9  # SIGKILL: nothing of ours ran after it
    assert not out.exists()
    step = resumed_step(run("none", 0, options, out))
    assert 4 <= step < TOTAL_STEPS and step % 4 == 0 or step == 25  # every 4 steps, and the epoch's end
    assert_same_run(out, reference)


def test_sigterm_checkpoints_and_exits_143_and_the_same_command_finishes(options, reference, tmp_path, capsys):
    from kerastx.recipes import text_classification

    out = tmp_path / "run"
    stopped = run("term", 0.6, options, out)
    assert stopped.returncode == 143
    message = stopped.stderr.strip().splitlines()[-1]
    step = int(re.search(r"stopped by SIGTERM at step (\d+): checkpoint saved in (\S+); run the same command again "
                         r"to continue", message).group(1))
    staging = tmp_path / ".run.partial"
    assert (staging / "checkpoints" / f"step-{step}.index").is_file() and not out.exists()

    error = one_line_error(text_classification.main, as_flags({**options, "output_dir": out, "learning_rate": 3e-3}),
                           capsys)
    assert "has an interrupted run" in error and "learning_rate '0.003' (was '0.001')" in error and "--no-resume" in error

    assert resumed_step(run("none", 0, options, out)) == step
    assert_same_run(out, reference)


def test_a_kill_inside_a_checkpoint_write_leaves_the_previous_checkpoint_to_resume_from(options, reference, tmp_path):
    out = tmp_path / "run"
    killed = run("kill-in-save", 2, options, out)  # the second checkpoint's files are written, not yet recorded
    assert killed.returncode == -9
    checkpoints = tmp_path / ".run.partial" / "checkpoints"
    assert 'model_checkpoint_path: "step-4"' in (checkpoints / "checkpoint").read_text()
    assert (checkpoints / "step-8.index").is_file()  # written, but not the latest
    assert resumed_step(run("none", 0, options, out)) == 4
    assert_same_run(out, reference)
