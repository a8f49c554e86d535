"""Run configuration: dataclass fields, overridable by a YAML file and then by command-line flags.

Every option is a dataclass field declared with :func:`option`, which records its help text and the
section it is shown under. A recipe extends :class:`RunConfig` with its task-specific fields. The
precedence is: field default < YAML file (``--config``) < flags. Unknown keys and flags, wrong types
and options that the chosen setup would ignore are :class:`ConfigError`, never silently dropped.

This module must stay light: ``--help`` is answered from it without importing TensorFlow.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import math
import re
import sys
import types
import typing
from pathlib import Path

import yaml

from kerastx import transformers_flags
from kerastx.errors import ConfigError
from kerastx.strict_yaml import RepeatedKey, load_yaml
from kerastx.utf8 import read_utf8

SECTIONS = ("data", "model", "training", "evaluation", "output")
# --precision's values besides "auto", with the tf-keras policy each sets: the one place "fp32" means "float32".
PRECISION_POLICIES = {"fp32": "float32", "mixed_float16": "mixed_float16", "mixed_bfloat16": "mixed_bfloat16"}
WHOLE_NUMBER_TEXT = re.compile(r"[+-]?\d+(?:\.0*)?")  # what an integer option takes as text: 32, -1, 3.0


def option(default, help: str, section: str, choices: tuple | None = None):
    """A config field with its help text, its section and (optionally) its allowed values."""
    assert section in SECTIONS, section
    meta = {"help": help, "section": section, "choices": choices}
    if isinstance(default, list):
        return dataclasses.field(default_factory=lambda: list(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass
class RunConfig:
    """Options shared by every recipe. Recipes subclass it to add task-specific fields."""

    # data
    dataset: str | None = option(None, "Hub dataset name (online), or a built-in dataset of the recipe.", "data")
    dataset_config: str | None = option(None, "Configuration name of the hub dataset (e.g. 'mrpc' for 'glue').", "data")
    dataset_revision: str | None = option(None, "Branch, tag or commit of the hub dataset; 'refs/convert/parquet' reads the Hub's parquet conversion of a dataset that only has a loading script.", "data")
    train_file: str | None = option(None, "Local training file: .csv, .tsv, .json, .jsonl or .parquet.", "data")
    validation_file: str | None = option(None, "Local validation file (same formats). Without one, a seeded split of the training data is held out.", "data")
    validation_split: float = option(0.1, "Fraction of the training data held out for validation when no validation data is given.", "data")
    max_train_samples: int | None = option(None, "Use at most this many training examples (first ones, after shuffling with the seed).", "data")
    max_eval_samples: int | None = option(None, "Use at most this many validation examples.", "data")
    max_length: int = option(128, "Truncate inputs to this many tokens.", "data")
    # model
    model: str = option("minilm", "Hub id, local Hugging Face directory, 'minilm' (the packaged all-MiniLM-L6-v2), or 'scratch:<architecture>-<size>' (e.g. scratch:bert-tiny) to train from scratch.", "model")
    tokenizer: str | None = option(None, "Tokenizer hub id or directory, when it differs from the model's.", "model")
    tokenizer_algorithm: str = option("wordpiece", "Tokenizer trained on the training text for a scratch model.", "model", ("wordpiece", "bpe", "unigram"))
    dropout: float | None = option(None, "Dropout between the model's layers (its config's dropout, hidden_dropout_prob or dropout_rate); default: the model's own, 0.1 for scratch models. 0 suits short runs that see the data only a few times.", "model")
    vocab_size: int = option(8000, "Vocabulary size of the tokenizer trained for a scratch model.", "model")
    # training
    epochs: int = option(3, "Number of passes over the training data.", "training")
    max_steps: int | None = option(None, "Stop after this many optimizer steps (overrides epochs).", "training")
    batch_size: int = option(32, "Global training batch size (split across replicas): the rows of one forward and backward pass.", "training")
    gradient_accumulation_steps: int = option(1, "Batches per optimizer update: their gradients are averaged into one update of batch_size x this many rows, with the memory of one batch. Steps (max_steps, checkpoints, evaluations, the schedule) count updates.", "training")
    eval_batch_size: int | None = option(None, "Evaluation batch size (default: twice batch_size).", "training")
    learning_rate: float = option(5e-5, "Peak learning rate of the linear-decay schedule.", "training")
    warmup_ratio: float = option(0.0, "Fraction of the training steps spent warming the learning rate up.", "training")
    warmup_steps: int | None = option(None, "Warm-up steps (instead of warmup_ratio).", "training")
    weight_decay: float = option(0.0, "Decoupled weight decay (AdamW); LayerNorm and bias weights are excluded.", "training")
    clip_norm: float | None = option(None, "Clip each gradient to this global norm.", "training")
    seed: int = option(42, "Seed for shuffling, splits, weight initialisation and dropout.", "training")
    strategy: str = option("auto", "Distribution strategy: auto picks TPU, then multi-worker (TF_CONFIG), then mirrored (several GPUs), else one device.", "training", ("auto", "tpu", "multi_worker", "mirrored", "one_device"))
    tpu: str | None = option(None, "TPU name or address (default: the one the environment provides, e.g. Colab).", "training")
    precision: str = option("auto", "Keras mixed-precision policy, set before the model is built. auto: mixed_bfloat16 where the hardware computes bfloat16 natively (TPU, GPU of compute capability >= 8, CPU with AVX512_BF16 or AMX), mixed_float16 on GPUs of compute capability 7.x (not for T5), else fp32.", "training", ("auto", *PRECISION_POLICIES))
    jit_compile: bool = option(False, "Compile the train step with XLA (pays off on GPU/TPU; slower on CPU).", "training")
    pad_to_multiple_of: int | None = option(None, "Pad each batch up to a multiple of this length, which bounds the number of distinct shapes (and retraces).", "training")
    group_by_length: bool = option(False, "Batch examples of similar length together (less padding); batches are still shuffled every epoch.", "training")
    static_shapes: bool = option(False, "Pad every batch to max_length and drop the last partial batch: one shape, as XLA and TPUs need.", "training")
    # evaluation
    eval_every_steps: int | None = option(None, "Also evaluate every this many steps (always at the end of each epoch).", "evaluation")
    evaluate_before_training: bool = option(False, "Also measure the model before training, to show what training added.", "evaluation")
    early_stopping_patience: int | None = option(None, "Stop when the best metric has not improved for this many evaluations.", "evaluation")
    metric_for_best: str | None = option(None, "Metric (as in the Keras logs, e.g. val_f1) that early stopping watches; default: the recipe's main metric.", "evaluation")
    # output
    output_dir: str | None = option(None, "Run directory (default: runs/<recipe>).", "output")
    overwrite_output_dir: bool = option(False, "Replace an existing run directory.", "output")
    resume: bool | None = option(None, "Continue an interrupted run of the same output_dir from its last checkpoint (kept in .<output_dir>.partial). Default: continue when there is one, else start; --resume: there must be one; --no-resume: discard it and start over.", "output")
    checkpoint_every_steps: int | None = option(500, "Save a checkpoint to resume from every this many steps (and at the end of every epoch, on SIGUSR1, and on SIGTERM/Ctrl-C before stopping).", "output")
    checkpoints_to_keep: int = option(2, "How many of the latest checkpoints to keep while training.", "output")
    keep_checkpoints: bool = option(False, "Keep the checkpoints in the finished run directory (by default they are removed once the run is complete).", "output")
    log_every_steps: int = option(10, "Write the training loss and learning rate to TensorBoard every this many steps.", "output")
    verbose: bool = option(False, "Show TensorFlow's and transformers' own start-up logs and warnings (hidden by default).", "output")
    export: bool = option(False, "When the run is complete, export it for serving as `kerastx export` does: a SavedModel with the task's signatures in <output_dir>/export/<name>/<version>, checked in a fresh TensorFlow process.", "output")
    push_to_hub: bool = option(False, "Push the model, tokenizer and model card to a Hugging Face Hub model repo after each epoch and at the end, in the background (needs a token: HF_TOKEN, `hf auth login` or hub_token); a failed push is logged and retried, never stops training.", "output")
    hub_model_id: str | None = option(None, "Hub repo to push to, 'name' (in your namespace) or 'organization/name' (default: the output_dir's name).", "output")
    hub_token: str | None = option(None, "Hub token with write access (default: HF_TOKEN or the token saved by `hf auth login`).", "output")
    hub_private_repo: bool = option(False, "Create the hub repo as private (an existing repo keeps its visibility).", "output")
    hub_push_checkpoint: bool = option(False, "Also push the latest checkpoint (weights and optimizer state) so another machine can resume from the hub.", "output")
    hub_timeout: float = option(60.0, "Seconds a Hub request may wait for an answer; a push left unanswered that long fails on one [hub] line, and training goes on.", "output")

    def validate(self, explicit: set[str]) -> None:
        """Reject values out of range and options that the chosen setup would silently ignore."""
        check_positive(self, ("epochs", "batch_size", "gradient_accumulation_steps", "max_length", "vocab_size",
                              "log_every_steps", "checkpoints_to_keep", "hub_timeout"))
        check_positive(self, ("max_steps", "eval_batch_size", "max_train_samples", "max_eval_samples",
                               "pad_to_multiple_of", "eval_every_steps", "warmup_steps", "checkpoint_every_steps"),
                       allow_none=True)
        if not 0.0 < self.validation_split < 1.0:
            raise ConfigError(f"validation_split must be between 0 and 1, got {self.validation_split}")
        if not 0.0 <= self.warmup_ratio < 1.0:
            raise ConfigError(f"warmup_ratio must be in [0, 1), got {self.warmup_ratio}")
        if self.dropout is not None and not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")
        # written as 'not <in range>' so that NaN, which compares False with everything, is refused too
        if not 0 < self.learning_rate < math.inf:
            raise ConfigError(f"learning_rate must be a positive number, got {self.learning_rate}")
        if not 0 <= self.weight_decay < math.inf:
            raise ConfigError(f"weight_decay must be 0 (none) or a positive number, got {self.weight_decay}")
        if self.clip_norm is not None and not 0 < self.clip_norm < math.inf:
            raise ConfigError(f"clip_norm must be a positive number (the largest gradient norm kept), got "
                              f"{self.clip_norm}; leave it out for no clipping")
        if not 0 <= self.seed < 2 ** 32:
            raise ConfigError(f"seed must be between 0 and 4294967295 (what NumPy accepts), got {self.seed}")
        _reject_unused(explicit, {
            "dataset_config": (self.dataset is not None, "it only applies to a hub dataset (--dataset)"),
            "dataset_revision": (self.dataset is not None, "it only applies to a hub dataset (--dataset)"),
            "warmup_ratio": (self.warmup_steps is None, "warmup_steps is also set; give one of the two"),
            "tokenizer_algorithm": (self.model.startswith("scratch:"), "it only applies to a scratch model (--model scratch:...)"),
            "vocab_size": (self.model.startswith("scratch:"), "it only applies to a scratch model (--model scratch:...)"),
            "tpu": (self.strategy in ("auto", "tpu"), f"strategy is {self.strategy!r}"),
            "pad_to_multiple_of": (not self.static_shapes, "static_shapes pads every batch to max_length"),
            "group_by_length": (not self.static_shapes, "static_shapes pads every batch to max_length"),
            "validation_split": (self.validation_file is None, "validation_file is given"),
            "metric_for_best": (self.early_stopping_patience is not None, "it is what early stopping watches; "
                                "set early_stopping_patience too"),
            "hub_model_id": (self.push_to_hub, "it only applies with push_to_hub"),
            "hub_token": (self.push_to_hub, "it only applies with push_to_hub"),
            "hub_private_repo": (self.push_to_hub, "it only applies with push_to_hub"),
            "hub_push_checkpoint": (self.push_to_hub, "it only applies with push_to_hub"),
            "hub_timeout": (self.push_to_hub, "it only applies with push_to_hub"),
        })
        if self.dataset is not None and self.train_file is not None:
            raise ConfigError("give either dataset or train_file, not both")
        if self.gradient_accumulation_steps > 1 and self.jit_compile and not self.static_shapes:
            raise ConfigError("gradient_accumulation_steps with jit_compile needs static_shapes: XLA compiles one "
                              "micro-batch shape, which batches of varying length do not have")

    @property
    def evaluation_batch_size(self) -> int:
        return self.eval_batch_size or 2 * self.batch_size

    @property
    def update_batch_size(self) -> int:
        """Rows per optimizer update (per Keras step): the batches whose gradients are accumulated into one."""
        return self.batch_size * self.gradient_accumulation_steps


def check_positive(config, names, allow_none=False):
    """A ConfigError naming the first of the options ``names`` that is not a positive number."""
    for name in names:
        value = getattr(config, name)
        if value is None and allow_none:
            continue
        if value is None or not value > 0:  # not '<= 0': NaN is refused too
            raise ConfigError(f"{name} must be a positive number, got {value}")


def _reject_unused(explicit: set[str], rules: dict[str, tuple[bool, str]]) -> None:
    for name, (applies, why) in rules.items():
        if name in explicit and not applies:
            raise ConfigError(f"option '{name}' would be ignored: {why}")


# ---------------------------------------------------------------------------------------------
# Parsing


def config_fields(config_class) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(config_class) if f.init]


def _base_type(annotation):
    """`int | None` -> int; `list[str]` -> list."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _base_type(args[0])
    return origin or annotation


