"""Translation and summarization metrics computed offline (``evaluate.load`` needs the Hub).

BLEU and chrF come from sacrebleu, ROUGE from rouge_score; both are imported on first use, so
importing this module stays cheap. Scores are on a 0-100 scale, as the Hugging Face course reports them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# A sentence end: terminators, optional closing quotes/brackets, then whitespace, or no space at all
# before an uppercase letter ("$10.9bn.For the full year": how BBC News Summary's summaries are written).
_SENTENCE_END = re.compile(r"([.!?]+)([\"'”’)\]]*)(?:\s+|(?=[^\W\d_]))")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# Word before a period that makes it an abbreviation rather than a sentence end.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof rev st jr sr vs gen sen rep gov col lt sgt capt cf al fig".split()
)
# A single letter, alone or after a dot: initials ("J."), "U.S.", "e.g.", "i.e.".
_INITIAL = re.compile(r"(?:^|\.)[^\W\d_]$")


def _is_abbreviation(text: str, period: int) -> bool:
    word = re.search(r"\S*$", text[:period]).group().lstrip("\"'“‘([")
    return word.lower() in _ABBREVIATIONS or bool(_INITIAL.search(word))


def _split_paragraph(text: str) -> list[str]:
    sentences, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if end == len(text):
            break
        if match.end(2) == end and not text[end].isupper():
            continue  # no space after the terminator and no capital: "10.9bn", "bbc.co.uk"
        if match.group(1) == "." and _is_abbreviation(text, match.start()):
            continue
        sentences.append(text[start:match.end(2)])
        start = end
    sentences.append(text[start:])
    return sentences


def split_sentences(text: str) -> list[str]:
    """Sentences of ``text`` by a regex (no nltk data needed), stripped, empties dropped.

    Splits after ``.``, ``!`` or ``?`` (and any closing quotes/brackets) followed by whitespace or
    directly by an uppercase letter, and at blank lines (paragraph breaks, e.g. after a headline).
    A period does not end a sentence inside a number (``10.9bn``), after a common abbreviation
    (``Mr.``, ``Dr.``) or after a single letter (``J. K. Rowling``, ``U.S.``, ``e.g.``).
    """
    sentences = []
    for paragraph in _PARAGRAPH_BREAK.split(text):
        sentences += [s.strip() for s in _split_paragraph(paragraph)]
    return [s for s in sentences if s]


def lead_sentences(document: str, count: int = 3) -> str:
    """The first ``count`` sentences joined by a space: the lead-3 summarization baseline."""
    return " ".join(split_sentences(document)[:count])


def lead_baselines(documents: list[str], references: list[str]) -> dict[str, float]:
    """ROUGE of lead-3 (``lead3_rougeL``...) and of lead-k (``leadk_rougeL``...): the first k sentences, k
    being the reference's own sentence count. A summary as long as the reference scores higher ROUGE
    than a short one, so lead-k shows what choosing sentences adds beyond choosing how many."""
    lead3 = rouge_scores([lead_sentences(document, 3) for document in documents], references)
    lead_k = rouge_scores([lead_sentences(document, len(split_sentences(reference)))
                           for document, reference in zip(documents, references)], references)
    return {**{f"lead3_{name}": value for name, value in lead3.items()},
            **{f"leadk_{name}": value for name, value in lead_k.items()}}


def _check_lengths(predictions: Sequence, references: Sequence) -> None:
    if len(predictions) != len(references):
        raise ValueError(
            f"got {len(predictions)} predictions but {len(references)} references; "
            "there must be one reference (or list of alternatives) per prediction"
        )
    if not predictions:
        raise ValueError("no predictions to score: predictions and references are empty")


def bleu_scores(predictions: list[str], references: list[str] | list[list[str]]) -> dict[str, float]:
    """Corpus BLEU and chrF (sacrebleu defaults: 13a tokenizer, exp smoothing).

    Each reference is one string, or a list of alternative references; the number of alternatives
    may differ between predictions.
    """
    import sacrebleu

    _check_lengths(predictions, references)
    alternatives = [[ref] if isinstance(ref, str) else list(ref) for ref in references]
    for index, alts in enumerate(alternatives):
        if not alts:
            raise ValueError(f"prediction {index} has an empty list of references")
    # sacrebleu takes reference streams (the i-th alternative of every prediction). It skips None
    # in a stream, but an empty string counts as a reference (of length 0, which can lift the
    # brevity penalty), so missing alternatives are padded with None.
    streams = [
        [alts[i] if i < len(alts) else None for alts in alternatives]
        for i in range(max(map(len, alternatives)))
    ]
    predictions = list(predictions)
    return {
        "bleu": float(sacrebleu.corpus_bleu(predictions, streams).score),
        "chrf": float(sacrebleu.corpus_chrf(predictions, streams).score),
    }


def rouge_scores(predictions: list[str], references: list[str], use_stemmer: bool = True) -> dict[str, float]:
    """Mean ROUGE-1/2/L/Lsum F-measures over the pairs, x100.

    rougeLsum reads one sentence per line, so both texts are split with ``split_sentences`` first
    (the other types tokenize on non-alphanumerics, so the line breaks do not change them). Only
    nltk's Porter stemmer is used: no nltk data is needed.
    """
    from rouge_score import rouge_scorer

    _check_lengths(predictions, references)
    types = ("rouge1", "rouge2", "rougeL", "rougeLsum")
    scorer = rouge_scorer.RougeScorer(list(types), use_stemmer=use_stemmer)
    totals = dict.fromkeys(types, 0.0)
    for prediction, reference in zip(predictions, references):
        # score(target, prediction): the reference comes first.
        scores = scorer.score(_one_sentence_per_line(reference), _one_sentence_per_line(prediction))
        for name in types:
            totals[name] += scores[name].fmeasure
    return {name: 100 * total / len(predictions) for name, total in totals.items()}


def _one_sentence_per_line(text: str) -> str:
    return "\n".join(" ".join(sentence.split()) for sentence in split_sentences(text))
