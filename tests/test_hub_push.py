"""Pushing to the Hugging Face Hub without git: the real huggingface_hub client against an in-memory hub on
127.0.0.1 (tests/hub_server.py). Pushes run in the background, keep only the latest waiting one, retry what may
pass, and never stop training; what is pushed loads back with transformers' ``from_pretrained``."""

import tempfile
import time

import numpy as np
import pytest

from hub_server import FakeHub, use_hub
from kerastx.hub_upload import HubUploader

TOKEN, USER = "hf_kerastx_test_token", "tester"
BERT_INPUTS = ["input_ids", "attention_mask", "token_type_ids"]
TOKENIZER_FILES = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}


@pytest.fixture(scope="module")
def hub():
    """The local hub, with huggingface_hub and transformers pointed at it and HF_TOKEN set to a user's token."""
    from huggingface_hub.utils import reset_sessions

    with FakeHub({TOKEN: USER}) as server, pytest.MonkeyPatch.context() as patch:
        use_hub(patch, server.url)
        patch.setenv("HF_TOKEN", TOKEN)
        yield server
    reset_sessions()  # the sessions made for the local hub must not outlive it


@pytest.fixture(autouse=True)
def hub_is_back_after_each_test(hub):
    yield
    if not hub.serving:  # a test that failed while the hub was away
        hub.come_back()


@pytest.fixture(autouse=True)
def own_temp_dir(tmp_path, monkeypatch):
    """Snapshots go to a temp dir of this test's own, to see them cleaned up."""
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))


