"""Read local data files (csv, tsv, json, jsonl, parquet) into a `datasets.Dataset`.

TSV files are read the way GLUE ships them: UTF-8 with an optional BOM on the header, and no quoting
at all (MRPC's sentences contain bare `"` characters that the default CSV dialect would treat as
quotes, silently merging rows). CSV files use standard quoting.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from kerastx.errors import DataError

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
        raise DataError(f"{path}: no such file")
    if file.is_dir():
        raise DataError(f"{path}: a folder, not {kind}")
    if file.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty")
    return file


def read_data_file(path: str | Path):
    """Read one local file into a ``datasets.Dataset``; returns ``(dataset, Source)``."""
    import datasets
    import pandas as pd

    file = existing_file(path, f"a data file (use one of {', '.join(FORMATS)})")
    fmt = FORMATS.get(file.suffix.lower())
    if fmt is None:
        raise DataError(f"{path}: unsupported file type '{file.suffix}' (use one of {', '.join(FORMATS)})")
    try:
        if fmt in ("csv", "tsv"):
            frame = pd.read_csv(file, sep="\t" if fmt == "tsv" else ",", encoding="utf-8-sig",
                                quoting=csv.QUOTE_NONE if fmt == "tsv" else csv.QUOTE_MINIMAL,
                                keep_default_na=False, dtype=str)
            first_line = 2
        elif fmt == "parquet":
            frame, first_line = pd.read_parquet(file), None
        else:
            frame, first_line = _read_json(file)
    except DataError:
        raise
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    except Exception as err:  # pandas/pyarrow parse errors carry the line number in their text
        message = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
        raise DataError(f"{path}: cannot read as {fmt}: {message}") from None
    if len(frame) == 0:
        raise DataError(f"{path}: the file has a header but no rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    if fmt in ("csv", "tsv"):
        frame = frame.apply(_numbers_back)
    return datasets.Dataset.from_pandas(frame, preserve_index=False), Source(str(path), first_line)


def _read_json(file: Path):
    """A JSON array of records, or JSON Lines (one object per line)."""
    import pandas as pd

    text = file.read_text(encoding="utf-8-sig")
    if text.lstrip().startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as err:
            raise DataError(f"{file}: invalid JSON at line {err.lineno}: {err.msg}") from None
        return pd.DataFrame.from_records(records), None
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"{file} line {number}: invalid JSON: {err.msg}") from None
        if not isinstance(record, dict):
            raise DataError(f"{file} line {number}: expected a JSON object, got {type(record).__name__}")
        records.append(record)
    if not records:
        raise DataError(f"{file}: the file has no records")
    return pd.DataFrame.from_records(records), 1


def _numbers_back(column):
    """CSV columns are read as text (so that no value is guessed into NaN); restore all-integer ones."""
    import pandas as pd

    converted = pd.to_numeric(column, errors="coerce")
    if converted.notna().all() and (converted == converted.round()).all() and (column != "").all():
        return converted.astype("int64")
    return column
