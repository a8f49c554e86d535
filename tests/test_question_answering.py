"""The question-answering recipe end to end on real SQuAD articles: a short fit of the packaged MiniLM
whose scores rise on held-out questions, the harness checks, the QA pipeline round trip, bad input."""

import json

import pytest

from kerastx.recipes import question_answering
from recipe_harness import check_bad_inputs, check_predict, check_run_directory, write
from tests_helpers import ANY_MACHINE, as_flags

AMERICAN_IDOL = 19  # the article's number in SQuAD's train-v1.1.json
CONTEXT = ("Architecturally, the school has a Catholic character. Atop the Main Building's gold dome is a golden "
           "statue of the Virgin Mary.")


def squad_questions(source, target, article: int, keep):
    """The questions of one article of the SQuAD file whose number within their paragraph ``keep`` accepts."""
    data = json.loads(source.read_text(encoding="utf-8"))
    chosen = data["data"][article]
    paragraphs = [{"context": p["context"], "qas": [q for i, q in enumerate(p["qas"]) if keep(i)]}
                  for p in chosen["paragraphs"]]
    kept = {"title": chosen["title"], "paragraphs": [p for p in paragraphs if p["qas"]]}
    return write(target, json.dumps({"data": [kept], "version": data["version"]}))


@pytest.fixture(scope="module")
def qa_options(tmp_path_factory, shared_data):
    tmp = tmp_path_factory.mktemp("qa")
    squad = shared_data("squad") / "train-v1.1.json"
    # American Idol: every fifth question of a paragraph is for validation, the others for training. Its paragraphs
    # are short (570 characters on average, Beyoncé's 870): most questions fit one 192-token window, so fewer steps
    # train on windows without the answer
    return {"train_file": squad_questions(squad, tmp / "train.json", AMERICAN_IDOL, lambda i: i % 5 != 4),
            "validation_file": squad_questions(squad, tmp / "valid.json", AMERICAN_IDOL, lambda i: i % 5 == 4),
            "model": "minilm", "max_length": 192, "stride": 32, "batch_size": 8, "max_train_samples": 300,
            "max_eval_samples": 80, "epochs": 1, "learning_rate": 1e-4, "warmup_ratio": 0.1,
            "pad_to_multiple_of": 32, "evaluate_before_training": True, **ANY_MACHINE}


@pytest.fixture(scope="module")
def qa_run(qa_options, tmp_path_factory):
    """One epoch (44 steps of 192-token windows) of the packaged MiniLM on 300 questions of one article,
    evaluated on 80 other questions about the same paragraphs (about 2 minutes on one AVX2 core)."""
    return question_answering.main(as_flags({**qa_options, "output_dir": tmp_path_factory.mktemp("out") / "run"}))


@pytest.mark.trains
def test_exact_match_and_f1_rise_on_other_questions_about_the_paragraphs(qa_run):
    before, after = qa_run.evaluations
    assert before["epoch"] == 0 and after["epoch"] == 1
    # measured: exact match 1.25 -> 8.75 (1 -> 7 of 80 questions), F1 8.1 -> 14.7; 44 small steps only start to
    # teach spans
    assert after["val_exact_match"] >= before["val_exact_match"] + 5
    assert after["val_f1"] > before["val_f1"] + 3
    assert after["val_exact_match"] <= after["val_f1"]  # an exact match is also a full F1 match


@pytest.mark.trains
def test_run_directory_and_predict_follow_the_harness(qa_run, capsys):
    metrics = check_run_directory(question_answering.RECIPE, qa_run)
    assert set(metrics["directions"]) == {"val_exact_match", "val_f1"}
    check_predict(qa_run.output_dir, [f"What sits on top of the Main Building?\t{CONTEXT}",
                                      f"What character does the school have?\t{CONTEXT}"], capsys)


