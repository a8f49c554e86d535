"""The recipe interface: what a task declares. Everything else (data loading, model resolution,
strategy, precision, optimizer, fit, callbacks, run directory) is shared by the trainer.

This module stays light (no TensorFlow import), so ``--help`` answers at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from kerastx.config import RunConfig


@dataclass
class PreparedData:
    """A task's tokenized splits and what the model needs to know about them."""

    train: object  # datasets.Dataset with the model's input columns and "labels"
    validation: object
    model_overrides: dict = field(default_factory=dict)  # e.g. num_labels, id2label, label2id
    card_details: dict = field(default_factory=dict)  # extra lines for the model card
    task_state: object = None  # whatever else the recipe's later hooks need (e.g. its LabelMap)
    baselines: dict = field(default_factory=dict)  # reference scores on the same data, e.g. lead-3 ROUGE


class Recipe:
    """Base of every task recipe. Subclasses set the class attributes and implement the hooks."""

    name: str = ""
    title: str = ""
    config_class: type[RunConfig] = RunConfig
    model_class: str = ""  # a transformers TF auto class, e.g. "TFAutoModelForSequenceClassification"
    main_metric: str = ""  # the metric EarlyStopping watches by default, without the val_ prefix
    builtin_datasets: dict[str, Callable] = {}

    def read_file(self, config, path):
        """Read one local data file (or folder) into ``(datasets.Dataset, Source)``."""
        from kerastx.data.files import read_data_file

        return read_data_file(path)

    def held_out_group(self, config) -> str | None:
        """A column whose equal values must stay on one side of a held-out validation split."""
        return None

    def required_columns(self, config) -> list[str]:
        """Columns every split must have; checked right after loading, before anything is trained."""
        raise NotImplementedError

    def training_texts(self, config, splits):
        """Texts to train a scratch tokenizer on."""
        raise NotImplementedError

    def prepare(self, config, splits, tokenizer) -> PreparedData:
        """Check the raw splits (columns, labels) and tokenize them."""
        raise NotImplementedError

    def collator(self, config, tokenizer, static: bool, model=None):
        """The collator that pads a list of tokenized rows into a numpy batch (``model`` builds decoder inputs)."""
        raise NotImplementedError

    def metrics_callback(self, config, dataset, prepared: PreparedData):
        """The EvaluationCallback that computes this task's metrics on ``dataset``."""
        raise NotImplementedError

    def show_predictions(self, config, model, tokenizer, prepared: PreparedData, splits, count: int) -> list[str]:
        """A few human-readable predictions on validation examples, printed at the end of a run."""
        return []

    def predict(self, run_dir, config: dict, inputs: list[str], options) -> list[str]:
        """Lines of predictions for ``inputs`` with the model saved in ``run_dir``."""
        raise NotImplementedError