def model_folder(path, weights: bytes = b"\x89HDF\r\n\x1a\n\0\0 weights v1"):
    """A folder like save_pretrained's: a text config and binary weights (which go through LFS)."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    (path / "tf_model.h5").write_bytes(weights)
    return path


# --- HubUploader alone ---------------------------------------------------------------------------------------

def test_a_push_commits_the_folder_in_the_background_and_close_waits_for_it(hub, tmp_path):
    folder = model_folder(tmp_path / "model")
    uploader = HubUploader("background", log=lambda line: None)
    assert uploader.push(folder, "first push") is None
    assert uploader.close(wait=True)
    repo = hub.repos[f"{USER}/background"]
    assert repo.messages == ["initial commit", "first push"]
    assert repo.head.files["tf_model.h5"] == (folder / "tf_model.h5").read_bytes()
    assert repo.head.lfs == {"tf_model.h5"}  # binary: through LFS, "basic" transfer
    assert not any("xet" in request for request in hub.requests)
    assert uploader.repo_id == f"{USER}/background"  # created in the token's namespace
    assert [(r.commit_message, r.status, r.commit) for r in uploader.results] == [
        ("first push", "pushed", repo.head.oid)]
    assert uploader.push(folder, "after closing", wait=True).status == "dropped"


def test_while_a_push_runs_only_the_latest_waiting_push_is_kept(hub, tmp_path):
    folder = model_folder(tmp_path / "model")
    lines = []
    uploader = HubUploader("latest-wins", log=lines.append)
    with hub.commits_held():
        uploader.push(folder, "epoch 1")
        assert hub.commit_arrived.wait(30)
        for epoch in (2, 3):
            model_folder(folder, weights=b"\x89HDF\0 weights v%d" % epoch)
            uploader.push(folder, f"epoch {epoch}")
    assert uploader.close(wait=True)
    repo = hub.repos[f"{USER}/latest-wins"]
    assert repo.messages == ["initial commit", "epoch 1", "epoch 3"]
    assert repo.head.files["tf_model.h5"] == b"\x89HDF\0 weights v3"
    assert [(r.commit_message, r.status) for r in uploader.results] == [
        ("epoch 2", "dropped"), ("epoch 1", "pushed"), ("epoch 3", "pushed")]
    assert "[hub] dropped push 'epoch 2': replaced by the newer push 'epoch 3'" in lines


def test_the_folder_may_change_during_its_upload_which_sends_it_as_it_was_and_leaves_it_alone(hub, tmp_path):
    folder = model_folder(tmp_path / "model")
    uploader = HubUploader("snapshot", log=lambda line: None)
    with hub.commits_held():
        uploader.push(folder, "epoch 1")
        assert hub.commit_arrived.wait(30)
        model_folder(folder, weights=b"\x89HDF\0 weights v2")
        (folder / "config.json").unlink()
    assert uploader.close(wait=True)
    assert hub.repos[f"{USER}/snapshot"].head.files["tf_model.h5"] == b"\x89HDF\r\n\x1a\n\0\0 weights v1"
    assert "config.json" in hub.repos[f"{USER}/snapshot"].head.files
    assert sorted(p.name for p in folder.iterdir()) == ["tf_model.h5"]  # as training left it
    assert (folder / "tf_model.h5").read_bytes() == b"\x89HDF\0 weights v2"
    assert list((tmp_path / "tmp").iterdir()) == []  # the snapshot is gone


def test_a_hub_out_of_reach_is_retried_with_doubling_delays_then_given_up_without_raising(hub, tmp_path):
    folder = model_folder(tmp_path / "model")
    lines = []
    uploader = HubUploader("unreachable", attempts=3, first_delay=0.01, log=lines.append)
    hub.go_away()
    result = uploader.push(folder, "epoch 1", wait=True)
    hub.come_back()
    assert (result.status, result.attempts) == ("failed", 3)
    assert "Connection refused" in result.error and "\n" not in result.error
    assert uploader.last_error == result.error
    assert [line.split(": ", 1)[0] for line in lines] == [
        "[hub] push 'epoch 1' to unreachable failed (attempt 1/3)",
        "[hub] push 'epoch 1' to unreachable failed (attempt 2/3)",
        "[hub] push 'epoch 1' to unreachable failed 3 times, giving up"]
    assert lines[0].endswith("; retrying in 0.01s") and lines[1].endswith("; retrying in 0.02s")
    assert f"{USER}/unreachable" not in hub.repos
    assert uploader.push(folder, "epoch 2", wait=True).ok  # the hub is back: the next push goes through
    assert uploader.last_error is None
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "tf_model.h5"]


def test_a_hub_that_never_answers_fails_the_push_after_the_request_timeout_on_one_line(hub, tmp_path):
    folder = model_folder(tmp_path / "model")
    lines = []
    uploader = HubUploader("silent", request_timeout=0.3, first_delay=0.01, log=lines.append)
    with hub.never_answering():
        started = time.monotonic()
        uploader.push(folder, "epoch 1")
        settled = uploader.wait(timeout=20)
        waited = time.monotonic() - started
    assert settled and waited < 5
    assert [(r.status, r.attempts, r.error) for r in uploader.results] == [
        ("failed", 1, "the Hub did not answer within 0.3s")]  # not retried: each try would wait as long again
    assert lines == ["[hub] push 'epoch 1' to silent failed: the Hub did not answer within 0.3s (not retried)"]
    assert uploader.push(folder, "epoch 2", wait=True).ok  # it answers again: the next push goes through


def test_a_wrong_token_is_one_logged_failure_that_is_not_retried(hub, tmp_path):
    lines = []
    uploader = HubUploader("denied", token="hf_wrong", first_delay=0.01, log=lines.append)
    result = uploader.push(model_folder(tmp_path / "model"), "epoch 1", wait=True)
    assert (result.status, result.attempts) == ("failed", 1)
    assert result.error.startswith("401 Client Error") and "Invalid credentials" in result.error
    assert lines == [f"[hub] push 'epoch 1' to denied failed: {result.error} (not retried)"]


def test_a_private_repo_is_created_private_and_others_cannot_download_from_it(hub, tmp_path):
    from huggingface_hub import hf_hub_download
    from huggingface_hub.utils import RepositoryNotFoundError

    uploader = HubUploader("secret", private=True, log=lambda line: None)
    assert uploader.push(model_folder(tmp_path / "model"), "epoch 1", wait=True).ok
    assert hub.repos[f"{USER}/secret"].private
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download(f"{USER}/secret", "config.json", token=False, cache_dir=tmp_path / "cache")
    assert hf_hub_download(f"{USER}/secret", "config.json", cache_dir=tmp_path / "cache")  # with HF_TOKEN


# --- PushToHubCallback in a user's model.fit ----------------------------------------------------------------

@pytest.fixture(scope="module")
def mrpc(shared_data):
    """``(fresh_model, train_ds, validation_ds, tokenizer)``: a tiny BERT classifier (2 layers, hidden 32) built
    afresh with a fixed seed, and real MRPC rows tokenized by a scratch tokenizer."""
    from transformers import BertConfig, TFAutoModelForSequenceClassification

    from kerastx.compat.keras import tf_keras
    from tests_helpers import tokenized_mrpc

    tokenizer, data, collator = tokenized_mrpc(shared_data("mrpc"), rows=96, vocab_size=600)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, num_labels=2,
                        pad_token_id=tokenizer.pad_token_id)

    def fresh_model():
        tf_keras.utils.set_random_seed(0)
        model = TFAutoModelForSequenceClassification.from_config(config)
        model.compile(optimizer=tf_keras.optimizers.Adam(1e-3))  # the model's internal loss
        return model

    def batches(rows):
        return rows.to_tf_dataset(columns=BERT_INPUTS + ["labels"], batch_size=32, collate_fn=collator)

    return fresh_model, batches(data.select(range(64))), batches(data.select(range(64, 96))), tokenizer


def waiting_for_each_push(push, then=lambda epoch: None):
    """A callback to put after ``push``: at each epoch end, waits until the epoch's push is settled (so that
    each epoch is one commit, none replaced by the next), then calls ``then(epoch)``."""
    from kerastx.compat.keras import tf_keras

    def settle_then(epoch, logs):
        assert push.uploader.wait(timeout=60)
        then(epoch)

    return tf_keras.callbacks.LambdaCallback(on_epoch_end=settle_then)


def folder_files(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def hub_files(repo) -> dict[str, bytes]:
    return {path: content for path, content in repo.head.files.items() if path != ".gitattributes"}


@pytest.fixture(scope="module")
def pushed_run(hub, mrpc, tmp_path_factory):
    """Two epochs of a user's ``fit`` with ``PushToHubCallback(checkpoint=True)``: ``(model, history, callback)``."""
    from kerastx import PushToHubCallback

    fresh_model, train, validation, tokenizer = mrpc
    model = fresh_model()
    push = PushToHubCallback(output_dir=tmp_path_factory.mktemp("run") / "bert-mrpc", tokenizer=tokenizer,
                             checkpoint=True, retry_delay=0.01)
    history = model.fit(train, validation_data=validation, epochs=2, verbose=0,
                        callbacks=[push, waiting_for_each_push(push)])
    return model, history, push


