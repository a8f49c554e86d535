"""Text files are read as UTF-8; one that is not gets a one-line error saying where its first bad byte is.

Stdlib only: the config reader uses it before anything heavy is imported.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from kerastx.errors import DataError


def utf8_text(data: bytes, name: str, error: type[Exception] = DataError, first_line: int = 1,
              offset: int = 0) -> str:
    """``data`` decoded as UTF-8 (a leading BOM dropped); else ``error`` naming the line, column and byte offset
    of the first byte that is not UTF-8 (``name`` says which file). ``data`` read from the middle of its file (a
    stream read line by line) starts at line ``first_line`` and byte ``offset`` of it.

    Example::

        utf8_text(b"ok\\ncaf\\xe9\\n", "train.csv")
        # DataError: train.csv line 2: not UTF-8 text (byte 0xe9 at column 4, byte offset 6); save the file as UTF-8
    """
    body = data[len(codecs.BOM_UTF8):] if data.startswith(codecs.BOM_UTF8) else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        bad = err.start  # in body, which is data without its BOM
        line = first_line + body.count(b"\n", 0, bad)
        column = len(body[body.rfind(b"\n", 0, bad) + 1:bad].decode("utf-8")) + 1  # what precedes it is valid
        if offset == 0 and data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Windows' "Unicode" text
            raise error(f"{name}: UTF-16 text (its first two bytes say so), not UTF-8; save the file as UTF-8") from None
        raise error(f"{name} line {line}: not UTF-8 text (byte 0x{body[bad]:02x} at column {column}, byte offset "
                    f"{offset + bad + len(data) - len(body)}); save the file as UTF-8") from None


def read_utf8(path: str | Path, error: type[Exception] = DataError) -> str:
    """The text of the file at ``path``, checked by :func:`utf8_text`."""
    return utf8_text(Path(path).read_bytes(), str(path), error)
