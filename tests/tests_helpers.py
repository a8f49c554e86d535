"""Helpers shared by test modules (fixtures live in conftest.py)."""

from pathlib import Path

import pytest

# Test runs pin what "auto" would choose by the machine (bfloat16 on some CPUs, mirrored on several GPUs), so
# that their outcomes are the same on any machine.
ANY_MACHINE = {"precision": "fp32", "strategy": "one_device"}

# A scratch model small enough to train in seconds on 2 cores.
TINY_TRAINING = {"model": "scratch:bert-tiny", "vocab_size": 600, "batch_size": 16, "max_length": 64,
                 "learning_rate": 1e-3, "pad_to_multiple_of": 16, **ANY_MACHINE}

MRPC_COLUMNS = {"text_column": "#1 String", "text_pair_column": "#2 String", "label_column": "Quality"}


def mrpc_files(mrpc_dir: Path, target: Path, train_rows: int = 160, dev_rows: int = 48) -> dict:
    """Real MRPC train/dev TSV slices (header + first rows) in ``target``, as recipe options."""
    files = {}
    for name, rows in (("train", train_rows), ("dev", dev_rows)):
        lines = (mrpc_dir / f"{name}.tsv").read_text(encoding="utf-8").splitlines(keepends=True)
        files[name] = target / f"{name}.tsv"
        files[name].write_text("".join(lines[: rows + 1]), encoding="utf-8")
    return {"train_file": files["train"], "validation_file": files["dev"], **MRPC_COLUMNS}


def tokenized_mrpc(mrpc_dir: Path, rows: int, vocab_size: int):
    """``(tokenizer, data, collator)``: the first ``rows`` MRPC training pairs tokenized (64 tokens) by a
    scratch BERT WordPiece tokenizer trained on them, with ``labels``, and a padding collator (multiples of 16)."""
    import datasets
    from transformers import DataCollatorWithPadding

    from kerastx.data.files import read_data_file
    from kerastx.models.scratch import train_tokenizer

    table, _ = read_data_file(mrpc_dir / "train.tsv")
    table = table.select(range(rows))
    first, second = table["#1 String"][:], table["#2 String"][:]
    tokenizer = train_tokenizer(first + second, "bert", "wordpiece", vocab_size)
    encoded = tokenizer(first, second, truncation=True, max_length=64)
    data = datasets.Dataset.from_dict({**encoded, "labels": table["Quality"][:]})
    return tokenizer, data, DataCollatorWithPadding(tokenizer, pad_to_multiple_of=16, return_tensors="np")


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


def bbc_validation(bbc_dir: Path, count: int, seed: int = 42) -> list[tuple[str, str]]:
    """The (document, summary) pairs a summarization recipe holds out of the BBC folder (its default 10%,
    by row) and samples ``count`` of, rebuilt by hand."""
    from kerastx.data.splits import held_out_rows, limit
    from kerastx.data.readers.summary_dirs import read_summary_dirs

    data, _ = read_summary_dirs(bbc_dir)
    validation = limit(data.select(held_out_rows(data, 0.1, seed)[1]), count, seed)
    return list(zip(validation["document"], validation["summary"]))