@pytest.mark.trains
def test_saved_run_loads_in_the_question_answering_pipeline(qa_run):
    from transformers import pipeline

    from kerastx.recipes.registry import load_predictor

    question = "What is atop the Main Building's dome?"
    answerer = pipeline("question-answering", model=str(qa_run.output_dir), framework="tf")
    theirs = answerer(question=question, context=CONTEXT)
    [ours] = load_predictor(qa_run.output_dir)([(question, CONTEXT)])
    # one window, so both pick the best start + end logit span of the context
    assert (ours["start"], ours["end"]) == (theirs["start"], theirs["end"])
    assert ours["answer"] == theirs["answer"] == CONTEXT[ours["start"]:ours["end"]]


def test_bad_input_is_one_line_exit_2_and_writes_nothing(qa_options, tmp_path, capsys):
    data = json.loads(qa_options["validation_file"].read_text())  # its first question: about American Idol
    first = data["data"][0]["paragraphs"][0]["qas"][0]
    first["answers"][0]["answer_start"] += 1
    moved = write(tmp_path / "moved.json", json.dumps(data))
    long_question = {"question": "why " * 300, "context": CONTEXT, "id": "q-long",
                     "answers": {"text": ["Catholic"], "answer_start": [CONTEXT.index("Catholic")]}}
    check_bad_inputs(question_answering.main, qa_options, tmp_path, capsys, [
        (lambda o, tmp: {**o, "validation_file": moved},
         f"moved.json question {first['id']}: answer '{first['answers'][0]['text']}' is not at character"),
        (lambda o, tmp: {**o, "validation_file": write(tmp / "long.jsonl", json.dumps(long_question) + "\n")},
         "question q-long"),
        (lambda o, tmp: {**o, "train_file": write(tmp / "t.jsonl", json.dumps({"question": "q", "context": "c"}) + "\n")},
         "t.jsonl: no column 'answers'"),
        (lambda o, tmp: {**o, "stride": 192}, "stride (192) must be smaller than max_length (192)"),
        (lambda o, tmp: {**o, "model": "scratch:t5-tiny"}, "for question answering"),
        (lambda o, tmp: {k: v for k, v in o.items() if k != "validation_file"},  # one article: none to hold out
         "train.json: every row has the same 'title'"),
    ])



def one_window_questions(validation_file, tokenizer, max_length: int) -> list[tuple[str, str]]:
    """(question, context) pairs of the validation file, each context cut after the last of its sentences that
    still fits one window with its question."""
    pairs = []
    for paragraph in json.loads(open(validation_file, encoding="utf-8").read())["data"][0]["paragraphs"]:
        for qa in paragraph["qas"]:
            sentences, context = paragraph["context"].split(". "), ""
            for sentence in sentences:
                longer = f"{context}. {sentence}" if context else sentence
                if len(tokenizer(qa["question"], longer)["input_ids"]) > max_length:
                    break
                context = longer
            if context:
                pairs.append((qa["question"], context))
    return pairs


@pytest.mark.trains
def test_export_answers_raw_questions_in_the_graph_as_the_predictor_does(qa_run, qa_options, tmp_path):
    import numpy as np

    from kerastx.recipes.registry import load_predictor
    from recipe_harness import check_export
    from serving_helpers import run_in_fresh_process

    version, serving, _ = check_export(qa_run.output_dir, tmp_path, ["--no_verify"])
    assert serving["serving_default"] == "predict_text"
    predictor = load_predictor(qa_run.output_dir)
    pairs = one_window_questions(qa_options["validation_file"], predictor.tokenizer, qa_options["max_length"])[:40]
    answers = predictor(pairs)
    served = run_in_fresh_process(version, "predict_text", {"question": [q for q, _ in pairs],
                                                            "context": [c for _, c in pairs]}, text_ops=True)
    assert len(pairs) >= 30 and len({a["answer"] for a in answers}) >= 10  # real, varied answers
    assert served["answer"].tolist() == [a["answer"] for a in answers]
    assert served["answer_start"].tolist() == [a["start"] for a in answers]
    assert served["answer_end"].tolist() == [a["end"] for a in answers]
    assert np.max(np.abs(served["score"] - [a["score"] for a in answers])) <= 1e-4
