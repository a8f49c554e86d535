"""What stops a run, and what it leaves: a NaN loss, a disk that fills, a second run on the same output, an
output that cannot be written. Each is one line and exit 2; whatever was checkpointed is kept to resume from."""

import errno
import re

import pytest

from kerastx.recipes import text_classification
from tests_helpers import TINY_TRAINING, as_flags, mrpc_files, one_line_error

main = text_classification.main


@pytest.fixture
def options(shared_data, tmp_path) -> dict:
    return {**mrpc_files(shared_data("mrpc"), tmp_path, train_rows=64, dev_rows=32), **TINY_TRAINING,
            "epochs": 2, "output_dir": tmp_path / "run"}


def checkpoint_steps(staging) -> list[int]:
    return sorted(int(m.group(1)) for f in (staging / "checkpoints").glob("step-*.index")
                  for m in [re.match(r"step-(\d+)\.index", f.name)])


@pytest.mark.trains
def test_a_nan_loss_stops_the_run_naming_the_step_and_keeps_the_last_good_checkpoint(options, tmp_path, capsys):
    # a learning rate of 1e30: step 1's update leaves huge but finite weights, step 2's loss is NaN
    exploding = {**options, "learning_rate": 1e30, "checkpoint_every_steps": 1}
    error = one_line_error(main, as_flags(exploding), capsys)
    assert re.search(r"the training loss is nan at step 2; the last good checkpoint \(step 1\) is kept in \S+"
                     r"\.run\.partial/checkpoints: lower --learning_rate or set --clip_norm, then re-run with "
                     r"--no-resume", error), error
    assert checkpoint_steps(tmp_path / ".run.partial") == [1] and not (tmp_path / "run").exists()

    error = one_line_error(main, as_flags(exploding), capsys)  # the same command resumes, and names that checkpoint
    assert "the training loss is nan at step 2; the last good checkpoint (step 1) is kept in" in error, error

    error = one_line_error(main, as_flags(options), capsys)  # a saner learning rate is another run...
    assert "learning_rate '0.001' (was '1e+30')" in error
    result = main(as_flags({**options, "resume": False}))  # ...which --no-resume starts
    assert "[resume]" not in capsys.readouterr().out and result.evaluations[-1]["step"] == 8


@pytest.mark.trains
def test_a_disk_full_at_the_final_save_is_one_line_and_the_same_command_finishes_from_the_checkpoint(
        options, tmp_path, capsys, monkeypatch):
    from kerastx.run_dir import RunDirectory

    write_text = RunDirectory.write_text

    def disk_full(self, name, text):
        if name == "metrics.json":  # after the model's files: the disk fills during the final save
            raise OSError(errno.ENOSPC, "No space left on device")
        return write_text(self, name, text)

    with monkeypatch.context() as patch:
        patch.setattr(RunDirectory, "write_text", disk_full)
        error = one_line_error(main, as_flags(options), capsys)
    assert re.search(r"cannot write the finished run in \S+\.run\.partial: No space left on device; the last "
                     r"checkpoint is kept there", error), error
    assert not (tmp_path / "run").exists() and checkpoint_steps(tmp_path / ".run.partial")[-1] == 8

    result = main(as_flags(options))
    assert "[resume] from the checkpoint of step 8 (epoch 3, batch 0)" in capsys.readouterr().out
    assert [e["step"] for e in result.evaluations] == [4, 8] and (result.output_dir / "metrics.json").is_file()
    assert not (result.output_dir / "checkpoints").exists()


@pytest.mark.trains
def test_a_checkpoint_that_cannot_be_written_stops_the_run_and_leaves_the_previous_one(options, tmp_path, capsys,
                                                                                       monkeypatch):
    import tensorflow as tf

    save = tf.train.CheckpointManager.save

    def second_save_fails(self, *args, **kwargs):
        if self._latest_checkpoint is not None:  # noqa: SLF001
            # what TensorFlow 2.21 raised on a full tmpfs: the OS's reason comes last, after a long temporary path
            raise tf.errors.ResourceExhaustedError(None, None, (
                "{{function_node __wrapped__SaveV2_dtypes_3_device_/job:localhost/replica:0/task:0/device:CPU:0}} "
                f"{self._directory}/step-4_temp/part-00000-of-00001.data-00000-of-00001.tempstate4278673802560748246; "
                "No space left on device [Op:SaveV2]"))
        return save(self, *args, **kwargs)

    monkeypatch.setattr(tf.train.CheckpointManager, "save", second_save_fails)
    error = one_line_error(main, as_flags({**options, "checkpoint_every_steps": 2}), capsys)
    assert re.search(r"cannot write the checkpoint of step 4 in \S+/checkpoints: No space left on device$", error), error
    checkpoints = tmp_path / ".run.partial" / "checkpoints"
    assert checkpoint_steps(tmp_path / ".run.partial") == [2]
    assert sorted(f.name for f in checkpoints.glob("*progress*")) == ["step-2.progress.json"]  # none of step 4


