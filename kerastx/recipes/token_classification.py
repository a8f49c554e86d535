"""Token classification (course chapter 7.2): a tag per word, e.g. named entities (CoNLL-2003 NER).

    python -m kerastx.recipes.token_classification --config recipes/conll2003.yaml
    python -m kerastx.recipes.token_classification --train_file train.txt --validation_file valid.txt
    python -m kerastx.recipes.token_classification --dataset conll2003 --tags_column ner_tags   # online

Data: CoNLL files (``word POS chunk NER`` per line, a blank line between sentences; ``-DOCSTART-``
skipped; ``--conll_tag_column`` picks the tag column), jsonl/json/parquet with a list of words and a
list of tags per row, or a hub dataset (integer tags are read through its ClassLabel names).
"""

from __future__ import annotations

import dataclasses
from functools import partial

from kerastx.cli import run_cli
from kerastx.config import RunConfig, option
from kerastx.errors import DataError
from kerastx.recipes.base import PreparedData, Recipe, TaskData
from kerastx.serving.token_classification import token_classification_serving


@dataclasses.dataclass
class TokenClassificationConfig(RunConfig):
    tokens_column: str = option("tokens", "Column of each example's words (a list of strings).", "data")
    tags_column: str = option("tags", "Column of each example's tags, one per word (names, or integers of a hub dataset's ClassLabel).", "data")
    conll_tag_column: int = option(-1, "Which space-separated column of a CoNLL file holds the tags: -1 is the last (NER in CoNLL-2003's 'word POS chunk NER'), 1 POS, 2 chunk.", "data")
    label_all_tokens: bool = option(False, "Train every sub-token of a word on its tag (B-X becomes I-X after the first); default: only the first sub-token. Evaluation always scores each word once, by its first sub-token.", "data")