def _coerce(name: str, value, annotation, choices, where: str):
    """Check and convert one YAML or flag value to the field's type."""
    given = value
    if value is None:
        if type(None) in typing.get_args(annotation):
            return None
        raise ConfigError(f"{where}: option '{name}' cannot be empty")
    kind = _base_type(annotation)
    try:
        if kind is bool:
            if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
                value = value.lower() in ("true", "yes", "1")
            if not isinstance(value, bool):
                raise ValueError
        elif kind is int:
            if isinstance(value, str):
                if not WHOLE_NUMBER_TEXT.fullmatch(value.strip()):
                    raise ValueError  # '1e9' (YAML 1.1 reads 1e9 as text too): never a count meant as written
                value = float(value)  # "3.0" (transformers' --num_train_epochs is a float) as YAML's 3.0
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            value = int(value)
        elif kind is float:
            if isinstance(value, bool):
                raise ValueError
            value = float(value)
        elif kind is list:
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            if not isinstance(value, list):
                raise ValueError
            value = [str(v) for v in value]
        elif kind is str:
            if isinstance(value, (dict, list)):
                raise ValueError
            value = str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: option '{name}' expects {kind.__name__}, got {given!r}") from None
    if choices and value not in choices:
        raise ConfigError(f"{where}: option '{name}' must be one of {', '.join(choices)}; got {value!r}")
    return value


