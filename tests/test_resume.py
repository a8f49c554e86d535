"""A run survives a kill: killed (SIGKILL) at a step or at a random moment, stopped by SIGTERM, or killed inside a
checkpoint's write, the same command finishes it with the weights, optimizer step count, learning rates and
metrics of a run never interrupted, also when epochs end after the restart."""

import json
import os
import random
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import h5py
import numpy as np
import pytest

from tests_helpers import ANY_MACHINE, as_flags, mrpc_files, one_line_error

pytestmark = [pytest.mark.trains, pytest.mark.spawns]

ROOT = Path(__file__).resolve().parent.parent
STEPS_PER_EPOCH, EPOCHS = 4, 3
TOTAL_STEPS = STEPS_PER_EPOCH * EPOCHS
# Checkpoints at steps 6 and 12 and at each epoch's end (4, 8): a run stopped at step 7 resumes from step 6 or 7, in
# the middle of the second epoch, so that two epoch ends (and two fits) follow the restart; evaluations every 5
# steps and at epoch ends. Batches of one shape: the train step is traced once per process.
EVERY = {"epochs": EPOCHS, "batch_size": 8, "checkpoint_every_steps": 6, "eval_every_steps": 5, "static_shapes": True,
         **ANY_MACHINE}


@pytest.fixture(scope="module")
def cases(shared_data, tmp_path_factory) -> dict:
    """Per case: the recipe and options of a short real run (32 examples, 4 batches of 8 per epoch). ``minilm``
    fine-tunes the packaged MiniLM on MRPC pairs (validation loss, accuracy, F1); ``marian`` trains a scratch Marian
    on Tatoeba pairs and evaluates BLEU by XLA generation; ``bert`` is the cheapest run, a scratch 2-layer BERT on
    the MRPC pairs. Scratch models train their own tokenizer in each process (the same every time)."""
    folder = tmp_path_factory.mktemp("resume-data")
    pairs = (shared_data("en_fr/tatoeba") / "fra.txt").read_text(encoding="utf-8").splitlines(keepends=True)[
        6000:6048]
    (folder / "fra.txt").write_text("".join(pairs), encoding="utf-8")
    mrpc = mrpc_files(shared_data("mrpc"), folder, train_rows=32, dev_rows=16)
    return {
        "minilm": ("text_classification", {**mrpc, "model": "minilm", "max_length": 48, "learning_rate": 5e-5,
                                           "warmup_steps": 2, **EVERY}),
        "marian": ("translation", {"train_file": folder / "fra.txt", "validation_split": 1 / 3,
                                   "model": "scratch:marian-tiny", "vocab_size": 200, "max_length": 16,
                                   "max_target_length": 16, "learning_rate": 1e-3, "warmup_ratio": 0.25,
                                   "max_new_tokens": 8, **EVERY}),
        "bert": ("text_classification", {**mrpc, "model": "scratch:bert-tiny", "vocab_size": 300, "max_length": 48,
                                         "learning_rate": 1e-3, "warmup_steps": 2, **EVERY}),
    }


def run(case: tuple[str, dict], how: str, amount, out: Path, trace: Path, **more) -> subprocess.CompletedProcess:
    """The case's recipe in a new process (its options and ``more``), interrupted as tests/interrupted_run.py says,
    its steps traced into ``trace``."""
    recipe, options = case
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2", "KERASTX_RECIPE": recipe,
           "KERASTX_STEP_TRACE": str(trace)}
    argv = as_flags({**options, **more, "output_dir": out})
    return subprocess.run([sys.executable, str(ROOT / "tests" / "interrupted_run.py"), how, str(amount), "--", *argv],
                          capture_output=True, text=True, env=env, timeout=600)


# The uninterrupted runs the tests compare with, in the order the tests need them.
REFERENCES = [("marian", "mirrored"), ("minilm", "one_device"), ("bert", "one_device")]


@pytest.fixture(scope="module")
def reference(cases, tmp_path_factory):
    """``reference(case, strategy)``: the run directory and step trace of an uninterrupted run. They are made one
    after another in the background while the tests interrupt and resume their own runs (a run of these tiny
    models keeps about one core busy: two at once take the time of one)."""
    def uninterrupted(case: str, strategy: str):
        folder = tmp_path_factory.mktemp(f"reference-{case}-{strategy}")
        finished = run(cases[case], "none", 0, folder / "run", folder / "trace.jsonl", strategy=strategy)
        assert finished.returncode == 0, finished.stderr[-2000:]
        return folder / "run", folder / "trace.jsonl"

    with ThreadPoolExecutor(max_workers=1) as background:
        made = {key: background.submit(uninterrupted, *key) for key in REFERENCES}
        yield lambda case, strategy="one_device": made[case, strategy].result()
        background.shutdown(cancel_futures=True)  # those the selected tests did not ask for


def weights(run_dir: Path) -> dict[str, np.ndarray]:
    found = {}
    with h5py.File(run_dir / "tf_model.h5") as file:
        file.visititems(lambda name, item: found.__setitem__(name, item[()]) if isinstance(item, h5py.Dataset) else None)
    return found


