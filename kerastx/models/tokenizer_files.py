"""Whether a local model or tokenizer folder holds a tokenizer, before transformers tries to load one.

A fine-tuned model saved without its tokenizer (``model.save_pretrained`` alone) has a ``config.json`` and weights
but no vocabulary; ``AutoTokenizer`` then fails deep inside the tokenizer class ("stat: path should be string ...
not NoneType"). The files to look for are the ones transformers' own tokenizer classes load from.
"""

from __future__ import annotations

import json
from pathlib import Path

from kerastx.errors import ModelError


def check_tokenizer_files(directory: Path, name: str, given_as_tokenizer: bool) -> None:
    """A ModelError when ``directory`` has none of the files its tokenizer would load from (named by its
    ``tokenizer_config.json``'s tokenizer class, else by its ``config.json``'s model type); nothing is checked when
    neither says which tokenizer it is. ``name`` is how the user gave the folder: ``--model`` or, when
    ``given_as_tokenizer``, ``--tokenizer``.

    Example::

        check_tokenizer_files(Path("my-finetuned-bert"), "my-finetuned-bert", given_as_tokenizer=False)
        # ModelError: my-finetuned-bert: the model folder has no tokenizer (looked for vocab.txt, tokenizer.json);
        # give one with --tokenizer <a tokenizer's folder or hub id>
    """
    files = tokenizer_file_names(directory)
    if not files or any((directory / file).is_file() for file in files):
        return
    looked_for = f"looked for {', '.join(files)}"
    if given_as_tokenizer:
        raise ModelError(f"--tokenizer {name}: the folder has no tokenizer ({looked_for})")
    raise ModelError(f"{name}: the model folder has no tokenizer ({looked_for}); give one with --tokenizer "
                     "<a tokenizer's folder or hub id>")


def tokenizer_file_names(directory: Path) -> list[str]:
    """The files a tokenizer saved in ``directory`` loads from, any one of which is enough to try (its classes'
    ``vocab_files_names``; a fast one's include ``tokenizer.json``); empty when the folder does not say which
    tokenizer it has."""
    from transformers.models.auto.tokenization_auto import TOKENIZER_MAPPING_NAMES, tokenizer_class_from_name

    named = _json_object(directory / "tokenizer_config.json").get("tokenizer_class")
    if isinstance(named, str):
        classes = [named, named.removesuffix("Fast") + "Fast"]  # AutoTokenizer prefers the fast twin
    else:
        classes = TOKENIZER_MAPPING_NAMES.get(_json_object(directory / "config.json").get("model_type"), ())
    files = []
    for class_name in filter(None, classes):
        for file in getattr(tokenizer_class_from_name(class_name), "vocab_files_names", {}).values():
            if file not in files and file != "tokenizer_config.json":  # Marian's lists it; settings, not a vocabulary
                files.append(file)
    return files


def _json_object(file: Path) -> dict:
    """The JSON object in ``file``; empty when it is missing or not an object (its loader reports that)."""
    try:
        value = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
