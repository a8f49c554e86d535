"""Extractive summarization: oracle sentence labels, sentence inputs, picking, a short real fit on BBC
News Summary, predict, bad input."""

import json

import numpy as np
import pytest

from kerastx.data.tasks.extractive import oracle_labels, pick_sentences, sentence_inputs, sentence_spans
from kerastx.recipes import extractive_summarization
from recipe_harness import check_predict, check_run_directory
from tests_helpers import ANY_MACHINE, as_flags, bbc_validation, one_line_error

SENTENCES = ["Shares in the firm rose by a third on Monday.", "The weather was mild.",
             "Its chief executive said sales of phones had doubled.", "A spokesman declined to comment."]


@pytest.fixture(scope="module")
def minilm_tokenizer():
    from transformers import AutoTokenizer

    from kerastx.models.minilm import minilm_directory

    return AutoTokenizer.from_pretrained(str(minilm_directory()))


def test_oracle_labels_recover_copied_sentences_in_any_order():
    summary = f"{SENTENCES[2]}{SENTENCES[0]}"  # glued and reordered, as BBC News Summary writes them
    assert oracle_labels(SENTENCES, summary) == [1, 0, 1, 0]


def test_oracle_labels_of_an_abstractive_summary_pick_the_overlapping_sentence():
    assert oracle_labels(SENTENCES, "Phone sales doubled, the chief executive said.") == [0, 0, 1, 0]
    assert oracle_labels(SENTENCES, "Completely unrelated words only.") == [0, 0, 0, 0]


def test_sentence_inputs_label_each_sentence_and_cut_long_documents_at_sentences(minilm_tokenizer):
    tokenizer = minilm_tokenizer
    rows = sentence_inputs(tokenizer, SENTENCES * 3, [1, 0, 1, 0] * 3, max_length=40)
    assert len(rows) > 1 and all(len(row["input_ids"]) <= 40 for row in rows)
    labelled = []
    for row in rows:
        ids, labels = row["input_ids"], row["labels"]
        assert len(ids) == len(labels) == len(row["attention_mask"]) == len(row["token_type_ids"])
        spans = sentence_spans(ids, tokenizer.cls_token_id, tokenizer.sep_token_id)
        assert spans[0][0] == 1 and spans[-1][1] == len(ids) - 1
        for number, (start, end) in enumerate(spans):
            assert ids[start - 1] == tokenizer.cls_token_id and ids[end] == tokenizer.sep_token_id
            assert labels[start - 1] == labels[end] == -100 and len(set(labels[start:end])) == 1
            assert set(row["token_type_ids"][start - 1:end + 1]) == {number % 2}
            labelled.append(labels[start])
    assert labelled == [1, 0, 1, 0] * 3
    first = tokenizer.decode(rows[0]["input_ids"])
    assert first.startswith("[CLS] shares in the firm rose") and "[SEP] [CLS] the weather was mild. [SEP]" in first


def test_a_sentence_longer_than_the_input_is_truncated(minilm_tokenizer):
    rows = sentence_inputs(minilm_tokenizer, ["word " * 100, "Short one."], None, max_length=16)
    assert [len(row["input_ids"]) for row in rows] == [16, 5]
    assert all(label == -100 for row in rows for label in row["labels"])


def test_pick_sentences_by_expected_length_or_threshold_in_document_order():
    assert pick_sentences([0.9, 0.1, 0.6, 0.7]) == [0, 3]  # the probabilities add up to 2.3: the best 2
    assert pick_sentences([0.1, 0.2, 0.1]) == [1]  # at least one
    assert pick_sentences([0.9, 0.1, 0.6, 0.7], threshold=0.5) == [0, 2, 3]
    assert pick_sentences([0.9, 0.1, 0.6, 0.7], threshold=0.5, max_sentences=2) == [0, 3]
    assert pick_sentences([0.2, 0.4, 0.1], threshold=0.5) == [1]  # the best one when none reaches it
    assert pick_sentences([]) == []


@pytest.fixture(scope="module")
def extractive_run(tmp_path_factory, shared_data):
    """A short real fit of a tiny scratch BERT on 120 BBC articles, in 128-token inputs."""
    out = tmp_path_factory.mktemp("extractive") / "out"
    result = extractive_summarization.main(as_flags({
        "train_file": shared_data("bbc_news_summary"), "model": "scratch:bert-tiny", "vocab_size": 2000,
        "max_length": 128, "batch_size": 16, "max_train_samples": 120, "max_eval_samples": 12, "max_steps": 12,
        "learning_rate": 1e-3, "pad_to_multiple_of": 32, **ANY_MACHINE, "output_dir": out}))
    return result, out


@pytest.mark.trains
def test_fit_reports_rouge_beside_lead3(extractive_run):
    result, out = extractive_run
    assert set(result.metrics) == {"val_rouge1", "val_rouge2", "val_rougeL", "val_rougeLsum", "val_sentence_f1",
                                   "val_sentences"}
    metrics = check_run_directory(extractive_summarization.RECIPE, result)
    assert "val_sentences" not in metrics["directions"]  # a count, neither better high nor low
    assert set(metrics["baselines"]) == {f"{lead}_{rouge}" for lead in ("lead3", "leadk")
                                         for rouge in ("rouge1", "rouge2", "rougeL", "rougeLsum")}
    assert "Baseline lead3_rougeL" in (out / "README.md").read_text()


