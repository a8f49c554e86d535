"""Helpers shared by test modules (fixtures live in conftest.py)."""

from pathlib import Path

import pytest

# A scratch model small enough to train in seconds on 2 cores.
TINY_TRAINING = {"model": "scratch:bert-tiny", "vocab_size": 600, "batch_size": 16, "max_length": 64,
                 "learning_rate": 1e-3, "pad_to_multiple_of": 16}

MRPC_COLUMNS = {"text_column": "#1 String", "text_pair_column": "#2 String", "label_column": "Quality"}


def mrpc_files(mrpc_dir: Path, target: Path, train_rows: int = 160, dev_rows: int = 48) -> dict:
    """Real MRPC train/dev TSV slices (header + first rows) in ``target``, as recipe options."""
    files = {}
    for name, rows in (("train", train_rows), ("dev", dev_rows)):
        lines = (mrpc_dir / f"{name}.tsv").read_text(encoding="utf-8").splitlines(keepends=True)
        files[name] = target / f"{name}.tsv"
        files[name].write_text("".join(lines[: rows + 1]), encoding="utf-8")
    return {"train_file": files["train"], "validation_file": files["dev"], **MRPC_COLUMNS}


def as_flags(options: dict) -> list[str]:
    flags = []
    for key, value in options.items():
        if isinstance(value, bool):
            flags.append(f"--{key}" if value else f"--no-{key}")
        else:
            flags += [f"--{key}"] + ([str(v) for v in value] if isinstance(value, list) else [str(value)])
    return flags


def one_line_error(main, argv, capsys) -> str:
    """The error ``main(argv)`` prints, checked to be one line with exit status 2."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0, error
    return error
