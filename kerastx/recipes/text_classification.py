"""Text classification: single texts or sentence pairs, any number of labels (course chapter 3, MRPC).

    python -m kerastx.recipes.text_classification --config recipes/mrpc.yaml
    python -m kerastx.recipes.text_classification            # built-in demo: language of UI strings
"""

from __future__ import annotations

import dataclasses

from kerastx.cli import run_cli
from kerastx.config import RunConfig, option
from kerastx.errors import DataError
from kerastx.recipes.base import PreparedData, Recipe


@dataclasses.dataclass
class TextClassificationConfig(RunConfig):
    text_column: str = option("text", "Column of the text (the first sentence of a pair).", "data")
    text_pair_column: str | None = option(None, "Column of the second sentence, for sentence-pair tasks.", "data")
    label_column: str = option("label", "Column of the labels (names or integers).", "data")
    label_names: list[str] | None = option(None, "Names for the sorted label values, e.g. not_equivalent equivalent.", "data")


def _ui_languages(config):
    from kerastx.data.ui_strings import ui_language_dataset

    return ui_language_dataset()


class TextClassification(Recipe):
    name = "text_classification"
    title = "Text classification (single texts or sentence pairs)"
    config_class = TextClassificationConfig
    model_class = "TFAutoModelForSequenceClassification"
    main_metric = "f1"
    builtin_datasets = {"ui-languages": _ui_languages}

    def _columns(self, config):
        return [c for c in (config.text_column, config.text_pair_column) if c]

    def required_columns(self, config):
        return self._columns(config) + [config.label_column]

    def training_texts(self, config, splits):
        for column in self._columns(config):
            yield from (str(t) for t in splits.train[column])

    def prepare(self, config, splits, tokenizer) -> PreparedData:
        from kerastx.data.labels import LabelMap

        splits.require_texts(self._columns(config))
        labels = LabelMap.infer(list(splits.train[config.label_column]), config.label_names)
        encoded = {}
        for split, (dataset, source) in {"train": (splits.train, splits.train_source),
                                         "validation": (splits.validation, splits.validation_source)}.items():
            ids = labels.encode(dataset[config.label_column], source, config.label_column)
            if "labels" in dataset.column_names:
                dataset = dataset.remove_columns("labels")
            encoded[split] = dataset.add_column("labels", ids)
        limited = type(splits)(encoded["train"], encoded["validation"], splits.train_source,
                               splits.validation_source, splits.description).limited(
            config.max_train_samples, config.max_eval_samples, config.seed)

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
            tokenized["train"], tokenized["validation"],
            model_overrides={"num_labels": len(labels.names), "id2label": labels.id2label, "label2id": labels.label2id},
            card_details={"Labels": ", ".join(labels.names), "pipeline_task": "text-classification"},
            task_state=labels,
        )

    def collator(self, config, tokenizer, static: bool, model=None):
        from transformers import DataCollatorWithPadding

        if static:
            return DataCollatorWithPadding(tokenizer, padding="max_length", max_length=config.max_length,
                                           return_tensors="np")
        return DataCollatorWithPadding(tokenizer, pad_to_multiple_of=config.pad_to_multiple_of, return_tensors="np")

    def metrics_callback(self, config, dataset, prepared):
        from kerastx.callbacks.metrics import ClassificationMetricsCallback

        return ClassificationMetricsCallback(dataset, num_labels=prepared.model_overrides["num_labels"],
                                             every_steps=config.eval_every_steps)

    def show_predictions(self, config, model, tokenizer, prepared, splits, count):
        from kerastx.predict import classify

        names = dict(zip(prepared.task_state.values, prepared.task_state.names))
        rows = splits.validation.shuffle(seed=config.seed).select(range(min(count, len(splits.validation))))
        texts = list(rows[config.text_column])
        pairs = list(rows[config.text_pair_column]) if config.text_pair_column else None
        results = classify(model, tokenizer, texts, pairs, config.max_length)
        return [f"{label} ({score:.2f}) <- {text!r}" + (f" / {pair!r}" if pairs else "") + f"  [true: {names[truth]}]"
                for (label, score), text, pair, truth in zip(results, texts, pairs or texts, rows[config.label_column])]

    def predict(self, run_dir, config, inputs, options):
        from transformers import AutoTokenizer, TFAutoModelForSequenceClassification

        from kerastx.predict import classify

        model = TFAutoModelForSequenceClassification.from_pretrained(str(run_dir))
        tokenizer = AutoTokenizer.from_pretrained(str(run_dir))
        paired = config["data"]["text_pair_column"] is not None
        split = [line.split(options.sep, 1) for line in inputs]
        if paired and any(len(parts) != 2 for parts in split):
            raise DataError(f"this model classifies sentence pairs: separate the two sentences with {options.sep!r}")
        texts = [parts[0] for parts in split] if paired else inputs
        pairs = [parts[1] for parts in split] if paired else None
        results = classify(model, tokenizer, texts, pairs, config["data"]["max_length"])
        return [f"{label}\t{score:.4f}\t{text}" for (label, score), text in zip(results, inputs)]


RECIPE = TextClassification()


def main(argv=None):
    return run_cli(RECIPE, argv)


if __name__ == "__main__":
    main()
