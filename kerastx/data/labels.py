"""Label names <-> ids, inferred from the training data and stored in the model config."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass

from kerastx.data.files import Source
from kerastx.errors import ConfigError, DataError, shortened, warn


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


def require_two_classes(distinct, source: Source, column: str, what: str = "label",
                        max_train_samples: int | None = None) -> None:
    """A model that tells classes apart needs at least two in its training data; ``max_train_samples``: the
    ``distinct`` classes are those of the rows that option keeps, and the message says so."""
    if len(distinct) >= 2:
        return
    single = shortened(next(iter(distinct)))
    if max_train_samples is not None:
        raise DataError(f"{source.name}: column '{column}' has the single {what} {single} in the training rows that "
                        f"max_train_samples {max_train_samples} keeps; a model needs at least two to tell apart: "
                        "raise max_train_samples or leave it out")
    raise DataError(f"{source.name}: column '{column}' has the single {what} {single} in every training row; a model "
                    f"needs at least two to tell apart (is '{column}' the right column?)")


def stripped_labels(splits: dict[str, tuple[list, Source]], column: str) -> dict[str, list]:
    """Each split's labels (``{split: (labels, source)}``) with the spaces around text labels removed, so that "pos "
    and "pos" are one class; one warning line says how many were stripped and where the first one is."""
    stripped, changed = {}, {}
    for split, (values, _source) in splits.items():
        stripped[split] = [value.strip() if isinstance(value, str) else value for value in values]
        changed[split] = [row for row, (given, kept) in enumerate(zip(values, stripped[split]))
                          if given != kept and kept]  # a blank label is an error of its own (check_label)
    if any(changed.values()):
        first_split = next(split for split, rows in changed.items() if rows)
        (values, source), first_row = splits[first_split], changed[first_split][0]
        counts = ", ".join(f"{len(rows)} in {split}" for split, rows in changed.items() if rows)
        warn(f"column '{column}': removed the spaces around {sum(map(len, changed.values()))} labels ({counts}; the "
             f"first: {values[first_row]!r} on {source.where(first_row)}), which would otherwise be classes of their "
             "own")
    return stripped


def warn_of_case_variants(values: list, source: Source, column: str) -> None:
    """One warning line when text labels differ only by case (pos, Pos, POS), with the count of each spelling:
    they stay different classes, as given, but are seldom meant to be."""
    spellings = defaultdict(list)
    for label, count in Counter(value for value in values if isinstance(value, str)).most_common():
        spellings[label.casefold()].append(f"{label} ({count})")
    variants = [", ".join(group) for group in spellings.values() if len(group) > 1]
    if variants:
        warn(f"{source.name}: column '{column}' has labels that differ only by case: {'; '.join(variants)}; they are "
             "trained as different classes")


@dataclass(frozen=True)
class LabelMap:
    """The label vocabulary: ``names[i]`` is the name of class id ``i``; ``values[i]`` the raw value in the data."""

    values: tuple
    names: tuple[str, ...]

    @classmethod
    def infer(cls, raw_values, names: list[str] | None = None, where: str = "the training labels") -> "LabelMap":
        """Sorted distinct values of the training labels, named by ``names`` (:meth:`named`)."""
        return cls.named(tuple(sorted(set(raw_values), key=lambda v: (isinstance(v, str), v))), names, where)

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
        return cls.infer(values, names, f"the labels of {source.name} column '{column}'")

    @classmethod
    def named(cls, values: tuple, names: list[str] | None = None, where: str = "the training labels") -> "LabelMap":
        """The map of ``values`` in this order, named by ``names`` (default: the values as text).

        Names that are the values themselves (as text) map by value, in their own order: ``["pos", "neg"]`` makes
        pos id 0 whatever the sorted order. Other names rename integer values 0..n-1 in order (MRPC's 0/1 as
        not_equivalent/equivalent); for any other values they are a ConfigError, since naming sorted values in
        order would silently give a class the name of another. ``where`` says whose values these are, in errors.
        """
        if names is None:
            return cls(values, tuple(str(v) for v in values))
        listed = ", ".join(map(str, values))
        if len(names) != len(values):
            raise ConfigError(f"label_names has {len(names)} names but {where} have {len(values)} distinct values "
                              f"({listed})")
        repeated = next((name for i, name in enumerate(names) if name in names[:i]), None)
        if repeated is not None:
            raise ConfigError(f"label_names gives {repeated!r} twice; each class needs a name of its own")
        by_text = {str(value): value for value in values}
        if set(names) == set(by_text):
            return cls(tuple(by_text[name] for name in names), tuple(names))
        if values == tuple(range(len(values))):
            return cls(values, tuple(names))
        raise ConfigError(f"label_names {', '.join(names)} are not {where} ({listed}): list those labels, in the "
                          f"order of the ids you want (--label_names {' '.join(map(str, values))}); only integer "
                          "labels 0..n-1 can be given other names")

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
