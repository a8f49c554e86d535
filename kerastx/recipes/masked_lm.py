"""Masked language modelling (course chapter 7.3): adapt an encoder to a domain's text, e.g. movie reviews.

    python -m kerastx.recipes.masked_lm --config recipes/masked_lm_imdb.yaml
    python -m kerastx.recipes.masked_lm --train_file ../shared/data/imdb/aclImdb/train --model minilm
    python -m kerastx.recipes.masked_lm --dataset imdb --dataset_config plain_text --model distilbert-base-uncased

Data: an aclImdb folder (one review per file under pos/neg/unsup), a folder of text files, a plain-text
file (one document per line or per paragraph), jsonl/csv/parquet with a text column, or a hub dataset.
Documents are tokenized, concatenated and cut into blocks of ``max_length`` tokens. Training masks 15% of
each batch's tokens anew (BERT's 80/10/10 rule, optionally whole words); validation masks are drawn once
from the seed, so perplexity compares between runs and between models.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import numpy as np

from kerastx.cli import run_cli
from kerastx.config import option
from kerastx.errors import ConfigError
from kerastx.recipes.base import Recipe
from kerastx.recipes.language_modeling import LanguageModelConfig, LanguageModelData
from kerastx.serving.fill_mask import fill_mask_serving

SAMPLE_WORDS = 24  # words of a validation document shown, with one of them masked, at the end of a run


@dataclasses.dataclass
class MaskedLMConfig(LanguageModelConfig):
    mlm_probability: float = option(0.15, "Fraction of tokens the model must guess (80% shown as the mask token, 10% as a random token, 10% unchanged).", "data")
    whole_word_masking: bool = option(False, "Mask whole words: every piece of a chosen word together (read from the vocabulary's word-piece marks).", "data")
    top_k: int = option(5, "Guesses shown per mask token by predict.", "evaluation")

    def validate(self, explicit: set[str]) -> None:
        super().validate(explicit)
        if not 0 < self.mlm_probability < 1:
            raise ConfigError(f"mlm_probability must be between 0 and 1, got {self.mlm_probability}")


class MaskedLMData(LanguageModelData):
    def feature_spec(self, tokenizer):
        from kerastx.data.features import Feature, FeatureSpec

        return FeatureSpec.model_inputs(tokenizer, Feature("labels", pad=-100, label=True))

    def masking(self, tokenizer):
        """How tokens are masked, in training batches and (once, from the seed) in the validation blocks."""
        from kerastx.data.masking import MaskingRule

        return MaskingRule.for_tokenizer(tokenizer, self.config.mlm_probability, self.config.whole_word_masking)

    def document_ids(self, tokenizer, texts):
        self.masking(tokenizer)  # a tokenizer without a mask token is refused before any work
        return tokenizer(texts, add_special_tokens=True, verbose=False)["input_ids"]

    def examples(self, blocks, tokenizer, split):
        if split == "train":  # masked anew in every batch, by the training source (masking)
            return {"input_ids": blocks}
        from kerastx.data.masking import mask_tokens

        masked, labels = mask_tokens(blocks, self.masking(tokenizer), np.random.default_rng(self.config.seed))
        return {"input_ids": masked, "labels": labels}

    def samples(self, texts, tokenizer):
        """The opening words of a few validation documents with one whole-token word masked."""
        rng = np.random.default_rng(self.config.seed)
        samples = []
        for text in texts[:20]:
            words = text.split()[:SAMPLE_WORDS]
            candidates = [i for i, word in enumerate(words) if word.isalpha() and len(word) > 3
                          and len(tokenizer.tokenize(word)) == 1]
            if candidates:
                chosen = candidates[rng.integers(len(candidates))]
                truth, words[chosen] = words[chosen], tokenizer.mask_token
                samples.append((" ".join(words), truth))
        return samples[:5]


def evaluator(config, prepared, validation_batches, predictor):
    from kerastx.evaluation.perplexity import PerplexityEvaluator

    return PerplexityEvaluator(validation_batches, causal=False)


def predictor(config, model, tokenizer):
    from kerastx.inference.fill_mask import MaskFiller

    return MaskFiller(model, tokenizer, config.top_k, config.max_length, config.evaluation_batch_size)


RECIPE = Recipe(
    name="masked_lm",
    title="Masked language modelling (domain adaptation of an encoder)",
    config_class=MaskedLMConfig,
    model_class="TFAutoModelForMaskedLM",
    data=MaskedLMData,
    evaluator=evaluator,
    predictor=predictor,
    serving=fill_mask_serving,
    main_metric="perplexity",
    pipeline_task="fill-mask",
)
main = partial(run_cli, RECIPE)  # main(argv=None): the console script and python -m

if __name__ == "__main__":
    main()
