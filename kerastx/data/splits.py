"""Train/validation splits from a hub dataset, local files or a recipe's built-in dataset."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from kerastx.data.files import Source, read_data_file
from kerastx.data.hub_datasets import load_hub_dataset
from kerastx.errors import DataError, warn

VALIDATION_NAMES = ("validation", "valid", "dev", "test")


@dataclass(frozen=True)
class SubsetSource(Source):
    """Some rows of another source: errors still name the file line the row came from."""

    parent: Source | None = None
    rows: tuple[int, ...] = ()

    def where(self, row: int) -> str:
        return self.parent.where(self.rows[row])


@dataclass
class Splits:
    """The training and validation data of a run, with where each came from."""

    train: object  # datasets.Dataset
    validation: object
    train_source: Source
    validation_source: Source
    description: str

    def limited(self, max_train: int | None, max_eval: int | None, seed: int) -> "Splits":
        """Seeded subsets for quick runs; called after the data was checked, while rows still match lines."""
        return Splits(limit(self.train, max_train, seed), limit(self.validation, max_eval, seed),
                      self.train_source, self.validation_source, self.description)

    def require_columns(self, columns: list[str]) -> None:
        for dataset, source in ((self.train, self.train_source), (self.validation, self.validation_source)):
            for column in columns:
                if column not in dataset.column_names:
                    raise DataError(f"{source.name}: no column '{column}' (columns: {', '.join(dataset.column_names)})")

    def require_texts(self, columns: list[str]) -> None:
        """Every value of ``columns`` in both splits is a non-blank string; else a DataError naming the row."""
        for dataset, source in ((self.train, self.train_source), (self.validation, self.validation_source)):
            for column in columns:
                for row, text in enumerate(dataset[column]):
                    if not isinstance(text, str) or not text.strip():
                        raise DataError(f"{source.where(row)}: column '{column}' is empty or not text ({text!r})")


def load_splits(config, builtin: dict[str, Callable] | None = None, read_file: Callable = read_data_file,
                group_column: str | None = None) -> Splits:
    """Load the data a config names and hold out a seeded validation split when there is none.

    ``builtin`` maps names of a recipe's embedded datasets to functions of the config returning a DatasetDict; the
    first one is the default when the config names no data at all. ``read_file(path)`` reads a local
    file into ``(Dataset, Source)``; recipes with their own layouts (parallel text, folders of
    articles) pass theirs. ``group_column`` keeps rows that share its value on one side of a held-out
    split (the alternative translations of one sentence, say), so validation never sees a training text.
    """
    builtin = builtin or {}
    if config.train_file:
        train, train_source = read_file(config.train_file)
        validation, validation_source = (read_file(config.validation_file) if config.validation_file else (None, None))
        if config.validation_file and Path(config.validation_file).resolve() == Path(config.train_file).resolve():
            warn(f"validation_file {config.validation_file} is the training file: the validation scores will say how "
                 "well the model remembers its training data, not how it does on new data")
        description = config.train_file
    else:
        name = config.dataset or next(iter(builtin), None)
        if name is None:
            raise DataError("no training data: pass --train_file (and --validation_file) or --dataset")
        if name in builtin:
            loaded = builtin[name](config)
        else:
            loaded = load_hub_dataset(name, config.dataset_config, config.dataset_revision)
        description = f"{name}/{config.dataset_config}" if config.dataset_config else name
        if "train" not in loaded:
            raise DataError(f"dataset '{description}' has no 'train' split (splits: {', '.join(loaded)})")
        train, train_source = loaded["train"], Source(f"{description}[train]")
        split = next((s for s in VALIDATION_NAMES if s in loaded), None)
        validation = loaded[split] if split else None
        validation_source = Source(f"{description}[{split}]") if split else None
        if config.validation_file:
            validation, validation_source = read_file(config.validation_file)
    if validation is None:
        if len(train) < 2:
            raise DataError(f"{train_source.name}: too few rows ({len(train)}) to hold out a validation split")
        rest, held = held_out_rows(train, config.validation_split, config.seed, group_column)
        if not held:
            raise DataError(f"{train_source.name}: every row has the same '{group_column}', so none can be held out "
                            "for validation without its kind in training; pass --validation_file")
        validation, validation_source = train.select(held), SubsetSource(train_source.name, parent=train_source, rows=tuple(held))
        train, train_source = train.select(rest), SubsetSource(train_source.name, parent=train_source, rows=tuple(rest))
        description += f" ({config.validation_split:.0%} held out for validation)"
    return Splits(train, validation, train_source, validation_source, description)


def held_out_rows(dataset, fraction: float, seed: int, group_column: str | None = None):
    """``(rest, held_out)`` row numbers, in file order: a seeded ``fraction`` of the rows, or of the
    distinct ``group_column`` values with all of their rows."""
    import numpy as np

    grouped = group_column is not None and group_column in dataset.column_names
    row_keys = dataset[group_column][:] if grouped else list(range(len(dataset)))  # ungrouped: each row alone
    keys = list(dict.fromkeys(row_keys))
    count = min(max(1, round(fraction * len(keys))), len(keys) - 1)
    held = {keys[i] for i in np.random.default_rng(seed).permutation(len(keys))[:count]}
    in_held = [key in held for key in row_keys]
    return ([row for row, flag in enumerate(in_held) if not flag], [row for row, flag in enumerate(in_held) if flag])


def limit(dataset, max_samples: int | None, seed: int):
    """A seeded random subset of at most ``max_samples`` rows (all rows when None)."""
    if max_samples is None or max_samples >= len(dataset):
        return dataset
    return dataset.shuffle(seed=seed).select(range(max_samples))
