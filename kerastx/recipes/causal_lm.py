"""Causal language modelling from scratch (course chapter 7.6): a GPT-2 for code, with its tokenizer.

    python -m kerastx.recipes.causal_lm                 # built-in: this Python's own standard library
    python -m kerastx.recipes.causal_lm --config recipes/causal_lm_python.yaml
    python -m kerastx.recipes.causal_lm --train_file src/ --file_pattern "*.py" --model scratch:gpt2-small

Data: jsonl (also gzipped) with a ``content`` or ``text`` column (the codeparrot layout), a folder of
source files, a plain-text file, or a hub dataset. A byte-level BPE tokenizer is trained on the training
documents; documents are joined with ``<|endoftext|>`` and cut into blocks of ``max_length`` tokens, and
the model learns to predict every token from the ones before it. Validation reports perplexity and bits
per byte, which does not depend on the tokenizer and compares with a compressor (``xz -9e``).
"""

from __future__ import annotations

import dataclasses
from functools import partial

from kerastx.cli import run_cli
from kerastx.config import check_positive, option
from kerastx.errors import ConfigError
from kerastx.models.scratch import CAUSAL_ARCHITECTURES
from kerastx.recipes.base import Recipe
from kerastx.recipes.language_modeling import LanguageModelConfig, LanguageModelData
from kerastx.serving.causal_lm import causal_lm_serving

SAMPLE_PROMPTS = 5
COMPLETION_BATCH = 8  # prompts completed at once: predict's few prompts are padded up to it


@dataclasses.dataclass
class CausalLMConfig(LanguageModelConfig):
    model: str = option("scratch:gpt2-mini", "Hub id, local Hugging Face directory, or 'scratch:gpt2-<size>' with size tiny, mini, small or base (trained from scratch with a byte-level BPE tokenizer trained on the data).", "model")
    tokenizer_algorithm: str = option("bpe", "Tokenizer trained on the training text for a scratch model: byte-level BPE, which covers any text and gives bits per byte.", "model", ("bpe",))
    max_length: int = option(256, "Context length: the blocks of tokens the concatenated documents are cut into (the course's context_length, run_clm's --block_size).", "data")
    max_new_tokens: int = option(64, "Most tokens predict generates after a prompt.", "evaluation")
    do_sample: bool = option(False, "Sample the next token (with top_k, top_p, temperature) instead of taking the most likely one.", "evaluation")
    top_k: int = option(50, "When sampling, draw from this many most likely tokens (0: all).", "evaluation")
    top_p: float = option(1.0, "When sampling, draw from the smallest set of tokens whose probability reaches this (nucleus sampling; 1: off).", "evaluation")
    temperature: float = option(1.0, "When sampling, divide the logits by this (below 1: more conservative).", "evaluation")
    keywords: str | None = option(None, "Comma-separated words whose presence makes an example weigh more in the loss (the course's keyword-weighted loss, e.g. 'plt,pd,sk,fit,predict').", "training")
    keyword_alpha: float = option(1.0, "With --keywords: an example's loss weight is 1 + keyword_alpha x (keyword tokens in it).", "training")

    def validate(self, explicit: set[str]) -> None:
        super().validate(explicit)
        check_positive(self, ("max_new_tokens", "temperature"))
        if self.max_new_tokens >= self.max_length:
            raise ConfigError(f"max_new_tokens {self.max_new_tokens} leaves no room for a prompt in the context of "
                              f"max_length={self.max_length} tokens the model is trained on")
        if not 0 < self.top_p <= 1:
            raise ConfigError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.top_k < 0:
            raise ConfigError(f"top_k must be 0 (all tokens) or positive, got {self.top_k}")
        sampling = {"top_k", "top_p", "temperature"} & explicit
        if sampling and not self.do_sample:
            raise ConfigError(f"option '{sorted(sampling)[0]}' would be ignored: it only applies with --do_sample")
        if "keyword_alpha" in explicit and not self.keywords:
            raise ConfigError("option 'keyword_alpha' would be ignored: give --keywords too")


