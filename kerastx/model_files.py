"""A finished run's model files, checked before TensorFlow reads them: ``config.json`` and the tokenizer's JSON
files parse, some tokenizer file is there, and each HDF5 weights file is whole.

transformers reports these as something else: a truncated ``tf_model.h5`` as "if you tried to load a TF 2.0 model
from a PyTorch checkpoint, please set from_pt=True", a truncated ``config.json`` as a traceback, a run without
tokenizer files as a ``TypeError`` deep inside a tokenizer class. Here each is one line naming the file.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from kerastx.errors import KerastxError, ModelError

# What save_pretrained writes for a TF model: one weights file, or an index of shards.
WEIGHTS_FILES = ("tf_model.h5", "tf_model.h5.index.json", "model.safetensors", "model.safetensors.index.json")
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "spiece.model", "source.spm", "vocab.json")
JSON_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "tf_model.h5.index.json")
DAMAGED = "copy the run again from where it was trained, or train it again"
# HDF5's own words for a file shorter than its superblock says: "truncated file: eof = 100, ..., stored_eof = 2017536"
_TRUNCATED = re.compile(r"truncated file: eof = (\d+).*stored_eof = (\d+)")


def check_model_files(run_dir: str | Path) -> None:
    """A ModelError naming the first of the run's model files that is missing, cut short or unreadable.

    Example::

        check_model_files("runs/mrpc")
        # ModelError: runs/mrpc/tf_model.h5: truncated: 1000000 of its 2017536 bytes are there; copy the run ...
    """
    folder = Path(run_dir)
    if not (folder / "config.json").is_file():
        raise ModelError(f"{folder}: no config.json (the model's configuration); the run's files are incomplete")
    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        raise ModelError(f"{folder}: no tokenizer files ({' or '.join(TOKENIZER_FILES[:2])}); the run's files are "
                         "incomplete")
    for name in JSON_FILES:
        if (folder / name).is_file():
            _read_json(folder / name)
    for weights in _hdf5_weights(folder):
        _check_hdf5(weights)


def _read_json(file: Path):
    try:
        return json.loads(file.read_bytes())
    except json.JSONDecodeError as err:
        unterminated = err.msg.startswith("Unterminated string")  # json names where the string starts
        cut = " (the file is cut short)" if unterminated or not err.doc[err.pos:].strip() else ""
        problem = f"invalid JSON at line {err.lineno} column {err.colno}: {err.msg.removesuffix(' starting at')}{cut}"
    except UnicodeDecodeError:
        problem = "not UTF-8 text"
    raise ModelError(f"{file}: {problem}; {DAMAGED}")


def _hdf5_weights(folder: Path) -> list[Path]:
    """``tf_model.h5``, or the shards its index names (``save_pretrained`` shards weights past 10 GB)."""
    index = folder / "tf_model.h5.index.json"
    if index.is_file():
        shards = sorted(set((_read_json(index).get("weight_map") or {}).values()))
        return [folder / shard for shard in shards]
    single = folder / "tf_model.h5"
    return [single] if single.is_file() else []


def _check_hdf5(file: Path) -> None:
    import h5py

    if not file.is_file():
        raise ModelError(f"{file}: no such weights file, though tf_model.h5.index.json names it; {DAMAGED}")
    try:
        h5py.File(file, "r").close()
    except OSError as err:
        truncated = _TRUNCATED.search(str(err))
        if truncated:
            present, whole = truncated.groups()
            raise ModelError(f"{file}: truncated: {present} of its {whole} bytes are there; {DAMAGED}") from None
        reason = str(err).partition("(")[2].rstrip(")") or str(err)  # "Unable to ... open file (file signature ...)"
        raise ModelError(f"{file}: not a readable HDF5 weights file ({reason}); {DAMAGED}") from None


def read_saved_run(run_dir: str | Path, known_recipes=None) -> dict:
    """The ``config.yaml`` of a finished run directory, as a dict, checked without loading TensorFlow: a folder
    without config.yaml, a config.yaml kerastx did not write (or naming a recipe not in ``known_recipes``), or a
    run without its model is a one-line KerastxError saying which."""
    from kerastx.config import SECTIONS, parse_yaml
    from kerastx.utf8 import read_utf8

    folder = Path(run_dir)
    if not folder.is_dir():
        raise KerastxError(f"{run_dir}: " + ("a file, not a run directory" if folder.exists() else "no such folder"))
    config_file = folder / "config.yaml"
    if not config_file.is_file():
        raise KerastxError(f"{run_dir}: not a kerastx run directory (no config.yaml)")
    saved = parse_yaml(read_utf8(config_file, KerastxError), str(config_file), KerastxError)
    not_written_by_a_run = f"{config_file}: not the config.yaml of a kerastx run"
    if not isinstance(saved, dict) or not isinstance(saved.get("recipe"), str):
        raise KerastxError(f"{not_written_by_a_run} (it has no 'recipe: <task>' line)")
    if known_recipes is not None and saved["recipe"] not in known_recipes:
        raise KerastxError(f"{not_written_by_a_run}: unknown recipe {saved['recipe']!r} "
                           f"(recipes: {', '.join(known_recipes)})")
    malformed = next((s for s in SECTIONS if not isinstance(saved.get(s) or {}, dict)), None)
    if malformed:
        raise KerastxError(f"{not_written_by_a_run}: its '{malformed}' section is not a mapping of option: value")
    if not any((folder / name).is_file() for name in WEIGHTS_FILES):
        raise KerastxError(f"{run_dir}: no saved model ({WEIGHTS_FILES[0]}); the run did not finish, or its files "
                           "were moved: run the recipe again")
    return saved
