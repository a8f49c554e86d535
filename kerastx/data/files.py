"""Read local data files (csv, tsv, json, jsonl, parquet) into a `datasets.Dataset`.

TSV files are read the way GLUE ships them: UTF-8 with an optional BOM on the header, and no quoting
at all (MRPC's sentences contain bare `"` characters that the default CSV dialect would treat as
quotes, silently merging rows). CSV files use standard quoting. Every file must be UTF-8: one that is not
is an error naming the line of its first bad byte.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from kerastx.errors import DataError
from kerastx.utf8 import read_utf8

FORMATS = {".csv": "csv", ".tsv": "tsv", ".json": "json", ".jsonl": "jsonl", ".parquet": "parquet"}


@dataclass(frozen=True)
class Source:
    """Where a split came from, so that errors can point at a file and line."""

    name: str
    first_line: int | None = None  # file line of row 0, for line-oriented formats

    def where(self, row: int) -> str:
        if self.first_line is None:
            return f"{self.name} (row {row})"
        return f"{self.name} line {self.first_line + row}"


@dataclass(frozen=True)
class LinesSource(Source):
    """A source whose rows each span several file lines (a CoNLL sentence): ``lines[row]`` is the file line
    where row ``row`` starts, so errors point at the sentence rather than at a row number.

    Example::

        LinesSource("valid.txt", lines=(3, 15)).where(1)  # "valid.txt line 15"
    """

    lines: tuple[int, ...] = ()

    def where(self, row: int) -> str:
        return f"{self.name} line {self.lines[row]}"


def existing_file(path: str | Path, kind: str) -> Path:
    """``path``, checked to be a file with something in it: else the DataError that says which it is not
    (``kind`` completes "a folder, not ...", e.g. "a CoNLL file")."""
    file = Path(path)
    if not file.exists():
        raise DataError(f"{path}: {nothing_there(file)}")
    if file.is_dir():
        raise DataError(f"{path}: a folder, not {kind}")
    if file.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty")
    return file


def nothing_there(path: Path) -> str:
    """Why ``path``, which does not exist as far as ``Path.exists`` can tell, leads to no file: a symbolic link
    loop, a symbolic link to something not there, or nothing at all (what completes "<path>: ...")."""
    try:
        path.stat()
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "a symbolic link loop (following its links leads back to them); give the file itself"
    if path.is_symlink():
        return f"a symbolic link to '{os.readlink(path)}', which does not exist"
    return "no such file"


def read_data_file(path: str | Path):
    """Read one local file into a ``datasets.Dataset``; returns ``(dataset, Source)``."""
    import datasets
    import pandas as pd
    import pyarrow

    file = existing_file(path, f"a data file (use one of {', '.join(FORMATS)})")
    fmt = FORMATS.get(file.suffix.lower())
    if fmt is None:
        raise DataError(f"{path}: unsupported file type '{file.suffix}' (use one of {', '.join(FORMATS)})")
    if fmt in ("csv", "tsv"):
        columns, source = _read_table(file, fmt)
        return datasets.Dataset.from_dict(columns), source
    try:
        frame, lines = (pd.read_parquet(file), None) if fmt == "parquet" else _read_json(file)
    except DataError:
        raise
    except Exception as err:  # pyarrow's parse errors say what is wrong in their last line
        message = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
        raise DataError(f"{path}: cannot read as {fmt}: {message}") from None
    if len(frame) == 0:
        raise DataError(f"{path}: the file has no rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    source = _source(file, lines)
    try:
        return datasets.Dataset.from_pandas(frame, preserve_index=False), source
    except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError) as err:  # a column of values of several types
        raise DataError(_type_change(frame, source) or f"{path}: cannot read as {fmt}: {err}") from None


def _read_table(file: Path, fmt: str):
    """``({column: values}, Source)`` of a csv or tsv file whose first non-blank line is the header.

    Every row must have one field per header column: a short or long row is an error naming its line,
    never a row padded with empty values. Blank lines are skipped; a row is named by the line it starts
    on (a quoted csv field may span lines). Line endings may be ``\\n`` or ``\\r\\n``.
    """
    kind = "tab" if fmt == "tsv" else "comma"
    dialect = {"delimiter": "\t", "quoting": csv.QUOTE_NONE} if fmt == "tsv" else {}
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))  # a long document exceeds the default 128 KiB
    reader = csv.reader(io.StringIO(read_utf8(file), newline=""), strict=True, **dialect)
    header, rows, lines = None, [], []
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            problem = "a quoted field starts here and is never closed" if "end of data" in str(err) else str(err)
            raise DataError(f"{file} line {start}: cannot read as {fmt}: {problem}") from None
        if len(fields) <= 1 and not "".join(fields).strip():
            continue  # a blank line
        if header is None:
            header, header_line = _header(fields, file, start), start
        elif len(fields) != len(header):
            raise DataError(f"{file} line {start}: {_fields(len(fields))} but the header (line {header_line}) has "
                            f"{len(header)} ({', '.join(header)}): every row needs one {kind}-separated value per "
                            "column")
        else:
            rows.append(fields)
            lines.append(start)
    if header is None:
        raise DataError(f"{file}: the file has only blank lines")
    if not rows:
        raise DataError(f"{file}: the file has a header but no rows")
    return {name: _typed([row[i] for row in rows]) for i, name in enumerate(header)}, _source(file, lines)


def _source(file: Path, lines: list[int] | None) -> Source:
    """Where rows came from: ``lines[row]`` is the file line of each row (None: rows are not lines)."""
    if lines is None:
        return Source(str(file))
    if lines[-1] - lines[0] == len(lines) - 1:  # one row per line, no blank lines between them
        return Source(str(file), lines[0])
    return LinesSource(str(file), lines=tuple(lines))


def _fields(count: int) -> str:
    return "1 field" if count == 1 else f"{count} fields"


def _header(fields: list[str], file: Path, line: int) -> list[str]:
    names = [field.strip() or f"Unnamed: {i}" for i, field in enumerate(fields)]  # pandas' name for an index column
    repeated = next((name for i, name in enumerate(names) if name in names[:i]), None)
    if repeated is not None:
        raise DataError(f"{file} line {line}: the header names column '{repeated}' twice")
    return names


# What a missing value looks like in a csv written by pandas, R or a spreadsheet.
MISSING_VALUES = frozenset({"", "nan", "NaN", "NA", "N/A", "n/a", "null", "NULL", "None", "<NA>"})
_WHOLE_NUMBER = re.compile(r"[+-]?\d{1,18}(?:\.0*)?")  # 18 digits: always fits an int64 column


def _typed(values: list[str]):
    """A column of whole numbers as integers, with None where a value is missing (so that a label column with
    holes is reported as such, not trained on as a class "NaN"); any other column as the text it is (no text
    is guessed into NaN)."""
    stripped = [value.strip() for value in values]
    if not all(v in MISSING_VALUES or _WHOLE_NUMBER.fullmatch(v) for v in stripped) or all(
            v in MISSING_VALUES for v in stripped):
        return values
    return [None if v in MISSING_VALUES else int(v.partition(".")[0]) for v in stripped]


def _read_json(file: Path):
    """A JSON array of records, or JSON Lines (one object per line); returns the frame and the file line of each
    row (None for an array)."""
    import pandas as pd

    text = read_utf8(file)
    if text.lstrip().startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as err:
            raise DataError(f"{file}: invalid JSON at line {err.lineno}: {_json_problem(err)}") from None
        not_object = next((i for i, record in enumerate(records) if not isinstance(record, dict)), None)
        if not_object is not None:
            raise DataError(f"{file}: expected an array of objects (one per row), but item {not_object} is "
                            f"{type(records[not_object]).__name__}")
        return pd.DataFrame.from_records(records), None
    records, lines = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json_record(line, file, number)
        except DataError:
            if not records and _is_one_object(text):
                raise DataError(f"{file}: one JSON object; expected an array of objects or JSON Lines (one object "
                                "per line)") from None
            raise
        records.append(record)
        lines.append(number)
    if not records:
        raise DataError(f"{file}: the file has no records")
    return pd.DataFrame.from_records(records), lines


# How a JSON value's type reads in a message: (one, several).
_JSON_TYPES = {bool: ("the boolean", "booleans"), int: ("the number", "numbers"), float: ("the number", "numbers"),
               str: ("the text", "texts"), list: ("the list", "lists"), dict: ("the object", "objects")}


def _type_change(frame, source: Source) -> str | None:
    """The error for the first column whose values change type (1, then "1"), which a table column cannot hold:
    it names the row where the type changes and the first row of the type before it. None if none does."""
    def kind(value) -> tuple[str, str]:
        return _JSON_TYPES.get(type(value), (type(value).__name__,) * 2)

    def as_json(value) -> str:
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= 40 else text[:37] + "..."

    for column in frame.columns:
        first = None  # (row, value) of the column's first value
        for row, value in enumerate(frame[column]):
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue  # a missing value fits any type
            if first is None:
                first = (row, value)
            elif kind(value)[1] != kind(first[1])[1]:
                first_at = source.where(first[0]).removeprefix(source.name).strip(" ()")
                return (f"{source.where(row)}: column '{column}' has {kind(value)[0]} {as_json(value)} after "
                        f"{kind(first[1])[1]} ({as_json(first[1])} first, on {first_at}): give every value of a "
                        "column one type (quote all of them or none)")
    return None


def json_record(line: str, name: str | Path, number: int) -> dict:
    """Line ``number`` of the JSON Lines file ``name``, as the object it holds; else a DataError naming the line.

    Example::

        json_record('{"text": "cut', "train.jsonl", 7)
        # DataError: train.jsonl line 7: invalid JSON: Unterminated string starting at (column 10)
    """
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise DataError(f"{name} line {number}: invalid JSON: {_json_problem(err)}") from None
    if not isinstance(record, dict):
        raise DataError(f"{name} line {number}: expected a JSON object, got {type(record).__name__}")
    return record


def _json_problem(err: json.JSONDecodeError) -> str:
    if not err.doc[err.pos:].strip():
        return f"{err.msg} at its end (the file or line is cut short?)"
    return f"{err.msg} (column {err.colno})"


def _is_one_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except json.JSONDecodeError:
        return False
