"""Read the text corpus of a language-modelling recipe into a `datasets.Dataset` of documents.

Every corpus becomes the same two columns: ``text`` (one document per row) and ``path`` (where the document
came from: its file, or for a document inside a file its file and line; the recipes hold out validation
documents by ``path``, so that validation never reads a file that training read). Each file or record is one
document even when it is blank (an empty ``__init__.py``), so that counts match the data; a corpus whose
documents are all blank is an error naming the path and what was looked for.

Light: imports neither TensorFlow nor ``datasets`` until a corpus is read.
"""

from __future__ import annotations

import fnmatch
import gzip
import os
import re
import reprlib
import sys
import sysconfig
import zlib
from dataclasses import dataclass
from pathlib import Path

from kerastx.data.files import FORMATS, Source, existing_file, json_record, read_data_file
from kerastx.errors import ConfigError, DataError
from kerastx.utf8 import read_utf8, utf8_text

DOCUMENT_SPLITS = ("line", "paragraph")
IMDB_REVIEW_FOLDERS = ("pos", "neg", "unsup")
# Where review folders sit below the folder a user names: aclImdb/train (or test), the aclImdb root, or
# the folder that holds aclImdb (the shared data's imdb/).
_IMDB_PARENTS = (".", "train", "test", "aclImdb/train", "aclImdb/test")
_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
# Never documents: compiled caches, and hidden files and folders (.git, .venv, editor backups).
SKIPPED_NAMES = ("__pycache__", ".*")
# The standard library's own tests are mostly data and fixtures, not library code; site-packages is not the
# standard library; config-*/ and _sysconfigdata* describe the machine Python was built on.
STDLIB_SKIPPED_NAMES = SKIPPED_NAMES + ("test", "tests", "idle_test", "site-packages", "dist-packages", "config-*",
                                        "_sysconfigdata*")


@dataclass(frozen=True)
class DocumentSource(Source):
    """Where each document of a corpus came from: ``places[row]`` is its file, or its file and line.

    Example::

        DocumentSource("notes.txt", places=("notes.txt line 1", "notes.txt line 3")).where(1)  # "notes.txt line 3"
    """

    places: tuple[str, ...] = ()

    def where(self, row: int) -> str:
        return self.places[row]


def read_text_corpus(path: str | Path, text_column: str = "text", document_split: str = "line",
                     file_pattern: str | None = None):
    """Read the documents at ``path``; returns ``(dataset, DocumentSource)``, the dataset's columns ``text`` and
    ``path``.

    ``path`` may be:

    - a folder in the aclImdb layout (the ``aclImdb`` root, ``aclImdb/train``, one of its ``pos/``, ``neg/``,
      ``unsup/`` folders, or the folder holding ``aclImdb``): each ``.txt`` review under ``pos/``, ``neg/`` and
      ``unsup/`` is one document, with IMDB's ``<br />`` line breaks turned into newlines;
    - any other folder: each file matching ``file_pattern`` (a file-name pattern; by default ``*.py`` when the
      folder holds Python files, else ``*.txt``) in it or its subfolders, in path order, is one document;
      ``__pycache__`` and hidden files and folders are skipped;
    - ``.jsonl``, ``.jsonl.gz`` or ``.json.gz`` (JSON Lines): one document per record, from ``text_column``,
      or from ``content`` when ``text_column`` is ``text`` and the records have ``content`` instead (the
      codeparrot layout, whose ``path`` field then names each document's file);
    - ``.csv``, ``.tsv``, ``.json`` or ``.parquet``: one document per row of ``text_column``, read as by
      :func:`kerastx.data.files.read_data_file`;
    - any other file (``.txt``, ``.txt.gz``, ...): plain text, one document per non-blank line
      (``document_split="line"``) or per block of lines between blank lines (``"paragraph"``).

    Every file must be UTF-8; a value of ``text_column`` that is missing or not a string is an error naming
    its file and line.

    Example::

        corpus, source = read_text_corpus("../shared/data/imdb/aclImdb/train")
        len(corpus)                   # 5000
        source.where(0)               # ".../aclImdb/train/neg/0_3.txt"
        corpus[0]["path"]             # the same file
    """
    if document_split not in DOCUMENT_SPLITS:
        raise ConfigError(f"document_split must be one of {', '.join(DOCUMENT_SPLITS)}, not {document_split!r}")
    target = Path(path)
    if target.is_dir():
        documents, looked_for = _folder_documents(target, file_pattern)
    else:
        documents, looked_for = _file_documents(existing_file(path, "a text corpus file or folder"), text_column,
                                                document_split)
    return _corpus(documents, str(path), looked_for)


