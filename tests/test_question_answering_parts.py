"""Extractive question answering parts: SQuAD files and answer checks, question/context windows on a
real SQuAD slice, n-best answer spans, the SQuAD metric, and the answer predictor on a tiny model."""

import json

import numpy as np
import pytest

from kerastx.data.files import Source
from kerastx.data.tasks.qa_windows import evaluation_features, training_features
from kerastx.data.readers.squad import check_answers, is_squad_json, read_squad
from kerastx.errors import ConfigError, DataError
from kerastx.inference.answers import AnswerPredictor, best_answers
from kerastx.metrics.squad import exact_match, f1_score, normalize_answer, squad_scores

FIRST_ID = "5733be284776f41900661182"


@pytest.fixture(scope="module")
def squad_file(shared_data):
    return shared_data("squad") / "train-v1.1.json"


@pytest.fixture(scope="module")
def squad(squad_file):
    return read_squad(squad_file)


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from kerastx.models.minilm import minilm_directory

    return AutoTokenizer.from_pretrained(str(minilm_directory()))


@pytest.fixture(scope="module")
def first_300(squad):
    return squad[0].select(range(300))


def write_json(path, document):
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


GROTTO = ("It is a replica of the grotto at Lourdes, France where the Virgin Mary reputedly appeared to "
          "Saint Bernadette Soubirous in 1858.")


def one_question_file(path, shift=0, **question):
    """A SQuAD file of one question about GROTTO, its answer_start moved by ``shift`` characters."""
    qa = {"answers": [{"answer_start": GROTTO.index("Saint") + shift, "text": "Saint Bernadette Soubirous"}],
          "question": "To whom did the Virgin Mary allegedly appear in 1858 in Lourdes France?", "id": FIRST_ID}
    qa.update(question)
    return write_json(path, {"data": [{"title": "Notre_Dame", "paragraphs": [{"context": GROTTO, "qas": [qa]}]}],
                             "version": "1.1"})


# --- SQuAD files and answer checks ---------------------------------------------------------------

def test_read_squad_gives_one_row_per_question_in_the_hub_layout(squad):
    dataset, source = squad
    assert dataset.num_rows == 11_877 and len(set(dataset["title"])) == 44
    assert dataset.column_names == ["id", "title", "context", "question", "answers"]
    first = dataset[0]
    assert first["id"] == FIRST_ID and first["title"] == "University_of_Notre_Dame"
    assert first["question"] == "To whom did the Virgin Mary allegedly appear in 1858 in Lourdes France?"
    assert first["answers"] == {"text": ["Saint Bernadette Soubirous"], "answer_start": [515]}
    assert first["context"].startswith("Architecturally, the school has a Catholic character.")
    assert source.where(0) == f"{source.name} (row 0)"  # one-line JSON: no file lines to name


def test_check_answers_accepts_every_answer_of_the_real_file(squad):
    check_answers(*squad)


def test_an_answer_off_by_one_character_names_the_file_and_the_question(tmp_path):
    path = one_question_file(tmp_path / "train.json", shift=1)
    dataset, source = read_squad(path)
    with pytest.raises(DataError) as error:
        check_answers(dataset, source)
    assert str(error.value) == (f"{path} question {FIRST_ID}: answer 'Saint Bernadette Soubirous' is not at "
                                "character 94 of its context (found 'aint Bernadette Soubirous ')")


def test_unanswerable_v2_questions_have_no_answers_and_need_allow_unanswerable(tmp_path):
    path = one_question_file(tmp_path / "dev-v2.0.json", answers=[], is_impossible=True,
                             plausible_answers=[{"text": "Mary", "answer_start": 76}])
    dataset, source = read_squad(path)
    assert dataset[0]["answers"] == {"text": [], "answer_start": []}
    with pytest.raises(DataError, match=f"question {FIRST_ID}: the question has no answer"):
        check_answers(dataset, source)
    check_answers(dataset, source, allow_unanswerable=True)


def test_check_answers_names_the_row_of_data_without_ids_and_rejects_blank_questions():
    import datasets

    dataset = datasets.Dataset.from_dict({"question": ["Who?", "  "], "context": ["Ann met Bob.", "Ann met Bob."],
                                          "answers": [{"text": ["Ann"], "answer_start": [0]}] * 2})
    with pytest.raises(DataError) as error:
        check_answers(dataset, Source("qa.jsonl", first_line=1))
    assert str(error.value) == "qa.jsonl line 2: the question is blank"


