"""The token-classification recipe end to end on real CoNLL-2003 sentences: a short fit of the packaged
MiniLM whose entity F1 rises, the harness checks, the NER pipeline round trip, bad input."""

import json
import re

import pytest

from kerastx.recipes import token_classification
from recipe_harness import check_bad_inputs, check_predict, check_run_directory, write
from tests_helpers import ANY_MACHINE, as_flags


def conll_slice(source, target, sentences: int):
    """The first ``sentences`` sentences of a CoNLL file (DOCSTART lines included), cut at a blank line."""
    kept, count, in_sentence = [], 0, False
    for line in source.read_text(encoding="utf-8").splitlines(keepends=True):
        kept.append(line)
        if line.strip() and not line.startswith("-DOCSTART-"):
            in_sentence = True
        elif not line.strip() and in_sentence:
            count, in_sentence = count + 1, False
            if count == sentences:
                break
    return write(target, "".join(kept))


@pytest.fixture(scope="module")
def ner_options(tmp_path_factory, shared_data):
    tmp = tmp_path_factory.mktemp("ner")
    conll = shared_data("conll2003")
    return {"train_file": conll_slice(conll / "train.txt", tmp / "train.txt", 400),
            "validation_file": conll_slice(conll / "valid.txt", tmp / "valid.txt", 120),
            "model": "minilm", "max_length": 64, "batch_size": 16, "epochs": 2, "learning_rate": 5e-4,
            "pad_to_multiple_of": 16, "group_by_length": True, "evaluate_before_training": True, **ANY_MACHINE}


@pytest.fixture(scope="module")
def ner_run(ner_options, tmp_path_factory):
    """Two epochs of the packaged MiniLM on 400 CoNLL sentences, batched by length (less padding: the fit takes
    49 s instead of 80 on one core); measured: entity F1 0.03 -> 0.39."""
    return token_classification.main(as_flags({**ner_options, "output_dir": tmp_path_factory.mktemp("out") / "run"}))


@pytest.mark.trains
def test_entity_f1_rises_with_training_and_is_reported_per_type(ner_run):
    before, *_, after = ner_run.evaluations
    assert before["epoch"] == 0 and after["epoch"] == 2
    assert before["val_f1"] < 0.1  # an untrained head finds next to no entities
    assert after["val_f1"] > before["val_f1"] + 0.3
    assert {f"val_{kind}_f1" for kind in ("LOC", "MISC", "ORG", "PER")} <= set(after)
    precision, recall = after["val_precision"], after["val_recall"]
    assert after["val_f1"] == pytest.approx(2 * precision * recall / (precision + recall))


@pytest.mark.trains
def test_run_directory_and_predict_follow_the_harness(ner_run, capsys):
    metrics = check_run_directory(token_classification.RECIPE, ner_run)
    assert metrics["directions"]["val_f1"] == "max"
    config = json.loads((ner_run.output_dir / "config.json").read_text())
    assert config["id2label"]["0"] == "O" and "B-PER" in config["label2id"]
    text = "Peter Blackburn said the European Commission met in Brussels on Tuesday ."
    [line] = check_predict(ner_run.output_dir, [text], capsys)
    entities = re.findall(r'(\w+) "([^"]*)" \d\.\d\d \[(\d+):(\d+)\]', line)
    assert entities and len(entities) == len(line.split("; "))  # the trained model finds some, each in this form
    assert all(text[int(start):int(end)] == words for _, words, start, end in entities)


@pytest.mark.trains
def test_saved_run_loads_in_the_token_classification_pipeline(ner_run):
    from transformers import pipeline

    from kerastx.recipes.registry import load_predictor

    text = "Germany 's representative to the European Union 's veterinary committee Werner Zwingmann said on Wednesday ."
    ner = pipeline("token-classification", model=str(ner_run.output_dir), framework="tf",
                   aggregation_strategy="first")
    pipeline_entities = [(e["entity_group"], e["start"], e["end"]) for e in ner(text)]
    [ours] = load_predictor(ner_run.output_dir)([text])
    # both tag each word by its first sub-token and group B-/I- runs; the pipeline's words are the same pieces
    assert [(e["entity_group"], e["start"], e["end"]) for e in ours] == pipeline_entities
    assert all(text[e["start"]:e["end"]] == e["word"] for e in ours)


BAD_TAG = "B-FOO"


@pytest.mark.parametrize("case", ["wrong_column_count", "tag_only_in_validation", "words_and_tags_differ",
                                  "seq2seq_scratch_model", "missing_column"])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(ner_options, tmp_path, capsys, case):
    def edit_line(options, tmp, file, line_number, new):
        lines = options[file].read_text().splitlines(keepends=True)
        lines[line_number - 1] = new
        return {**options, file: write(tmp / options[file].name, "".join(lines))}

    cases = {
        # train.txt line 3 is "EU NNP B-NP B-ORG", the first token
        "wrong_column_count": (lambda o, tmp: edit_line(o, tmp, "train_file", 5, "German JJ B-MISC\n"),
                               "train.txt line 5: expected 4 space-separated columns"),
        "tag_only_in_validation": (lambda o, tmp: edit_line(o, tmp, "validation_file", 3, f"CRICKET NNP I-NP {BAD_TAG}\n"),
                                   f"valid.txt line 3: column 'tags' has tag '{BAD_TAG}'"),
        "words_and_tags_differ": (lambda o, tmp: {**o, "train_file": write(tmp / "t.jsonl", json.dumps(
            {"tokens": ["EU", "rejects"], "tags": ["B-ORG"]}) + "\n"), "validation_file": write(tmp / "v.jsonl", json.dumps(
                {"tokens": ["EU"], "tags": ["B-ORG"]}) + "\n")}, "t.jsonl line 1: 2 words but 1 tags"),
        "seq2seq_scratch_model": (lambda o, tmp: {**o, "model": "scratch:marian-tiny"},
                                  "architecture in bert and size in tiny, mini, small, base for token classification"),
        "missing_column": (lambda o, tmp: {**o, "train_file": write(tmp / "t.jsonl", json.dumps(
            {"words": ["EU"], "tags": ["B-ORG"]}) + "\n")}, "t.jsonl: no column 'tokens'"),
    }
    check_bad_inputs(token_classification.main, ner_options, tmp_path, capsys, [cases[case]])


@pytest.mark.trains
def test_export_tags_raw_text_in_the_graph_as_the_predictor_does(ner_run, ner_options, tmp_path):
    from kerastx.recipes.registry import load_predictor
    from recipe_harness import check_export, served_entities
    from serving_helpers import run_in_fresh_process

    version, serving, _ = check_export(ner_run.output_dir, tmp_path, ["--no_verify"])
    assert serving["serving_default"] == "predict_text" and not serving["unsupported"]
    blocks = open(ner_options["validation_file"], encoding="utf-8").read().strip().split("\n\n")
    sentences = [" ".join(line.split()[0] for line in block.splitlines() if not line.startswith("-DOCSTART-"))
                 for block in blocks[:60]]
    sentences = [sentence for sentence in sentences if sentence]
    predicted = load_predictor(ner_run.output_dir)(sentences)
    served = served_entities(run_in_fresh_process(version, "predict_text", {"text": sentences}, text_ops=True))
    assert sum(map(len, predicted)) >= 20  # the model finds entities: not a comparison of empty lists
    for mine, theirs in zip(served, predicted):
        assert [{**e, "score": 0} for e in mine] == [{**e, "score": 0} for e in theirs]
        assert all(abs(a["score"] - b["score"]) <= 1e-5 for a, b in zip(mine, theirs))
