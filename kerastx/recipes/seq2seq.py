"""What translation and summarization share: source/target text pairs, a seq2seq model, and
generation metrics computed with XLA-compiled, length-bucketed ``generate``.

Not a recipe itself: a task subclasses :class:`Seq2SeqData` with how to find its text pairs, and
declares its Recipe with :func:`generation_predictor` and :func:`generation_evaluator`.
"""

from __future__ import annotations

import dataclasses
import math

from kerastx.config import RunConfig, check_positive, option
from kerastx.errors import ConfigError, DataError
from kerastx.recipes.base import PreparedData, TaskData


@dataclasses.dataclass
class Seq2SeqConfig(RunConfig):
    model: str = option("scratch:marian-mini", "Hub id, local Hugging Face directory, or 'scratch:<architecture>-<size>' with architecture marian, bart or t5 and size tiny, mini, small or base (trained from scratch with a tokenizer trained on the data).", "model")
    tokenizer_algorithm: str = option("unigram", "Tokenizer trained on the source and target text for a scratch model (one vocabulary shared by both sides).", "model", ("wordpiece", "bpe", "unigram"))
    max_target_length: int = option(128, "Truncate targets to this many tokens.", "data")
    source_prefix: str = option("", "Text put before every source, e.g. 'translate English to French: ' for T5.", "data")
    num_beams: int = option(1, "Beam width of generation (1 = greedy).", "evaluation")
    max_new_tokens: int | None = option(None, "Most tokens generated per example (default: max_target_length).", "evaluation")
    length_penalty: float = option(1.0, "Beam search length penalty: > 1 favours longer outputs.", "evaluation")
    no_repeat_ngram_size: int = option(0, "Never generate the same n-gram twice (0 = off); works under XLA.", "evaluation")
    generation_samples: int | None = option(None, "Generate for this many validation examples (a fixed, seeded sample) at each evaluation; default: all of them.", "evaluation")
    generation_batch_size: int = option(64, "Batch size of generation.", "evaluation")
    evaluate_before_training: bool = option(True, "Also measure the model before training, to show what training added.", "evaluation")

    def validate(self, explicit: set[str]) -> None:
        super().validate(explicit)
        check_positive(self, ("max_target_length", "num_beams", "generation_batch_size"))
        check_positive(self, ("max_new_tokens", "generation_samples"), allow_none=True)
        if not math.isfinite(self.length_penalty):
            raise ConfigError(f"length_penalty must be a number, got {self.length_penalty}")
        if self.no_repeat_ngram_size < 0:
            raise ConfigError(f"no_repeat_ngram_size must be 0 (off) or positive, got {self.no_repeat_ngram_size}")
        if "length_penalty" in explicit and self.num_beams == 1:
            raise ConfigError("option 'length_penalty' would be ignored: it only applies to beam search (num_beams > 1)")


@dataclasses.dataclass
class GenerationSample:
    """The fixed, seeded validation sample that generation metrics are computed on."""

    sources: list[str]
    references: list  # one text each, or a list of alternative texts (multi-reference translation)