@pytest.mark.trains
def test_each_epoch_and_the_end_of_training_is_a_commit_of_model_tokenizer_and_card(hub, pushed_run):
    model, history, push = pushed_run
    repo = hub.repos[f"{USER}/bert-mrpc"]  # the output_dir's name, in the token's namespace
    assert push.hub_model_id == f"{USER}/bert-mrpc"
    assert repo.messages == ["initial commit", "Training in progress epoch 1", "Training in progress epoch 2",
                             "End of training"]
    for commit in repo.commits[1:]:
        assert {"config.json", "tf_model.h5", "README.md", *TOKENIZER_FILES} <= set(commit.files)
    assert "tf_model.h5" in repo.head.lfs
    assert hub_files(repo) == folder_files(push.output_dir)
    card = repo.head.files["README.md"].decode()
    assert "library_name: transformers" in card
    assert "Training finished after 2 epochs." in card
    assert f"- val_loss: {history.history['val_loss'][-1]:.4f}" in card
    assert "Training in progress: 1 epoch done." in repo.commits[1].files["README.md"].decode()
    assert [r.status for r in push.uploader.results] == ["pushed"] * 3


@pytest.mark.trains
def test_the_pushed_model_and_tokenizer_load_from_the_hub_and_predict_as_the_trained_model(hub, pushed_run, mrpc,
                                                                                             tmp_path):
    from transformers import AutoTokenizer, TFAutoModelForSequenceClassification

    model, _, push = pushed_run
    tokenizer = mrpc[3]
    loaded = TFAutoModelForSequenceClassification.from_pretrained(f"{USER}/bert-mrpc", cache_dir=tmp_path)
    loaded_tokenizer = AutoTokenizer.from_pretrained(f"{USER}/bert-mrpc", cache_dir=tmp_path)
    pairs = (["The company said profits rose in the third quarter .", "Shares fell 3 percent on Friday ."],
             ["Profits rose in the third quarter , the company said .", "The stock closed higher on Friday ."])
    encoded = tokenizer(*pairs, padding=True, return_tensors="tf")
    assert loaded_tokenizer(*pairs, padding=True, return_tensors="np")["input_ids"].tolist() == \
        encoded["input_ids"].numpy().tolist()
    np.testing.assert_array_equal(loaded(dict(encoded)).logits.numpy(), model(dict(encoded)).logits.numpy())
    np.testing.assert_array_equal(loaded(dict(mrpc[2].take(1).get_single_element())).logits.numpy(),
                                  model(dict(mrpc[2].take(1).get_single_element())).logits.numpy())