@pytest.mark.parametrize("content, message", [
    (None, ": no such file"),
    ('{"data": [', ": invalid JSON at line 1 column 11: Expecting value"),
    ('{"version": "1.1"}', ": not a SQuAD file: its top level has no 'data' list of articles"),
    ('{"data": [{"title": "T", "paragraphs": [{"qas": []}]}]}', " article 0 paragraph 0: no 'context' text"),
])
def test_unreadable_squad_files_are_one_line_data_errors(tmp_path, content, message):
    path = tmp_path / "squad.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError) as error:
        read_squad(path)
    assert str(error.value) == f"{path}{message}"


def test_is_squad_json_is_true_only_for_a_json_object_with_a_data_list(tmp_path, squad_file):
    assert is_squad_json(squad_file)
    assert not is_squad_json(write_json(tmp_path / "records.json", [{"data": []}]))
    assert not is_squad_json(write_json(tmp_path / "other.json", {"rows": []}))
    lines = tmp_path / "lines.json"
    lines.write_text('{"data": [1]}\n{"data": [2]}\n', encoding="utf-8")
    assert not is_squad_json(lines)  # JSON Lines: not one object
    assert not is_squad_json(write_json(tmp_path / "squad.jsonl", {"data": []}))


# --- windows ---------------------------------------------------------------------------------------

def test_training_windows_label_the_exact_answer_text_or_cls(tokenizer, first_300):
    data = first_300
    windows = training_features(tokenizer, data["question"], data["context"], data["answers"],
                                max_length=128, stride=32, ids=data["id"])
    counts = windows.counts
    assert (counts.examples, counts.windows, counts.split_examples, counts.windows_without_answer) == \
           (300, 735, 282, 382)
    assert set(windows) == {"input_ids", "token_type_ids", "attention_mask", "start_positions", "end_positions"}
    # the same windows, with the offsets that training features leave out
    evaluation = evaluation_features(tokenizer, data["question"], data["context"], 128, 32)
    offsets, owners = evaluation["offset_mapping"], evaluation["example_index"]
    for window, (start, end) in enumerate(zip(windows["start_positions"], windows["end_positions"])):
        assert len(windows["input_ids"][window]) <= 128
        context, answers = data[owners[window]]["context"], data[owners[window]]["answers"]
        if start == 0:
            assert end == 0
            first, last = answers["answer_start"][0], answers["answer_start"][0] + len(answers["text"][0])
            spans = [span for span in offsets[window] if span is not None]
            assert first < spans[0][0] or last > spans[-1][1]  # the answer is really not wholly inside
        else:
            # exact for all 353 windows with the answer: in this slice every answer starts and ends
            # at token boundaries
            assert context[offsets[window][start][0]:offsets[window][end][1]] == answers["text"][0]


def test_an_answer_inside_a_word_is_labelled_with_the_whole_word(tokenizer, squad):
    # 86 of the 11,877 questions (96 windows at max_length 128) have such answers: "six" of "sixth",
    # "7" of "1817". The labelled span holds the answer and at most one token more on each side.
    row = squad[0][477]
    assert row["id"] == "56be973d3aeaaa14008c9123" and row["answers"]["text"] == ["six"]
    windows = training_features(tokenizer, [row["question"]], [row["context"]], [row["answers"]], 384, 128)
    offsets = evaluation_features(tokenizer, [row["question"]], [row["context"]], 384, 128)["offset_mapping"][0]
    start, end = windows["start_positions"][0], windows["end_positions"][0]
    assert start == end and row["context"][offsets[start][0]:offsets[end][1]] == "sixth"


def test_evaluation_windows_map_back_to_their_examples_and_overlap_by_the_stride(tokenizer, first_300):
    data = first_300
    windows = evaluation_features(tokenizer, data["question"], data["context"], max_length=128, stride=32)
    owners = windows["example_index"]
    assert owners == sorted(owners) and set(owners) == set(range(300)) and len(owners) == 735
    for window, offsets in enumerate(windows["offset_mapping"]):
        # only context tokens have offsets: the question and [CLS]/[SEP] are None
        context_tokens = [t for t, segment in enumerate(windows["token_type_ids"][window]) if segment == 1][:-1]
        assert [t for t, span in enumerate(offsets) if span is not None] == context_tokens
        if window + 1 < len(owners) and owners[window + 1] == owners[window]:
            following = [span for span in windows["offset_mapping"][window + 1] if span is not None]
            assert [span for span in offsets if span is not None][-32:] == following[:32]
    first = [span for span in windows["offset_mapping"][0] if span is not None]
    assert data[0]["context"][first[0][0]:first[3][1]] == "Architecturally, the"  # architectural ##ly , the


