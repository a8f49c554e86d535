"""Answers from a question-answering model: the best context span of each example, over all its windows.

A QA model gives every token of a window a start logit and an end logit. A span's score is its start
token's start logit plus its end token's end logit; the answer is the best-scoring span that lies in
the context, ends at or after its start and is at most ``max_answer_length`` tokens long, over all
windows of the example (see ``kerastx.data.tasks.qa_windows``). Only the ``n_best`` highest start and end
logits of each window are paired, which keeps the search small and almost never misses the best span.
"""

from __future__ import annotations

import numpy as np

from kerastx.data.tasks.qa_windows import evaluation_features
from kerastx.errors import DataError, shortened

LENGTH_MULTIPLE = 64  # batches are padded to a multiple of this: few shapes, few retraces


class Answers(list):
    """One answer dict per example, with counts of the examples answered with "" and why."""

    without_span: int = 0  # no window had any valid span (e.g. max_answer_length 0, or empty contexts)
    no_answer: int = 0  # allow_no_answer: the [CLS] score beat the best span


def best_answers(start_logits, end_logits, features, contexts: list[str], n_best: int = 20,
                 max_answer_length: int = 30, allow_no_answer: bool = False,
                 no_answer_threshold: float = 0.0) -> Answers:
    """The best answer of each example: ``{"answer", "score", "start", "end"}`` with ``start``/``end``
    character offsets into its context (``answer == context[start:end]``) and ``score`` the span's logit
    sum. ``start_logits``/``end_logits`` have one row per window (extra padded positions are ignored);
    ``features`` has the windows' ``example_index`` and ``offset_mapping``, as ``evaluation_features``
    makes them.

    With ``allow_no_answer`` (SQuAD v2.0), an example is answered "" when its no-answer score (the
    ``[CLS]`` start + end logits, the lowest over its windows) beats the best span by more than
    ``no_answer_threshold``. An example with no valid span at all is answered "" too; its score is
    then the no-answer score. Both are counted (``.no_answer``, ``.without_span``).

    Example::

        windows = evaluation_features(tokenizer, questions, contexts, max_length=384, stride=128)
        output = model(inputs)   # the windows' model inputs, padded on the right
        answers = best_answers(output.start_logits, output.end_logits, windows, contexts)
        answers[0]   # {'answer': 'Saint Bernadette Soubirous', 'score': 17.2, 'start': 515, 'end': 541}
    """
    owners, offsets = features["example_index"], features["offset_mapping"]
    if not len(start_logits) == len(end_logits) == len(owners):
        raise ValueError(f"got {len(start_logits)} start and {len(end_logits)} end logit rows for "
                         f"{len(owners)} windows")
    best: list[tuple[float, int, int] | None] = [None] * len(contexts)
    null: list[float | None] = [None] * len(contexts)
    for window, owner in enumerate(owners):
        window_offsets = offsets[window]
        starts = np.asarray(start_logits[window], dtype=np.float32)[:len(window_offsets)]
        ends = np.asarray(end_logits[window], dtype=np.float32)[:len(window_offsets)]
        cls_score = float(starts[0] + ends[0])
        null[owner] = cls_score if null[owner] is None else min(null[owner], cls_score)
        span = _best_span(starts, ends, window_offsets, n_best, max_answer_length)
        if span is not None and (best[owner] is None or span[0] > best[owner][0]):
            best[owner] = span
    answers = Answers()
    for example, context in enumerate(contexts):
        if null[example] is None:
            raise ValueError(f"example {example} has no window in the features")
        span = best[example]
        if span is None:
            answers.without_span += 1
        elif allow_no_answer and null[example] - span[0] > no_answer_threshold:
            answers.no_answer += 1
        else:
            score, first, last = span
            answers.append({"answer": context[first:last], "score": score, "start": first, "end": last})
            continue
        answers.append({"answer": "", "score": null[example], "start": 0, "end": 0})
    return answers


def _best_span(starts: np.ndarray, ends: np.ndarray, offsets: list, n_best: int, max_answer_length: int):
    """(score, first character, end character) of the best valid span of one window, or None."""
    best = None
    # highest first; a stable sort, so that equal logits prefer the earlier token
    top_ends = np.argsort(-ends, kind="stable")[:n_best]
    for start in np.argsort(-starts, kind="stable")[:n_best]:
        if offsets[start] is None:
            continue
        for end in top_ends:
            if offsets[end] is None or end < start or end - start + 1 > max_answer_length:
                continue
            score = float(starts[start] + ends[end])
            if best is None or score > best[0]:
                best = (score, int(offsets[start][0]), int(offsets[end][1]))
    return best


