"""tf.data pipelines from tokenized `datasets.Dataset`s.

Shapes are what makes TF fast or slow here: every new (batch, length) shape retraces the train step.
Three modes bound them:

* dynamic padding (default): ``model.prepare_tf_dataset`` pads each batch to its longest example,
  optionally rounded up to ``pad_to_multiple_of`` so only ``max_length / multiple`` shapes exist;
* ``group_by_length``: like dynamic padding, but batches are formed from examples of similar length
  (within shuffled windows of 64 batches, so every epoch still sees a new order), which removes most
  padding;
* ``static_shapes``: every batch padded to ``max_length`` and the last partial batch dropped — one
  shape, as XLA and TPUs require.

The shared trainer's training rows (:class:`RowSource`, :func:`build_train_dataset`) are a function of the
seed and the epoch alone, and start where a :class:`DataPosition` says, so that a resumed run sees exactly the
batches the interrupted one had left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from kerastx.data.masking import MaskingRule, mask_tokens

WINDOW_BATCHES = 64


def build_tf_dataset(model, dataset, collator, batch_size: int, shuffle: bool, seed: int = 0,
                     group_by_length: bool = False, drop_remainder: bool = False):
    """A ``tf.data.Dataset`` of ``(features, labels)`` batches made by ``collator`` (which returns numpy).

    Example::

        collator = DataCollatorWithPadding(tokenizer, pad_to_multiple_of=16, return_tensors="np")
        train = build_tf_dataset(model, tokenized["train"], collator, 32, shuffle=True, group_by_length=True)
        model.fit(train, epochs=3)
    """
    if not group_by_length:
        return model.prepare_tf_dataset(dataset, batch_size=batch_size, shuffle=shuffle, collate_fn=collator,
                                        drop_remainder=drop_remainder)
    lengths = _lengths(dataset)
    rng = np.random.default_rng(seed)
    batches = _collated_dataset(model, dataset, lambda rows, number: collator(rows),
                                batch_size if drop_remainder else None,
                                lambda: length_grouped_batches(lengths, batch_size, shuffle, rng, drop_remainder))
    return with_batch_count(batches, batches_per_epoch(len(dataset), batch_size, drop_remainder))


@dataclass
class DataPosition:
    """Where training is in its data: the epoch the next batch comes from (counted from 0) and how many
    of that epoch's batches are done. :func:`build_train_dataset` reads it each time Keras starts an epoch."""

    epoch: int = 0
    batch: int = 0


def build_train_dataset(model, dataset, collator, batch_size: int, seed: int, position: DataPosition,
                        group_by_length: bool = False, drop_remainder: bool = False,
                        masking: MaskingRule | None = None):
    """The training ``tf.data.Dataset`` for ``fit``: each time it is iterated (each epoch), the batches of
    epoch ``position.epoch`` in the order :func:`epoch_batches` gives, from batch ``position.batch`` on.
    ``masking``, when given, masks each collated batch's ``input_ids`` anew (and sets its ``labels``) with
    numbers drawn from a generator seeded by ``(seed, epoch, batch)``: a resumed run masks as the interrupted
    one would have.

    The caller moves ``position`` on at the end of each epoch (``epoch + 1``, ``batch = 0``), and sets it
    before ``fit(initial_epoch=position.epoch)`` to resume in the middle of an epoch. The dataset's length
    depends on the position: state it for each ``fit`` (:class:`RowSource` does).

    Example::

        position = DataPosition(epoch=1, batch=130)    # resume at the 131st batch of the second epoch
        train = build_train_dataset(model, tokenized, collator, 32, seed=42, position=position)
    """
    lengths = _lengths(dataset) if group_by_length else np.zeros(len(dataset))  # only their count is used

    def remaining_batches():
        batches = epoch_batches(lengths, batch_size, seed, position.epoch, group_by_length, drop_remainder)
        return batches[position.batch:]

    def collate(rows, number):
        batch = collator(rows)
        if masking is not None:
            rng = np.random.default_rng([seed, position.epoch, position.batch + number])
            batch["input_ids"], batch["labels"] = mask_tokens(batch["input_ids"], masking, rng)
        return batch

    return _collated_dataset(model, dataset, collate, batch_size if drop_remainder else None, remaining_batches)


def batches_per_epoch(examples: int, batch_size: int, drop_remainder: bool = False) -> int:
    """How many batches an epoch of ``examples`` has (:func:`epoch_batches` and :func:`length_grouped_batches`
    make as many, whatever the order)."""
    return examples // batch_size if drop_remainder else -(-examples // batch_size)


def with_batch_count(dataset, count: int):
    """``dataset`` with its number of batches stated. Keras must know it: a dataset of unknown length is read
    until it runs out, and that extra call of the train step still advances a tf-keras optimizer's
    ``iterations`` (and so its learning-rate schedule) by one at the end of each ``fit``'s first epoch."""
    import tensorflow as tf

    return dataset.apply(tf.data.experimental.assert_cardinality(count))