@pytest.mark.trains
def test_the_pushed_checkpoint_restores_weights_and_optimizer_into_a_fresh_model(hub, pushed_run, mrpc, tmp_path):
    import tensorflow as tf
    from huggingface_hub import snapshot_download

    model, _, _ = pushed_run
    folder = snapshot_download(f"{USER}/bert-mrpc", allow_patterns=["checkpoint/*"], cache_dir=tmp_path)
    fresh = mrpc[0]()
    fresh(fresh.dummy_inputs)
    fresh.optimizer.build(fresh.trainable_variables)
    assert not np.array_equal(fresh.weights[0].numpy(), model.weights[0].numpy())
    epochs_done = tf.Variable(0, dtype=tf.int64)
    tf.train.Checkpoint(model=fresh, optimizer=fresh.optimizer, epoch=epochs_done).read(
        f"{folder}/checkpoint/ckpt").assert_consumed()
    assert int(epochs_done) == 2
    for restored, trained in zip(fresh.weights + fresh.optimizer.variables, model.weights + model.optimizer.variables):
        np.testing.assert_array_equal(restored.numpy(), trained.numpy())


@pytest.mark.trains
def test_training_outlives_the_hub_going_away_and_the_final_state_arrives_once_it_is_back(hub, mrpc, tmp_path,
                                                                                          capsys):
    from kerastx import PushToHubCallback

    fresh_model, train, _, tokenizer = mrpc
    push = PushToHubCallback(tmp_path / "bert-away", tokenizer=tokenizer, push_attempts=2, retry_delay=0.01)

    def away_after_epoch_1_back_after_epoch_2(epoch):
        if epoch == 0:
            hub.go_away()
        else:
            hub.come_back()

    switch = waiting_for_each_push(push, then=away_after_epoch_1_back_after_epoch_2)
    history = fresh_model().fit(train, epochs=2, verbose=0, callbacks=[push, switch])
    assert len(history.history["loss"]) == 2
    assert [(r.commit_message, r.status, r.attempts) for r in push.uploader.results] == [
        ("Training in progress epoch 1", "pushed", 1), ("Training in progress epoch 2", "failed", 2),
        ("End of training", "pushed", 1)]
    hub_lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("[hub]")]
    expected = ["[hub] pushed 'Training in progress epoch 1' to tester/bert-away (commit ",
                "[hub] push 'Training in progress epoch 2' to tester/bert-away failed (attempt 1/2): ",
                "[hub] push 'Training in progress epoch 2' to tester/bert-away failed 2 times, giving up: ",
                "[hub] pushed 'End of training' to tester/bert-away (commit "]
    assert len(hub_lines) == len(expected)
    assert all(line.startswith(start) for line, start in zip(hub_lines, expected)), hub_lines
    repo = hub.repos[f"{USER}/bert-away"]
    assert repo.messages == ["initial commit", "Training in progress epoch 1", "End of training"]
    assert {"config.json", "tf_model.h5", "README.md", *TOKENIZER_FILES} <= set(folder_files(push.output_dir))
    assert hub_files(repo) == folder_files(push.output_dir)


