"""Generation metrics (BLEU, ROUGE) and extractive ROUGE as ready-made Keras callbacks.

Each is the shared :class:`EvaluationCallback` with a task evaluator; the values land in the Keras
``logs`` (``val_bleu``, ``val_rouge1``...), so EarlyStopping and ModelCheckpoint can watch them.
"""

from __future__ import annotations

from typing import Callable

from kerastx.callbacks.metrics import EvaluationCallback
from kerastx.evaluation.base import maximized
from kerastx.evaluation.generation import BLEU, ROUGE, GenerationEvaluator
from kerastx.generation.bucketed import GenerationOptions


class GenerationMetricsCallback(EvaluationCallback):
    """Generates for ``sources`` with XLA and logs ``metric_fn(predictions, references)`` with the ``val_`` prefix.

    ``directions`` names the metrics ``metric_fn`` returns (default: all of them get better as they rise).
    ``self.predictions`` holds the texts of the latest evaluation.

    Example::

        from kerastx.metrics.generation import bleu_scores
        bleu = GenerationMetricsCallback(sources, references, tokenizer, bleu_scores, buckets=[16, 32, 64],
                                         options=GenerationOptions(num_beams=4, max_new_tokens=64))
        model.fit(train_ds, epochs=5, callbacks=[bleu, tf_keras.callbacks.EarlyStopping("val_bleu", mode="max")])
    """

    def __init__(self, sources: list[str], references: list, tokenizer, metric_fn: Callable, buckets: list[int],
                 options: GenerationOptions | None = None, batch_size: int = 32, prefix_text: str = "",
                 every_steps: int | None = None, evaluate_at_start: bool = False, verbose: bool = True,
                 directions: dict[str, str] | None = None):
        evaluator = GenerationEvaluator(sources, references, metric_fn, directions or {}, tokenizer=tokenizer,
                                        buckets=buckets, options=options, batch_size=batch_size, prefix=prefix_text)
        super().__init__(evaluator, every_steps=every_steps, evaluate_at_start=evaluate_at_start, verbose=verbose)

    @property
    def predictions(self) -> list[str]:
        return self.evaluator.predictions

    def evaluate(self) -> dict[str, float]:
        results = super().evaluate()
        if not self.evaluator.directions:  # a user's metric_fn: its names are known once it has run
            self.evaluator.directions = maximized(*(name.removeprefix(self.prefix) for name in results))
        return results


class BleuCallback(GenerationMetricsCallback):
    """``val_bleu`` and ``val_chrf`` (sacrebleu) of generated translations; see GenerationMetricsCallback."""

    def __init__(self, sources, references, tokenizer, buckets, **kwargs):
        from kerastx.metrics.generation import bleu_scores

        super().__init__(sources, references, tokenizer, bleu_scores, buckets, directions=BLEU, **kwargs)


class RougeCallback(GenerationMetricsCallback):
    """``val_rouge1``, ``val_rouge2``, ``val_rougeL``, ``val_rougeLsum`` of generated summaries."""

    def __init__(self, sources, references, tokenizer, buckets, **kwargs):
        from kerastx.metrics.generation import rouge_scores

        super().__init__(sources, references, tokenizer, rouge_scores, buckets, directions=ROUGE, **kwargs)


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
        from kerastx.evaluation.extractive import ExtractiveEvaluator

        evaluator = ExtractiveEvaluator(documents, references, labels, tokenizer=tokenizer, max_length=max_length,
                                        threshold=threshold, max_sentences=max_sentences, batch_size=batch_size)
        super().__init__(evaluator, every_steps=every_steps, evaluate_at_start=evaluate_at_start, verbose=verbose)

    @property
    def predictions(self) -> list[str]:
        return self.evaluator.predictions