def _stdlib(config):
    from kerastx.data.readers.text_corpus import stdlib_sources

    return stdlib_sources(config)


class CausalLMData(LanguageModelData):
    def feature_spec(self, tokenizer):
        from kerastx.data.features import Feature, FeatureSpec

        return FeatureSpec.model_inputs(tokenizer, Feature("labels", pad=-100, label=True))

    def document_ids(self, tokenizer, texts):
        if tokenizer.eos_token_id is None:
            raise ConfigError(f"the tokenizer ({type(tokenizer).__name__}) has no end-of-text token to join documents "
                              "with")
        return [ids + [tokenizer.eos_token_id] for ids in tokenizer(texts, verbose=False)["input_ids"]]

    def examples(self, blocks, tokenizer, split):
        return {"input_ids": blocks, "labels": blocks}  # the model shifts them: token t is predicted from those before

    def samples(self, texts, tokenizer):
        """Prompts ending with a function's ``def`` line, and the line that follows it in the file."""
        samples = []
        for text in texts:
            lines = text.splitlines(keepends=True)
            found = next((i for i, line in enumerate(lines[:-1]) if line.lstrip().startswith("def ")
                          and line.rstrip().endswith(":") and lines[i + 1].strip()), None)
            if found is not None:
                samples.append(("".join(lines[max(0, found - 3):found + 1]), lines[found + 1].rstrip()))
            if len(samples) == SAMPLE_PROMPTS:
                break
        return samples


def evaluator(config, prepared, validation_batches, predictor):
    from kerastx.evaluation.perplexity import PerplexityEvaluator
    from kerastx.models.byte_level import bytes_per_token, is_byte_level

    tokenizer = predictor.tokenizer  # bits per byte where each token stands for known bytes (byte-level BPE)
    sizes = bytes_per_token(tokenizer) if is_byte_level(tokenizer) else None
    return PerplexityEvaluator(validation_batches, causal=True, bytes_per_token=sizes)


def keyword_weighted_loss(config, model, tokenizer):
    """With --keywords, the model trains on the course's keyword-weighted loss."""
    if config.keywords:
        from kerastx.training.keyword_loss import keyword_token_ids, use_keyword_weighted_loss

        use_keyword_weighted_loss(model, keyword_token_ids(tokenizer, config.keywords.split(",")), config.keyword_alpha)


def predictor(config, model, tokenizer):
    """XLA-compiled completion of prompts of up to max_length - max_new_tokens tokens (their end is kept), so that
    prompt and completion fit in the context the model was trained on."""
    from kerastx.generation.bucketed import length_buckets
    from kerastx.generation.seeded_sampling import SamplingOptions
    from kerastx.inference.completion import Completer

    sampling = SamplingOptions(config.do_sample, config.temperature, config.top_k, config.top_p, config.seed)
    return Completer(model, tokenizer, length_buckets(config.max_length - config.max_new_tokens, smallest=32),
                     batch_size=COMPLETION_BATCH, max_new_tokens=config.max_new_tokens, sampling=sampling)


RECIPE = Recipe(
    name="causal_lm",
    title="Causal language modelling (a GPT-2 from scratch, e.g. for code)",
    config_class=CausalLMConfig,
    model_class="TFAutoModelForCausalLM",
    data=CausalLMData,
    evaluator=evaluator,
    predictor=predictor,
    serving=causal_lm_serving,
    main_metric="perplexity",
    pipeline_task="text-generation",
    scratch_architectures=CAUSAL_ARCHITECTURES,
    builtin_datasets={"python-stdlib": _stdlib},
    adapt_model=keyword_weighted_loss,
)
main = partial(run_cli, RECIPE)  # main(argv=None): the console script and python -m

if __name__ == "__main__":
    main()
