"""Extractive summaries: score every sentence of a document with a trained token classifier (see
``kerastx.data.tasks.extractive``) and keep the likely ones."""

from __future__ import annotations

import numpy as np

from kerastx.data.tasks.extractive import pick_sentences, sentence_inputs, sentence_spans
from kerastx.metrics.generation import split_sentences
from kerastx.predictor import TextInputs

LENGTH_MULTIPLE = 64  # inputs are padded to a multiple of this: few shapes, few retraces


class SentenceScorer:
    """The probability that each sentence belongs in the summary (the mean over its tokens), for
    documents split into sentences.

    Example::

        scorer = SentenceScorer(model, tokenizer, max_length=512)
        scores = scorer([split_sentences(article)])[0]    # one probability per sentence
        summary = scorer.summarize([article])[0]
    """

    def __init__(self, model, tokenizer, max_length: int, batch_size: int = 16, threshold: float | None = None,
                 max_sentences: int | None = None):
        import tensorflow as tf

        self.model = model
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.batch_size = batch_size
        self.threshold = threshold
        self.max_sentences = max_sentences
        self._forward = tf.function(lambda inputs: model(inputs, training=False).logits, reduce_retracing=True)

    def __call__(self, documents: list[list[str]]) -> list[np.ndarray]:
        rows, owners = [], []
        for document, sentences in enumerate(documents):
            for row in sentence_inputs(self.tokenizer, sentences, None, self.max_length):
                rows.append(row)
                owners.append(document)
        scores: list[list[float]] = [[] for _ in documents]
        for start in range(0, len(rows), self.batch_size):
            batch = rows[start:start + self.batch_size]
            probabilities = self._probabilities(batch)
            for row, ids in enumerate(batch):
                spans = sentence_spans(ids["input_ids"], self.tokenizer.cls_token_id, self.tokenizer.sep_token_id)
                # a sentence with no tokens (only characters the tokenizer drops) is read at its [CLS]
                scores[owners[start + row]].extend(float(probabilities[row, begin:end].mean()) if end > begin
                                                   else float(probabilities[row, begin - 1]) for begin, end in spans)
        return [np.asarray(document_scores) for document_scores in scores]

    def _probabilities(self, batch: list[dict]) -> np.ndarray:
        """P(label 1) at every position of a batch of rows, padded to a multiple of LENGTH_MULTIPLE."""
        import tensorflow as tf

        longest = max(len(row["input_ids"]) for row in batch)
        length = min(-(-longest // LENGTH_MULTIPLE) * LENGTH_MULTIPLE, self.max_length)  # rows fit max_length
        inputs = {}
        for name in ("input_ids", "attention_mask", "token_type_ids"):
            if name not in batch[0]:
                continue
            pad = self.tokenizer.pad_token_id if name == "input_ids" else 0
            array = np.full((len(batch), length), pad, dtype=np.int32)
            for row, values in enumerate(batch):
                array[row, :len(values[name])] = values[name]
            inputs[name] = array
        logits = tf.cast(self._forward(inputs), tf.float32)
        return tf.nn.softmax(logits, axis=-1).numpy()[..., 1]

    def pick(self, documents: list[list[str]]) -> list[list[int]]:
        """The indices of the sentences each document's summary keeps, in document order."""
        return [pick_sentences(scores, self.threshold, self.max_sentences) for scores in self(documents)]

    def summarize_sentences(self, documents: list[list[str]]) -> list[str]:
        """The summary of each document (given as its sentences): the picked sentences, in document order."""
        return [" ".join(sentences[i] for i in chosen) for sentences, chosen in zip(documents, self.pick(documents))]

    def summarize(self, texts: list[str]) -> list[str]:
        return self.summarize_sentences([split_sentences(text) for text in texts])


class ExtractiveSummarizer(TextInputs):
    """Documents in, extractive summaries out: the predictor of a sentence scorer.

    Example::

        summarizer = ExtractiveSummarizer(SentenceScorer(model, tokenizer, max_length=512))
        print(summarizer([article])[0])
    """

    def __init__(self, scorer: SentenceScorer):
        self.scorer = scorer

    def __call__(self, texts: list[str]) -> list[str]:
        return self.scorer.summarize(texts)
