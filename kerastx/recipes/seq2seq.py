"""What translation and summarization share: source/target text pairs, a seq2seq model, and
generation metrics computed with XLA-compiled, length-bucketed ``generate``.

A task subclasses :class:`Seq2SeqRecipe` and declares how to find its text pairs, its metric and
its built-in data.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from kerastx.config import RunConfig, option
from kerastx.errors import ConfigError, DataError
from kerastx.recipes.base import PreparedData, Recipe


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
        for name in ("max_target_length", "num_beams", "generation_batch_size"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be a positive number, got {getattr(self, name)}")
        for name in ("max_new_tokens", "generation_samples"):
            if getattr(self, name) is not None and getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be a positive number, got {getattr(self, name)}")
        if self.no_repeat_ngram_size < 0:
            raise ConfigError(f"no_repeat_ngram_size must be 0 (off) or positive, got {self.no_repeat_ngram_size}")
        if "length_penalty" in explicit and self.num_beams == 1:
            raise ConfigError("option 'length_penalty' would be ignored: it only applies to beam search (num_beams > 1)")


@dataclass
class Seq2SeqState:
    """What the later hooks need: the generation sample and the callback that generates for it."""

    sources: list[str]
    references: list[str]
    tokenizer: object
    callback: object = None


class Seq2SeqRecipe(Recipe):
    model_class = "TFAutoModelForSeq2SeqLM"
    metric_fn_name = ""  # a function of kerastx.metrics.generation: predictions, references -> {name: score}
    multi_reference = False  # score each distinct source once, against all of its targets in the validation data

    def text_pairs(self, config, dataset, source) -> tuple[list, list]:
        """The (sources, targets) columns of one split, before checking."""
        raise NotImplementedError

    def generation_options(self, config, tokenizer):
        from kerastx.generation.bucketed import GenerationOptions

        return GenerationOptions(max_new_tokens=config.max_new_tokens or config.max_target_length,
                                 num_beams=config.num_beams, length_penalty=config.length_penalty,
                                 no_repeat_ngram_size=config.no_repeat_ngram_size)

    def baselines(self, config, sources: list[str], references: list[str]) -> dict[str, float]:
        """Scores of a trivial system on the generation sample, reported beside the model's."""
        return {}

    def training_texts(self, config, splits):
        sources, targets = self.text_pairs(config, splits.train, splits.train_source)
        yield from (str(text) for text in sources)
        yield from (str(text) for text in targets)

    def prepare(self, config, splits, tokenizer) -> PreparedData:
        import datasets

        from kerastx.data.splits import limit

        pairs = {}
        for split, dataset, source in (("train", splits.train, splits.train_source),
                                       ("validation", splits.validation, splits.validation_source)):
            sources, targets = self.text_pairs(config, dataset, source)
            for row, (text, target) in enumerate(zip(sources, targets)):
                for side, value in (("source", text), ("target", target)):
                    if not isinstance(value, str) or not value.strip():
                        raise DataError(f"{source.where(row)}: the {side} text is empty or not text ({value!r})")
            pairs[split] = datasets.Dataset.from_dict({"source": list(sources), "target": list(targets)})
        train = limit(pairs["train"], config.max_train_samples, config.seed)
        validation = limit(pairs["validation"], config.max_eval_samples, config.seed)
        if self.multi_reference:
            from kerastx.data.parallel import group_references

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

        tokenized = {split: dataset.map(tokenize, batched=True, remove_columns=["source", "target"],
                                        desc=f"Tokenizing {split}")
                     for split, dataset in (("train", train), ("validation", validation))}
        sources = list(sample["source"])
        baselines = self.baselines(config, sources, references)
        for name, value in baselines.items():
            print(f"[baseline] {name}={value:.4f} on the {len(sources)} generation examples", flush=True)
        details = {"Generation": f"{len(sources)} validation examples, {config.num_beams} beam(s), "
                                 f"at most {config.max_new_tokens or config.max_target_length} new tokens, XLA",
                   "pipeline_task": self.name}
        details.update({f"Baseline {name}": f"{value:.4f}" for name, value in baselines.items()})
        return PreparedData(tokenized["train"], tokenized["validation"], card_details=details,
                            task_state=Seq2SeqState(sources, references, tokenizer), baselines=baselines)

    def collator(self, config, tokenizer, static: bool, model=None):
        from kerastx.data.collators import Seq2SeqCollator

        if static:
            return Seq2SeqCollator(tokenizer, model, source_length=config.max_length,
                                   target_length=config.max_target_length)
        return Seq2SeqCollator(tokenizer, model, pad_to_multiple_of=config.pad_to_multiple_of)

    def metrics_callback(self, config, dataset, prepared):
        from kerastx.callbacks.generation import GenerationMetricsCallback
        from kerastx.generation.bucketed import length_buckets
        from kerastx.metrics import generation

        state = prepared.task_state
        state.callback = GenerationMetricsCallback(
            state.sources, state.references, state.tokenizer, getattr(generation, self.metric_fn_name),
            length_buckets(config.max_length), self.generation_options(config, state.tokenizer),
            batch_size=config.generation_batch_size, prefix_text=config.source_prefix,
            every_steps=config.eval_every_steps, evaluate_at_start=config.evaluate_before_training)
        return state.callback

    def show_predictions(self, config, model, tokenizer, prepared, splits, count):
        state = prepared.task_state
        shown = zip(state.sources, state.callback.predictions, state.references)
        return [f"{source!r} -> {prediction!r}  [reference: {_first(reference)!r}]"
                for source, prediction, reference in list(shown)[:count]]

    def predict(self, run_dir, config, inputs, options):
        from kerastx.config import parse_saved_config
        from kerastx.generation.bucketed import BucketedGenerator, length_buckets
        from kerastx.predict import load_trained

        run_config = parse_saved_config(self.config_class, config)
        tokenizer, model = load_trained(run_dir, self.model_class)
        generator = BucketedGenerator(model, tokenizer, length_buckets(run_config.max_length),
                                      min(run_config.generation_batch_size, len(inputs)),
                                      self.generation_options(run_config, tokenizer),
                                      prefix=run_config.source_prefix)
        return generator(inputs)


def _first(reference):
    """The first of a list of references (multi-reference translation), or the reference itself."""
    return reference[0] if isinstance(reference, list) else reference