class TokenClassificationData(TaskData):
    def read_file(self, path):
        from kerastx.data.readers.conll import check_table_is_not_conll, is_conll_file, read_conll
        from kerastx.data.files import read_data_file

        if is_conll_file(path):
            return read_conll(path, self.config.conll_tag_column)
        check_table_is_not_conll(path)
        return read_data_file(path)

    def required_columns(self):
        return [self.config.tokens_column, self.config.tags_column]

    def training_texts(self, splits):
        yield from (" ".join(map(str, words)) for words in splits.train[self.config.tokens_column])

    def feature_spec(self, tokenizer):
        from kerastx.data.features import Feature, FeatureSpec

        return FeatureSpec.model_inputs(tokenizer, Feature("labels", pad=-100, label=True))

    def prepare(self, splits, tokenizer) -> PreparedData:
        import datasets

        from kerastx.data.labels import require_two_classes
        from kerastx.data.splits import limit
        from kerastx.data.tasks.token_labels import TagMap, tokenize_and_align

        config = self.config
        sentences = {split: self._sentences(dataset, source) for split, dataset, source in (
            ("train", splits.train, splits.train_source), ("validation", splits.validation, splits.validation_source))}
        tags = TagMap.from_training(sentences["train"][1], splits.train_source, config.tags_column)
        ids = {split: tags.encode(sentences[split][1], source, config.tags_column)  # every split checked before any work
               for split, source in (("train", splits.train_source), ("validation", splits.validation_source))}
        features = {}
        for split, most in (("train", config.max_train_samples), ("validation", config.max_eval_samples)):
            rows = limit(datasets.Dataset.from_dict({"words": sentences[split][0], "tag_ids": ids[split]}), most,
                         config.seed)
            if split == "train" and most is not None:
                require_two_classes({tags.names[i] for row in rows["tag_ids"] for i in row}, splits.train_source,
                                    config.tags_column, "tag", max_train_samples=most)
            every_piece = config.label_all_tokens and split == "train"  # evaluation scores each word once
            features[split] = rows.map(
                lambda batch: tokenize_and_align(tokenizer, batch["words"], batch["tag_ids"], config.max_length,
                                                 every_piece, tags.inside_of()),
                batched=True, remove_columns=rows.column_names, desc=f"Tokenizing {split}")
            cut = sum(n > 0 for n in features[split]["words_truncated"])
            if cut:
                print(f"[data] {cut} {split} sentences are longer than max_length={config.max_length} tokens: "
                      "their last words are neither trained nor scored", flush=True)
            features[split] = features[split].remove_columns("words_truncated")
        validation_words, validation_tags = sentences["validation"]
        samples = [(" ".join(words), _entities(words, sentence_tags))
                   for words, sentence_tags in list(zip(validation_words, validation_tags))[:5]]
        return PreparedData(
            features["train"], features["validation"], evaluation=tags, samples=samples,
            validation_size=len(features["validation"]),
            model_overrides={"num_labels": len(tags), "id2label": tags.id2label, "label2id": tags.label2id},
            card_details={"Tags": ", ".join(tags.names),
                          "Sub-tokens": "every piece of a word trained" if config.label_all_tokens
                          else "the first piece of each word trained and scored"})

    def _sentences(self, dataset, source) -> tuple[list[list[str]], list[list[str]]]:
        """Words and tag names of every row; a row whose words and tags differ in number, or with a missing or
        list-valued tag, is an error."""
        from kerastx.data.labels import check_label

        config = self.config
        words, tags = dataset[config.tokens_column][:], dataset[config.tags_column][:]
        names = _class_label_names(dataset.features.get(config.tags_column))
        for row, (row_words, row_tags) in enumerate(zip(words, tags)):
            if not isinstance(row_words, list) or not isinstance(row_tags, list) or not row_words:
                raise DataError(f"{source.where(row)}: columns '{config.tokens_column}' and '{config.tags_column}' "
                                "must each hold a non-empty list (words and their tags)")
            if len(row_words) != len(row_tags):
                raise DataError(f"{source.where(row)}: {len(row_words)} words but {len(row_tags)} tags")
            for position, tag in enumerate(row_tags):
                check_label(tag, f"{source.where(row)} word {position + 1}", config.tags_column, "tag")
        if names:
            tags = [[names[tag] for tag in row_tags] for row_tags in tags]
        return [[str(w) for w in row] for row in words], [[str(t) for t in row] for row in tags]


def _class_label_names(feature) -> list[str] | None:
    """The tag names of a hub dataset's ``Sequence(ClassLabel)`` column (conll2003's ner_tags), else None."""
    inner = getattr(feature, "feature", None)
    return getattr(inner, "names", None)


def _entities(words: list[str], tags: list[str]) -> str:
    """The entities of a tagged sentence, written like the predictor's output (for the end-of-run examples)."""
    from kerastx.inference.entities import group_entities

    starts = [sum(len(w) + 1 for w in words[:i]) for i in range(len(words))]
    text = " ".join(words)
    found = group_entities(text, [(s, s + len(w)) for s, w in zip(starts, words)], tags, [1.0] * len(words))
    return "; ".join(f'{e["entity_group"]} "{e["word"]}"' for e in found) or "(no entities)"


def evaluator(config, prepared, validation_batches, predictor):
    from kerastx.evaluation.token_classification import TokenClassificationEvaluator

    tags = prepared.evaluation
    return TokenClassificationEvaluator(validation_batches, tags.id2label, tags.entity_types())


def predictor(config, model, tokenizer):
    from kerastx.inference.entities import EntityPredictor

    return EntityPredictor(model, tokenizer, config.max_length, config.evaluation_batch_size)


RECIPE = Recipe(
    name="token_classification",
    title="Token classification (named entities and other word tags)",
    config_class=TokenClassificationConfig,
    model_class="TFAutoModelForTokenClassification",
    data=TokenClassificationData,
    evaluator=evaluator,
    predictor=predictor,
    serving=token_classification_serving,
    main_metric="f1",
    pipeline_task="token-classification",
)
main = partial(run_cli, RECIPE)  # main(argv=None): the console script and python -m

if __name__ == "__main__":
    main()
