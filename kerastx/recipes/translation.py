"""Translation (course chapter 7.4): source/target sentence pairs, BLEU with XLA generation.

    python -m kerastx.recipes.translation                       # built-in: English->French UI strings
    python -m kerastx.recipes.translation --config recipes/translation_tatoeba.yaml
    python -m kerastx.recipes.translation --dataset kde4 --dataset_config en-fr --model Helsinki-NLP/opus-mt-en-fr

Data: a hub dataset with a ``translation`` column ({"en": ..., "fr": ...}); jsonl/csv/tsv/parquet
files with one column per language (or ``--source_column``/``--target_column``); an OPUS pair of
line-aligned files (``--train_file corpus.en-fr`` for ``corpus.en-fr.en`` + ``corpus.en-fr.fr``);
or a ManyThings/Tatoeba ``.txt`` file (``English<TAB>French`` per line, for either direction).
"""

from __future__ import annotations

import dataclasses
from functools import partial
from pathlib import Path

from kerastx.cli import run_cli
from kerastx.config import check_positive, option
from kerastx.errors import ConfigError, DataError
from kerastx.evaluation.generation import BLEU
from kerastx.models.scratch import SEQ2SEQ_ARCHITECTURES
from kerastx.recipes.base import Recipe
from kerastx.recipes.seq2seq import (Seq2SeqConfig, Seq2SeqData, generation_evaluator,
                                     generation_options, generation_predictor)
from kerastx.serving.seq2seq import seq2seq_serving


@dataclasses.dataclass
class TranslationConfig(Seq2SeqConfig):
    source_lang: str = option("en", "Language code of the source side (a key of the translation column, a column name, or a file suffix).", "data")
    target_lang: str = option("fr", "Language code of the target side; the built-in data takes any language with gettext catalogs.", "data")
    source_column: str | None = option(None, "Column of the source text when it is not named after source_lang.", "data")
    target_column: str | None = option(None, "Column of the target text when it is not named after target_lang.", "data")
    max_source_words: int | None = option(None, "Leave out pairs whose source has more than this many words, in training and validation (e.g. 8 for short UI strings).", "data")
    source_lang_code: str | None = option(None, "Source language token of a multilingual tokenizer (e.g. en_XX for mBART).", "model")
    target_lang_code: str | None = option(None, "Target language token of a multilingual tokenizer; generation is forced to start with it.", "model")

    def validate(self, explicit: set[str]) -> None:
        super().validate(explicit)
        check_positive(self, ("max_source_words",), allow_none=True)
        if self.source_lang == self.target_lang:
            raise ConfigError(f"source_lang and target_lang are both {self.source_lang!r}")
        if self.model.startswith("scratch:") and ({"source_lang_code", "target_lang_code"} & explicit):
            raise ConfigError("options 'source_lang_code'/'target_lang_code' would be ignored: a scratch tokenizer "
                              "has no language tokens")


def _ui_translations(config):
    from kerastx.data.readers.ui_strings import ui_translation_dataset

    return ui_translation_dataset(config.target_lang)


class TranslationData(Seq2SeqData):
    multi_reference = True  # Tatoeba-style data lists alternative translations of a sentence on separate rows

    def read_file(self, path):
        from kerastx.data.files import read_data_file
        from kerastx.data.readers.parallel import check_manythings_languages, is_opus_pair, read_opus_pair, read_tab_pairs

        config = self.config
        if is_opus_pair(path, config.source_lang, config.target_lang):
            return read_opus_pair(path, config.source_lang, config.target_lang)
        if Path(path).suffix.lower() == ".txt":  # ManyThings/Tatoeba: English first, whichever way we translate
            check_manythings_languages(path, config.source_lang, config.target_lang)
            first, second = ((config.target_lang, config.source_lang) if config.target_lang == "en"
                             else (config.source_lang, config.target_lang))
            return read_tab_pairs(path, first, second)
        return read_data_file(path)

    def held_out_group(self):
        return self.config.source_column or self.config.source_lang  # alternative translations stay together

    def required_columns(self):
        return [c for c in (self.config.source_column, self.config.target_column) if c]

    def keeps(self, source: str, target: str) -> bool:
        return self.config.max_source_words is None or len(source.split()) <= self.config.max_source_words

    def text_pairs(self, dataset, source):
        config = self.config
        columns = dataset.column_names
        if config.source_column or config.target_column or "translation" not in columns:
            names = (config.source_column or config.source_lang, config.target_column or config.target_lang)
            missing = [name for name in names if name not in columns]
            if missing:
                raise DataError(f"{source.name}: no column '{missing[0]}' (columns: {', '.join(columns)}); name the "
                                "columns with --source_column/--target_column, or give a 'translation' column")
            return dataset[names[0]][:], dataset[names[1]][:]
        translations = dataset["translation"][:]
        for row, pair in enumerate(translations):
            if not isinstance(pair, dict) or config.source_lang not in pair or config.target_lang not in pair:
                keys = ", ".join(pair) if isinstance(pair, dict) else type(pair).__name__
                raise DataError(f"{source.where(row)}: the translation column has no '{config.source_lang}'/"
                                f"'{config.target_lang}' pair (it has: {keys})")
        return ([pair[config.source_lang] for pair in translations],
                [pair[config.target_lang] for pair in translations])

    def prepare(self, splits, tokenizer):
        _set_language_codes(self.config, tokenizer)
        return super().prepare(splits, tokenizer)


def predictor(config, model, tokenizer):
    """The XLA generator, forced to start with the target language token of a multilingual model."""
    forced = _token_id(tokenizer, config.target_lang_code, "target_lang_code") if config.target_lang_code else None
    _set_language_codes(config, tokenizer)
    return generation_predictor(config, model, tokenizer, generation_options(config, forced))


def _set_language_codes(config, tokenizer) -> None:
    """Multilingual tokenizers (mBART, M2M100, NLLB) frame each side with its language token."""
    for attribute, code, name in (("src_lang", config.source_lang_code, "source_lang_code"),
                                  ("tgt_lang", config.target_lang_code, "target_lang_code")):
        if code:
            _token_id(tokenizer, code, name)
            if not hasattr(tokenizer, attribute):
                raise ConfigError(f"option '{name}': the tokenizer ({type(tokenizer).__name__}) has no {attribute}")
            setattr(tokenizer, attribute, code)


def _token_id(tokenizer, token: str, option_name: str) -> int:
    token_id = tokenizer.convert_tokens_to_ids(token)
    if token_id is None or token_id == tokenizer.unk_token_id:
        raise ConfigError(f"option '{option_name}': '{token}' is not a token of the tokenizer")
    return token_id


RECIPE = Recipe(
    name="translation",
    title="Translation",
    config_class=TranslationConfig,
    model_class="TFAutoModelForSeq2SeqLM",
    data=TranslationData,
    evaluator=generation_evaluator("bleu_scores", BLEU),
    predictor=predictor,
    serving=seq2seq_serving,
    main_metric="bleu",
    pipeline_task="translation",
    scratch_architectures=SEQ2SEQ_ARCHITECTURES,
    builtin_datasets={"ui-translations": _ui_translations},
)
main = partial(run_cli, RECIPE)  # main(argv=None): the console script and python -m

if __name__ == "__main__":
    main()
