"""Feature specs: what a task's tokenized examples hold, and how each feature is padded.

A task declares its features once. The shared trainer pads batches from the spec, either dynamically
(each batch to its longest example, rounded up to a multiple) or statically (every batch to the
length bound each feature names: ``max_length``, ``max_target_length``), and a TFRecord writer can
serialize the same features with the same dtypes and lengths.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Feature:
    """One column of a task's tokenized examples.

    ``length`` names the config option that bounds a sequence feature (``None``: one value per
    example, e.g. a class id). ``label`` features are what the model's internal loss reads.
    ``from_labels`` features are not stored: the model derives them from the padded labels (a
    seq2seq model's decoder inputs).
    """

    name: str
    pad: int = 0
    length: str | None = "max_length"
    dtype: str = "int64"
    label: bool = False
    from_labels: bool = False


@dataclass(frozen=True)
class FeatureSpec:
    """The features of a task, in order.

    Example::

        spec = FeatureSpec.model_inputs(tokenizer, Feature("labels", pad=-100, label=True))
        collator = FeatureCollator(spec, pad_to_multiple_of=16)
    """

    features: tuple[Feature, ...]

    @classmethod
    def model_inputs(cls, tokenizer, *extra: Feature, length: str = "max_length") -> "FeatureSpec":
        """The tokenizer's model inputs (``input_ids``, ``attention_mask``, ``token_type_ids``...) plus ``extra``."""
        pads = {"input_ids": tokenizer.pad_token_id, "token_type_ids": tokenizer.pad_token_type_id}
        inputs = tuple(Feature(name, pad=pads.get(name, 0), length=length) for name in tokenizer.model_input_names)
        return cls(inputs + extra)

    @property
    def stored(self) -> tuple[Feature, ...]:
        """The features a tokenized dataset holds (everything but what the model derives)."""
        return tuple(f for f in self.features if not f.from_labels)

    def bounds(self, config) -> dict[str, int]:
        """Each sequence feature's length bound, read from the config option it names."""
        return {f.name: getattr(config, f.length) for f in self.features if f.length}


class FeatureCollator:
    """Pads a list of tokenized rows into a numpy batch, as a :class:`FeatureSpec` says.

    Dynamic (default): each sequence feature to the batch's longest, rounded up to
    ``pad_to_multiple_of``. Static (``static_lengths`` given, e.g. ``spec.bounds(config)``): every
    batch to the same shape, as XLA and TPUs need. Features derived from the labels are built by
    ``model`` (``prepare_decoder_input_ids_from_labels``).

    Example::

        collator = FeatureCollator(spec, pad_to_multiple_of=8, model=model)
        batch = collator([{"input_ids": [5, 6, 1], "attention_mask": [1, 1, 1], "labels": [7, 1]}])
    """

    def __init__(self, spec: FeatureSpec, pad_to_multiple_of: int | None = None,
                 static_lengths: dict[str, int] | None = None, model=None, padding_side: str = "right"):
        self.spec = spec
        self.pad_to_multiple_of = None if static_lengths else pad_to_multiple_of
        self.static_lengths = static_lengths
        self.model = model
        self.padding_side = padding_side

    @classmethod
    def for_run(cls, spec: FeatureSpec, config, model=None, padding_side: str = "right") -> "FeatureCollator":
        """Static shapes when the run asks for them (``--static_shapes``), else dynamic padding."""
        return cls(spec, config.pad_to_multiple_of, spec.bounds(config) if config.static_shapes else None, model,
                   padding_side)

    def __call__(self, rows: list[dict]) -> dict[str, np.ndarray]:
        batch = {}
        for feature in self.spec.stored:
            if feature.name not in rows[0]:
                continue
            values = [row[feature.name] for row in rows]
            batch[feature.name] = (np.asarray(values, dtype=feature.dtype) if feature.length is None
                                   else self._pad(values, feature))
        for feature in self.spec.features:
            if feature.from_labels and "labels" in batch:
                derived = self.model.prepare_decoder_input_ids_from_labels(labels=batch["labels"])
                batch[feature.name] = np.asarray(derived, dtype=batch["labels"].dtype)
        return batch

    def _pad(self, values: list, feature: Feature) -> np.ndarray:
        if self.static_lengths:
            length = self.static_lengths[feature.name]
        else:
            length = max(len(v) for v in values)
            if self.pad_to_multiple_of:
                length = -(-length // self.pad_to_multiple_of) * self.pad_to_multiple_of
        padded = np.full((len(values), length), feature.pad, dtype=feature.dtype)
        for row, value in enumerate(values):
            kept = value[:length]
            if self.padding_side == "left":
                padded[row, length - len(kept):] = kept
            else:
                padded[row, :len(kept)] = kept
        return padded
