"""The options of transformers' example scripts (run_glue.py, run_ner.py, run_qa.py, run_summarization.py,
run_translation.py and their ``TrainingArguments``) that users type out of habit, and what kerastx does
with each, as a flag or a YAML key:

- :class:`Alias`: the same option under our name (``--model_name_or_path`` is ``--model``);
- :class:`Sets`: a switch that sets one of our options to a value (``--fp16`` is ``--precision mixed_float16``);
- :class:`Ignored`: accepted with a note, because kerastx always does it (``--do_eval``);
- :class:`Refused`: a one-line error that names what to use instead (``--do_predict``);
- :class:`ByValue`: one of these chosen by the value (``--eval_strategy epoch`` is ignored, ``no`` refused).

The table in docs/configuration.md ("Coming from transformers' example scripts") lists them all; keep the two
in step. This module stays light: ``--help`` is answered without importing TensorFlow.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable

from kerastx.errors import ConfigError

_GLOBAL_BATCH = ("kerastx's batch size is global, split across the devices: the same on one device, "
                "on N devices give N times the per-device size")


@dataclass(frozen=True)
class Alias:
    """The same option under our name; ``convert`` maps a value that is spelled differently."""

    option: str
    note: str = ""  # printed when used: how ours differs from transformers'
    convert: Callable | None = None

    def applies_to(self, options: set[str]) -> bool:
        return self.option in options

    def value_kind(self, option_types: dict[str, type]) -> str:
        return "switch" if option_types[self.option] is bool else "value"

    def resolve(self, flag: str, value):
        value = self.convert(value) if self.convert else value
        shown = "" if value is True else f" {value}"
        note = f"--{flag}{shown} is taken as --{self.option}{shown}: {self.note}" if self.note else ""
        return {self.option: value}, note


@dataclass(frozen=True)
class Sets:
    """A switch that, when on, sets ``option`` to ``value``."""

    option: str
    value: object

    def applies_to(self, options: set[str]) -> bool:
        return self.option in options

    def value_kind(self, option_types) -> str:
        return "switch"

    def resolve(self, flag: str, on: bool):
        return ({self.option: self.value} if on else {}), ""


@dataclass(frozen=True)
class Ignored:
    """Accepted with a note, because kerastx always does what it asks for. ``only_with``: an option the
    recipe must have for this to apply (a seq2seq option, say); ``requires``: an option that must be set
    too, and what to say when it is not."""

    why: str
    only_with: str | None = None
    requires: tuple[str, str] | None = None

    def applies_to(self, options: set[str]) -> bool:
        return self.only_with is None or self.only_with in options

    def value_kind(self, option_types) -> str:
        return "switch"

    def resolve(self, flag: str, on: bool):
        return {}, (f"--{flag} has no effect: {self.why}" if on else "")


@dataclass(frozen=True)
class Refused:
    """A one-line error that says what to use instead; ``{value}`` in the hint is the value given."""

    hint: str

    def applies_to(self, options: set[str]) -> bool:
        return True

    def value_kind(self, option_types) -> str:
        return "optional"  # both --do_predict and --save_steps 500 reach the hint

    def resolve(self, flag: str, value):
        shown = "..." if value in (None, True) else value
        raise ConfigError(f"option '{flag}' of the transformers example scripts: {self.hint.format(value=shown)}")


@dataclass(frozen=True)
class ByValue:
    """An :class:`Ignored` or :class:`Refused` chosen by the value given (``other`` for any value not listed)."""

    cases: dict[str, Ignored | Refused]
    other: Refused | None = None

    def applies_to(self, options: set[str]) -> bool:
        return True

    def value_kind(self, option_types) -> str:
        return "value"

    def case(self, value):
        return self.cases.get(str(value).lower(), self.other)

    def resolve(self, flag: str, value):
        case = self.case(value)
        if case is None:
            raise ConfigError(f"option '{flag}' must be one of {', '.join(self.cases)}; got {value!r}")
        if isinstance(case, Ignored):
            return {}, f"--{flag} {value} has no effect: {case.why}"
        return case.resolve(flag, value)


def _logged_name(metric: str) -> str:
    """transformers' ``f1`` or ``eval_f1`` -> our logged ``val_f1``."""
    name = str(metric).removeprefix("eval_")
    return name if name.startswith("val_") else f"val_{name}"


_NO_TEST_SPLIT = ("kerastx has no test split; predict with the finished run: "
                  "python -m kerastx.predict OUTPUT_DIR --file inputs.txt")
_CHECKPOINTS = ("kerastx checkpoints every --checkpoint_every_steps steps (transformers' --save_steps) and at the end "
                "of every epoch, so that a stopped run can resume")
_SCHEDULE = "kerastx's schedule is linear decay after a linear warm-up (--warmup_steps or --warmup_ratio)"
_EVALUATES = "kerastx evaluates at the end of every epoch"

