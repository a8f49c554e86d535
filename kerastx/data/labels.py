"""Label names <-> ids, inferred from the training data and stored in the model config."""

from __future__ import annotations

import math
from dataclasses import dataclass

from kerastx.data.files import Source
from kerastx.errors import ConfigError, DataError, shortened


def check_label(value, where: str, column: str, what: str = "label") -> None:
    """A DataError naming ``where`` (a file line) and ``column`` when ``value`` cannot be a class: missing
    (None, NaN: an empty field of a numeric column), blank, or a list or mapping rather than one value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        problem = f"has no {what} (an empty field, null or NaN); fill it in or drop the row"
    elif isinstance(value, str) and not value.strip():
        problem = f"has an empty {what}; fill it in or drop the row"
    elif isinstance(value, (list, tuple, dict)):
        problem = (f"has a {type(value).__name__}, {shortened(value)}, where one {what} belongs (a name or an "
                   "integer; this recipe does not do multi-label classification)")
    else:
        return
    raise DataError(f"{where}: column '{column}' {problem}")


def require_two_classes(distinct, source: Source, column: str, what: str = "label") -> None:
    """A model that tells classes apart needs at least two in its training data."""
    if len(distinct) < 2:
        raise DataError(f"{source.name}: column '{column}' has the single {what} {shortened(next(iter(distinct)))} "
                        f"in every training row; a model needs at least two to tell apart (is '{column}' the right "
                        "column?)")


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
    def from_training(cls, raw_values, source: Source, column: str, names: list[str] | None = None) -> "LabelMap":
        """:meth:`infer` from a training split's labels, checked first: a missing, blank or list-valued label is
        a DataError naming its line (:func:`check_label`), and so is a column with a single class.

        Example::

            labels = LabelMap.from_training(train["label"][:], train_source, "label")
        """
        values = list(raw_values)
        for row, value in enumerate(values):
            check_label(value, source.where(row), column)
        require_two_classes(set(values), source, column)
        return cls.infer(values, names)

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
            check_label(value, source.where(row), column)
            if value not in index:
                raise DataError(f"{source.where(row)}: column '{column}' has label {value!r}, which the training "
                                f"data does not have (labels: {', '.join(map(str, self.values))})")
            ids.append(index[value])
        return ids