class RowSource:
    """Training rows of a tokenized ``datasets.Dataset`` (a :class:`~kerastx.data.sources.TrainingSource`), read
    by index in a new order each epoch (:func:`build_train_dataset`): with ``static_shapes`` the last partial
    batch is dropped; ``masking`` masks each batch anew (a masked LM).

    Example::

        source = RowSource(tokenized["train"], batch_size=32, seed=42)
        dataset, _ = source.dataset(DataPosition(), epochs=3, model=model, collator=collator)
    """

    failure = None  # rows in memory: nothing is read inside tf.data that could fail

    def __init__(self, rows, batch_size: int, seed: int, static_shapes: bool = False, group_by_length: bool = False,
                 masking: MaskingRule | None = None):
        self.rows, self.batch_size, self.seed, self.masking = rows, batch_size, seed, masking
        self.static_shapes, self.group_by_length = static_shapes, group_by_length
        self.examples = len(rows)

    def steps_per_epoch(self) -> int:
        return batches_per_epoch(self.examples, self.batch_size, self.static_shapes)

    def describe(self) -> str:
        similar = " of similar lengths" if self.group_by_length else ""
        partial = ", the last partial batch dropped" if self.static_shapes else ""
        masked = ", masked anew in each batch" if self.masking else ""
        return (f"{self.examples:,} rows, reshuffled each epoch into {self.steps_per_epoch():,} batches of "
                f"{self.batch_size}{similar}{partial}{masked}")

    def dataset(self, position: DataPosition, epochs: int, model, collator):
        """One dataset reads every epoch of the ``fit``, from ``position`` as it is when each starts; its stated
        length is the batches left in the first (all but a resumed epoch's first are whole)."""
        dataset = build_train_dataset(model, self.rows, collator, self.batch_size, self.seed, position,
                                      self.group_by_length, self.static_shapes, self.masking)
        return with_batch_count(dataset, self.steps_per_epoch() - position.batch), None


def epoch_batches(lengths, batch_size: int, seed: int, epoch: int, group_by_length: bool = False,
                  drop_remainder: bool = False) -> list[np.ndarray]:
    """The index batches of one training epoch: a function of ``(seed, epoch)`` only, so any process
    can rebuild any epoch. With ``group_by_length``, batches of similar-length examples."""
    rng = np.random.default_rng([seed, epoch])
    if group_by_length:
        return length_grouped_batches(lengths, batch_size, True, rng, drop_remainder)
    order = rng.permutation(len(lengths))
    batches = [order[start:start + batch_size] for start in range(0, len(order), batch_size)]
    return [b for b in batches if len(b) == batch_size] if drop_remainder else batches


def length_grouped_batches(lengths, batch_size: int, shuffle: bool, rng: np.random.Generator,
                           drop_remainder: bool = False) -> list[np.ndarray]:
    """Index batches of similar-length examples. Without shuffle: sorted by length (for evaluation)."""
    order = rng.permutation(len(lengths)) if shuffle else np.arange(len(lengths))
    window = batch_size * WINDOW_BATCHES if shuffle else len(lengths)
    batches = []
    for start in range(0, len(order), window):
        chunk = order[start:start + window]
        chunk = chunk[np.argsort([-lengths[i] for i in chunk], kind="stable")]
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    if drop_remainder:
        batches = [b for b in batches if len(b) == batch_size]
    if shuffle:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def _collated_dataset(model, dataset, collate, static_batch: int | None, index_batches: Callable[[], list]):
    """A ``tf.data.Dataset`` of collated batches; ``index_batches()`` is called each time it is iterated
    and gives the example indices of each batch; ``collate(rows, number)`` makes the batch numbered ``number``
    (from 0) of them. Inputs only, or ``(features, labels)`` where the model has labels, as
    ``model.prepare_tf_dataset`` gives."""
    import tensorflow as tf
    from transformers.utils import find_labels

    model_labels = find_labels(type(model))
    rows = dataset.select_columns([c for c in dataset.column_names if c in model.input_signature or c in model_labels])
    sample = collate(_rows_at(rows, range(min(2, len(rows)))), 0)
    label_names = [name for name in model_labels if name in sample]  # the collator may make them (masking)
    input_names = [name for name in sample if name not in label_names]  # ... and inputs (decoder_input_ids)

    def labels_of(batch):
        # one label column is a tensor, several (a QA model's start and end positions) a dict, as prepare_tf_dataset does
        return batch[label_names[0]] if len(label_names) == 1 else {name: batch[name] for name in label_names}

    def batches():
        for number, index in enumerate(index_batches()):
            batch = collate(_rows_at(rows, index), number)
            features = {name: batch[name] for name in input_names}
            yield (features, labels_of(batch)) if label_names else features

    def spec_of(array):
        return tf.TensorSpec((static_batch,) + (None,) * (array.ndim - 1), tf.as_dtype(array.dtype))

    features_spec = {name: spec_of(sample[name]) for name in input_names}
    signature = (features_spec, labels_of({name: spec_of(sample[name]) for name in label_names})) if label_names \
        else features_spec
    return tf.data.Dataset.from_generator(batches, output_signature=signature).prefetch(tf.data.AUTOTUNE)


def _rows_at(rows, indices) -> list[dict]:
    """The rows at ``indices`` as dicts, read from the Arrow table in one batch (not row by row)."""
    columns = rows[[int(i) for i in indices]]
    return [dict(zip(columns, values)) for values in zip(*columns.values())]


def _lengths(dataset) -> np.ndarray:
    """The token count of every example (whole column read at once)."""
    return np.array([len(ids) for ids in dataset["input_ids"][:]])
