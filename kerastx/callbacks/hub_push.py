"""Saves the model into a folder and pushes it to the Hugging Face Hub during ``fit``: transformers'
``PushToHubCallback`` without git, whose pushes run in the background and never stop training."""

from __future__ import annotations

import numbers
import sys
from pathlib import Path

import tensorflow as tf

from kerastx.compat.keras import tf_keras
from kerastx.errors import ConfigError
from kerastx.hub_upload import DEFAULT_REQUEST_TIMEOUT, HubUploader

CHECKPOINT = "checkpoint/ckpt"  # tf.train.Checkpoint prefix in output_dir: ckpt.index, ckpt.data-00000-of-00001
_STRATEGIES = ("epoch", "steps", "no")


class PushToHubCallback(tf_keras.callbacks.Callback):
    """At each save (every epoch, or every ``save_steps`` steps, and at the end of training) writes
    ``model.save_pretrained``, the tokenizer (if given) and a model card with the latest metrics into
    ``output_dir``, and pushes that folder to the hub repo ``hub_model_id`` (default: the name of
    ``output_dir``, in your namespace) with a :class:`~kerastx.hub_upload.HubUploader`. Training does not
    wait for uploads, except for the last one, at the end; a failed push is logged and retried, and
    training goes on. ``uploader.results`` tells what each push became. Put it after an
    ``EarlyStopping(restore_best_weights=True)`` in the callbacks list, so that the final push has the best weights.

    The arguments are those of ``transformers.keras_callbacks.PushToHubCallback``, plus ``private`` (a new
    repo is private), the retry policy (``push_attempts``, ``retry_delay``: the first wait, doubled at
    each try) and ``request_timeout`` (the seconds a hub request may go unanswered before its push fails).
    ``save_strategy="no"`` pushes only at the end. The token is ``hub_token``, else ``HF_TOKEN`` or the one
    saved by ``hf auth login``.

    ``checkpoint=True`` also saves the model's weights and the optimizer's state (and ``epoch``, the epochs
    completed) with ``tf.train.Checkpoint`` under ``checkpoint/`` and pushes them, so that training can resume
    from the hub on another machine::

        folder = huggingface_hub.snapshot_download("me/bert-finetuned-mrpc")
        model.compile(optimizer=...)  # the same model and optimizer, made afresh
        model(model.dummy_inputs)
        model.optimizer.build(model.trainable_variables)  # the variables to restore into
        epoch = tf.Variable(0, dtype=tf.int64)
        tf.train.Checkpoint(model=model, optimizer=model.optimizer, epoch=epoch).read(f"{folder}/checkpoint/ckpt")
        model.fit(train_ds, initial_epoch=int(epoch), epochs=3, callbacks=[...])

    Example::

        from kerastx import PushToHubCallback
        push = PushToHubCallback(output_dir="bert-finetuned-mrpc", tokenizer=tokenizer)
        model.fit(train_ds, validation_data=val_ds, epochs=3, callbacks=[push])
    """

    def __init__(self, output_dir, save_strategy: str = "epoch", save_steps: int | None = None, tokenizer=None,
                 hub_model_id: str | None = None, hub_token: str | None = None, checkpoint: bool = False,
                 private: bool = False, push_attempts: int = 5, retry_delay: float = 2.0,
                 request_timeout: float = DEFAULT_REQUEST_TIMEOUT):
        super().__init__()
        strategy = str(getattr(save_strategy, "value", save_strategy)).lower()  # transformers' IntervalStrategy too
        if strategy not in _STRATEGIES:
            raise ConfigError(f"PushToHubCallback: save_strategy must be one of {', '.join(_STRATEGIES)}; "
                              f"got {save_strategy!r}")
        if strategy == "steps" and (not isinstance(save_steps, int) or save_steps <= 0):
            raise ConfigError(f"PushToHubCallback: save_strategy 'steps' needs save_steps, a positive whole number; "
                              f"got {save_steps!r}")
        self.output_dir = Path(output_dir)
        self.save_strategy = strategy
        self.save_steps = save_steps
        self.tokenizer = tokenizer
        self.checkpoint = checkpoint
        self.uploader = HubUploader(hub_model_id or self.output_dir.absolute().name, token=hub_token,
                                    private=private, attempts=push_attempts, first_delay=retry_delay,
                                    request_timeout=request_timeout)
        self.history: list[dict] = []  # the logs of each epoch of the current fit
        self._latest: dict = {}
        self._step = 0

    @property
    def hub_model_id(self) -> str:
        """The repo pushed to; its full name ("user/name") once the first push has reached the hub."""
        return self.uploader.repo_id

    def on_train_begin(self, logs=None):
        self.history, self._latest, self._step = [], {}, 0

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        if self.save_strategy == "steps" and self._step % self.save_steps == 0:
            self._latest = dict(logs or {})
            self._save_and_push(f"Training in progress steps {self._step}")

    def on_epoch_end(self, epoch, logs=None):
        self._latest = dict(logs or {})
        self.history.append({"epoch": epoch + 1, **self._latest})
        if self.save_strategy == "epoch":
            self._save_and_push(f"Training in progress epoch {epoch + 1}")

    def on_train_end(self, logs=None):
        self._save_and_push("End of training", finished=True)

    def _save_and_push(self, commit_message: str, finished: bool = False) -> None:
        try:
            self._save(finished)
        except Exception as err:  # a push helper must not end a training run, even when the disk is full
            print(f"[hub] could not save {self.output_dir} for the push {commit_message!r}: "
                  f"{' '.join(str(err).split())}; not pushed", file=sys.stderr, flush=True)
            return
        self.uploader.push(self.output_dir, commit_message, wait=finished)

    def _save(self, finished: bool) -> None:
        self.model.save_pretrained(self.output_dir)
        if self.tokenizer is not None:
            self.tokenizer.save_pretrained(self.output_dir)
        if self.checkpoint:
            epochs_done = tf.Variable(len(self.history), dtype=tf.int64)
            tf.train.Checkpoint(model=self.model, optimizer=self.model.optimizer,
                                epoch=epochs_done).write(str(self.output_dir / CHECKPOINT))
        card = model_card(self.hub_model_id.split("/")[-1], self._latest, self.history, finished)
        (self.output_dir / "README.md").write_text(card, encoding="utf-8")


