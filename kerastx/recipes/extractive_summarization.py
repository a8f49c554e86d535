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

from kerastx.cli import run_cli
from kerastx.config import RunConfig, option
from kerastx.errors import ConfigError
from kerastx.recipes.base import PreparedData, Recipe
from kerastx.recipes.summarization import DocumentSummaryData, SummaryColumns


@dataclasses.dataclass
class ExtractiveSummarizationConfig(SummaryColumns, RunConfig):
    threshold: float | None = option(None, "A sentence goes into the summary when its probability is at least this (the best one always does). Default: as many sentences as the probabilities add up to (the summary length the model expects), the most probable ones.", "evaluation")
    max_sentences: int | None = option(None, "Keep at most this many sentences (the most probable ones).", "evaluation")

    def validate(self, explicit: set[str]) -> None:
        super().validate(explicit)
        if self.threshold is not None and not 0 < self.threshold < 1:
            raise ConfigError(f"threshold must be between 0 and 1, got {self.threshold}")
        if self.max_sentences is not None and self.max_sentences <= 0:
            raise ConfigError(f"max_sentences must be a positive number, got {self.max_sentences}")


@dataclass
class ExtractiveState:
    """The validation documents as sentences, with their references and oracle labels."""

    documents: list[list[str]]
    references: list[str]
    labels: list[list[int]]
    tokenizer: object
    callback: object = None


class ExtractiveSummarization(DocumentSummaryData, Recipe):
    name = "extractive_summarization"
    title = "Extractive summarization"
    config_class = ExtractiveSummarizationConfig
    model_class = "TFAutoModelForTokenClassification"

    def training_texts(self, config, splits):
        yield from (str(text) for text in splits.train[config.text_column])

    def prepare(self, config, splits, tokenizer) -> PreparedData:
        import datasets

        from kerastx.data.extractive import check_tokenizer, oracle_labels, sentence_inputs
        from kerastx.data.splits import limit
        from kerastx.metrics.generation import split_sentences

        check_tokenizer(tokenizer, config.model)
        splits.require_texts(self.required_columns(config))
        tokenized, state = {}, None
        for split, dataset, source, most in (
                ("train", splits.train, splits.train_source, config.max_train_samples),
                ("validation", splits.validation, splits.validation_source, config.max_eval_samples)):
            documents, summaries = self.text_pairs(config, dataset, source)
            pairs = limit(datasets.Dataset.from_dict({"document": documents, "summary": summaries}), most, config.seed)
            sentences = [split_sentences(document) for document in pairs["document"]]
            labels = [oracle_labels(s, summary) for s, summary in zip(sentences, pairs["summary"])]
            rows = [row for s, label in zip(sentences, labels)
                    for row in sentence_inputs(tokenizer, s, label, config.max_length)]
            tokenized[split] = datasets.Dataset.from_list(rows)
            if split == "validation":
                state = ExtractiveState(sentences, list(pairs["summary"]), labels, tokenizer)
        baselines = self.baselines(config, [" ".join(s) for s in state.documents], state.references)
        for name, value in baselines.items():
            print(f"[baseline] {name}={value:.4f} on the {len(state.documents)} validation documents", flush=True)
        picked = sum(map(sum, state.labels)) / max(1, sum(map(len, state.labels)))
        details = {"Sentence labels": f"greedy ROUGE oracle; {picked:.0%} of validation sentences are in a summary",
                   "pipeline_task": self.name, **{f"Baseline {k}": f"{v:.4f}" for k, v in baselines.items()}}
        return PreparedData(tokenized["train"], tokenized["validation"],
                            model_overrides={"num_labels": 2, "id2label": {0: "omit", 1: "keep"},
                                             "label2id": {"omit": 0, "keep": 1}},
                            card_details=details, task_state=state, baselines=baselines)

    def baselines(self, config, sources, references):
        """Lead-3, and lead-k: the first k sentences, k being the reference's own sentence count. A summary
        as long as the reference scores higher ROUGE than a short one, so lead-k shows what picking
        sentences adds beyond picking the right number of them."""
        from kerastx.metrics.generation import lead_sentences, rouge_scores, split_sentences

        lead_k = rouge_scores([lead_sentences(document, len(split_sentences(reference)))
                               for document, reference in zip(sources, references)], references)
        return {**super().baselines(config, sources, references), **{f"leadk_{k}": v for k, v in lead_k.items()}}

    def collator(self, config, tokenizer, static: bool, model=None):
        from transformers import DataCollatorForTokenClassification

        if static:
            return DataCollatorForTokenClassification(tokenizer, padding="max_length", max_length=config.max_length,
                                                      return_tensors="np")
        return DataCollatorForTokenClassification(tokenizer, pad_to_multiple_of=config.pad_to_multiple_of,
                                                  return_tensors="np")

    def metrics_callback(self, config, dataset, prepared):
        from kerastx.callbacks.generation import ExtractiveRougeCallback

        state = prepared.task_state
        state.callback = ExtractiveRougeCallback(
            state.documents, state.references, state.labels, state.tokenizer, config.max_length,
            config.threshold, config.max_sentences, batch_size=config.eval_batch_size or 2 * config.batch_size,
            every_steps=config.eval_every_steps)
        return state.callback

    def show_predictions(self, config, model, tokenizer, prepared, splits, count):
        from kerastx.metrics.generation import split_sentences

        state = prepared.task_state
        shown = zip(state.documents, state.callback.predictions, state.references)
        return [f"{summary!r}  [{len(split_sentences(summary))} of {len(sentences)} sentences; reference: {reference!r}]"
                for sentences, summary, reference in list(shown)[:count]]

    def predict(self, run_dir, config, inputs, options):
        from kerastx.config import parse_saved_config
        from kerastx.generation.extractive import SentenceScorer
        from kerastx.predict import load_trained

        run_config = parse_saved_config(self.config_class, config)
        tokenizer, model = load_trained(run_dir, self.model_class)
        scorer = SentenceScorer(model, tokenizer, run_config.max_length, threshold=run_config.threshold,
                                max_sentences=run_config.max_sentences)
        return scorer.summarize(inputs)


RECIPE = ExtractiveSummarization()


def main(argv=None):
    return run_cli(RECIPE, argv)


if __name__ == "__main__":
    main()
