"""What a run trains on, whatever it is read from, as the shared trainer sees it.

Training examples come from one of three kinds of source: the rows of a tokenized ``datasets.Dataset``
(:class:`~kerastx.data.pipeline.RowSource`, every task), TFRecord shards read in ``tf.data``
(:class:`~kerastx.data.tfrecords.ShardSource`, ``--train_shards``) or a stream cut into blocks as it is read
(:class:`~kerastx.data.streaming.StreamSource`, ``--streaming``). The task data chooses one, once
(:meth:`kerastx.recipes.base.TaskData.training_source`); the run-size checks, the trainer and the entry point
ask it only what this protocol says, and never which kind it is.

Example::

    source = data.training_source(prepared, tokenizer)
    dataset, steps = source.dataset(DataPosition(epoch=1, batch=130), epochs=2, model=model, collator=collator)
    model.fit(dataset, epochs=3, initial_epoch=1, steps_per_epoch=steps)
"""

from __future__ import annotations

from typing import Protocol

from kerastx.errors import KerastxError


class TrainingSource(Protocol):
    examples: int  # training examples, as the [data] line counts them (a stream's: the blocks the run reads)
    failure: KerastxError | None  # what stopped reading inside tf.data (a stream's bad line); None otherwise

    def steps_per_epoch(self) -> int:
        """Optimizer steps in one epoch: what the trainer, the learning-rate schedule and the checkpoints count."""

    def describe(self) -> str:
        """One line on what training reads, and how (the run's ``[train]`` line)."""

    def dataset(self, position, epochs: int, model, collator) -> tuple[object, int | None]:
        """``(tf.data.Dataset, steps)`` for one ``fit`` from ``position`` (a
        :class:`~kerastx.data.pipeline.DataPosition`, which the trainer moves on as training goes) to the end of
        ``epochs`` epochs; ``steps`` is the batches left in the first of them, for ``fit(steps_per_epoch=...)``,
        or None where the dataset states its own length. ``model`` and ``collator`` make batches of rows."""