@pytest.mark.trains
def test_a_wrong_token_fails_each_push_on_one_line_and_training_goes_on(hub, mrpc, tmp_path, capsys):
    from kerastx import PushToHubCallback

    fresh_model, train, _, _ = mrpc
    push = PushToHubCallback(tmp_path / "bert-denied", hub_token="hf_wrong", retry_delay=0.01)
    history = fresh_model().fit(train, epochs=1, verbose=0, callbacks=[push, waiting_for_each_push(push)])
    assert len(history.history["loss"]) == 1
    assert [(r.status, r.attempts) for r in push.uploader.results] == [("failed", 1)] * 2  # epoch 1, end
    hub_lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("[hub]")]
    assert len(hub_lines) == 2 and all("401 Client Error" in line for line in hub_lines)
    assert not any(repo_id.endswith("bert-denied") for repo_id in hub.repos)
    assert {"config.json", "tf_model.h5", "README.md"} <= set(folder_files(push.output_dir))


@pytest.mark.trains
def test_save_strategy_steps_pushes_every_save_steps_steps(hub, mrpc, tmp_path):
    from kerastx import PushToHubCallback
    from kerastx.compat.keras import tf_keras

    fresh_model, train, _, _ = mrpc
    push = PushToHubCallback(tmp_path / "bert-steps", save_strategy="steps", save_steps=1)
    settle = tf_keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: push.uploader.wait(60))
    fresh_model().fit(train, epochs=1, verbose=0, callbacks=[push, settle])
    assert hub.repos[f"{USER}/bert-steps"].messages == [
        "initial commit", "Training in progress steps 1", "Training in progress steps 2", "End of training"]


def test_the_callbacks_pushes_wait_for_a_hub_that_never_answers_at_most_its_request_timeout(hub, tmp_path):
    from kerastx import PushToHubCallback

    push = PushToHubCallback(tmp_path / "bert-silent", request_timeout=0.3)
    with hub.never_answering():
        push.uploader.push(model_folder(push.output_dir), "End of training")
        assert push.uploader.close(timeout=20)
    assert [(r.status, r.error) for r in push.uploader.results] == [("failed", "the Hub did not answer within 0.3s")]


@pytest.mark.parametrize("options, message", [
    ({"save_strategy": "batch"}, "save_strategy must be one of epoch, steps, no; got 'batch'"),
    ({"save_strategy": "steps"}, "save_strategy 'steps' needs save_steps, a positive whole number; got None"),
])
def test_a_save_strategy_it_cannot_follow_is_a_one_line_config_error(options, message, tmp_path):
    from kerastx import PushToHubCallback
    from kerastx.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        PushToHubCallback(tmp_path / "model", **options)