def steps_traced(trace: Path) -> dict[int, dict]:
    """Each step's record; a step both the interrupted and the resumed process trained: the resumed one's."""
    return {record["step"]: record for record in map(json.loads, trace.read_text().splitlines())}


def assert_same_run(resumed: Path, trace: Path, reference: tuple[Path, Path]) -> None:
    """At every step the optimizer's step count and learning rate of the uninterrupted run; then bitwise the same
    weights, the same evaluations at the same steps, the same epoch losses (to float rounding: a resumed epoch's
    mean is summed in two parts)."""
    reference_dir, reference_trace = reference
    expected_steps, got_steps = steps_traced(reference_trace), steps_traced(trace)
    assert sorted(expected_steps) == list(range(1, TOTAL_STEPS + 1))
    assert all(expected_steps[step]["iterations"] == step for step in expected_steps)
    assert got_steps == expected_steps
    expected, got = weights(reference_dir), weights(resumed)
    assert expected.keys() == got.keys()
    assert all(np.array_equal(expected[name], got[name]) for name in expected)
    expected_metrics, got_metrics = (json.loads((d / "metrics.json").read_text()) for d in (reference_dir, resumed))
    assert got_metrics["evaluations"] == expected_metrics["evaluations"]
    assert got_metrics["evaluations"][-1]["step"] == TOTAL_STEPS
    assert got_metrics["train_loss"] == pytest.approx(expected_metrics["train_loss"], rel=1e-6)
    assert not (resumed / "checkpoints").exists() and not list(resumed.parent.glob(f".{resumed.name}.partial*"))


def resumed_step(finished: subprocess.CompletedProcess) -> int:
    assert finished.returncode == 0, finished.stderr[-2000:]
    return int(re.search(r"\[resume\] from the checkpoint of step (\d+)", finished.stdout).group(1))


# Under MirroredStrategy: the seq2seq run, whose evaluations generate under XLA (a MiniLM run writes 90 MB of weights,
# three times that with the optimizer's slots, at each checkpoint). One device: the pretrained MiniLM's resume is the
# SIGTERM test's, the scratch BERT's the random-kill and kill-in-save tests'.
def test_a_run_killed_in_its_second_epoch_finishes_as_if_never_interrupted(cases, reference, tmp_path):
    out, trace = tmp_path / "run", tmp_path / "trace.jsonl"
    killed = run(cases["marian"], "kill-at-step", 7, out, trace, strategy="mirrored")
    assert killed.returncode == -9  # SIGKILL: nothing of ours ran after it
    assert not out.exists()
    assert resumed_step(run(cases["marian"], "none", 0, out, trace, strategy="mirrored")) == 6  # epoch ends 8, 12 to go
    assert_same_run(out, trace, reference("marian", "mirrored"))


def test_sigterm_checkpoints_and_exits_143_and_the_same_command_finishes(cases, reference, tmp_path, capsys):
    from kerastx.recipes import text_classification

    out, trace = tmp_path / "run", tmp_path / "trace.jsonl"
    stopped = run(cases["minilm"], "term-at-step", 6, out, trace)  # seen at the next step's end
    assert stopped.returncode == 143
    message = stopped.stderr.strip().splitlines()[-1]
    assert re.search(r"stopped by SIGTERM at step 7: checkpoint saved in (\S+); run the same command again to "
                     r"continue", message), message
    staging = tmp_path / ".run.partial"
    assert (staging / "checkpoints" / "step-7.index").is_file() and not out.exists()

    options = {**cases["minilm"][1], "output_dir": out, "learning_rate": 3e-5}
    error = one_line_error(text_classification.main, as_flags(options), capsys)
    assert "has an interrupted run" in error and "learning_rate '3e-05' (was '5e-05')" in error and "--no-resume" in error

    assert resumed_step(run(cases["minilm"], "none", 0, out, trace)) == 7
    assert_same_run(out, trace, reference("minilm"))


def test_a_run_killed_at_a_random_moment_finishes_as_if_never_interrupted(cases, reference, tmp_path):
    out, trace = tmp_path / "run", tmp_path / "trace.jsonl"
    killed = run(cases["bert"], "kill", round(random.Random(3).uniform(0.0, 0.5), 2), out, trace)
    assert killed.returncode == -9
    step = resumed_step(run(cases["bert"], "none", 0, out, trace))
    assert step in (4, 6, 8)  # a checkpoint's step, and the run killed before its end
    assert_same_run(out, trace, reference("bert"))


def test_a_kill_inside_a_checkpoint_write_leaves_the_previous_checkpoint_to_resume_from(cases, reference, tmp_path):
    out, trace = tmp_path / "run", tmp_path / "trace.jsonl"
    killed = run(cases["bert"], "kill-in-save", 2, out, trace)  # step 6's files, not yet recorded
    assert killed.returncode == -9
    checkpoints = tmp_path / ".run.partial" / "checkpoints"
    assert 'model_checkpoint_path: "step-4"' in (checkpoints / "checkpoint").read_text()
    assert (checkpoints / "step-6.index").is_file()  # written, but not the latest
    assert resumed_step(run(cases["bert"], "none", 0, out, trace)) == 4
    assert_same_run(out, trace, reference("bert"))
