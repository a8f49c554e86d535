"""A run's sizes against its data and tokenizer, checked before TensorFlow loads: a max_length that holds some
text, epochs of at least one step, a warm-up shorter than the run.

A batch larger than the training set trains, as Keras' ``fit`` and transformers' Trainer do, on one batch of
every example per epoch; a warning says so (``--max_train_samples 8`` with the default batch is a common quick
check). Only where the last partial batch is dropped (``static_shapes``, TFRecord shards) would an epoch have no
step at all, and that is an error.
"""

from __future__ import annotations

from kerastx.data.sources import TrainingSource
from kerastx.errors import ConfigError, warn
from kerastx.training.optimizer import warmup_steps_for


def check_max_length(max_length: int, tokenizer, texts_per_example: int) -> None:
    """``max_length`` must hold the special tokens ``tokenizer`` adds to an example of ``texts_per_example`` texts
    (2: a sentence pair, a question and its context) and one token of each text."""
    pair = texts_per_example == 2
    special = tokenizer.num_special_tokens_to_add(pair=pair)
    least = special + texts_per_example
    if max_length < least:
        raise ConfigError(f"max_length {max_length} leaves no room for text: the tokenizer adds {special} special "
                          f"tokens to each {'pair of texts' if pair else 'text'}; use --max_length {least} or more")


def check_run_length(config, source: TrainingSource) -> None:
    """Refuse a run with epochs of no step or a warm-up that never ends; warn of a batch larger than the training
    set. ``source`` is what training reads, which counts its examples and its steps per epoch."""
    examples = source.examples
    per_epoch = source.steps_per_epoch()
    batch = _batch_said(config)
    after = f" after max_train_samples {config.max_train_samples}" if config.max_train_samples else ""
    if per_epoch == 0:
        dropping = "static_shapes drops" if config.static_shapes else "TFRecord shards drop"
        raise ConfigError(f"{batch} is more than the {examples} training examples{after}, and {dropping} the "
                          f"last partial batch: an epoch would have no step; {_smaller_batch(config, examples)}")
    total = config.max_steps or per_epoch * config.epochs
    if warmup_steps_for(config, total) >= total:
        length = f"max_steps {config.max_steps}" if config.max_steps else f"{config.epochs} epochs of {per_epoch}"
        raise ConfigError(f"warmup_steps {config.warmup_steps} is not less than the run's {total} training steps "
                          f"({length}): the learning rate would never decay; use fewer warm-up steps")
    if config.update_batch_size > examples:
        warn(f"{batch} is more than the {examples} training examples{after}: every step "
             f"trains on all {examples} of them, one step per epoch")


def _batch_said(config) -> str:
    """The rows of one optimizer step, as the options give them."""
    if config.gradient_accumulation_steps == 1:
        return f"batch_size {config.batch_size}"
    return (f"an update of {config.update_batch_size} rows (batch_size {config.batch_size} x "
            f"gradient_accumulation_steps {config.gradient_accumulation_steps})")


def _smaller_batch(config, examples: int) -> str:
    if config.gradient_accumulation_steps == 1:
        return f"use --batch_size {examples} or less"
    return f"use at most {examples} rows per update (a smaller --batch_size or --gradient_accumulation_steps)"