@pytest.mark.trains
def test_reported_scores_are_the_saved_models_on_the_held_out_articles(extractive_run, shared_data):
    """Rebuilt by hand: the 12 held-out articles, summarized by the saved run's predictor."""
    from kerastx.metrics.generation import rouge_scores, split_sentences
    from kerastx.recipes.registry import load_predictor

    result, out = extractive_run
    validation = bbc_validation(shared_data("bbc_news_summary"), 12)
    scorer = load_predictor(out).scorer
    picked = scorer.pick([split_sentences(document) for document, _ in validation])
    assert result.metrics["val_sentences"] == pytest.approx(np.mean([len(chosen) for chosen in picked]))
    summaries = scorer.summarize([document for document, _ in validation])
    rouge = rouge_scores(summaries, [summary for _, summary in validation])
    assert result.metrics["val_rougeL"] == pytest.approx(rouge["rougeL"])


@pytest.mark.trains
def test_predict_follows_the_harness_and_summaries_are_document_sentences(extractive_run, capsys):
    from kerastx.metrics.generation import split_sentences

    _, out = extractive_run
    documents = [" ".join(SENTENCES), " ".join(reversed(SENTENCES))]
    summaries = check_predict(out, documents, capsys)
    assert all(set(split_sentences(summary)) <= set(SENTENCES) for summary in summaries)


@pytest.mark.trains
def test_scorer_gives_one_probability_per_sentence_across_inputs(extractive_run):
    from transformers import AutoTokenizer, TFAutoModelForTokenClassification

    from kerastx.generation.extractive import SentenceScorer

    _, out = extractive_run
    model = TFAutoModelForTokenClassification.from_pretrained(str(out))
    scorer = SentenceScorer(model, AutoTokenizer.from_pretrained(str(out)), max_length=32, batch_size=2)
    documents = [SENTENCES * 4, SENTENCES[:1], SENTENCES[1:3]]
    scores = scorer(documents)
    assert [len(s) for s in scores] == [16, 1, 2]
    alone = scorer([SENTENCES[:1]])[0]
    assert alone[0] == pytest.approx(scores[1][0], abs=1e-5)  # batching and padding do not change a score
    tokenless = scorer([[SENTENCES[0], "\u200b"]])[0]  # the tokenizer drops a zero-width space: read at [CLS]
    assert len(tokenless) == 2 and np.isfinite(tokenless).all()


@pytest.mark.parametrize("flags, message", [
    (["--threshold", "1.5"], "threshold must be between 0 and 1"),
    (["--max_sentences", "0"], "max_sentences must be a positive number"),
    (["--model", "scratch:marian-tiny"], "with architecture in bert and size in tiny, mini, small, base for extractive summarization"),
])
def test_bad_options_are_one_line_errors(tmp_path, capsys, flags, message):
    rows = [{"document": "One sentence here. Another one there.", "summary": "One sentence here."}] * 8
    (tmp_path / "news.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    error = one_line_error(extractive_summarization.main, ["--train_file", str(tmp_path / "news.jsonl"), "--output_dir",
                                                           str(tmp_path / "out"), "--model", "scratch:bert-tiny", "--vocab_size", "100", *flags], capsys)
    assert message in error
    assert not (tmp_path / "out").exists()


def test_an_empty_summary_names_its_file_line(tmp_path, capsys):
    rows = [{"document": "One sentence here. Another one there.", "summary": "One sentence here."}] * 6
    rows.append({"document": "A third text. With two sentences.", "summary": " "})
    (tmp_path / "news.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    error = one_line_error(extractive_summarization.main, ["--train_file", str(tmp_path / "news.jsonl"), "--validation_file",
                                                           str(tmp_path / "news.jsonl"), "--model", "scratch:bert-tiny",
                                                           "--vocab_size", "100", "--output_dir", str(tmp_path / "out")],
                           capsys)
    assert "news.jsonl line 7: column 'summary' is empty or not text" in error
    assert not (tmp_path / "out").exists()


@pytest.mark.trains
def test_export_scores_real_documents_as_the_trained_model(extractive_run, shared_data, tmp_path):
    from transformers import AutoTokenizer, TFAutoModelForTokenClassification

    from kerastx.metrics.generation import split_sentences
    from recipe_harness import check_export
    from serving_helpers import run_in_fresh_process

    _, out = extractive_run
    version, serving, _ = check_export(out, tmp_path, ["--no_verify"])
    assert list(serving["signatures"]) == ["predict_ids"] and "predict_text" in serving["unsupported"]
    tokenizer, model = AutoTokenizer.from_pretrained(str(out)), TFAutoModelForTokenClassification.from_pretrained(str(out))
    rows = [row for document, _ in bbc_validation(shared_data("bbc_news_summary"), 4)
            for row in sentence_inputs(tokenizer, split_sentences(document), None, 128)]
    width = max(len(row["input_ids"]) for row in rows)
    batch = {name: np.array([row[name] + [0] * (width - len(row[name])) for row in rows], np.int32)
             for name in ("input_ids", "attention_mask", "token_type_ids")}
    served = run_in_fresh_process(version, "predict_ids", batch)
    assert np.max(np.abs(served["logits"] - model(batch).logits.numpy())) <= 1e-5