class Seq2SeqData(TaskData):
    """Source/target pairs, tokenized for a seq2seq model. Subclasses say where a split's pairs are."""

    multi_reference = False  # score each distinct source once, against all of its targets in the validation data

    def text_pairs(self, dataset, source) -> tuple[list, list]:
        """The (sources, targets) columns of one split, before checking."""
        raise NotImplementedError

    def keeps(self, source: str, target: str) -> bool:
        """Whether a (checked) pair is used at all, in training and validation; all are by default."""
        return True

    def baselines(self, sources: list[str], references: list) -> dict[str, float]:
        """Scores of a trivial system on the generation sample, reported beside the model's."""
        return {}

    def training_texts(self, splits):
        sources, targets = self.text_pairs(splits.train, splits.train_source)
        pairs = [(str(text), str(target)) for text, target in zip(sources, targets)]
        kept = [pair for pair in pairs if self.keeps(*pair)]
        yield from (text for text, _ in kept)
        yield from (target for _, target in kept)

    def feature_spec(self, tokenizer):
        from kerastx.data.features import Feature, FeatureSpec

        return FeatureSpec.model_inputs(
            tokenizer, Feature("labels", pad=-100, length="max_target_length", label=True),
            Feature("decoder_input_ids", pad=tokenizer.pad_token_id, length="max_target_length", from_labels=True))

    def prepare(self, splits, tokenizer) -> PreparedData:
        import datasets

        from kerastx.data.splits import limit

        config = self.config
        pairs = {}
        for split, dataset, source in (("train", splits.train, splits.train_source),
                                       ("validation", splits.validation, splits.validation_source)):
            sources, targets = self.text_pairs(dataset, source)
            for row, (text, target) in enumerate(zip(sources, targets)):
                for side, value in (("source", text), ("target", target)):
                    if not isinstance(value, str) or not value.strip():
                        raise DataError(f"{source.where(row)}: the {side} text is empty or not text ({value!r})")
            kept = [(text, target) for text, target in zip(sources, targets) if self.keeps(text, target)]
            if not kept:
                raise DataError(f"{source.name}: none of its {len(sources)} pairs is kept by the data options "
                                "(e.g. max_source_words)")
            pairs[split] = datasets.Dataset.from_dict({"source": [text for text, _ in kept],
                                                       "target": [target for _, target in kept]})
        train = limit(pairs["train"], config.max_train_samples, config.seed)
        validation = limit(pairs["validation"], config.max_eval_samples, config.seed)
        if self.multi_reference:
            from kerastx.data.readers.parallel import group_references

            sample = limit(group_references(validation, "source", "target"), config.generation_samples, config.seed)
            references = list(sample["references"])
        else:
            sample = limit(validation, config.generation_samples, config.seed)
            references = list(sample["target"])

        def tokenize(batch):
            encoded = tokenizer([config.source_prefix + text for text in batch["source"]], truncation=True,
                                max_length=config.max_length)
            encoded["labels"] = tokenizer(text_target=batch["target"], truncation=True,
                                          max_length=config.max_target_length)["input_ids"]
            return {name: encoded[name] for name in tokenizer.model_input_names + ["labels"] if name in encoded}

        sources = list(sample["source"])
        return PreparedData(
            train.map(tokenize, batched=True, remove_columns=["source", "target"], desc="Tokenizing train"),
            validation=None, evaluation=GenerationSample(sources, references),
            samples=[(text, _first(reference)) for text, reference in zip(sources[:5], references)],
            validation_size=len(validation),
            card_details={"Generation": f"{len(sources)} validation examples, {config.num_beams} beam(s), "
                                        f"at most {config.max_new_tokens or config.max_target_length} new tokens, XLA"},
            baselines=self.baselines(sources, references))


def generation_options(config, forced_bos_token_id: int | None = None):
    from kerastx.generation.bucketed import GenerationOptions

    return GenerationOptions(max_new_tokens=config.max_new_tokens or config.max_target_length,
                             num_beams=config.num_beams, length_penalty=config.length_penalty,
                             no_repeat_ngram_size=config.no_repeat_ngram_size, forced_bos_token_id=forced_bos_token_id)


def generation_predictor(config, model, tokenizer, options=None):
    """The XLA bucketed generator of a seq2seq run: texts in, generated texts out.

    The model takes the run's decoding options and source prefix as its own settings, so that the
    saved run (``generation_config.json``, ``config.json``) decodes as this predictor does in
    ``model.generate`` and in ``pipeline("translation" or "summarization", framework="tf")``.
    """
    from kerastx.generation.bucketed import BucketedGenerator, length_buckets

    options = options or generation_options(config)
    _decode_as_run(model, options, config.source_prefix)
    return BucketedGenerator(model, tokenizer, length_buckets(config.max_length), config.generation_batch_size,
                             options, prefix=config.source_prefix)


def _decode_as_run(model, options, source_prefix: str) -> None:
    model.generation_config.update(**options.generate_kwargs())
    # A generation config still marked as derived from config.json is rebuilt from it by generate() after
    # loading, which would drop these options.
    model.generation_config._from_model_config = False
    model.config.prefix = source_prefix or None  # what a text2text pipeline puts before every input
    # A base model's per-task settings (t5-small: "summarization" with 4 beams, "translation_en_to_de" with its
    # prefix) would override the run's in pipeline(); the fine-tuned model has one task, decoded as above.
    model.config.task_specific_params = None


def generation_evaluator(metric_fn_name: str, directions: dict[str, str]):
    """An evaluator factory: ``metric_fn_name`` (a function of kerastx.metrics.generation) on the
    generation sample, generated by the run's predictor (so nothing compiles twice)."""

    def evaluator(config, prepared, validation_batches, predictor):
        from kerastx.evaluation.generation import GenerationEvaluator
        from kerastx.metrics import generation

        sample = prepared.evaluation
        return GenerationEvaluator(sample.sources, sample.references, getattr(generation, metric_fn_name), directions,
                                   generator=predictor)

    return evaluator


def _first(reference):
    """The first of a list of references (multi-reference translation), or the reference itself."""
    return reference[0] if isinstance(reference, list) else reference