def model_card(name: str, latest: dict, history: list[dict], finished: bool) -> str:
    """A short model card: hub metadata (a transformers model, trained with tf-keras), the latest metrics and the
    metrics of every epoch. (Runs of ``kerastx`` recipes write a fuller one, :mod:`kerastx.report`.)"""
    from huggingface_hub import ModelCard, ModelCardData

    metadata = ModelCardData(library_name="transformers", tags=["tensorflow", "tf-keras", "kerastx"]).to_yaml()
    epochs = len(history)
    state = (f"Training finished after {epochs} epoch{'s' * (epochs != 1)}." if finished
             else f"Training in progress: {epochs} epoch{'s' * (epochs != 1)} done.")
    results = "".join(f"- {key}: {value:.4f}\n" for key, value in _metrics(latest).items()) or "(none logged yet)\n"
    names = sorted({key for entry in history for key in _metrics(entry)})
    table = ""
    if history and names:
        rows = "".join(f"| {entry['epoch']} | " + " | ".join(_cell(entry.get(key)) for key in names) + " |\n"
                       for entry in history)
        table = ("\n## Training history\n\n| epoch | " + " | ".join(names) + " |\n|"
                 + " --- |" * (len(names) + 1) + "\n" + rows)
    body = (f"\n# {name}\n\nTrained with Keras `model.fit` (tf-keras) and pushed by kerastx's `PushToHubCallback`. "
            f"{state}\n\n## Latest results\n\n{results}{table}")
    return str(ModelCard(f"---\n{metadata}\n---\n{body}"))


def _metrics(logs: dict) -> dict[str, float]:
    return {key: float(value) for key, value in logs.items()
            if key != "epoch" and isinstance(value, numbers.Real) and not isinstance(value, bool)}


def _cell(value) -> str:
    return "" if value is None else f"{float(value):.4f}"
