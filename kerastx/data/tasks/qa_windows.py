"""Model inputs for extractive question answering: question + context, cut into overlapping windows.

A context longer than ``max_length`` tokens (with its question) is cut into several windows, each
holding the whole question and a slice of the context, consecutive slices sharing ``stride`` tokens
so that an answer cut by one window's edge is whole in the next. For training, each window is
labelled with the token positions of the answer, or position 0 (``[CLS]``) when the answer is not
wholly inside it; the model learns that ``[CLS]`` means "not in this window". For evaluation, each
window keeps the character offsets of its context tokens, so that a predicted token span can be read
back from the context text.
"""

from __future__ import annotations

from dataclasses import dataclass

from kerastx.errors import ConfigError, DataError


@dataclass
class WindowCounts:
    """How examples were cut into windows, so that a recipe can print it (nothing is dropped)."""

    examples: int
    windows: int
    split_examples: int  # examples that needed more than one window
    windows_without_answer: int | None = None  # training only: windows labelled [CLS] (incl. unanswerable)
    unanswerable: int | None = None  # training only: examples with no answer at all (SQuAD v2)

    def __str__(self) -> str:
        text = (f"{self.examples:,} examples → {self.windows:,} windows "
                f"({self.split_examples:,} examples needed more than one)")
        if self.windows_without_answer is not None:
            text += f"; {self.windows_without_answer:,} windows without the answer point at [CLS]"
        if self.unanswerable:
            text += f" ({self.unanswerable:,} unanswerable examples)"
        return text


class Windows(dict):
    """Features by column name, one list entry per window; ``.counts`` says how examples were cut."""

    counts: WindowCounts


def training_features(tokenizer, questions: list[str], contexts: list[str], answers: list[dict],
                      max_length: int, stride: int, ids: list[str] | None = None) -> Windows:
    """Windows labelled with ``start_positions``/``end_positions`` (token indices of the first answer,
    or 0 for ``[CLS]`` when the answer is not wholly inside the window). Columns: the tokenizer's
    model inputs and the two positions.

    Example::

        windows = training_features(tokenizer, data["question"], data["context"], data["answers"],
                                    max_length=384, stride=128, ids=data["id"])
        print(windows.counts)   # "11,877 examples → 12,172 windows (...)"
        train = datasets.Dataset.from_dict(windows)
    """
    encoded = _encode(tokenizer, questions, contexts, max_length, stride, ids)
    owners = encoded["overflow_to_sample_mapping"]
    features = Windows({name: encoded[name] for name in tokenizer.model_input_names})
    starts, ends = [], []
    for window, owner in enumerate(owners):
        start, end = _answer_tokens(encoded.sequence_ids(window), encoded["offset_mapping"][window],
                                    answers[owner])
        starts.append(start)
        ends.append(end)
    features["start_positions"], features["end_positions"] = starts, ends
    unanswerable = sum(not answer["text"] for answer in answers)
    features.counts = _counts(owners, len(questions), windows_without_answer=sum(s == 0 for s in starts),
                              unanswerable=unanswerable)
    return features


def evaluation_features(tokenizer, questions: list[str], contexts: list[str], max_length: int, stride: int,
                        ids: list[str] | None = None) -> Windows:
    """Windows with ``example_index`` (the input example each belongs to) and ``offset_mapping``: the
    ``(start, end)`` characters of each context token, ``None`` for question and special tokens, so
    that post-processing (``kerastx.inference.answers.best_answers``) only picks context spans.

    Example::

        windows = evaluation_features(tokenizer, questions, contexts, max_length=384, stride=128)
        windows["example_index"][:3]   # [0, 0, 1]: example 0 needed two windows
    """
    encoded = _encode(tokenizer, questions, contexts, max_length, stride, ids)
    owners = encoded["overflow_to_sample_mapping"]
    features = Windows({name: encoded[name] for name in tokenizer.model_input_names})
    features["example_index"] = list(owners)
    features["offset_mapping"] = [
        [tuple(offset) if sequence == 1 else None for sequence, offset in zip(encoded.sequence_ids(window), offsets)]
        for window, offsets in enumerate(encoded["offset_mapping"])
    ]
    features.counts = _counts(owners, len(questions))
    return features


def _answer_tokens(sequence_ids: list, offsets: list, answer: dict) -> tuple[int, int]:
    """Token positions of the first answer in one window, or (0, 0) when it is not wholly inside."""
    if not answer["text"]:
        return 0, 0  # an unanswerable (SQuAD v2) question
    first = answer["answer_start"][0]
    last = first + len(answer["text"][0])  # one past the answer's last character
    context = [i for i, sequence in enumerate(sequence_ids) if sequence == 1]
    if not context or offsets[context[0]][0] > first or offsets[context[-1]][1] < last:
        return 0, 0
    # The answer's tokens: from the last context token starting at or before the answer's first
    # character to the first one ending at or after its last. When an answer starts or ends inside a
    # token ("1858" in "c.1858"), that whole token is taken: the span then holds a little more text.
    start = max(i for i in context if offsets[i][0] <= first)
    end = min(i for i in context if offsets[i][1] >= last)
    return start, max(start, end)  # equal unless a tokenizer gives overlapping offsets


def _encode(tokenizer, questions, contexts, max_length: int, stride: int, ids):
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError(f"question answering needs a fast tokenizer (for character offsets); "
                          f"{type(tokenizer).__name__} is a slow one")
    if len(questions) != len(contexts):
        raise ValueError(f"got {len(questions)} questions but {len(contexts)} contexts")
    # Leading and trailing spaces of a question are no part of it; some SQuAD questions have many,
    # and with tokenizers that keep spaces (byte-level BPE) they would take context room.
    questions = [question.strip() for question in questions]
    _check_room(tokenizer, questions, max_length, stride, ids)
    try:
        return tokenizer(questions, list(contexts), max_length=max_length, truncation="only_second", stride=stride,
                         return_overflowing_tokens=True, return_offsets_mapping=True, padding=False)
    except Exception as err:  # the checks above should prevent this; never let a tokenizer error out bare
        message = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
        raise DataError(f"the tokenizer cannot cut these questions and contexts into windows of {max_length} "
                        f"tokens with stride {stride}: {message}") from None


def _check_room(tokenizer, questions: list[str], max_length: int, stride: int, ids) -> None:
    """Each window holds the whole question, so a question must leave room for more than ``stride``
    context tokens: otherwise the tokenizer raises (no room) or aborts (stride too large) with a
    message that names no question."""
    special = tokenizer.num_special_tokens_to_add(pair=True)
    lengths = [len(tokens) for tokens in tokenizer(questions, add_special_tokens=False)["input_ids"]]
    for index, length in enumerate(lengths):
        room = max_length - special - length
        if room <= stride:
            name = f"question {ids[index]}" if ids is not None else f"question {index}"
            needed = length + special + stride + 1
            if room <= 0:
                problem = f"its {length} tokens leave no room for the context in max_length {max_length}"
            else:
                problem = (f"its {length} tokens leave {room} context tokens per window in max_length "
                           f"{max_length}, not more than the stride {stride}")
            raise DataError(f"{name}: {problem}; use max_length {needed} or more (or a smaller stride)")


def _counts(owners: list[int], examples: int, **training) -> WindowCounts:
    windows_per_example: dict[int, int] = {}
    for owner in owners:
        windows_per_example[owner] = windows_per_example.get(owner, 0) + 1
    split = sum(count > 1 for count in windows_per_example.values())
    return WindowCounts(examples=examples, windows=len(owners), split_examples=split, **training)