def stdlib_sources(config=None):
    """The running interpreter's standard library as a causal-LM corpus: ``{"train": Dataset(text, path)}``, one
    document per ``.py`` file (the causal LM recipe's built-in dataset, so it takes the run's config).

    Left out: the library's tests (``test/``, ``tests/``, ``idle_test/``), ``site-packages/``, ``__pycache__``,
    the machine-specific ``config-*/`` and ``_sysconfigdata*``, and any file that is not UTF-8 (CPython's
    only ones are test fixtures, already left out; a line on stderr counts any others).

    Example::

        stdlib_sources()["train"].num_rows  # 732 on CPython 3.11.7
    """
    import datasets

    root = Path(sysconfig.get_paths()["stdlib"])
    documents, not_utf8 = [], []
    for file in _files(root, "*.py", STDLIB_SKIPPED_NAMES):
        try:
            documents.append((read_utf8(file), str(file), str(file)))
        except DataError:
            not_utf8.append(file.name)
    if not_utf8:
        print(f"stdlib_sources: skipped {len(not_utf8)} files that are not UTF-8 ({', '.join(not_utf8)})",
              file=sys.stderr)
    corpus, _ = _corpus(documents, str(root), "non-blank '*.py' files of the standard library")
    return datasets.DatasetDict({"train": corpus})


def imdb_review_folders(folder: Path) -> list[Path]:
    """The aclImdb review folders (``pos/``, ``neg/``, ``unsup/``) at or below ``folder``; empty when it is
    not in the aclImdb layout."""
    if folder.name in IMDB_REVIEW_FOLDERS:
        return [folder]
    candidates = (folder / parent / review for parent in _IMDB_PARENTS for review in IMDB_REVIEW_FOLDERS)
    return [candidate for candidate in candidates if candidate.is_dir()]


def _folder_documents(folder: Path, file_pattern: str | None):
    """``([(text, place, path)], what was looked for)`` of a folder: aclImdb reviews or one file per document."""
    reviews = imdb_review_folders(folder)
    if reviews:
        pattern = file_pattern or "*.txt"
        files = sorted(file for review in reviews for file in _files(review, pattern, SKIPPED_NAMES))
        texts = (_HTML_BREAK.sub("\n", read_utf8(file)) for file in files)
        looked_for = f"non-blank '{pattern}' reviews in {'/, '.join(IMDB_REVIEW_FOLDERS)}/ (aclImdb layout)"
    else:
        every_file = _files(folder, "*", SKIPPED_NAMES)
        pattern = file_pattern or ("*.py" if any(file.suffix == ".py" for file in every_file) else "*.txt")
        files = [file for file in every_file if fnmatch.fnmatch(file.name, pattern)]
        texts = (read_utf8(file) for file in files)
        looked_for = f"non-blank files matching '{pattern}' in the folder and its subfolders"
    return [(text, str(file), str(file)) for text, file in zip(texts, files)], looked_for


def _files(folder: Path, pattern: str, skipped: tuple[str, ...]) -> list[Path]:
    """The files matching ``pattern`` in ``folder`` and its subfolders, sorted by path, without those (or those in
    folders) whose names match a ``skipped`` pattern."""
    def kept(name: str) -> bool:
        return not any(fnmatch.fnmatch(name, skip) for skip in skipped)

    found = []
    for parent, folders, names in os.walk(folder):
        folders[:] = [name for name in folders if kept(name)]  # os.walk does not descend into the removed ones
        found += [Path(parent, name) for name in names if kept(name) and fnmatch.fnmatch(name, pattern)]
    return sorted(found)


