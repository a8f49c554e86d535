"""Read and check extractive question-answering data in the SQuAD layout.

The official SQuAD files (v1.1, and v2.0 with unanswerable questions) are one JSON object nested as
articles → paragraphs → questions. ``read_squad`` flattens them into one row per question with the
columns of the hub's ``squad`` dataset (``id``, ``title``, ``context``, ``question``,
``answers = {"text": [...], "answer_start": [...]}``), so that a recipe sees files and hub data alike,
and ``check_answers`` checks any data in that layout (JSON, JSON Lines, hub) the same way.

The official files are written on a single line, so errors name a question id rather than a file line.
"""

from __future__ import annotations

import json
from pathlib import Path

from kerastx.data.files import Source, existing_file
from kerastx.errors import DataError, shortened
from kerastx.utf8 import read_utf8

COLUMNS = ("id", "title", "context", "question", "answers")


def is_squad_json(path: str | Path) -> bool:
    """Whether ``path`` is a ``.json`` file whose top level is an object with a ``"data"`` list, i.e. a
    file for ``read_squad`` rather than for the generic reader (JSON arrays and JSON Lines are not).

    Example::

        dataset, source = read_squad(path) if is_squad_json(path) else read_data_file(path)
    """
    file = Path(path)
    if file.suffix.lower() != ".json" or not file.is_file():
        return False
    with file.open("rb") as handle:
        head = handle.read(4096).decode("utf-8-sig", errors="replace").lstrip()
    if not head.startswith("{"):
        return False  # a JSON array of records: decided without reading the rest
    try:
        # JSON Lines fails here as soon as its second line is reached ("Extra data"); a SQuAD file is
        # parsed in full (read_squad parses it again: under a second for all of SQuAD's 40 MB)
        document = json.loads(file.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(document, dict) and isinstance(document.get("data"), list)


def read_squad(path: str | Path):
    """Read an official SQuAD JSON file (v1.1 or v2.0) into a ``datasets.Dataset`` with one row per
    question; returns ``(dataset, Source)``. Unanswerable v2.0 questions get empty answer lists.

    Example::

        dataset, source = read_squad("train-v1.1.json")
        check_answers(dataset, source)
        dataset[0]["answers"]   # {'text': ['Saint Bernadette Soubirous'], 'answer_start': [515]}
    """
    import datasets

    file = existing_file(path, "a SQuAD JSON file")
    try:
        document = json.loads(read_utf8(file))
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: invalid JSON at line {err.lineno} column {err.colno}: {err.msg}") from None
    if not (isinstance(document, dict) and isinstance(document.get("data"), list)):
        raise DataError(f"{path}: not a SQuAD file: its top level has no 'data' list of articles")
    rows = {column: [] for column in COLUMNS}
    for article_number, article in enumerate(document["data"]):
        for row in _article_rows(article, f"{path} article {article_number}"):
            for column in COLUMNS:
                rows[column].append(row[column])
    if not rows["id"]:
        raise DataError(f"{path}: the file has no questions")
    features = datasets.Features({
        "id": datasets.Value("string"), "title": datasets.Value("string"),
        "context": datasets.Value("string"), "question": datasets.Value("string"),
        "answers": {"text": datasets.List(datasets.Value("string")),
                    "answer_start": datasets.List(datasets.Value("int32"))},
    })  # spelled out: a v2.0 file may start with unanswerable questions, whose empty lists have no type
    return datasets.Dataset.from_dict(rows, features=features), Source(str(path))


def _article_rows(article, where: str):
    if not isinstance(article, dict) or not isinstance(article.get("paragraphs"), list):
        raise DataError(f"{where}: not a SQuAD article (an object with a 'paragraphs' list)")
    title = article.get("title", "")
    for paragraph_number, paragraph in enumerate(article["paragraphs"]):
        here = f"{where} paragraph {paragraph_number}"
        if not isinstance(paragraph, dict) or not isinstance(paragraph.get("context"), str):
            raise DataError(f"{here}: no 'context' text")
        if not isinstance(paragraph.get("qas"), list):
            raise DataError(f"{here}: no 'qas' list of questions")
        for question_number, qa in enumerate(paragraph["qas"]):
            if not isinstance(qa, dict) or "id" not in qa:
                raise DataError(f"{here} question {question_number}: no 'id'")
            if not isinstance(qa.get("question"), str):
                raise DataError(f"{here} question {qa['id']}: no 'question' text")
            answers = [] if qa.get("is_impossible") else qa.get("answers", [])
            if not isinstance(answers, list) or not all(
                    isinstance(a, dict) and isinstance(a.get("text"), str) and isinstance(a.get("answer_start"), int)
                    for a in answers):
                raise DataError(f"{here} question {qa['id']}: 'answers' must be a list of "
                                "{'text': ..., 'answer_start': ...} objects")
            yield {"id": str(qa["id"]), "title": str(title), "context": paragraph["context"],
                   "question": qa["question"],
                   "answers": {"text": [a["text"] for a in answers],
                               "answer_start": [a["answer_start"] for a in answers]}}


def check_answers(dataset, source: Source, allow_unanswerable: bool = False) -> None:
    """Check that every question and context has text and that every answer is found in its context
    at its ``answer_start``; raise a one-line ``DataError`` naming the question otherwise.

    A question without answers is an error unless ``allow_unanswerable`` (SQuAD v2.0 data). Works on
    any dataset with ``context``, ``question`` and ``answers`` columns (``id`` is used when present).

    Example::

        check_answers(dataset, source)   # "train.json question 5733be28...: answer 'Saint Bernadette' is
                                         #  not at character 515 of its context (found 'Saint Bernadett')"
    """
    missing = [column for column in ("context", "question", "answers") if column not in dataset.column_names]
    if missing:
        raise DataError(f"{source.name}: no {', '.join(repr(c) for c in missing)} column for question answering "
                        f"(has {', '.join(dataset.column_names)})")
    columns = [c for c in ("id", "context", "question", "answers") if c in dataset.column_names]
    row = 0
    for batch in dataset.select_columns(columns).iter(batch_size=1000):
        for index in range(len(batch["context"])):
            name = (f"{source.name} question {batch['id'][index]}" if "id" in batch else source.where(row))
            _check_row(batch["context"][index], batch["question"][index], batch["answers"][index], name,
                       allow_unanswerable)
            row += 1


def _check_row(context, question, answers, name: str, allow_unanswerable: bool) -> None:
    if not isinstance(question, str) or not question.strip():
        raise DataError(f"{name}: the question is blank")
    if not isinstance(context, str) or not context.strip():
        raise DataError(f"{name}: the context is blank")
    if not (isinstance(answers, dict) and isinstance(answers.get("text"), list)
            and isinstance(answers.get("answer_start"), list)):
        raise DataError(f"{name}: 'answers' must be {{'text': [...], 'answer_start': [...]}}, got {shortened(answers)}")
    texts, starts = answers["text"], answers["answer_start"]
    if len(texts) != len(starts):
        raise DataError(f"{name}: {len(texts)} answer texts but {len(starts)} answer_start values")
    if not texts and not allow_unanswerable:
        raise DataError(f"{name}: the question has no answer (SQuAD v2.0's unanswerable questions); pass "
                        "--allow_unanswerable (allow_unanswerable: true in a YAML config) to train on them")
    for text, start in zip(texts, starts):
        if not isinstance(text, str) or not text.strip():
            raise DataError(f"{name}: an answer text is blank")
        if not isinstance(start, int) or start < 0:
            raise DataError(f"{name}: answer_start {start!r} of answer {shortened(text)} is not a character position")
        found = context[start:start + len(text)]
        if found != text:
            raise DataError(f"{name}: answer {shortened(text)} is not at character {start} of its context "
                            f"(found {shortened(found)})")