def test_a_question_with_no_room_for_the_context_is_a_one_line_data_error(tokenizer):
    question = "What " + "very " * 40 + "long question is this?"
    with pytest.raises(DataError) as error:
        evaluation_features(tokenizer, ["Who?", question], ["Ann.", "Ann met Bob."], max_length=32, stride=8,
                            ids=["q1", "q2"])
    assert str(error.value) == ("question q2: its 46 tokens leave no room for the context in max_length 32; "
                                "use max_length 58 or more (or a smaller stride)")


def test_a_question_leaving_no_more_context_tokens_than_the_stride_is_a_data_error(tokenizer):
    # the tokenizer itself would abort (a Rust panic) here, naming no question
    with pytest.raises(DataError, match=r"^question 0: its 2 tokens leave 15 context tokens per window in "
                                        r"max_length 20, not more than the stride 16; use max_length 22 or more"):
        training_features(tokenizer, ["What?"], ["a b c " * 20], [{"text": ["a"], "answer_start": [0]}], 20, 16)


def test_a_slow_tokenizer_is_a_config_error():
    from transformers import AutoTokenizer

    from kerastx.models.minilm import minilm_directory

    slow = AutoTokenizer.from_pretrained(str(minilm_directory()), use_fast=False)
    with pytest.raises(ConfigError, match="needs a fast tokenizer"):
        evaluation_features(slow, ["Who?"], ["Ann."], 64, 16)


# --- n-best answers --------------------------------------------------------------------------------

CONTEXT = "alpha bravo charlie delta echo"
# two windows of one example: [CLS] q [SEP] alpha bravo charlie [SEP] / [CLS] q [SEP] charlie delta echo [SEP]
WINDOWS = {"example_index": [0, 0],
           "offset_mapping": [[None, None, None, (0, 5), (6, 11), (12, 19), None],
                              [None, None, None, (12, 19), (20, 25), (26, 30), None]]}


def logits(*values):
    return np.array(values, dtype=np.float32)


def test_the_best_span_is_chosen_across_all_windows_of_an_example():
    starts = [logits(0, 0, 0, 5, 1, 0, 0), logits(0, 0, 0, 0, 6, 1, 0)]
    ends = [logits(0, 0, 0, 0, 4, 0, 0), logits(0, 0, 0, 0, 1, 5, 0)]
    answers = best_answers(starts, ends, WINDOWS, [CONTEXT])
    assert answers == [{"answer": "delta echo", "score": 11.0, "start": 20, "end": 30}]
    assert CONTEXT[20:30] == "delta echo"


def test_spans_outside_the_context_or_reversed_are_never_chosen():
    window = {"example_index": [0], "offset_mapping": [WINDOWS["offset_mapping"][0]]}
    # the question token (1) scores 40 and [SEP] (6) ends at 20; start 5 with end 3 would score 18
    starts, ends = [logits(0, 20, 0, 1, 0, 9, 0)], [logits(0, 20, 0, 9, 2, 0, 20)]
    assert best_answers(starts, ends, window, [CONTEXT]) == [{"answer": "alpha", "score": 10.0, "start": 0, "end": 5}]


def test_spans_longer_than_max_answer_length_tokens_are_never_chosen():
    window = {"example_index": [0], "offset_mapping": [WINDOWS["offset_mapping"][0]]}
    starts, ends = [logits(0, 0, 0, 5, 0, 1, 0)], [logits(0, 0, 0, 1, 0, 6, 0)]
    assert best_answers(starts, ends, window, [CONTEXT])[0]["answer"] == "alpha bravo charlie"  # 3 tokens, 11
    assert best_answers(starts, ends, window, [CONTEXT], max_answer_length=2)[0]["answer"] == "charlie"  # 7


def test_n_best_limits_the_starts_and_ends_that_are_paired():
    window = {"example_index": [0], "offset_mapping": [WINDOWS["offset_mapping"][0]]}
    starts, ends = [logits(9, 0, 0, 1, 0, 0, 0)], [logits(9, 0, 0, 0, 0, 1, 0)]
    assert best_answers(starts, ends, window, [CONTEXT], n_best=2)[0]["answer"] == "alpha bravo charlie"
    answers = best_answers(starts, ends, window, [CONTEXT], n_best=1)  # only [CLS] is tried
    assert answers == [{"answer": "", "score": 18.0, "start": 0, "end": 0}] and answers.without_span == 1


