"""Generation metrics (BLEU, ROUGE) as Keras callbacks, with XLA-compiled bucketed ``generate``.

The values land in the Keras ``logs`` (``val_bleu``, ``val_rouge1``...), so EarlyStopping and
ModelCheckpoint can watch them. The sample of sources is fixed (seeded by the caller), so numbers
from one evaluation to the next are comparable, unlike a random batch per evaluation.
"""

from __future__ import annotations

from typing import Callable

from kerastx.callbacks.metrics import EvaluationCallback
from kerastx.generation.bucketed import BucketedGenerator, GenerationOptions


class GenerationMetricsCallback(EvaluationCallback):
    """Generates for ``sources`` and logs ``metric_fn(predictions, references)`` with the ``val_`` prefix.

    Example::

        from kerastx.metrics.generation import bleu_scores
        bleu = GenerationMetricsCallback(sources, references, tokenizer, bleu_scores, buckets=[16, 32, 64],
                                         options=GenerationOptions(num_beams=4, max_new_tokens=64))
        model.fit(train_ds, epochs=5, callbacks=[bleu, tf_keras.callbacks.EarlyStopping("val_bleu", mode="max")])
    """

    def __init__(self, sources: list[str], references: list, tokenizer, metric_fn: Callable, buckets: list[int],
                 options: GenerationOptions | None = None, batch_size: int = 32, prefix_text: str = "",
                 every_steps: int | None = None, evaluate_at_start: bool = False, verbose: bool = True):
        super().__init__(None, metric_fn=metric_fn, output_fn=None, every_steps=every_steps, verbose=verbose,
                         evaluate_at_start=evaluate_at_start)
        self.sources = list(sources)
        self.references = list(references)
        self.tokenizer = tokenizer
        self.buckets = buckets
        self.options = options or GenerationOptions()
        self.batch_size = batch_size
        self.prefix_text = prefix_text
        self.predictions: list[str] = []  # of the latest evaluation
        self._generator = None

    @property
    def generator(self) -> BucketedGenerator:
        if self._generator is None or self._generator.model is not self.model:
            self._generator = BucketedGenerator(self.model, self.tokenizer, self.buckets, self.batch_size,
                                                self.options, prefix=self.prefix_text)
        return self._generator

    def evaluate(self) -> dict[str, float]:
        self.predictions = self.generator(self.sources)
        results = self.metric_fn(self.predictions, self.references)
        return {f"{self.prefix}{name}": float(value) for name, value in results.items()}


class BleuCallback(GenerationMetricsCallback):
    """``val_bleu`` and ``val_chrf`` (sacrebleu) of generated translations; see GenerationMetricsCallback."""

    def __init__(self, sources, references, tokenizer, buckets, **kwargs):
        from kerastx.metrics.generation import bleu_scores

        super().__init__(sources, references, tokenizer, bleu_scores, buckets, **kwargs)


class RougeCallback(GenerationMetricsCallback):
    """``val_rouge1``, ``val_rouge2``, ``val_rougeL``, ``val_rougeLsum`` of generated summaries."""

    def __init__(self, sources, references, tokenizer, buckets, **kwargs):
        from kerastx.metrics.generation import rouge_scores

        super().__init__(sources, references, tokenizer, rouge_scores, buckets, **kwargs)


class ExtractiveRougeCallback(EvaluationCallback):
    """ROUGE of extractive summaries (``val_rouge1``... ``val_rougeLsum``), ``val_sentence_f1`` of the picked
    sentences against the oracle's labels, and ``val_sentences``, the mean number picked per summary.

    ``documents`` are lists of sentences; the model is a token classifier trained on
    ``kerastx.data.extractive.sentence_inputs``.

    Example::

        sentences = [split_sentences(doc) for doc in documents]
        labels = [oracle_labels(s, summary) for s, summary in zip(sentences, summaries)]
        rouge = ExtractiveRougeCallback(sentences, summaries, labels, tokenizer, max_length=512)
        model.fit(train_ds, epochs=2, callbacks=[rouge, tf_keras.callbacks.EarlyStopping("val_rougeL", mode="max")])
    """

    def __init__(self, documents: list[list[str]], references: list[str], labels: list[list[int]], tokenizer,
                 max_length: int, threshold: float | None = None, max_sentences: int | None = None, batch_size: int = 16,
                 every_steps: int | None = None, evaluate_at_start: bool = False, verbose: bool = True):
        from kerastx.metrics.generation import rouge_scores

        super().__init__(None, metric_fn=rouge_scores, output_fn=None, every_steps=every_steps, verbose=verbose,
                         evaluate_at_start=evaluate_at_start)
        self.documents = documents
        self.references = references
        self.labels = labels
        self.tokenizer = tokenizer
        self.settings = {"max_length": max_length, "threshold": threshold, "max_sentences": max_sentences,
                         "batch_size": batch_size}
        self.predictions: list[str] = []  # of the latest evaluation
        self._scorer = None

    def evaluate(self) -> dict[str, float]:
        import numpy as np

        from kerastx.generation.extractive import SentenceScorer
        from kerastx.metrics.classification import classification_metrics

        if self._scorer is None or self._scorer.model is not self.model:
            self._scorer = SentenceScorer(self.model, self.tokenizer, **self.settings)
        picked = self._scorer.pick(self.documents)
        self.predictions = [" ".join(sentences[i] for i in chosen) for sentences, chosen in zip(self.documents, picked)]
        results = self.metric_fn(self.predictions, self.references)
        predicted = np.concatenate([np.isin(np.arange(len(labels)), chosen) for labels, chosen in zip(self.labels, picked)])
        truth = np.concatenate([np.asarray(labels, dtype=int) for labels in self.labels])
        results["sentence_f1"] = classification_metrics(predicted.astype(int), truth, 2)["f1"]
        results["sentences"] = float(np.mean([len(chosen) for chosen in picked]))
        return {f"{self.prefix}{name}": float(value) for name, value in results.items()}
