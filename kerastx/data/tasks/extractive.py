"""Extractive summarization data: which sentences of a document its summary keeps, and encoder inputs
that score every sentence of a document in one pass (as in BERTSUM, Liu & Lapata 2019).

An input is ``[CLS] sentence [SEP] [CLS] sentence [SEP] ...`` with alternating segment ids, and a
token classifier labels every token of a sentence with the sentence's label (1: it belongs in the
summary); the special tokens are -100, ignored by the loss. A sentence's score is the mean over its
tokens. (Reading only the ``[CLS]`` of each sentence, as BERTSUM does, fails with MiniLM: the
sentence-transformers checkpoint gives every ``[CLS]`` of an input nearly the same state, and
fine-tuning learned only the label prior.) A document longer than ``max_length`` tokens is cut at
sentence boundaries into several inputs.
"""

from __future__ import annotations

import re
from collections import Counter

_WORD = re.compile(r"\w+")


def _ngrams(words: list[str], n: int) -> Counter:
    return Counter(zip(*(words[i:] for i in range(n))))


def _f1(overlap: int, predicted: int, reference: int) -> float:
    if not overlap:
        return 0.0
    precision, recall = overlap / predicted, overlap / reference
    return 2 * precision * recall / (precision + recall)


def _gain(picked: Counter, added: Counter, reference: Counter) -> int:
    """How much the clipped n-gram overlap with ``reference`` grows when ``added`` joins ``picked``."""
    return sum(min(picked[g] + count, reference[g]) - min(picked[g], reference[g]) for g, count in added.items()
               if g in reference)


def oracle_labels(sentences: list[str], summary: str) -> list[int]:
    """1 for the sentences a greedy oracle picks for ``summary``, else 0.

    Sentences are added one at a time, each time the one that most raises ROUGE-1 F1 + ROUGE-2 F1
    (lowercased words, bigrams within sentences) against the summary, until none raises it. For a
    summary made of the document's own sentences, as BBC News Summary's are, this picks exactly those.
    """
    reference_words = _WORD.findall(summary.lower())
    reference = {n: _ngrams(reference_words, n) for n in (1, 2)}
    sentence_ngrams = [{n: _ngrams(_WORD.findall(sentence.lower()), n) for n in (1, 2)} for sentence in sentences]
    reference_sizes = {n: sum(reference[n].values()) for n in (1, 2)}
    chosen: set[int] = set()
    picked = {1: Counter(), 2: Counter()}
    overlap, size = {1: 0, 2: 0}, {1: 0, 2: 0}
    best = 0.0
    while True:
        candidates = []
        for index, ngrams in enumerate(sentence_ngrams):
            if index in chosen or not ngrams[1]:
                continue
            score = sum(_f1(overlap[n] + _gain(picked[n], ngrams[n], reference[n]), size[n] + ngrams[n].total(),
                            reference_sizes[n]) for n in (1, 2))
            candidates.append((score, -index))  # ties go to the earlier sentence
        if not candidates or max(candidates)[0] <= best:
            break
        best, index = max(candidates)
        chosen.add(-index)
        for n in (1, 2):
            overlap[n] += _gain(picked[n], sentence_ngrams[-index][n], reference[n])
            size[n] += sentence_ngrams[-index][n].total()
            picked[n] += sentence_ngrams[-index][n]
    return [int(index in chosen) for index in range(len(sentences))]


def sentence_inputs(tokenizer, sentences: list[str], labels: list[int] | None, max_length: int) -> list[dict]:
    """The model inputs of one document: ``input_ids``, ``attention_mask``, ``token_type_ids`` (if the
    tokenizer uses them) and ``labels`` (each sentence's label on its tokens, -100 on ``[CLS]`` and
    ``[SEP]``; all -100 when ``labels`` is None). A sentence longer than the input is truncated.
    """
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    segments = "token_type_ids" in tokenizer.model_input_names
    rows: list[dict] = []
    current: dict | None = None
    in_row = 0  # sentences already in the current row: the next one's segment is in_row % 2
    for index, ids in enumerate(tokenizer(sentences, add_special_tokens=False, verbose=False)["input_ids"]):
        piece = [cls] + ids[:max_length - 2] + [sep]
        if current is None or len(current["input_ids"]) + len(piece) > max_length:
            current = {"input_ids": [], "labels": [], **({"token_type_ids": []} if segments else {})}
            rows.append(current)
            in_row = 0
        current["input_ids"] += piece
        label = labels[index] if labels is not None else -100
        current["labels"] += [-100] + [label] * (len(piece) - 2) + [-100]
        if segments:
            current["token_type_ids"] += [in_row % 2] * len(piece)
        in_row += 1
    for row in rows:
        row["attention_mask"] = [1] * len(row["input_ids"])
    return rows


def sentence_spans(input_ids: list[int], cls: int, sep: int) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence's tokens in one input (between its ``[CLS]`` and ``[SEP]``)."""
    starts = [i for i, token in enumerate(input_ids) if token == cls]
    ends = [i for i, token in enumerate(input_ids) if token == sep]
    return [(start + 1, end) for start, end in zip(starts, ends)]


def check_tokenizer(tokenizer, model: str) -> None:
    """Sentence inputs need BERT-style ``[CLS]`` and ``[SEP]`` tokens."""
    from kerastx.errors import ModelError

    if tokenizer.cls_token_id is None or tokenizer.sep_token_id is None:
        raise ModelError(f"{model}: extractive summarization needs an encoder whose tokenizer has [CLS] and [SEP] "
                         "tokens (BERT-style, e.g. minilm or scratch:bert-mini)")


def pick_sentences(scores, threshold: float | None = None, max_sentences: int | None = None) -> list[int]:
    """Indices, in document order, of the sentences that go into the summary.

    With a ``threshold``: those scored at least that (the best one when none is). Without: the
    ``k`` most probable, where ``k`` is the sum of the probabilities rounded (at least 1), i.e. the
    summary length the model expects. ``max_sentences`` caps either.
    """
    import numpy as np

    scores = np.asarray(scores, dtype=float)
    if not scores.size:
        return []
    by_score = sorted(range(len(scores)), key=lambda i: -scores[i])
    if threshold is None:
        chosen = by_score[:max(1, round(float(scores.sum())))]
    else:
        chosen = [i for i in by_score if scores[i] >= threshold] or by_score[:1]
    return sorted(chosen[:max_sentences] if max_sentences else chosen)
