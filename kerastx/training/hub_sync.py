"""``--push_to_hub``: a recipe's run pushed to a Hub model repo at the end of every epoch and when it is
complete, in the background (:class:`~kerastx.hub_upload.HubUploader`: over HTTP, no git; failures are
logged and retried, never fatal)."""

from __future__ import annotations

from pathlib import Path

from kerastx.compat.keras import tf_keras
from kerastx.run_dir import CHECKPOINTS
from kerastx.training.strategy import non_chief_task

NEVER_PUSHED = [".lock", "best.writing/*", "best.replaced/*"]


def run_uploader(config, output_dir: Path):
    """The uploader of a run with ``--push_to_hub`` (None without): repo ``--hub_model_id``, else the output
    directory's name in the token's namespace; each request waits at most ``--hub_timeout`` seconds."""
    if not config.push_to_hub or non_chief_task() is not None:  # the chief pushes
        return None
    from kerastx.hub_upload import HubUploader

    return HubUploader(config.hub_model_id or output_dir.absolute().name, token=config.hub_token,
                       private=config.hub_private_repo, request_timeout=config.hub_timeout)


def ignored_when_pushing(config) -> list[str]:
    return NEVER_PUSHED + ([] if config.hub_push_checkpoint else [f"{CHECKPOINTS}/*"])


class PushEachEpoch(tf_keras.callbacks.Callback):
    """At the end of every epoch, the model as it is (``save_pretrained`` into the run's staging folder) pushed
    with the rest of that folder: config, tokenizer, TensorBoard logs, the best model so far and, with
    ``--hub_push_checkpoint``, the latest checkpoint, so that another machine can resume from the Hub. Put it
    after the checkpoint callback."""

    def __init__(self, uploader, folder: Path, ignore_patterns: list[str]):
        super().__init__()
        self.uploader = uploader
        self.folder = folder
        self.ignore_patterns = ignore_patterns

    def on_epoch_end(self, epoch, logs=None):
        try:
            self.model.save_pretrained(self.folder)
        except OSError as err:  # the push is a copy: a full disk ends the run at its next checkpoint, not here
            print(f"[hub] epoch {epoch + 1} not pushed: cannot save the model ({err.strerror or err})", flush=True)
            return
        self.uploader.push(self.folder, f"Training in progress epoch {epoch + 1}", ignore_patterns=self.ignore_patterns)
