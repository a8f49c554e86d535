"""Extractive question answering (course chapter 7.7): the answer is a span of the context.

    python -m kerastx.recipes.question_answering --config recipes/squad.yaml
    python -m kerastx.recipes.question_answering --train_file train-v1.1.json --validation_file dev-v1.1.json
    python -m kerastx.recipes.question_answering --dataset squad --model bert-base-cased   # online

Data: SQuAD JSON (v1.1, or v2.0 with ``--allow_unanswerable``), jsonl/json/parquet rows with
``question``, ``context`` and ``answers`` ({"text": [...], "answer_start": [...]}) columns, or a hub
dataset of that layout. Without validation data, whole articles (``title``) are held out, so no
validation question is about a paragraph seen in training.
"""

from __future__ import annotations

import dataclasses
from functools import partial

from kerastx.cli import run_cli
from kerastx.config import RunConfig, check_positive, option
from kerastx.errors import ConfigError
from kerastx.recipes.base import PreparedData, Recipe, TaskData
from kerastx.serving.question_answering import question_answering_serving


@dataclasses.dataclass
class QuestionAnsweringConfig(RunConfig):
    max_length: int = option(384, "Tokens per window (question + a slice of the context).", "data")
    stride: int = option(128, "Context tokens shared by consecutive windows of a long context, so that an answer cut by one window's edge is whole in the next.", "data")
    allow_unanswerable: bool = option(False, "SQuAD v2.0: questions may have no answer; the model may answer nothing.", "data")
    n_best: int = option(20, "Start and end positions considered per window when choosing an answer.", "evaluation")
    max_answer_length: int = option(30, "Longest answer, in tokens.", "evaluation")

    def validate(self, explicit: set[str]) -> None:
        super().validate(explicit)
        check_positive(self, ("stride", "n_best", "max_answer_length"))
        if self.stride >= self.max_length:
            raise ConfigError(f"stride ({self.stride}) must be smaller than max_length ({self.max_length})")


COLUMNS = ["question", "context", "answers"]


class QuestionAnsweringData(TaskData):
    def read_file(self, path):
        from kerastx.data.files import read_data_file
        from kerastx.data.readers.squad import is_squad_json, read_squad

        return read_squad(path) if is_squad_json(path) else read_data_file(path)

    def held_out_group(self):
        return "title"  # whole articles: validation questions are about paragraphs training never saw

    def required_columns(self):
        return COLUMNS

    def training_texts(self, splits):
        yield from splits.train.unique("context")  # each paragraph once, though several questions share it
        yield from splits.train["question"]

    def texts_per_example(self):
        return 2  # the question and a window of its context

    def feature_spec(self, tokenizer):
        from kerastx.data.features import Feature, FeatureSpec

        return FeatureSpec.model_inputs(tokenizer, Feature("start_positions", length=None, label=True),
                                        Feature("end_positions", length=None, label=True))

    def prepare(self, splits, tokenizer) -> PreparedData:
        import datasets

        from kerastx.data.tasks.qa_windows import evaluation_features, training_features
        from kerastx.data.splits import limit
        from kerastx.data.readers.squad import check_answers

        config = self.config
        for dataset, source in ((splits.train, splits.train_source), (splits.validation, splits.validation_source)):
            check_answers(dataset, source, config.allow_unanswerable)
        train = limit(_questions(splits.train), config.max_train_samples, config.seed)
        validation = limit(_questions(splits.validation), config.max_eval_samples, config.seed)
        windows = training_features(tokenizer, train["question"], train["context"], train["answers"],
                                    config.max_length, config.stride, train["id"])
        print(f"[data] training: {windows.counts}", flush=True)
        evaluated = evaluation_features(tokenizer, validation["question"], validation["context"], config.max_length,
                                        config.stride, validation["id"])  # a question too long fails here, not mid-run
        print(f"[data] validation: {evaluated.counts}", flush=True)
        inputs = list(zip(validation["question"], validation["context"]))
        references = [answers["text"] for answers in validation["answers"]]
        return PreparedData(
            datasets.Dataset.from_dict(dict(windows)), validation=None, evaluation=(inputs, references),
            samples=[(pair, " | ".join(truth) or "(no answer)") for pair, truth in list(zip(inputs, references))[:5]],
            validation_size=len(inputs),
            card_details={"Windows": f"{config.max_length} tokens, stride {config.stride}; "
                                     f"answers of at most {config.max_answer_length} tokens, {config.n_best}-best"})


def _questions(dataset):
    """The question, context, answers and id columns (an id made from the row number when the data has none)."""
    dataset = dataset.select_columns(COLUMNS + (["id"] if "id" in dataset.column_names else []))
    if "id" not in dataset.column_names:
        dataset = dataset.add_column("id", [f"row {row}" for row in range(len(dataset))])
    return dataset


def predictor(config, model, tokenizer):
    from kerastx.inference.answers import AnswerPredictor

    return AnswerPredictor(model, tokenizer, config.max_length, config.stride, config.evaluation_batch_size,
                           config.n_best, config.max_answer_length, config.allow_unanswerable)


def evaluator(config, prepared, validation_batches, predictor):
    from kerastx.evaluation.question_answering import QuestionAnsweringEvaluator

    inputs, references = prepared.evaluation
    return QuestionAnsweringEvaluator(inputs, references, predictor=predictor)


RECIPE = Recipe(
    name="question_answering",
    title="Extractive question answering",
    config_class=QuestionAnsweringConfig,
    model_class="TFAutoModelForQuestionAnswering",
    data=QuestionAnsweringData,
    evaluator=evaluator,
    predictor=predictor,
    serving=question_answering_serving,
    main_metric="f1",
    pipeline_task="question-answering",
)
main = partial(run_cli, RECIPE)  # main(argv=None): the console script and python -m

if __name__ == "__main__":
    main()