FLAGS = {
    # model
    "model_name_or_path": Alias("model"),
    "tokenizer_name": Alias("tokenizer"),
    "config_name": Refused("kerastx takes the model's config from --model (a hub id, a directory, or "
                           "scratch:<architecture>-<size>)"),
    # data
    "dataset_name": Alias("dataset"),
    "dataset_config_name": Alias("dataset_config"),
    "task_name": Refused("give the hub dataset instead: --dataset glue --dataset_config {value}"),
    "max_seq_length": Alias("max_length"),
    "block_size": Alias("max_length"),
    "max_source_length": Alias("max_length"),
    "val_max_target_length": Alias("max_new_tokens"),
    "pad_to_max_length": Alias("static_shapes", note="which also drops the last partial batch "
                                                     "(one shape, as XLA and TPUs need)"),
    "text_column_name": Alias("tokens_column"),
    "label_column_name": Alias("tags_column"),
    "doc_stride": Alias("stride"),
    "n_best_size": Alias("n_best"),
    "version_2_with_negative": Alias("allow_unanswerable"),
    "forced_bos_token": Alias("target_lang_code"),
    "overwrite_cache": Ignored("kerastx keeps no cache of processed data"),
    "ignore_pad_token_for_loss": Ignored("padding never counts in the loss (its label is -100)",
                                         only_with="max_target_length"),
    "test_file": Refused(_NO_TEST_SPLIT),
    # training
    "num_train_epochs": Alias("epochs"),
    "per_device_train_batch_size": Alias("batch_size", note=_GLOBAL_BATCH),
    "per_device_eval_batch_size": Alias("eval_batch_size", note=_GLOBAL_BATCH),
    "max_grad_norm": Alias("clip_norm"),
    "fp16": Sets("precision", "mixed_float16"),
    "bf16": Sets("precision", "mixed_bfloat16"),
    "xla": Alias("jit_compile"),
    "tpu_name": Alias("tpu"),
    "lr_scheduler_type": ByValue({"linear": Ignored(_SCHEDULE)}, other=Refused(_SCHEDULE)),
    "do_train": Ignored("kerastx always trains"),
    "do_eval": Ignored("kerastx always evaluates on the validation data"),
    "do_predict": Refused(_NO_TEST_SPLIT),
    "predict_with_generate": Ignored("generated text is always what is scored", only_with="max_target_length"),
    "generation_max_length": Alias("max_new_tokens"),
    "generation_num_beams": Alias("num_beams"),
    # evaluation
    "eval_strategy": ByValue({
        "epoch": Ignored(_EVALUATES),
        "steps": Ignored(f"{_EVALUATES}, and every --eval_steps steps as given",
                         requires=("eval_every_steps", "give --eval_steps N (ours: --eval_every_steps N)")),
        "no": Refused(f"{_EVALUATES}; there is no switching it off")}),
    "eval_steps": Alias("eval_every_steps"),
    "logging_steps": Alias("log_every_steps"),
    "eval_on_start": Alias("evaluate_before_training"),
    "metric_for_best_model": Alias("metric_for_best", convert=_logged_name),
    "load_best_model_at_end": Refused("give --early_stopping_patience N: kerastx then restores the best "
                                      "weights when it stops early"),
    "save_steps": Alias("checkpoint_every_steps"),
    "save_total_limit": Alias("checkpoints_to_keep"),
    "save_strategy": ByValue({"steps": Ignored(_CHECKPOINTS), "epoch": Ignored(_CHECKPOINTS)},
                             other=Refused(_CHECKPOINTS + "; there is no switching it off")),
    "resume_from_checkpoint": Refused("run the same command again: kerastx continues from the last checkpoint of "
                                      "--output_dir by itself (--resume: it must find one)"),
}
FLAGS["evaluation_strategy"] = FLAGS["eval_strategy"]  # its name before transformers 4.41


def flags_for(option_names) -> Mapping[str, object]:
    """The example-script options that apply to a config with ``option_names`` (a recipe's fields); worked out
    once per set of names (a parse asks three times: the parser, the YAML file, the flags)."""
    return _flags_for(frozenset(option_names))


@functools.cache
def _flags_for(names: frozenset[str]) -> Mapping[str, object]:
    clashes = names & set(FLAGS)
    assert not clashes, f"example-script flags shadow options: {clashes}"
    return MappingProxyType({flag: kind for flag, kind in FLAGS.items() if kind.applies_to(names)})


def resolve(given: dict, kinds: dict, where: str):
    """``given`` ({name: value} from one source: flags or a YAML file) with every example-script name
    replaced by what it sets. Returns ``(values, given_as, notes)``: ``given_as`` maps each option set
    through an example-script name to that name. Two names for one option in one source are an error."""
    values, given_as, notes, set_by = {}, {}, [], {}
    for name, value in given.items():
        kind = kinds.get(name)
        if kind is None:
            resolved, note = {name: value}, ""
        else:
            try:
                resolved, note = kind.resolve(name, value)
            except ConfigError as err:
                raise ConfigError(f"{where}: {err}") from None
        for option, option_value in resolved.items():
            if option in set_by:
                raise ConfigError(f"{where}: '{set_by[option]}' and '{name}' both set option '{option}'; give one")
            set_by[option] = name
            values[option] = option_value
            if kind is not None:
                given_as[option] = name
        if note:
            notes.append(note)
    return values, given_as, notes


def check_required(given: dict, kinds: dict, values: dict, where: str) -> None:
    """An Ignored case whose meaning needs another option (``--eval_strategy steps`` needs ``--eval_steps``)."""
    for name, value in given.items():
        kind = kinds.get(name)
        if isinstance(kind, ByValue):
            kind = kind.case(value)
        if isinstance(kind, Ignored) and kind.requires and kind.requires[0] not in values:
            raise ConfigError(f"{where}: '{name} {value}': {kind.requires[1]}")
