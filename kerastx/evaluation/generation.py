"""Generation metrics (BLEU, ROUGE) of texts generated with XLA-compiled, length-bucketed ``generate``.

The sample of sources is fixed (seeded by the caller), so numbers from one evaluation to the next
are comparable, unlike a random batch per evaluation.
"""

from __future__ import annotations

from typing import Callable

from kerastx.evaluation.base import maximized
from kerastx.generation.bucketed import BucketedGenerator, GenerationOptions

BLEU = maximized("bleu", "chrf")
ROUGE = maximized("rouge1", "rouge2", "rougeL", "rougeLsum")


class GenerationEvaluator:
    """Generates for ``sources`` and scores ``metric_fn(predictions, references)``.

    ``generator`` is a :class:`BucketedGenerator` of the model to evaluate (a recipe shares its
    predictor's, so nothing compiles twice); without one, one is built for the model being evaluated
    from ``tokenizer``, ``buckets``, ``options``, ``batch_size`` and ``prefix``.

    Example::

        from kerastx.metrics.generation import bleu_scores
        bleu = GenerationEvaluator(sources, references, bleu_scores, BLEU, tokenizer=tokenizer, buckets=[16, 32])
        print(bleu.evaluate(model), bleu.predictions[:3])
    """

    def __init__(self, sources: list[str], references: list, metric_fn: Callable, directions: dict[str, str],
                 generator: BucketedGenerator | None = None, tokenizer=None, buckets: list[int] | None = None,
                 options: GenerationOptions | None = None, batch_size: int = 32, prefix: str = ""):
        self.sources = list(sources)
        self.references = list(references)
        self.metric_fn = metric_fn
        self.directions = directions
        self.generator = generator
        self.settings = {"tokenizer": tokenizer, "buckets": buckets, "options": options, "batch_size": batch_size,
                         "prefix": prefix}
        self.predictions: list[str] = []  # of the latest evaluation

    def evaluate(self, model) -> dict[str, float]:
        if self.generator is None or self.generator.model is not model:
            self.generator = BucketedGenerator(model, **self.settings)
        self.predictions = self.generator(self.sources)
        return {name: float(value) for name, value in self.metric_fn(self.predictions, self.references).items()}
