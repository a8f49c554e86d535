"""Extractive summarization: an encoder (the packaged MiniLM by default) learns which sentences of a
document its summary keeps; a summary is the sentences it finds most probable, as many as its
probabilities add up to (or those above ``--threshold``), in document order.

    python -m kerastx.recipes.extractive_summarization --config recipes/extractive_summarization_bbc.yaml
    python -m kerastx.recipes.extractive_summarization --train_file news.jsonl --text_column article --summary_column highlights

Same data as ``kerastx.recipes.summarization`` (hub datasets, jsonl/csv/tsv/parquet files, the BBC
News Summary folder layout). Sentence labels come from a greedy ROUGE oracle, so abstractive
summaries work too; for summaries copied from the document (BBC News Summary) the oracle recovers
the copied sentences. Reported beside lead-3 on the same validation documents.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import partial

from kerastx.cli import run_cli
from kerastx.config import RunConfig, check_positive, option
from kerastx.errors import ConfigError
from kerastx.recipes.base import PreparedData, Recipe, TaskData
from kerastx.recipes.summarization import SummaryColumns
from kerastx.serving.extractive import extractive_serving


@dataclasses.dataclass
class ExtractiveSummarizationConfig(SummaryColumns, RunConfig):
    threshold: float | None = option(None, "A sentence goes into the summary when its probability is at least this (the best one always does). Default: as many sentences as the probabilities add up to (the summary length the model expects), the most probable ones.", "evaluation")
    max_sentences: int | None = option(None, "Keep at most this many sentences (the most probable ones).", "evaluation")

    def validate(self, explicit: set[str]) -> None:
        super().validate(explicit)
        if self.threshold is not None and not 0 < self.threshold < 1:
            raise ConfigError(f"threshold must be between 0 and 1, got {self.threshold}")
        check_positive(self, ("max_sentences",), allow_none=True)


@dataclass
class SentenceLabels:
    """The validation documents as sentences, with their references and oracle labels."""

    documents: list[list[str]]
    references: list[str]
    labels: list[list[int]]


class ExtractiveSummarizationData(TaskData):
    def read_file(self, path):
        from kerastx.data.readers.summary_dirs import read_documents

        return read_documents(path)

    def required_columns(self):
        return [self.config.text_column, self.config.summary_column]

    def training_texts(self, splits):
        yield from (str(text) for text in splits.train[self.config.text_column])

    def feature_spec(self, tokenizer):
        from kerastx.data.features import Feature, FeatureSpec

        return FeatureSpec.model_inputs(tokenizer, Feature("labels", pad=-100, label=True))

    def prepare(self, splits, tokenizer) -> PreparedData:
        import datasets

        from kerastx.data.tasks.extractive import check_tokenizer, oracle_labels, sentence_inputs
        from kerastx.data.splits import limit
        from kerastx.metrics.generation import lead_baselines, split_sentences

        config = self.config
        check_tokenizer(tokenizer, config.model)
        splits.require_texts(self.required_columns())
        tokenized, validation = {}, None
        for split, dataset, most in (("train", splits.train, config.max_train_samples),
                                     ("validation", splits.validation, config.max_eval_samples)):
            pairs = limit(datasets.Dataset.from_dict({"document": dataset[config.text_column][:],
                                                      "summary": dataset[config.summary_column][:]}),
                          most, config.seed)
            sentences = [split_sentences(document) for document in pairs["document"]]
            labels = [oracle_labels(s, summary) for s, summary in zip(sentences, pairs["summary"])]
            rows = [row for s, label in zip(sentences, labels)
                    for row in sentence_inputs(tokenizer, s, label, config.max_length)]
            tokenized[split] = datasets.Dataset.from_list(rows)
            validation = SentenceLabels(sentences, list(pairs["summary"]), labels)
        documents = [" ".join(s) for s in validation.documents]
        picked = sum(map(sum, validation.labels)) / max(1, sum(map(len, validation.labels)))
        return PreparedData(
            tokenized["train"], validation=None, evaluation=validation,
            samples=list(zip(documents[:5], validation.references)), validation_size=len(documents),
            model_overrides={"num_labels": 2, "id2label": {0: "omit", 1: "keep"}, "label2id": {"omit": 0, "keep": 1}},
            card_details={"Sentence labels": f"greedy ROUGE oracle; {picked:.0%} of validation sentences are in a summary"},
            baselines=lead_baselines(documents, validation.references))


def predictor(config, model, tokenizer):
    from kerastx.generation.extractive import ExtractiveSummarizer, SentenceScorer

    return ExtractiveSummarizer(SentenceScorer(model, tokenizer, config.max_length, config.evaluation_batch_size,
                                               threshold=config.threshold, max_sentences=config.max_sentences))


def evaluator(config, prepared, validation_batches, predictor):
    from kerastx.evaluation.extractive import ExtractiveEvaluator

    labelled = prepared.evaluation
    return ExtractiveEvaluator(labelled.documents, labelled.references, labelled.labels, scorer=predictor.scorer)


RECIPE = Recipe(
    name="extractive_summarization",
    title="Extractive summarization",
    config_class=ExtractiveSummarizationConfig,
    model_class="TFAutoModelForTokenClassification",
    data=ExtractiveSummarizationData,
    evaluator=evaluator,
    predictor=predictor,
    serving=extractive_serving,
    main_metric="rougeL",
    pipeline_task=None,  # transformers has no extractive summarization pipeline: kerastx.load_predictor is the way
)
main = partial(run_cli, RECIPE)  # main(argv=None): the console script and python -m

if __name__ == "__main__":
    main()