class AnswerPredictor:
    """Answers questions about contexts with a TensorFlow question-answering model.

    ``__call__`` takes ``(question, context)`` pairs and returns ``best_answers``' dicts; contexts
    longer than ``max_length`` tokens are read in windows overlapping by ``stride`` tokens. ``score``
    is the answer's start + end logit sum, not a probability: it ranks answers of one model, higher is
    surer, and has no fixed scale.

    Example::

        predictor = AnswerPredictor(model, tokenizer)
        result = predictor([("Where is the grotto?", "The grotto is at Lourdes, France.")])[0]
        predictor.format(result)    # 'Lourdes, France\\t9.31' (the context's own text, then the score)
        predictor([predictor.parse("Where is the grotto?\\tThe grotto is at Lourdes.")])
    """

    def __init__(self, model, tokenizer, max_length: int = 384, stride: int = 128, batch_size: int = 32,
                 n_best: int = 20, max_answer_length: int = 30, allow_no_answer: bool = False):
        import tensorflow as tf

        self.model = model
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.stride = stride
        self.batch_size = batch_size
        self.n_best = n_best
        self.max_answer_length = max_answer_length
        self.allow_no_answer = allow_no_answer
        self._forward = tf.function(lambda inputs: self._logits(model(inputs, training=False)),
                                    reduce_retracing=True)

    def __call__(self, inputs: list[tuple[str, str]]) -> Answers:
        if not inputs:
            return Answers()
        questions = [question for question, _ in inputs]
        contexts = [context for _, context in inputs]
        windows = evaluation_features(self.tokenizer, questions, contexts, self.max_length, self.stride)
        names = self.tokenizer.model_input_names
        start_rows, end_rows = [], []
        for first in range(0, len(windows["example_index"]), self.batch_size):
            batch = {name: windows[name][first:first + self.batch_size] for name in names}
            start_logits, end_logits = (logits.numpy() for logits in self._forward(self._pad(batch)))
            for row, ids in enumerate(batch["input_ids"]):
                start_rows.append(start_logits[row, :len(ids)])
                end_rows.append(end_logits[row, :len(ids)])
        return best_answers(start_rows, end_rows, windows, contexts, n_best=self.n_best,
                            max_answer_length=self.max_answer_length, allow_no_answer=self.allow_no_answer)

    def _pad(self, batch: dict) -> dict:
        # Padding to the longest window rounded up to LENGTH_MULTIPLE (at most max_length) keeps the
        # number of distinct input shapes, and so of tf.function retraces, to max_length / 64, while a
        # batch of short inputs is not padded all the way to max_length. Padded here rather than by
        # tokenizer.pad, which warns on every run that __call__ would be faster (it cannot window), and
        # always on the right, where __call__ reads each window's logits back.
        longest = max(len(ids) for ids in batch["input_ids"])
        length = min(-(-longest // LENGTH_MULTIPLE) * LENGTH_MULTIPLE, self.max_length)
        padded = {}
        for name, rows in batch.items():
            pad = {"input_ids": self.tokenizer.pad_token_id,
                   "token_type_ids": self.tokenizer.pad_token_type_id}.get(name, 0)
            array = np.full((len(rows), length), pad, dtype=np.int32)
            for row, values in enumerate(rows):
                array[row, :len(values)] = values
            padded[name] = array
        return padded

    @staticmethod
    def _logits(output):
        import tensorflow as tf

        # mixed precision models give float16 logits; span scores are sums compared across windows
        return tf.cast(output.start_logits, tf.float32), tf.cast(output.end_logits, tf.float32)

    def format(self, result: dict) -> str:
        """One line: the answer (on one line, "(no answer)" when empty), a tab, the score (logit sum)."""
        answer = " ".join(result["answer"].split()) or "(no answer)"
        return f"{answer}\t{result['score']:.2f}"

    def parse(self, line: str) -> tuple[str, str]:
        """A ``question<TAB>context`` line (as ``python -m kerastx.predict --file`` reads them) as a pair."""
        question, tab, context = line.partition("\t")
        if not tab:
            raise DataError(f"{shortened(line)}: separate the question and the context with a tab")
        if not question.strip() or not context.strip():
            raise DataError(f"{shortened(line)}: both a question and a context are needed, separated by a tab")
        return question, context
