"""Generation metrics (BLEU, ROUGE) of texts generated with XLA-compiled, length-bucketed ``generate``.

The sample of sources is fixed (seeded by the caller), so numbers from one evaluation to the next
are comparable, unlike a random batch per evaluation.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence

from kerastx.evaluation.base import MAX, maximized
from kerastx.generation.bucketed import BucketedGenerator, GenerationOptions

BLEU = maximized("bleu", "chrf")
ROUGE = maximized("rouge1", "rouge2", "rougeL", "rougeLsum")

# Per fit (the object that stands for one ``fit`` call), the step of the latest generations and, for each
# (sources, settings) asked for at that step, the texts; a fit's entry goes away with that object.
_GENERATED_IN_FIT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def generated_once_per_step(generator: BucketedGenerator, sources: list[str], fit, step: int) -> list[str]:
    """``generator(sources)``, generated once for training ``step`` of ``fit`` (an object that stands for one
    ``fit`` call, e.g. its History) and reused by every later request for the same sources and generation
    settings at that step: within one step the weights do not change, so neither would the texts."""
    settings = (sources, generator.tokenizer, generator.buckets, generator.batch_size, generator.options,
                generator.prefix)
    latest_step, generated = _GENERATED_IN_FIT.get(fit, (None, []))
    if latest_step != step:
        generated = []
        _GENERATED_IN_FIT[fit] = (step, generated)
    for seen, predictions in generated:
        if seen == settings:
            return predictions
    predictions = generator(sources)
    generated.append((settings, predictions))
    return predictions


class GenerationEvaluator:
    """Generates for ``sources`` and scores ``metric_fn(predictions, references)``; ``metric_fn`` may be a
    list of metric functions (``[bleu_scores, rouge_scores]``), all scored on the same generated texts.

    ``directions`` says which way each metric improves; a metric it does not name is taken to improve as
    it rises once ``metric_fn`` has returned it.

    ``generator`` is a :class:`BucketedGenerator` of the model to evaluate (a recipe shares its
    predictor's, so nothing compiles twice); without one, one is built for the model being evaluated
    from ``tokenizer``, ``buckets``, ``options``, ``batch_size`` and ``prefix``.

    Example::

        from kerastx.metrics.generation import bleu_scores, rouge_scores
        scores = GenerationEvaluator(sources, references, [bleu_scores, rouge_scores], {**BLEU, **ROUGE},
                                     tokenizer=tokenizer, buckets=[16, 32])
        print(scores.evaluate(model), scores.predictions[:3])
    """

    def __init__(self, sources: list[str], references: list, metric_fn: Callable | Sequence[Callable],
                 directions: dict[str, str], generator: BucketedGenerator | None = None, tokenizer=None,
                 buckets: list[int] | None = None, options: GenerationOptions | None = None, batch_size: int = 32,
                 prefix: str = ""):
        self.sources = list(sources)
        self.references = list(references)
        self.metric_fns = [metric_fn] if callable(metric_fn) else list(metric_fn)
        self.directions = dict(directions)
        self.generator = generator
        self.settings = {"tokenizer": tokenizer, "buckets": buckets, "options": options, "batch_size": batch_size,
                         "prefix": prefix}
        self.predictions: list[str] = []  # of the latest evaluation

    def evaluate(self, model, moment: tuple | None = None) -> dict[str, float]:
        """The metrics of ``model``'s generations for ``sources``.

        ``moment``, ``(fit, step)``, says the weights are those of training ``step`` of ``fit`` (see
        :func:`generated_once_per_step`): evaluators asking at the same moment with the same sources and
        settings then share one generation pass. Without it, every call generates.
        """
        if self.generator is None or self.generator.model is not model:
            self.generator = BucketedGenerator(model, **self.settings)
        if moment is None:
            self.predictions = self.generator(self.sources)
        else:
            self.predictions = generated_once_per_step(self.generator, self.sources, *moment)
        results = {}
        for metric_fn in self.metric_fns:
            results.update(metric_fn(self.predictions, self.references))
        for name in results:
            self.directions.setdefault(name, MAX)
        return {name: float(value) for name, value in results.items()}