def test_a_second_run_on_an_output_being_written_is_refused(options, tmp_path, capsys):
    from kerastx.run_dir import RunDirectory

    with RunDirectory(tmp_path / "run"):
        error = one_line_error(main, as_flags(options), capsys)
    assert re.search(r"output_dir \S+/run is being written by a run still going \(pid \d+\)", error), error


@pytest.mark.parametrize("output, message", [
    ("/sys/kerastx-run", "output_dir /sys/kerastx-run: cannot write in /sys (Operation not permitted)"),
    ("a-file", "is a file, not a directory"),
])
def test_an_output_that_cannot_be_written_is_refused_before_training(options, tmp_path, capsys, output, message):
    (tmp_path / "a-file").write_text("not a folder")
    target = output if output.startswith("/") else str(tmp_path / output)
    assert message in one_line_error(main, as_flags({**options, "output_dir": target}), capsys)


@pytest.mark.trains
def test_resume_asks_for_an_interrupted_run_and_no_resume_is_not_one(options, tmp_path, capsys):
    error = one_line_error(main, as_flags({**options, "resume": True}), capsys)
    assert "--resume: there is no interrupted run of" in error and "(no checkpoint in" in error
    leftover = tmp_path / ".run.partial-4242"  # what kerastx before resuming left behind after a kill
    leftover.mkdir()
    main(as_flags({**options, "epochs": 1}))
    assert not leftover.exists()


@pytest.mark.trains
@pytest.mark.parametrize("recipe, argv", [
    ("translation", ["--model", "scratch:marian-tiny", "--max_train_samples", "200"]),
    ("question_answering", ["--train_file", "squad/train-v1.1.json", "--max_train_samples", "50",
                            "--max_eval_samples", "20"]),
])
def test_the_data_is_read_checked_and_tokenized_before_tensorflow_loads(shared_data, tmp_path, recipe, argv):
    """So that a mistake in the data is reported in seconds, not after TensorFlow's start-up."""
    import subprocess
    import sys

    argv = [str(shared_data(a)) if a.startswith("squad/") else a for a in argv]
    script = ("import sys\n"
              "from kerastx.config import parse_config\n"
              "from kerastx.recipes.registry import RECIPES\n"
              "from kerastx.training.preparation import prepare_run\n"
              f"recipe = RECIPES[{recipe!r}]\n"
              f"config, _ = parse_config(recipe.config_class, {argv + ['--output_dir', str(tmp_path / 'run')]!r}, 'p', 't')\n"
              "ready = prepare_run(recipe, config)\n"
              "print(len(ready.prepared.train), 'tensorflow' in sys.modules)\n")
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-2000:]
    examples, tensorflow_loaded = finished.stdout.split()[-2:]
    assert int(examples) > 0 and tensorflow_loaded == "False"


@pytest.mark.trains
def test_sigusr1_asks_for_a_checkpoint_now_and_training_goes_on(options, tmp_path, monkeypatch):
    import os
    import signal

    from kerastx.compat.keras import tf_keras
    from kerastx.training import trainer

    class SignalAtStep3(tf_keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2 and self.params.get("epochs") and not hasattr(self, "sent"):
                self.sent = True
                os.kill(os.getpid(), signal.SIGUSR1)  # `kill -USR1 <pid>`, from inside the process

    callbacks = trainer._callbacks
    monkeypatch.setattr(trainer, "_callbacks", lambda *args: [SignalAtStep3(), *callbacks(*args)])
    result = main(as_flags({**options, "checkpoint_every_steps": 1000, "keep_checkpoints": True,
                            "checkpoints_to_keep": 5}))
    assert checkpoint_steps(result.output_dir) == [3, 4, 8]  # asked for, then the two epoch ends
    assert result.evaluations[-1]["step"] == 8


@pytest.mark.trains
def test_a_checkpoint_holds_the_loss_scale_under_mixed_float16_and_the_dropout_generators(options):
    """What a resumed mixed_float16 run needs beyond the weights: the dynamic loss scale and its counter (a restarted
    scale would skip steps the interrupted run took), and the state of every dropout layer's generator. Both are
    the run's: after it, the process has its float32 policy and its stateful dropout again."""
    import tensorflow as tf

    from kerastx.compat.keras import tf_keras

    generators_before = tf_keras.backend.experimental.is_tf_random_generator_enabled()
    result = main(as_flags({**options, "precision": "mixed_float16", "max_steps": 3, "keep_checkpoints": True}))
    assert tf_keras.mixed_precision.global_policy().name == "float32"
    assert tf_keras.backend.experimental.is_tf_random_generator_enabled() is generators_before
    saved = dict(tf.train.list_variables(str(result.output_dir / "checkpoints" / "step-3")))
    assert {"optimizer/loss_scale/current_loss_scale/.ATTRIBUTES/VARIABLE_VALUE",
            "optimizer/loss_scale/good_steps/.ATTRIBUTES/VARIABLE_VALUE"} <= saved.keys(), sorted(saved)[:20]
    assert sum(name.startswith("dropout/") for name in saved) == 8  # bert-tiny: 2 layers x 3, embeddings, classifier
