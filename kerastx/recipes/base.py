"""A recipe is a declaration of parts: what a task's data is (:class:`TaskData`: read, check, tokenize,
and the :class:`~kerastx.data.features.FeatureSpec` of its features), how it is measured (an
evaluator, :mod:`kerastx.evaluation`) and how a trained model answers (a predictor,
:mod:`kerastx.predictor`). Everything else (data loading, model resolution, strategy,
precision, optimizer, padding, fit, when to evaluate, run directory) is the shared trainer's.

This module stays light (no TensorFlow import), so ``--help`` answers at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from kerastx.config import RunConfig
from kerastx.data.sources import TrainingSource
from kerastx.errors import ConfigError


@dataclass
class PreparedData:
    """A task's tokenized data and what the rest of the run needs to know about it."""

    train: object  # the training examples: a datasets.Dataset of the FeatureSpec's stored features, or, where
    # the task data reads them as training goes, what it reads them from (TaskData.training_source says which)
    validation: object | None  # the same for the validation data; None when the evaluator reads `evaluation` only
    evaluation: object  # what the task's evaluator measures on (label names, generation sample, SQuAD examples...)
    samples: list[tuple[object, str]]  # a few validation (input, true answer) pairs, shown with predictions at the end
    validation_size: int  # validation examples, as the user counts them (sentences, questions, documents)
    model_overrides: dict = field(default_factory=dict)  # e.g. num_labels, id2label, label2id
    card_details: dict = field(default_factory=dict)  # extra lines for the model card
    baselines: dict = field(default_factory=dict)  # reference scores on the same data, e.g. lead-3 ROUGE


class TaskData:
    """Reading, checking and tokenizing a task's data, for one run's config.

    Subclasses implement ``required_columns``, ``training_texts``, ``prepare`` and ``feature_spec``, and
    override ``read_file`` for layouts of their own (CoNLL files, SQuAD JSON, parallel text), ``masking`` for a
    masked LM, ``training_source`` for training examples not held as rows (TFRecord shards, a stream).
    """

    def __init__(self, config):
        self.config = config

    def read_file(self, path):
        """One local data file (or folder) as ``(datasets.Dataset, Source)``."""
        from kerastx.data.files import read_data_file

        return read_data_file(path)

    def load_splits(self, builtin_datasets: dict):
        """The run's raw training and validation data (:func:`kerastx.data.splits.load_splits`)."""
        from kerastx.data.splits import load_splits

        return load_splits(self.config, builtin_datasets, self.read_file, self.held_out_group())

    def masking(self, tokenizer):
        """The :class:`~kerastx.data.masking.MaskingRule` of a masked-LM task (None for the others): how every
        training batch is masked anew, whatever its source."""
        return None

    def training_source(self, prepared: PreparedData, tokenizer) -> TrainingSource:
        """What training reads, chosen here once: the rows of ``prepared.train``, shuffled anew each epoch."""
        from kerastx.data.pipeline import RowSource

        config = self.config
        return RowSource(prepared.train, config.update_batch_size, config.seed, config.static_shapes, config.group_by_length,
                         self.masking(tokenizer))

    def held_out_group(self) -> str | None:
        """A column whose equal values must stay on one side of a held-out validation split."""
        return None

    def required_columns(self) -> list[str]:
        """Columns every split must have; checked right after loading, before anything is trained."""
        raise NotImplementedError

    def training_texts(self, splits):
        """Texts to train a scratch tokenizer on."""
        raise NotImplementedError

    def texts_per_example(self) -> int:
        """How many texts the tokenizer joins into one example (2: a sentence pair, a question and its context),
        which sets the special tokens it adds and so the shortest max_length."""
        return 1

    def prepare(self, splits, tokenizer) -> PreparedData:
        """Check the raw splits (texts, labels) and tokenize them."""
        raise NotImplementedError

    def feature_spec(self, tokenizer):
        """The :class:`~kerastx.data.features.FeatureSpec` of the tokenized examples ``prepare`` returns."""
        raise NotImplementedError


@dataclass(frozen=True)
class Recipe:
    """One task, declared as parts.

    ``evaluator(config, prepared, validation_batches, predictor)`` returns the task's evaluator
    (``validation_batches`` is the ``tf.data`` pipeline of ``prepared.validation``, or None);
    ``predictor(config, model, tokenizer)`` returns its predictor, and ``serving(config, predictor)`` the serving
    signatures an export saves, built from the predictor (same settings, same answers). ``main_metric`` is what early
    stopping and the model card's "best" watch by default (without the ``val_`` prefix).

    Example (a recipe module's whole declaration)::

        RECIPE = Recipe(name="token_classification", title="Token classification",
                        config_class=TokenClassificationConfig, model_class="TFAutoModelForTokenClassification",
                        data=TokenClassificationData, evaluator=evaluator, predictor=predictor,
                        main_metric="f1", pipeline_task="token-classification")
    """

    name: str
    title: str
    config_class: type[RunConfig]
    model_class: str  # a transformers TF auto class, e.g. "TFAutoModelForSequenceClassification"
    data: type[TaskData]
    evaluator: Callable
    predictor: Callable
    main_metric: str
    pipeline_task: str | None  # the transformers pipeline() task that answers like the predictor; None: none does
    scratch_architectures: tuple[str, ...] = ("bert",)
    builtin_datasets: dict[str, Callable] = field(default_factory=dict)
    adapt_model: Callable | None = None  # (config, model, tokenizer): changes the built model before training
    # (config, predictor) -> [Signature | Unsupported] (kerastx.serving.base): what `kerastx export` saves
    serving: Callable | None = None

    @property
    def command(self) -> str:
        """The console script, e.g. ``kerastx-token-classification``."""
        return "kerastx-" + self.name.replace("_", "-")

    def check(self, config) -> None:
        """Errors that need the recipe, found before any data or TensorFlow loads: a scratch architecture that
        does not fit the task; a pretrained model that cannot be found, is of a type the task cannot use, or has
        fewer positions than max_length (:func:`~kerastx.models.resolve.check_pretrained`)."""
        from kerastx.models.resolve import check_pretrained, is_scratch
        from kerastx.models.scratch import ScratchSpec

        task = self.name.replace("_", " ")
        if is_scratch(config.model):
            try:
                ScratchSpec.parse(config.model, self.scratch_architectures)
            except ConfigError as err:
                raise ConfigError(f"{err} for {task}") from None
        else:
            check_pretrained(config, task, self.model_class, self.scratch_architectures)
