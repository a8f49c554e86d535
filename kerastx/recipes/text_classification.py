"""Text classification: single texts or sentence pairs, any number of labels (course chapter 3, MRPC).

    python -m kerastx.recipes.text_classification --config recipes/mrpc.yaml
    python -m kerastx.recipes.text_classification            # built-in demo: language of UI strings
"""

from __future__ import annotations

import dataclasses
from functools import partial

from kerastx.cli import run_cli
from kerastx.config import RunConfig, option
from kerastx.recipes.base import PreparedData, Recipe, TaskData
from kerastx.serving.classification import classification_serving


@dataclasses.dataclass
class TextClassificationConfig(RunConfig):
    text_column: str = option("text", "Column of the text (the first sentence of a pair).", "data")
    text_pair_column: str | None = option(None, "Column of the second sentence, for sentence-pair tasks.", "data")
    label_column: str = option("label", "Column of the labels (names or integers).", "data")
    label_names: list[str] | None = option(None, "The classes in the order of their ids: the label values themselves (e.g. pos neg), or new names for integer labels 0..n-1 (e.g. not_equivalent equivalent). Default: the sorted label values.", "data")


def _ui_languages(config):
    from kerastx.data.readers.ui_strings import ui_language_dataset

    return ui_language_dataset()


class TextClassificationData(TaskData):
    def _text_columns(self):
        return [c for c in (self.config.text_column, self.config.text_pair_column) if c]

    def required_columns(self):
        return self._text_columns() + [self.config.label_column]

    def training_texts(self, splits):
        for column in self._text_columns():
            yield from (str(t) for t in splits.train[column])

    def texts_per_example(self):
        return len(self._text_columns())

    def feature_spec(self, tokenizer):
        from kerastx.data.features import Feature, FeatureSpec

        return FeatureSpec.model_inputs(tokenizer, Feature("labels", length=None, label=True))

    def prepare(self, splits, tokenizer) -> PreparedData:
        from kerastx.data.labels import require_two_classes

        config = self.config
        splits.require_texts(self._text_columns())
        labels, ids = self._labels(splits)
        encoded = {}
        for split, dataset in (("train", splits.train), ("validation", splits.validation)):
            if "labels" in dataset.column_names:
                dataset = dataset.remove_columns("labels")
            encoded[split] = dataset.add_column("labels", ids[split])
        limited = type(splits)(encoded["train"], encoded["validation"], splits.train_source,
                               splits.validation_source, splits.description).limited(
            config.max_train_samples, config.max_eval_samples, config.seed)
        if config.max_train_samples is not None:
            require_two_classes({labels.names[i] for i in limited.train["labels"]}, splits.train_source,
                                config.label_column, max_train_samples=config.max_train_samples)

        def tokenize(batch):
            pair = batch[config.text_pair_column] if config.text_pair_column else None
            return tokenizer(list(batch[config.text_column]), pair and list(pair), truncation=True,
                             max_length=config.max_length)

        tokenized = {}
        for split, dataset in (("train", limited.train), ("validation", limited.validation)):
            keep = set(tokenizer.model_input_names) | {"labels"}
            tokenized[split] = dataset.map(tokenize, batched=True, desc=f"Tokenizing {split}").remove_columns(
                [c for c in dataset.column_names if c not in keep])
        return PreparedData(
            tokenized["train"], tokenized["validation"], evaluation=labels,
            samples=self._samples(encoded["validation"], labels), validation_size=len(tokenized["validation"]),
            model_overrides={"num_labels": len(labels.names), "id2label": labels.id2label, "label2id": labels.label2id},
            card_details={"Labels": ", ".join(labels.names)})

    def _labels(self, splits):
        """The label map of the training labels and each split's label ids, read with the spaces around text
        labels removed; labels that differ only by case are kept as given, with a warning."""
        from kerastx.data.labels import LabelMap, stripped_labels, warn_of_case_variants

        column = self.config.label_column
        sides = {"train": (splits.train, splits.train_source),
                 "validation": (splits.validation, splits.validation_source)}
        values = stripped_labels({split: (data[column][:], source) for split, (data, source) in sides.items()}, column)
        labels = LabelMap.from_training(values["train"], splits.train_source, column, self.config.label_names)
        ids = {split: labels.encode(values[split], source, column) for split, (_, source) in sides.items()}
        warn_of_case_variants(values["train"], splits.train_source, column)
        return labels, ids

    def _samples(self, validation, labels):
        """A few (input, true label) pairs of ``validation``, the validation rows with their label ids."""
        config = self.config
        rows = validation.shuffle(seed=config.seed).select(range(min(5, len(validation))))
        texts = rows[config.text_column][:]
        inputs = list(zip(texts, rows[config.text_pair_column])) if config.text_pair_column else texts
        return [(given, labels.names[truth]) for given, truth in zip(inputs, rows["labels"])]


def evaluator(config, prepared, validation_batches, predictor):
    from kerastx.evaluation.classification import ClassificationEvaluator

    return ClassificationEvaluator(validation_batches, num_labels=len(prepared.evaluation.names))


def predictor(config, model, tokenizer):
    from kerastx.inference.classification import TextClassifier

    return TextClassifier(model, tokenizer, config.max_length, config.evaluation_batch_size,
                          paired=config.text_pair_column is not None)


RECIPE = Recipe(
    name="text_classification",
    title="Text classification (single texts or sentence pairs)",
    config_class=TextClassificationConfig,
    model_class="TFAutoModelForSequenceClassification",
    data=TextClassificationData,
    evaluator=evaluator,
    predictor=predictor,
    serving=classification_serving,
    main_metric="f1",
    pipeline_task="text-classification",
    builtin_datasets={"ui-languages": _ui_languages},
)
main = partial(run_cli, RECIPE)  # main(argv=None): the console script and python -m

if __name__ == "__main__":
    main()
