"""Label names <-> ids, inferred from the training data and stored in the model config."""

from __future__ import annotations

from dataclasses import dataclass

from kerastx.data.files import Source
from kerastx.errors import ConfigError, DataError


@dataclass(frozen=True)
class LabelMap:
    """The label vocabulary: ``names[i]`` is the name of class id ``i``; ``values[i]`` the raw value in the data."""

    values: tuple
    names: tuple[str, ...]

    @classmethod
    def infer(cls, raw_values, names: list[str] | None = None) -> "LabelMap":
        """Sorted distinct values of the training labels; ``names`` renames them in that order.

        Integer labels 0..n-1 keep their ids, so ``label_names`` for MRPC's 0/1 read naturally.
        """
        return cls.named(tuple(sorted(set(raw_values), key=lambda v: (isinstance(v, str), v))), names)

    @classmethod
    def named(cls, values: tuple, names: list[str] | None = None) -> "LabelMap":
        """The map of ``values`` in this order, named by ``names`` (default: the values as text)."""
        if names is None:
            return cls(values, tuple(str(v) for v in values))
        if len(names) != len(values):
            raise ConfigError(f"label_names has {len(names)} names but the training labels have {len(values)} "
                              f"distinct values ({', '.join(map(str, values))})")
        return cls(values, tuple(names))

    @property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.names))

    @property
    def label2id(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.names)}

    def encode(self, raw_values, source: Source, column: str) -> list[int]:
        """Ids of ``raw_values``; a value not seen in training is a DataError naming file, column and line."""
        index = {value: i for i, value in enumerate(self.values)}
        ids = []
        for row, value in enumerate(raw_values):
            if value not in index:
                raise DataError(f"{source.where(row)}: column '{column}' has label {value!r}, which the training "
                                f"data does not have (labels: {', '.join(map(str, self.values))})")
            ids.append(index[value])
        return ids
