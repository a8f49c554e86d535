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
from functools import partial

from kerastx.cli import run_cli
from kerastx.config import option
from kerastx.evaluation.generation import ROUGE
from kerastx.models.scratch import SEQ2SEQ_ARCHITECTURES
from kerastx.recipes.base import Recipe
from kerastx.recipes.seq2seq import (Seq2SeqConfig, Seq2SeqData, generation_evaluator,
                                     generation_predictor)
from kerastx.serving.seq2seq import seq2seq_serving


@dataclasses.dataclass
class SummaryColumns:
    """The data options of every summarization recipe."""

    text_column: str = option("document", "Column of the documents to summarize.", "data")
    summary_column: str = option("summary", "Column of the reference summaries.", "data")
    max_length: int = option(512, "Truncate documents to this many tokens.", "data")


@dataclasses.dataclass
class SummarizationConfig(SummaryColumns, Seq2SeqConfig):
    model: str = option("scratch:marian-mini", "Hub id (e.g. t5-small, with --source_prefix 'summarize: '), local Hugging Face directory, or 'scratch:<architecture>-<size>' with architecture marian, bart or t5 and size tiny, mini, small or base (trained from scratch with a tokenizer trained on the data).", "model")


class SummarizationData(Seq2SeqData):
    def read_file(self, path):
        from kerastx.data.readers.summary_dirs import read_documents

        return read_documents(path)

    def required_columns(self):
        return [self.config.text_column, self.config.summary_column]

    def text_pairs(self, dataset, source):  # the columns were checked by required_columns
        return dataset[self.config.text_column][:], dataset[self.config.summary_column][:]

    def baselines(self, sources, references):
        from kerastx.metrics.generation import lead_baselines

        return lead_baselines(sources, references)


RECIPE = Recipe(
    name="summarization",
    title="Summarization",
    config_class=SummarizationConfig,
    model_class="TFAutoModelForSeq2SeqLM",
    data=SummarizationData,
    evaluator=generation_evaluator("rouge_scores", ROUGE),
    predictor=generation_predictor,
    serving=seq2seq_serving,
    main_metric="rougeL",
    pipeline_task="summarization",
    scratch_architectures=SEQ2SEQ_ARCHITECTURES,
)
main = partial(run_cli, RECIPE)  # main(argv=None): the console script and python -m

if __name__ == "__main__":
    main()
