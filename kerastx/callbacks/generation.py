"""Generation metrics (BLEU, ROUGE) and extractive ROUGE as ready-made Keras callbacks.

Each is the shared :class:`EvaluationCallback` with a task evaluator; the values land in the Keras
``logs`` (``val_bleu``, ``val_rouge1``...), so EarlyStopping and ModelCheckpoint can watch them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kerastx.callbacks.metrics import EvaluationCallback
from kerastx.evaluation.generation import BLEU, ROUGE, GenerationEvaluator
from kerastx.generation.bucketed import GenerationOptions
from kerastx.metrics.generation import bleu_scores, rouge_scores

_DIRECTIONS = {bleu_scores: BLEU, rouge_scores: ROUGE}


class GenerationMetricsCallback(EvaluationCallback):
    """Generates for ``sources`` with XLA and logs ``metric_fn(predictions, references)`` with the ``val_`` prefix.

    ``metric_fn`` may be a list: ``[bleu_scores, rouge_scores]`` logs BLEU, chrF and ROUGE of one set of
    generated texts. ``directions`` names the metrics' directions (known for ``bleu_scores`` and
    ``rouge_scores``; any other metric is taken to get better as it rises). ``self.predictions`` holds the
    texts of the latest evaluation. ``callback_options`` are EvaluationCallback's (``prefix``, ``model``).

    One generation pass per evaluation, whichever way BLEU and ROUGE are asked for: generating is the cost
    of these metrics (scoring the texts is cheap), so one callback with both metric functions generates once,
    and so do a ``BleuCallback`` and a ``RougeCallback`` given the same sources and generation settings: during
    ``fit`` the weights are those of one training step of one fit, so the first of them to evaluate at that step
    generates and the others score its texts (:func:`kerastx.evaluation.generation.generated_once_per_step`).
    Outside ``fit`` nothing says the weights are unchanged, and ``evaluate()`` always generates.

    Example::

        from kerastx.metrics.generation import bleu_scores, rouge_scores
        scores = GenerationMetricsCallback(sources, references, tokenizer, [bleu_scores, rouge_scores],
                                           buckets=[16, 32, 64], options=GenerationOptions(num_beams=4))
        model.fit(train_ds, epochs=5, callbacks=[scores, tf_keras.callbacks.EarlyStopping("val_bleu", mode="max")])
    """

    def __init__(self, sources: list[str], references: list, tokenizer, metric_fn: Callable | Sequence[Callable],
                 buckets: list[int], options: GenerationOptions | None = None, batch_size: int = 32,
                 prefix_text: str = "", every_steps: int | None = None, evaluate_at_start: bool = False,
                 verbose: bool = True, directions: dict[str, str] | None = None, **callback_options):
        metric_fns = [metric_fn] if callable(metric_fn) else list(metric_fn)
        if directions is None:
            directions = {name: mode for fn in metric_fns for name, mode in _DIRECTIONS.get(fn, {}).items()}
        evaluator = GenerationEvaluator(sources, references, metric_fns, directions, tokenizer=tokenizer,
                                        buckets=buckets, options=options, batch_size=batch_size, prefix=prefix_text)
        super().__init__(evaluator, every_steps=every_steps, evaluate_at_start=evaluate_at_start, verbose=verbose,
                         **callback_options)

    @property
    def predictions(self) -> list[str]:
        return self.evaluator.predictions

    def _measure(self) -> dict[str, float]:
        fit = self.model.history  # the History of this fit call, set as fit builds its callback list
        moment = None if fit is None else (fit, int(self.model.optimizer.iterations))
        return self._prefixed(self.evaluator.evaluate(self.model, moment=moment))


class BleuCallback(GenerationMetricsCallback):
    """``val_bleu`` and ``val_chrf`` (sacrebleu) of generated translations; see GenerationMetricsCallback
    (with a RougeCallback on the same sources, both score one generation pass)."""

    def __init__(self, sources, references, tokenizer, buckets, **kwargs):
        super().__init__(sources, references, tokenizer, bleu_scores, buckets, **kwargs)


class RougeCallback(GenerationMetricsCallback):
    """``val_rouge1``, ``val_rouge2``, ``val_rougeL``, ``val_rougeLsum`` of generated summaries; see
    GenerationMetricsCallback."""

    def __init__(self, sources, references, tokenizer, buckets, **kwargs):
        super().__init__(sources, references, tokenizer, rouge_scores, buckets, **kwargs)


class ExtractiveRougeCallback(EvaluationCallback):
    """ROUGE of extractive summaries (``val_rouge1``... ``val_rougeLsum``), ``val_sentence_f1`` of the picked
    sentences against the oracle's labels, and ``val_sentences``, the mean number picked per summary.

    ``documents`` are lists of sentences; the model is a token classifier trained on
    ``kerastx.data.tasks.extractive.sentence_inputs``.

    Example::

        sentences = [split_sentences(doc) for doc in documents]
        labels = [oracle_labels(s, summary) for s, summary in zip(sentences, summaries)]
        rouge = ExtractiveRougeCallback(sentences, summaries, labels, tokenizer, max_length=512)
        model.fit(train_ds, epochs=2, callbacks=[rouge, tf_keras.callbacks.EarlyStopping("val_rougeL", mode="max")])
    """

    def __init__(self, documents: list[list[str]], references: list[str], labels: list[list[int]], tokenizer,
                 max_length: int, threshold: float | None = None, max_sentences: int | None = None, batch_size: int = 16,
                 every_steps: int | None = None, evaluate_at_start: bool = False, verbose: bool = True,
                 **callback_options):
        from kerastx.evaluation.extractive import ExtractiveEvaluator

        evaluator = ExtractiveEvaluator(documents, references, labels, tokenizer=tokenizer, max_length=max_length,
                                        threshold=threshold, max_sentences=max_sentences, batch_size=batch_size)
        super().__init__(evaluator, every_steps=every_steps, evaluate_at_start=evaluate_at_start, verbose=verbose,
                         **callback_options)

    @property
    def predictions(self) -> list[str]:
        return self.evaluator.predictions