def _unknown(name: str, known, where: str) -> ConfigError:
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return ConfigError(f"{where}: unknown option '{name}'{hint}")


def _empty_option(name: str, where: str) -> ConfigError:
    """An option given as empty text: an error, never "not given" (``--train_file "$TRAIN"`` with TRAIN unset
    would otherwise train on the built-in demo data)."""
    return ConfigError(f"{where}: option '{name}' is empty (an unset shell variable?); give a value or leave the "
                       "option out")


def parse_yaml(text: str, name: str, error: type[Exception] = ConfigError):
    """``yaml.safe_load(text)``, but invalid YAML and a key given twice in one mapping are ``error`` naming ``name``
    (the file) and the line(s)."""
    return _load_yaml(text, name, error)[0]


def _load_yaml(text: str, name: str, error: type[Exception]):
    """``(data, root node)`` of ``text`` (:func:`kerastx.strict_yaml.load_yaml`), its errors as ``error``."""
    try:
        return load_yaml(text)
    except RepeatedKey as err:
        raise error(f"{name}: {err}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise error(f"{name}: invalid YAML{at}: {getattr(err, 'problem', err)}") from None


def read_yaml(path: str, config_class) -> dict:
    """Flatten a YAML config (top-level keys, or keys grouped under section names) into {name: value}; a
    name is a field or an option of transformers' example scripts (resolved by :func:`parse_config`). A section
    whose keys are all commented out (its value is null) is empty; an option given both at the top level and in
    its section is an error naming both lines."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"config file not found: {path}")
    raw, root = _load_yaml(read_utf8(file, ConfigError), path, ConfigError)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of option: value, got {type(raw).__name__}")
    fields = {f.name: f for f in config_fields(config_class)}
    example_flags = transformers_flags.flags_for(fields)
    lines = _key_lines(root)
    flat, given_at = {}, {}

    def put(name, value, section: str | None):
        where = f"in section '{section}'" if section else "at the top level"
        where += f" (line {lines[(section, name)]})"
        if name in flat:
            raise ConfigError(f"{path}: option '{name}' is given {given_at[name]} and {where}; keep one")
        flat[name], given_at[name] = value, where

    for key, value in raw.items():
        if key in SECTIONS and (value is None or isinstance(value, dict)):
            for sub_key, sub_value in (value or {}).items():
                field = fields.get(sub_key)
                if field is None and sub_key not in example_flags:
                    raise _unknown(sub_key, fields, path)
                if field is not None and field.metadata["section"] != key:
                    raise ConfigError(f"{path}: option '{sub_key}' belongs in section '{field.metadata['section']}', not '{key}'")
                put(sub_key, sub_value, key)
        elif key in fields or key in example_flags:
            put(key, value, None)
        else:
            raise _unknown(str(key), fields, path)
    return flat


def _key_lines(root) -> dict[tuple[str | None, str], int]:
    """``{(None, key): line}`` of a YAML config's top-level keys and ``{(section, key): line}`` of the keys of its
    mappings, read from the node tree (lines from 1)."""
    lines = {}
    for key_node, value_node in root.value:
        lines[(None, key_node.value)] = key_node.start_mark.line + 1
        if isinstance(value_node, yaml.MappingNode):
            for sub_node, _ in value_node.value:
                lines[(key_node.value, sub_node.value)] = sub_node.start_mark.line + 1
    return lines


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad flag in one line (plus a pointer to --help) with exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}{self._closest_flag(message)} (see --help)\n")

    def _closest_flag(self, message: str) -> str:
        """For an unknown flag, the closest one that ``--help`` lists: ' (did you mean --learning_rate?)'."""
        if not message.startswith("unrecognized arguments: "):
            return ""
        unknown = message.removeprefix("unrecognized arguments: ").split()[0].split("=")[0]
        listed = [flag for action in self._actions if action.help != argparse.SUPPRESS
                  for flag in action.option_strings if flag.startswith("--") and flag != "--help"]
        close = difflib.get_close_matches(unknown, listed, n=1, cutoff=0.7)
        return f" (did you mean {close[0]}?)" if close else ""


def build_parser(config_class, prog: str, description: str) -> argparse.ArgumentParser:
    parser = OneLineParser(prog=prog, description=description, allow_abbrev=False,
                            formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                            epilog="The names of transformers' example scripts work too (--model_name_or_path, "
                                   "--per_device_train_batch_size, --num_train_epochs, --fp16, --do_eval, ...): "
                                   "see the table in docs/configuration.md (make docs builds the site).")
    parser.add_argument("--config", metavar="FILE.yaml", help="YAML file of options; flags override it.")
    hints = typing.get_type_hints(config_class)
    groups = {section: parser.add_argument_group(section) for section in SECTIONS}
    for field in config_fields(config_class):
        meta = field.metadata
        flags = [f"--{field.name}"] + ([f"--{field.name.replace('_', '-')}"] if "_" in field.name else [])
        default = field.default if field.default is not dataclasses.MISSING else field.default_factory()
        shown = meta["help"] + (f" (default: {default})" if default not in (None, []) else "")
        kwargs = {"dest": field.name, "default": argparse.SUPPRESS, "help": shown.replace("%", "%%")}  # argparse formats help with %
        kind = _base_type(hints[field.name])
        if kind is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        elif kind is list:
            kwargs["nargs"] = "+"
        else:
            kwargs["metavar"] = meta["choices"] and "{" + ",".join(meta["choices"]) + "}" or kind.__name__.upper()
        groups[meta["section"]].add_argument(*flags, **kwargs)
    option_types = {name: _base_type(hint) for name, hint in hints.items()}
    for flag, kind in transformers_flags.flags_for(option_types).items():
        kwargs = {"dest": flag, "default": argparse.SUPPRESS, "help": argparse.SUPPRESS}
        shape = kind.value_kind(option_types)
        if shape != "value":  # --fp16, --fp16 true, --save_steps 500
            kwargs.update(nargs="?", const=True if shape == "switch" else None)
        parser.add_argument(f"--{flag}", f"--{flag.replace('_', '-')}", **kwargs)
    return parser


def parse_config(config_class, argv: list[str] | None, prog: str, description: str):
    """Build a config from defaults, then ``--config`` YAML, then flags. Returns (config, explicit names).

    Options of transformers' example scripts become ours (:mod:`kerastx.transformers_flags`); where they
    differ from transformers' or do nothing, a note says so on stderr.
    """
    parser = build_parser(config_class, prog, description)
    flags = vars(parser.parse_args(argv))
    yaml_path = flags.pop("config", None)
    if yaml_path is not None and not yaml_path.strip():
        raise _empty_option("config", "command line")
    hints = typing.get_type_hints(config_class)
    fields = {f.name: f for f in config_fields(config_class)}
    option_types = {name: _base_type(hint) for name, hint in hints.items()}
    example_flags = transformers_flags.flags_for(fields)
    sources = ([(yaml_path, read_yaml(yaml_path, config_class))] if yaml_path else []) + [("command line", flags)]
    values, notes = {}, []
    for where, given in sources:
        switches = {name for name, kind in example_flags.items() if kind.value_kind(option_types) == "switch"}
        given = {name: _coerce(name, value, bool, None, where) if name in switches else value
                 for name, value in given.items()}  # --fp16, --fp16 false, fp16: true
        resolved, given_as, source_notes = transformers_flags.resolve(given, example_flags, where)
        for name, value in resolved.items():
            try:
                values[name] = _coerce(name, value, hints[name], fields[name].metadata["choices"], where)
                if isinstance(values[name], str) and not values[name].strip() and fields[name].default != "":
                    raise _empty_option(name, where)  # only options empty by default (source_prefix) may be empty
            except ConfigError as err:
                raise ConfigError(f"{err} (given as '{given_as[name]}')" if name in given_as else str(err)) from None
        notes += source_notes
    for where, given in sources:
        transformers_flags.check_required(given, example_flags, values, where)
    config = config_class(**values)
    config.validate(set(values))
    for note in notes:
        print(f"{prog}: note: {note}", file=sys.stderr)
    return config, set(values)


def parse_saved_config(config_class, saved: dict):
    """The config object of a finished run from its ``config.yaml`` (as written by :func:`config_to_dict`)."""
    fields = {f.name for f in config_fields(config_class)}
    values = {name: value for section in SECTIONS for name, value in (saved.get(section) or {}).items()
              if name in fields}
    return config_class(**values)


def config_to_dict(config) -> dict:
    """The resolved configuration, grouped by section, as written to ``config.yaml`` in the run directory."""
    grouped: dict[str, dict] = {section: {} for section in SECTIONS}
    for field in config_fields(type(config)):
        grouped[field.metadata["section"]][field.name] = getattr(config, field.name)
    return grouped


def print_error_and_exit(message: str, prog: str = "kerastx") -> typing.NoReturn:
    print(f"{prog}: error: {message}", file=sys.stderr)
    raise SystemExit(2)
