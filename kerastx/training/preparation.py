"""The part of a run that needs no TensorFlow: the output directory's checks, an interrupted run's options
against this one's, and the data read, checked and tokenized. Entry points run it before TensorFlow loads,
so that a mistake in the data or the options is reported in seconds, not after TensorFlow's start-up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from kerastx.config import config_to_dict
from kerastx.data.sources import TrainingSource
from kerastx.errors import ConfigError, shortened
from kerastx.run_dir import RunDirectory
from kerastx.training.precision import check_precision_fits
from kerastx.training.run_size import check_max_length, check_run_length
from kerastx.training.strategy import non_chief_task

# Options that change how a run is driven or where its output goes, not what it computes: an interrupted
# run may resume with other values. Precision is compared as resolved (``runtime``), not as requested.
OPTIONS_FREE_ON_RESUME = frozenset({
    "output_dir", "overwrite_output_dir", "resume", "verbose", "log_every_steps", "checkpoint_every_steps", "checkpoints_to_keep",
    "keep_checkpoints", "push_to_hub", "hub_model_id", "hub_token", "hub_private_repo", "hub_push_checkpoint",
    "hub_timeout", "strategy", "tpu", "precision"})


@dataclass
class PreparedRun:
    """A run's data, ready to train on, and its (not yet opened) run directory."""

    recipe: object
    config: object
    run: RunDirectory
    data: object  # the recipe's TaskData for this config (its feature spec pads the batches)
    tokenizer: object
    prepared: object  # the task's PreparedData
    source: TrainingSource  # what training reads, as the task data chose it
    data_description: str
    started: float  # time.perf_counter() at the start of the run


def prepare_run(recipe, config, started: float | None = None) -> PreparedRun:
    """Check the output directory and the options of an interrupted run to resume, then load, check and
    tokenize the data. A resumed run reuses the interrupted run's tokenizer (a scratch one is trained anew
    otherwise, and need not come out the same)."""
    started = time.perf_counter() if started is None else started
    recipe.check(config)
    check_precision_fits(config.precision, config.model)
    run = RunDirectory(config.output_dir or f"runs/{recipe.name}", overwrite=config.overwrite_output_dir,
                       resume=config.resume, keep_checkpoints=config.keep_checkpoints, worker=non_chief_task())
    if run.will_resume:
        check_same_options(run.saved_config() or {}, config_to_dict(config), run)
    data = recipe.data(config)
    splits = load_task_splits(recipe, config, data)
    tokenizer = _resumed_tokenizer(run) if run.will_resume else _new_tokenizer(config, data, splits)
    check_max_length(config.max_length, tokenizer, data.texts_per_example())
    prepared = data.prepare(splits, tokenizer)
    source = data.training_source(prepared, tokenizer)
    check_run_length(config, source)
    print(f"[data] {source.examples} training and {prepared.validation_size} validation examples "
          f"from {splits.description} ({time.perf_counter() - started:.0f}s)", flush=True)
    for name, value in prepared.baselines.items():
        print(f"[baseline] {name}={value:.4f} on the same validation examples", flush=True)
    return PreparedRun(recipe, config, run, data, tokenizer, prepared, source, splits.description, started)


def load_task_splits(recipe, config, data):
    splits = data.load_splits(recipe.builtin_datasets)
    splits.require_columns(data.required_columns())
    return splits


def check_same_options(saved: dict, current: dict, run: RunDirectory) -> None:
    """Refuse to resume an interrupted run with options that change what it computes, naming them."""
    differing = [f"{name} {shortened(value, 100)} (was {shortened(saved_section.get(name), 100)})"
                 for section, values in current.items() if isinstance(values, dict)
                 for saved_section in [saved.get(section) or {}]
                 for name, value in values.items()
                 if name not in OPTIONS_FREE_ON_RESUME and saved_section.get(name) != value]
    if differing:
        raise ConfigError(f"{run.final} has an interrupted run (checkpoint in {run.path}) with other options: "
                          f"{'; '.join(differing)}. Run it with its options to continue, or pass --no-resume to "
                          f"start over")


def _new_tokenizer(config, data, splits):
    from kerastx.models.resolve import is_scratch, load_tokenizer

    texts = data.training_texts(splits) if is_scratch(config.model) and not config.tokenizer else None
    return load_tokenizer(config, texts)


def _resumed_tokenizer(run: RunDirectory):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(run.path))
