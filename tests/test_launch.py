"""`kerastx launch`: TF_CONFIG for each worker (local ports, or one machine of several), the workers' output behind
[wI], the chief's exit status, a dead worker stopping the others within the bound, on one line, and two local
workers training a tiny classifier with gradient accumulation, one of them killed and both launched again, as one
process does with the same batch per update."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kerastx.launch import host_addresses, local_addresses, main, tf_config
from tests_helpers import TINY_TRAINING, as_flags, mrpc_files, one_line_error

ROOT = Path(__file__).resolve().parent.parent


def launch(*argv, timeout=120, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kerastx", "launch", *argv], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env})


def test_each_worker_gets_the_cluster_and_its_own_index():
    addresses = local_addresses(3)
    assert len(set(addresses)) == 3 and all(a.startswith("127.0.0.1:") for a in addresses)
    config = json.loads(tf_config(addresses, 2))
    assert config == {"cluster": {"worker": addresses}, "task": {"type": "worker", "index": 2}}
    assert host_addresses("gpu1, gpu2:2222") == ["gpu1:12345", "gpu2:2222"]


@pytest.mark.parametrize("argv, message", [
    (["--workers", "2"], "give the command each worker runs after --"),
    (["--workers", "0", "--", "python"], "--workers must be 1 or more, got 0"),
    (["--workers", "2", "--index", "1", "--", "python"], "--index and --print go with --hosts"),
    (["--hosts", "a,b", "--", "python"], "give --print (each machine's command) or --index I"),
    (["--hosts", "a,b", "--index", "2", "--", "python"], "--index 2 is not one of the 2 hosts (0 to 1)"),
    (["--hosts", "a:x", "--print", "--", "python"], "--hosts: 'a:x' is not HOST or HOST:PORT"),
    (["--hosts", "a,a:12345", "--print", "--", "python"], "--hosts names an address twice"),
    (["--", "python"], "one of the arguments --workers --hosts is required"),
])
def test_a_wrong_launch_is_one_line_exit_2(argv, message, capsys):
    assert message in one_line_error(main, argv, capsys)


def test_print_gives_each_machine_its_command(capsys):
    assert main(["--hosts", "gpu1,gpu2", "--print", "--", "python", "-m", "kerastx.recipes.translation",
                 "--config", "my run.yaml"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "# on gpu1" and lines[2] == "# on gpu2"
    for index, line in ((0, lines[1]), (1, lines[3])):
        assignment, command = re.match(r"TF_CONFIG='(.*?)' (.*)", line).groups()
        assert json.loads(assignment)["task"]["index"] == index
        assert command == "python -m kerastx.recipes.translation --config 'my run.yaml'"


@pytest.mark.spawns
def test_local_workers_speak_behind_their_index_and_the_chiefs_status_is_returned():
    code = ("import json, os, sys; index = json.loads(os.environ['TF_CONFIG'])['task']['index']; "
            "print('I am', index); import time; time.sleep(index); sys.exit(3 * index)")
    finished = launch("--workers", "2", "--", sys.executable, "-c", code)
    assert finished.returncode == 3  # worker 1 failed: its status, with one line naming it
    assert "[w0] I am 0" in finished.stdout.splitlines() and "[w1] I am 1" in finished.stdout.splitlines()
    assert finished.stderr.strip() == "kerastx launch: worker 1 exited with status 3"


@pytest.mark.spawns
def test_a_killed_worker_stops_the_others_within_the_bound_on_one_line():
    # worker 0 ignores SIGTERM (as one stuck in a collective would): it gets SIGKILL once the bound is over
    code = ("import json, os, signal, time; index = json.loads(os.environ['TF_CONFIG'])['task']['index']; "
            "signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(1); "
            "index and os.kill(os.getpid(), signal.SIGKILL); time.sleep(600)")
    started = time.monotonic()
    finished = launch("--workers", "2", "--stop_timeout", "2", "--", sys.executable, "-c", code)
    assert time.monotonic() - started < 30
    assert finished.returncode == 128 + signal.SIGKILL
    assert finished.stderr.strip() == ("kerastx launch: worker 1 was killed by SIGKILL; stopping w0 (SIGTERM, then "
                                       "SIGKILL after 2 s); the same command resumes from the last checkpoint")


@pytest.mark.spawns
@pytest.mark.trains
def test_two_workers_accumulating_killed_and_launched_again_train_as_one_process_with_the_same_update_batch(
        shared_data, tmp_path):
    from kerastx.recipes import text_classification

    options = {**mrpc_files(shared_data("mrpc"), tmp_path, train_rows=64, dev_rows=32), **TINY_TRAINING,
               "dropout": 0.0, "epochs": 2, "checkpoint_every_steps": 3}  # 4 steps an epoch: checkpoints 3, 4, 6, 8
    # each update: 2 micro-batches of 8 rows, 4 on each worker, against one process's batches of 16
    flags = as_flags({**options, "batch_size": 8, "gradient_accumulation_steps": 2, "strategy": "multi_worker",
                      "output_dir": tmp_path / "two"})
    # worker 1 SIGKILLed once step 5 is trained: worker 0 waits for it in step 6's all-reduce until stopped
    killed = launch("--workers", "2", "--stop_timeout", "5", "--", sys.executable, str(ROOT / "tests/interrupted_run.py"),
                    "kill-at-step", "5", "--", *flags, timeout=300, KERASTX_INTERRUPT_WORKER="1")
    assert killed.returncode == 128 + signal.SIGKILL, killed.stderr[-2000:]
    assert killed.stderr.strip().splitlines()[-1] == (
        "kerastx launch: worker 1 was killed by SIGKILL; stopping w0 (SIGTERM, then SIGKILL after 5 s); the same "
        "command resumes from the last checkpoint")
    assert any(line.startswith("[w0] [setup] ") and "2 replicas x 4 = batch 8" in line
               for line in killed.stdout.splitlines())
    assert any(line.startswith("[w0] [train] ") and "accumulates the gradients of 2 micro-batches of 8" in line
               for line in killed.stdout.splitlines())
    assert not (tmp_path / "two").exists()

    launched = launch("--workers", "2", "--", sys.executable, "-m", "kerastx.recipes.text_classification", *flags,
                      timeout=300)
    assert launched.returncode == 0, launched.stderr[-2000:]
    lines = launched.stdout.splitlines()
    for worker in (0, 1):  # both from the epoch's end, the last checkpoint they both took
        assert any(line.startswith(f"[w{worker}] [resume] from the checkpoint of step 4 ") for line in lines)
    saved = [line for line in lines if line.startswith("[w1] [save] ")]
    assert len(saved) == 1 and "is written by the chief" in saved[0]
    assert any(line.startswith("[w0] [example] ") for line in lines)
    assert not any(line.startswith("[w1] [example] ") for line in lines)  # the chief shows the examples
    # in step: both workers log the same loss at the second epoch's end
    losses = [[line.split(" - loss: ")[1].split()[0] for line in lines if line.startswith(f"[w{w}] ") and " - loss: "
               in line] for w in (0, 1)]
    assert len(losses[0]) == 1 and losses[0] == losses[1]
    # one run directory (the staging folders are gone), and the run of one process with batches of 16
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".tsv")) == ["two"]
    one = text_classification.main(as_flags({**options, "output_dir": tmp_path / "one"}))
    two = json.loads((tmp_path / "two" / "metrics.json").read_text())["evaluations"]
    assert [e["step"] for e in two] == [e["step"] for e in one.evaluations] == [4, 8]
    for theirs, ours in zip(two, one.evaluations):
        assert theirs["val_loss"] == pytest.approx(ours["val_loss"], rel=1e-4)  # measured: equal to 4 decimals
        assert (theirs["val_accuracy"], theirs["val_f1"]) == (ours["val_accuracy"], ours["val_f1"])
