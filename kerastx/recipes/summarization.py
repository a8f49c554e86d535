"""Summarization (course chapter 7.5): document/summary pairs, ROUGE with XLA generation, and the
lead-3 baseline (the document's first three sentences) scored on the same examples.

    python -m kerastx.recipes.summarization --config recipes/summarization_bbc.yaml
    python -m kerastx.recipes.summarization --train_file news.jsonl --text_column article --summary_column highlights
    python -m kerastx.recipes.summarization --dataset xsum --model t5-small --source_prefix "summarize: "

Data: a hub dataset or jsonl/csv/tsv/parquet files with a document and a summary column, or a folder
in the BBC News Summary layout (``News Articles/<category>/*.txt`` beside ``Summaries/<category>/*.txt``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from kerastx.cli import run_cli
from kerastx.config import option
from kerastx.recipes.seq2seq import Seq2SeqConfig, Seq2SeqRecipe


@dataclasses.dataclass
class SummaryColumns:
    """The data options of every summarization recipe."""

    text_column: str = option("document", "Column of the documents to summarize.", "data")
    summary_column: str = option("summary", "Column of the reference summaries.", "data")
    max_length: int = option(512, "Truncate documents to this many tokens.", "data")


@dataclasses.dataclass
class SummarizationConfig(SummaryColumns, Seq2SeqConfig):
    model: str = option("scratch:marian-mini", "Hub id (e.g. t5-small, with --source_prefix 'summarize: '), local Hugging Face directory, or 'scratch:<architecture>-<size>' with architecture marian, bart or t5 and size tiny, mini, small or base (trained from scratch with a tokenizer trained on the data).", "model")


class DocumentSummaryData:
    """Reading and checking document/summary pairs, and the lead-3 baseline: what every summarization
    recipe shares (mixed into a Recipe)."""

    main_metric = "rougeL"

    def read_file(self, config, path):
        from kerastx.data.files import read_data_file
        from kerastx.data.summary_dirs import read_summary_dirs

        if Path(path).is_dir():
            return read_summary_dirs(path)
        return read_data_file(path)

    def required_columns(self, config):
        return [config.text_column, config.summary_column]

    def text_pairs(self, config, dataset, source):  # the columns were checked by required_columns
        return list(dataset[config.text_column]), list(dataset[config.summary_column])

    def baselines(self, config, sources, references):
        from kerastx.metrics.generation import lead_sentences, rouge_scores

        lead3 = rouge_scores([lead_sentences(document, 3) for document in sources], references)
        return {f"lead3_{name}": value for name, value in lead3.items()}


class Summarization(DocumentSummaryData, Seq2SeqRecipe):
    name = "summarization"
    title = "Summarization"
    config_class = SummarizationConfig
    metric_fn_name = "rouge_scores"


RECIPE = Summarization()


def main(argv=None):
    return run_cli(RECIPE, argv)


if __name__ == "__main__":
    main()