def test_the_hub_options_of_the_example_scripts_are_ours_and_only_apply_with_push_to_hub():
    from kerastx.config import parse_config
    from kerastx.errors import ConfigError
    from kerastx.recipes.text_classification import TextClassificationConfig

    config, _ = parse_config(TextClassificationConfig, ["--push_to_hub", "--hub_model_id", "me/mrpc", "--hub_token",
                                                        "hf_x", "--hub_private_repo"], "prog", "test")
    assert (config.push_to_hub, config.hub_model_id, config.hub_token, config.hub_private_repo) == \
        (True, "me/mrpc", "hf_x", True)
    with pytest.raises(ConfigError, match="option 'hub_model_id' would be ignored: it only applies with push_to_hub"):
        parse_config(TextClassificationConfig, ["--hub_model_id", "me/mrpc"], "prog", "test")


# --- --push_to_hub on a recipe ---------------------------------------------------------------------------------

@pytest.mark.trains
def test_a_recipe_run_pushes_each_epoch_and_the_complete_run_which_another_machine_resumes_from(hub, shared_data,
                                                                                                 tmp_path, capsys):
    from huggingface_hub import snapshot_download

    from kerastx.recipes import text_classification
    from tests_helpers import TINY_TRAINING, as_flags, mrpc_files

    options = {**mrpc_files(shared_data("mrpc"), tmp_path, train_rows=64, dev_rows=32), **TINY_TRAINING, "epochs": 2,
               "push_to_hub": True, "hub_model_id": "mrpc-run", "hub_push_checkpoint": True, "hub_token": TOKEN}
    result = text_classification.main(as_flags({**options, "output_dir": tmp_path / "run"}))
    repo = hub.repos[f"{USER}/mrpc-run"]
    assert repo.messages[-1] == "End of training" and "Training in progress epoch 1" in repo.messages
    assert f"[hub] pushed {result.output_dir} to {USER}/mrpc-run" in capsys.readouterr().out
    pushed = repo.head.files
    for name in ("tf_model.h5", "config.json", "tokenizer.json", "README.md", "metrics.json"):
        assert pushed[name] == (result.output_dir / name).read_bytes()
    assert "hub_token: <hidden>" in pushed["config.yaml"].decode() and TOKEN not in pushed["config.yaml"].decode()
    assert "checkpoints/checkpoint" in pushed and not any(name.endswith(".lock") for name in pushed)

    # another machine: the repo downloaded as the run's staging folder is a run to resume (here at its last step)
    snapshot_download(f"{USER}/mrpc-run", local_dir=tmp_path / ".copy.partial")
    without_hub = {name: value for name, value in options.items() if "hub" not in name}
    resumed = text_classification.main(as_flags({**without_hub, "output_dir": tmp_path / "copy"}))
    assert "[resume] from the checkpoint of step 8" in capsys.readouterr().out
    (tmp_path / "pushed.h5").write_bytes(pushed["tf_model.h5"])
    assert h5_arrays(resumed.output_dir / "tf_model.h5") == h5_arrays(tmp_path / "pushed.h5")
    assert resumed.metrics == result.metrics


def test_the_final_push_to_a_hub_that_never_answers_says_the_run_is_complete_on_disk(hub, tmp_path, capsys):
    from kerastx.recipes.text_classification import TextClassificationConfig
    from kerastx.training.hub_sync import run_uploader
    from kerastx.training.trainer import _push_finished_run

    config = TextClassificationConfig(push_to_hub=True, hub_model_id="silent-run", hub_timeout=0.3)
    folder = model_folder(tmp_path / "run")
    with hub.never_answering():
        _push_finished_run(run_uploader(config, folder), folder, config)
    assert capsys.readouterr().out == (f"[hub] the run is complete in {folder}, but not on the Hub (the Hub did not "
                                       f"answer within 0.3s): push it later with `huggingface-cli upload silent-run "
                                       f"{folder}`\n")


def h5_arrays(file) -> list[list]:
    """The weights of a saved model, in order (layer names differ between models made in one process)."""
    import h5py

    arrays = []
    with h5py.File(file) as h5:
        h5.visititems(lambda name, item: arrays.append(item[()].tolist()) if isinstance(item, h5py.Dataset) else None)
    return arrays
