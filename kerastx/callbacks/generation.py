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
