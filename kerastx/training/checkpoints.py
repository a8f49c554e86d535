"""Checkpoints a run resumes from at the exact step where it stopped.

A checkpoint holds everything that decides what the next step computes: the model's weights, the
optimizer's state (moments, step count, hence the learning-rate schedule's position, and the loss scale
under mixed_float16), the random generators of the dropout layers, and the run's progress (a JSON dict:
the step, the data position, the evaluations so far, the best metric...). ``tf.train.CheckpointManager``
keeps the last ``max_to_keep``; it points at a new checkpoint only once its files are complete, so a
write cut short (a kill, a full disk) leaves the previous one the latest.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from kerastx.errors import CheckpointError


def dropout_generators(model) -> dict:
    """The ``tf.random.Generator`` of every random layer of ``model`` (dropout), by position; created now
    where the layer has not run yet, so that a checkpoint can be restored into them (layers have
    one when the model is built inside :func:`kerastx.compat.dropout.checkpointable_dropout`)."""
    generators = {}
    for index, layer in enumerate(model.submodules):
        random = getattr(layer, "_random_generator", None)
        if random is None:
            continue
        random._maybe_init()  # noqa: SLF001 (tf-keras creates it lazily, at the layer's first training call)
        if getattr(random, "_generator", None) is not None:
            generators[str(index)] = random._generator  # noqa: SLF001
    return generators


def build_for_restore(model) -> None:
    """Create every variable a checkpoint restores: the model's (Hugging Face TF models build lazily)
    and the optimizer's slots."""
    model(model.dummy_inputs, training=False)
    optimizer = model.optimizer
    if hasattr(optimizer, "build"):
        optimizer.build(model.trainable_variables)
    else:  # a legacy (OptimizerV2) one, as transformers' AdamWeightDecay is
        optimizer._create_all_weights(model.trainable_variables)  # noqa: SLF001


class RunCheckpoints:
    """The checkpoints of one run in ``directory``.

    Example::

        checkpoints = RunCheckpoints("runs/.x.partial/checkpoints", model, max_to_keep=2)
        progress = checkpoints.restore_latest()   # None for a new run; else the dict saved with it
        ...
        checkpoints.save({"step": 600, ...})
    """

    def __init__(self, directory: str | os.PathLike, model, max_to_keep: int = 2):
        import tensorflow as tf

        self.directory = Path(directory)
        self.model = model
        build_for_restore(model)
        self._checkpoint = tf.train.Checkpoint(model=model, optimizer=model.optimizer,
                                               dropout=dropout_generators(model))
        self._manager = tf.train.CheckpointManager(self._checkpoint, str(self.directory), max_to_keep=max_to_keep,
                                                   checkpoint_name="step")

    def save(self, progress: dict) -> str:
        """Write a checkpoint of the model now, with ``progress`` (which must hold ``step``); returns its path.

        Refuses weights that are not finite: the previous checkpoint stays the last good one."""
        import tensorflow as tf

        step = progress["step"]
        if not all(bool(tf.reduce_all(tf.math.is_finite(w))) for w in self.model.trainable_weights):
            raise CheckpointError(f"the weights are not finite at step {step}; not checkpointed")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # the progress file first: the manager only points at step N once both exist
            _write_atomically(self._progress_file(f"{self.directory}/step-{step}"), json.dumps(progress))
            path = self._manager.save(checkpoint_number=step)
        except (OSError, tf.errors.OpError) as err:
            self._remove_unfinished()
            self._remove_unreferenced_progress()
            raise CheckpointError(f"cannot write the checkpoint of step {step} in {self.directory}: "
                                  f"{_reason(err)}") from None
        self._remove_unreferenced_progress()
        return path

    def restore_latest(self) -> dict | None:
        """Restore the latest checkpoint into the model, optimizer and dropout generators; return its progress
        dict (None when there is no checkpoint)."""
        import tensorflow as tf

        path = self._manager.latest_checkpoint
        if path is None:
            return None
        try:
            self._checkpoint.restore(path).assert_existing_objects_matched()
        except (AssertionError, ValueError, tf.errors.OpError) as err:
            raise CheckpointError(f"checkpoint {path} does not fit this model: {_reason(err)}") from None
        return json.loads(self._progress_file(path).read_text(encoding="utf-8"))

    @staticmethod
    def _progress_file(checkpoint_path: str) -> Path:
        return Path(f"{checkpoint_path}.progress.json")

    def _remove_unreferenced_progress(self) -> None:
        kept = {self._progress_file(path).name for path in self._manager.checkpoints}
        for file in self.directory.glob("*.progress.json"):
            if file.name not in kept:
                file.unlink(missing_ok=True)

    def _remove_unfinished(self) -> None:
        """What a failed write left: TensorFlow's temporary files of the checkpoint being written."""
        import shutil

        for leftover in [*self.directory.glob("*_temp*"), *self.directory.glob("*.progress.json.tmp")]:
            shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


# What the operating system says, found inside TensorFlow's longer messages
# ("{{function_node __wrapped__SaveV2...}} <temporary file>; No space left on device [Op:SaveV2]").
OS_REASONS = ("No space left on device", "Disk quota exceeded", "Read-only file system", "Permission denied")


def _reason(err: Exception) -> str:
    text = str(getattr(err, "message", None) or getattr(err, "strerror", None) or err)
    known = next((reason for reason in OS_REASONS if reason.lower() in text.lower()), None)
    if known:
        return known
    text = re.sub(r"\{\{function_node [^}]*\}\}|\[Op:\w+\]", "", text)
    return " ".join(text.split())[:200]
