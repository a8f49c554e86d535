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
    after = f" after max_train_samples {config.max_train_samples}" if config.max_train_samples else ""
    if per_epoch == 0:
        dropping = "static_shapes drops" if config.static_shapes else "TFRecord shards drop"
        raise ConfigError(f"batch_size {config.batch_size} is more than the {examples} training examples{after}, and "
                          f"{dropping} the last partial batch: an epoch would have no step; use --batch_size "
                          f"{examples} or less")
    total = config.max_steps or per_epoch * config.epochs
    if warmup_steps_for(config, total) >= total:
        length = f"max_steps {config.max_steps}" if config.max_steps else f"{config.epochs} epochs of {per_epoch}"
        raise ConfigError(f"warmup_steps {config.warmup_steps} is not less than the run's {total} training steps "
                          f"({length}): the learning rate would never decay; use fewer warm-up steps")
    if config.batch_size > examples:
        warn(f"batch_size {config.batch_size} is more than the {examples} training examples{after}: every step "
             f"trains on all {examples} of them, one step per epoch")