def test_no_answer_wins_when_the_lowest_cls_score_beats_the_best_span_by_the_threshold():
    starts = [logits(4, 0, 0, 3, 0, 0, 0), logits(6, 0, 0, 0, 0, 0, 0)]
    ends = [logits(4, 0, 0, 3, 0, 0, 0), logits(6, 0, 0, 0, 0, 0, 0)]
    # best span "alpha" scores 6; no-answer scores min(8, 12) = 8
    assert best_answers(starts, ends, WINDOWS, [CONTEXT])[0]["answer"] == "alpha"
    answers = best_answers(starts, ends, WINDOWS, [CONTEXT], allow_no_answer=True)
    assert answers == [{"answer": "", "score": 8.0, "start": 0, "end": 0}] and answers.no_answer == 1
    kept = best_answers(starts, ends, WINDOWS, [CONTEXT], allow_no_answer=True, no_answer_threshold=2.5)
    assert kept[0]["answer"] == "alpha"


# --- SQuAD metric ----------------------------------------------------------------------------------

def test_answers_are_normalized_before_they_are_compared():
    assert normalize_answer("The Eiffel  Tower!") == "eiffel tower"
    assert normalize_answer("an Apple, a pear") == "apple pear"
    assert exact_match("The Eiffel Tower!", ["eiffel tower"]) == 1.0
    assert exact_match("Eiffel", ["eiffel tower"]) == 0.0


def test_f1_counts_shared_tokens_and_takes_the_best_reference():
    # prediction 2 tokens, truth 3, 2 shared: precision 1, recall 2/3, F1 0.8
    assert f1_score("Saint Bernadette", ["Saint Bernadette Soubirous"]) == pytest.approx(0.8)
    # 1 shared of 3 predicted and 2 true: precision 1/3, recall 1/2, F1 0.4
    assert f1_score("in the year 1858", ["1858 France"]) == pytest.approx(0.4)
    assert f1_score("in the year 1858", ["1858 France", "year 1858"]) == pytest.approx(0.8)
    assert f1_score("Paris", ["Lourdes"]) == 0.0


def test_squad_scores_are_percentages_and_an_empty_prediction_answers_an_unanswerable_question():
    scores = squad_scores(["Saint Bernadette", "Denver Broncos", "", "something"],
                          [["Saint Bernadette Soubirous"], ["The Broncos", "Denver Broncos"], [], []])
    assert scores == {"exact_match": pytest.approx(50.0), "f1": pytest.approx(100 * (0.8 + 1 + 1 + 0) / 4)}


# --- the answer predictor --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_qa_model(tokenizer):
    import tf_keras
    from transformers import BertConfig, TFBertForQuestionAnswering

    tf_keras.utils.set_random_seed(7)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512)
    return TFBertForQuestionAnswering(config)


def test_the_predictor_answers_each_question_with_a_span_of_its_context(tiny_qa_model, tokenizer, first_300):
    inputs = list(zip(first_300["question"][:12], first_300["context"][:12]))
    predictor = AnswerPredictor(tiny_qa_model, tokenizer, max_length=128, stride=32, batch_size=8)
    results = predictor(inputs)
    assert len(results) == len(inputs)
    for (_, context), result in zip(inputs, results):
        assert result["answer"] and result["answer"] == context[result["start"]:result["end"]]
        assert 1 <= len(tokenizer.tokenize(result["answer"])) <= 30
    again = AnswerPredictor(tiny_qa_model, tokenizer, max_length=128, stride=32, batch_size=3)(inputs)
    assert [(r["answer"], r["start"]) for r in again] == [(r["answer"], r["start"]) for r in results]
    assert [r["score"] for r in again] == pytest.approx([r["score"] for r in results], abs=1e-4)


def test_a_context_longer_than_max_length_is_answered_from_its_windows(tiny_qa_model, tokenizer, first_300):
    question, context = first_300["question"][0], " ".join(first_300["context"][:4])
    assert len(tokenizer(question, context)["input_ids"]) > 3 * 128
    result = AnswerPredictor(tiny_qa_model, tokenizer, max_length=128, stride=32)([(question, context)])[0]
    assert result["answer"] == context[result["start"]:result["end"]] != ""


def test_predictor_lines_are_question_tab_context_and_results_answer_tab_score(tiny_qa_model, tokenizer):
    predictor = AnswerPredictor(tiny_qa_model, tokenizer)
    assert predictor.parse("Where?\tIn Lourdes,\tFrance.") == ("Where?", "In Lourdes,\tFrance.")
    with pytest.raises(DataError, match="separate the question and the context with a tab"):
        predictor.parse("Where is the grotto? In Lourdes.")
    result = {"answer": "Saint Bernadette\nSoubirous", "score": 12.345, "start": 0, "end": 26}
    assert predictor.format(result) == "Saint Bernadette Soubirous\t12.35"
    assert predictor.format({"answer": "", "score": -1.0, "start": 0, "end": 0}) == "(no answer)\t-1.00"
