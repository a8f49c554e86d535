"""Read CoNLL-style token files (one token per line, a blank line between sentences) into a `datasets.Dataset`.

CoNLL-2003 ships as ``word POS chunk NER`` lines with ``-DOCSTART-`` lines between documents. The
reader keeps one row per sentence, with the file line of its first token, so that a bad tag found
much later (while encoding the validation split) can still be reported as ``valid.txt line 17``.
"""

from __future__ import annotations

import re
from pathlib import Path

from kerastx.data.files import LinesSource, existing_file
from kerastx.errors import DataError, shortened
from kerastx.utf8 import read_utf8

# .txt and .conll are how CoNLL-2003 copies are usually named (train.txt, eng.conll); .train/.testa/.testb
# are the shared task's own names (eng.train, eng.testa). Not .conllu: CoNLL-U has '#' comment lines and
# multi-word token ranges that this reader does not understand.
CONLL_SUFFIXES = (".txt", ".conll", ".train", ".testa", ".testb")
DOCSTART = "-DOCSTART-"
_COLUMN_GAP = re.compile(r"[ \t]+")
_TAG = re.compile(r"O|[BIESLU]-\S+")  # an IOB/BIOES tag: what ends a CoNLL NER line, never a table's header


def is_conll_file(path: str | Path) -> bool:
    """Whether a token-classification recipe should read ``path`` with :func:`read_conll` (by its suffix).

    ``.txt``, ``.conll`` and the shared task's ``.train``/``.testa``/``.testb`` are CoNLL files; csv,
    json and the other table formats go to ``read_data_file``. ``.conllu`` is not accepted (its
    comment lines and multi-word tokens need a CoNLL-U reader).

    Example::

        read = read_conll if is_conll_file("data/train.txt") else read_data_file
    """
    return Path(path).suffix.lower() in CONLL_SUFFIXES


def check_table_is_not_conll(path: str | Path) -> None:
    """A DataError when the csv or tsv file ``path`` holds CoNLL lines (its first line a word and its tag, or
    ``-DOCSTART-``) instead of a header of column names: read as a table, its first token would become a column
    name ("no column 'tokens' (columns: EU, B-ORG)").

    Example::

        check_table_is_not_conll("train.tsv")
        # DataError: train.tsv: looks like CoNLL (a word and its tag on each line: line 1 is 'EU\\tB-ORG'), ...
    """
    file = Path(path)
    if file.suffix.lower() not in (".csv", ".tsv") or not file.is_file():
        return  # not a table of those, or not a file: the table reader says what is there instead
    with file.open("rb") as handle:
        head = handle.read(1 << 16).decode("utf-8-sig", errors="replace")
    number, line = next(((n, line.strip(" \t\r")) for n, line in enumerate(head.split("\n"), start=1)
                         if line.strip()), (0, ""))
    columns = _COLUMN_GAP.split(line)
    if columns[0] == DOCSTART or (len(columns) >= 2 and _TAG.fullmatch(columns[-1])):
        raise DataError(f"{path}: looks like CoNLL (a word and its tag on each line: line {number} is "
                        f"{shortened(line)}), not a table with a header; name it .conll or .txt to read it as CoNLL")


def read_conll(path: str | Path, tag_column: int = -1):
    """One row per sentence, with columns ``tokens`` and ``tags``; returns ``(dataset, LinesSource)``.

    Columns are separated by spaces or tabs; the word is column 0 and ``tag_column`` picks the tag
    (default the last: NER in CoNLL-2003's ``word POS chunk NER``; 1 is POS, 2 is chunk). Blank lines
    end sentences and ``-DOCSTART-`` lines are skipped. Every token line must have as many columns as
    the first one, so a shifted or truncated line is an error instead of a wrong tag.

    Example::

        train, source = read_conll("conll2003/train.txt")
        train[0]["tokens"][:3], train[0]["tags"][:3]  # ['EU', 'rejects', 'German'], ['B-ORG', 'O', 'B-MISC']
        source.where(0)  # "conll2003/train.txt line 3"
    """
    import datasets

    text = _read_text(path)
    tokens, tags, starts = [], [], []
    words, word_tags = [], []
    width = first_line = tag_index = None
    # split("\n") rather than splitlines(): the latter also breaks at form feeds and other separators
    # that may sit inside a token, which would shift every line number after them.
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip(" \t\r")
        columns = _columns(line, path, number) if line else []
        if not columns or columns[0] == DOCSTART:
            if words:
                tokens.append(words)
                tags.append(word_tags)
                words, word_tags = [], []
            continue
        if width is None:
            width, first_line = len(columns), number
            tag_index = _tag_index(path, tag_column, width, number)
        elif len(columns) != width:
            layout = " (word POS chunk NER)" if width == 4 else ""
            raise DataError(f"{path} line {number}: expected {width} space-separated columns{layout} as on line "
                            f"{first_line}, got {len(columns)}: {shortened(line)}")
        if not words:
            starts.append(number)
        words.append(columns[0])
        word_tags.append(columns[tag_index])
    if words:  # no blank line after the last sentence
        tokens.append(words)
        tags.append(word_tags)
    if not tokens:
        raise DataError(f"{path}: no sentences (only blank and {DOCSTART} lines)")
    dataset = datasets.Dataset.from_dict({"tokens": tokens, "tags": tags})
    return dataset, LinesSource(str(path), lines=tuple(starts))


def _columns(line: str, path, number: int) -> list[str]:
    """The columns of a token line, separated by spaces or tabs. In a line separated by tabs, a column with a space
    inside (a word "New York") is an error naming this line: split at the space, it would set the width of a
    first line, and the next, correct line would be blamed for having a column fewer."""
    if "\t" in line:
        spaced = next((field.strip() for field in line.split("\t") if " " in field.strip()), None)
        if spaced is not None:
            raise DataError(f"{path} line {number}: {shortened(spaced)} has a space in it, but the line's columns are "
                            "separated by tabs; a CoNLL word or tag holds no space (one word per line)")
    return _COLUMN_GAP.split(line)


def _read_text(path) -> str:
    return read_utf8(existing_file(path, "a CoNLL file"))


def _tag_index(path, tag_column: int, width: int, number: int) -> int:
    """The non-negative index of the tag column, checked against the first token line's width."""
    if width < 2:
        raise DataError(f"{path} line {number}: only one column; expected a word and its tag separated by a space")
    index = tag_column + width if tag_column < 0 else tag_column
    if not 1 <= index < width:  # column 0 is the word itself
        raise DataError(f"{path}: tag_column {tag_column} is outside the {width} columns of line {number} "
                        f"(0 is the word; use 1 to {width - 1}, or -1 for the last)")
    return index