def _file_documents(file: Path, text_column: str, document_split: str):
    """``([(text, place, path)], what was looked for)`` of one file, by its format."""
    name = file.name.lower()
    compressed = name.endswith(".gz")
    suffix = Path(name.removesuffix(".gz")).suffix
    if is_json_lines(file):
        return _record_documents(_json_lines(file), text_column)
    if suffix in FORMATS:
        if compressed:
            raise DataError(f"{file}: compressed {suffix} files cannot be read; decompress it first")
        dataset, source = read_data_file(file)
        records = ((source.where(row), record) for row, record in enumerate(dataset))
        return _record_documents(records, text_column)
    lines = _text(file).split("\n")
    if document_split == "line":
        documents = [(line.removesuffix("\r"), number) for number, line in enumerate(lines, 1) if line.strip()]
        looked_for = "lines"
    else:
        documents, looked_for = _paragraphs(lines), "blocks of lines between blank lines"
    places = [f"{file} line {number}" for _, number in documents]
    return [(text, place, place) for (text, _), place in zip(documents, places)], f"non-blank {looked_for}"


def _paragraphs(lines: list[str]) -> list[tuple[str, int]]:
    """``(block, line number of its first line)`` for each block of non-blank lines."""
    paragraphs, block = [], []
    for number, line in enumerate(lines + [""], start=1):
        if line.strip():
            block.append((number, line.removesuffix("\r")))
        elif block:
            paragraphs.append(("\n".join(text for _, text in block), block[0][0]))
            block = []
    return paragraphs


def _text(file: Path) -> str:
    """The UTF-8 text of a file, decompressed first when its name ends in ``.gz``."""
    data = file.read_bytes()
    if file.name.lower().endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:  # not gzip, corrupt, or cut short
            raise DataError(f"{file}: cannot decompress as gzip: {err}") from None
    return utf8_text(data, str(file))


def is_json_lines(file: Path) -> bool:
    """Whether a corpus file is JSON Lines, by its name: ``.jsonl``, gzipped or not, or ``.json.gz`` (how
    codeparrot's compressed JSON Lines are named; a plain ``.json`` may be an array, read as a table)."""
    name = file.name.lower()
    return name.endswith((".jsonl", ".jsonl.gz", ".json.gz"))


def _json_lines(file: Path):
    """``(place, record)`` for each JSON object of a JSON Lines file (compressed or not)."""
    text = _text(file)
    if text.lstrip().startswith("["):
        raise DataError(f"{file}: a JSON array; expected JSON Lines (one object per line)")
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            yield f"{file} line {number}", json_record(line, file, number)


def _record_documents(records, text_column: str):
    """``([(text, place, path)], what was looked for)`` of ``(place, record)`` pairs: each record's text column,
    chosen by the first record; the path is the record's own ``path`` field where it has one (codeparrot)."""
    documents, column = [], None
    for place, record in records:
        column = column or _text_field(record, text_column, place)
        if column not in record:
            raise DataError(f"{place}: no '{column}' field (fields: {', '.join(record)}); every record needs one")
        text = record[column]
        if not isinstance(text, str):
            what = "missing (null)" if text is None else f"not text ({type(text).__name__} {reprlib.repr(text)})"
            raise DataError(f"{place}: '{column}' is {what}")
        origin = record.get("path")
        documents.append((text, place, origin if isinstance(origin, str) else place))
    return documents, f"non-blank '{column or text_column}' values"


def _text_field(record: dict, text_column: str, place: str) -> str:
    if text_column in record:
        return text_column
    if text_column == "text" and "content" in record:  # the codeparrot layout
        return "content"
    raise DataError(f"{place}: no '{text_column}' field (fields: {', '.join(record)}); set text_column to the field "
                    "that holds the documents")


def _corpus(documents: list[tuple[str, str, str]], name: str, looked_for: str):
    """``(Dataset(text, path), DocumentSource)`` of ``(text, place, path)`` documents, not all blank."""
    import datasets

    if not any(text.strip() for text, _, _ in documents):
        raise DataError(f"{name}: no documents: looked for {looked_for}")
    texts, places, paths = (list(column) for column in zip(*documents))
    return datasets.Dataset.from_dict({"text": texts, "path": paths}), DocumentSource(name, places=tuple(places))
