"""Offline translation and summarization metrics: sentence splitting, lead-3, BLEU/chrF and ROUGE.

Expected scores are worked out by hand in the comments, not by calling sacrebleu or rouge_score again.
"""

import math
import subprocess
import sys

import pytest

from kerastx.metrics.generation import bleu_scores, lead_sentences, rouge_scores, split_sentences


# --- split_sentences --------------------------------------------------------------------------

def test_split_sentences_splits_bbc_style_periods_without_a_space_but_keeps_decimals():
    text = "Profits rose to $10.9bn.For the full year, sales fell 2.5%. Mr. Smith said so!"
    assert split_sentences(text) == [
        "Profits rose to $10.9bn.",
        "For the full year, sales fell 2.5%.",
        "Mr. Smith said so!",
    ]


def test_split_sentences_splits_after_question_and_exclamation_marks():
    assert split_sentences("Is it? Yes! It is.") == ["Is it?", "Yes!", "It is."]


def test_split_sentences_keeps_closing_quotes_and_brackets_with_their_sentence():
    text = 'He said "Go." Then he left (quietly.) "Why?"She asked.'
    assert split_sentences(text) == ['He said "Go."', "Then he left (quietly.)", '"Why?"', "She asked."]


@pytest.mark.parametrize("text", [
    "Mr. Smith met Mrs. Jones and Dr. Brown.",
    "J. K. Rowling wrote it.",
    "The U.S. team won.",
    "Some fruit, e.g. apples, i.e. the best fruit.",
    "The U.S.A. is big.",
])
def test_split_sentences_does_not_split_abbreviations_or_initials(text):
    assert split_sentences(text) == [text]


def test_split_sentences_does_not_split_lowercase_after_a_period_as_in_web_addresses():
    assert split_sentences("See bbc.co.uk for more.") == ["See bbc.co.uk for more."]


def test_split_sentences_treats_a_blank_line_as_a_sentence_end():
    # BBC News Summary articles start with a headline that has no full stop.
    text = "Ad sales boost Time Warner profit\n\nQuarterly profits jumped 76%. Shares rose."
    assert split_sentences(text) == [
        "Ad sales boost Time Warner profit", "Quarterly profits jumped 76%.", "Shares rose."
    ]


def test_split_sentences_strips_whitespace_and_drops_empty_sentences():
    assert split_sentences("  One.   Two.  \n\n \n ") == ["One.", "Two."]
    assert split_sentences("") == []
    assert split_sentences("no full stop") == ["no full stop"]


# --- lead_sentences ---------------------------------------------------------------------------

def test_lead_sentences_joins_the_first_three_sentences_with_a_space():
    assert lead_sentences("One is here. Two?Three! Four. Five.") == "One is here. Two? Three!"


def test_lead_sentences_takes_count_sentences_or_all_there_are():
    assert lead_sentences("One. Two. Three.", count=1) == "One."
    assert lead_sentences("One. Two.", count=3) == "One. Two."


# --- bleu_scores ------------------------------------------------------------------------------

def test_identical_prediction_and_reference_score_100():
    scores = bleu_scores(["the cat sat on the mat"], ["the cat sat on the mat"])
    assert scores == {"bleu": pytest.approx(100), "chrf": pytest.approx(100)}


def test_bleu_is_the_geometric_mean_of_modified_ngram_precisions():
    # prediction "the cat sat on a mat" vs reference "the cat sat on the mat" (6 tokens each):
    # p1 = 5/6 ("a" unmatched), p2 = 3/5 (the cat, cat sat, sat on), p3 = 2/4 (the cat sat,
    # cat sat on), p4 = 1/3 (the cat sat on); equal lengths, so BP = 1.
    # BLEU = 100 * (5/6 * 3/5 * 2/4 * 1/3) ** (1/4) = 100 * (1/12) ** 0.25 = 53.73
    expected = 100 * math.exp((math.log(5 / 6) + math.log(3 / 5) + math.log(2 / 4) + math.log(1 / 3)) / 4)
    assert expected == pytest.approx(53.73, abs=0.01)
    assert bleu_scores(["the cat sat on a mat"], ["the cat sat on the mat"])["bleu"] == pytest.approx(
        expected, abs=0.01)


def test_bleu_applies_the_brevity_penalty_to_short_predictions():
    # "the cat sat on the" matches every n-gram (p1..p4 = 1), but has 5 tokens against 6:
    # BP = exp(1 - 6/5), BLEU = 100 * exp(-0.2) = 81.87
    scores = bleu_scores(["the cat sat on the"], ["the cat sat on the mat"])
    assert scores["bleu"] == pytest.approx(100 * math.exp(1 - 6 / 5), abs=0.01)


def test_chrf_averages_character_precision_and_recall_over_the_orders_both_sides_have():
    # "ab" vs "abc": 1-grams P = 2/2, R = 2/3; 2-grams P = 1/1, R = 1/2; "ab" has no 3..6-grams.
    # P = 1, R = (2/3 + 1/2) / 2 = 7/12; chrF (beta 2) = 5PR / (4P + R) = (35/12) / (55/12) = 7/11
    assert bleu_scores(["ab"], ["abc"])["chrf"] == pytest.approx(100 * 7 / 11, abs=0.01)


def test_a_prediction_matching_its_second_alternative_reference_scores_100():
    scores = bleu_scores(["the dog ran in the park"],
                         [["a cat slept on the sofa", "the dog ran in the park"]])
    assert scores == {"bleu": pytest.approx(100), "chrf": pytest.approx(100)}


def test_one_reference_string_equals_a_list_of_one_alternative():
    predictions = ["the cat sat on a mat", "hello there world"]
    assert bleu_scores(predictions, ["the cat sat on the mat", "hello world"]) == bleu_scores(
        predictions, [["the cat sat on the mat"], ["hello world"]])


def test_predictions_may_have_different_numbers_of_references_and_missing_ones_are_not_empty():
    # "p q" has two references (best length 2), "a b c d" only one (8 tokens). All n-grams match:
    # p1 = 6/6, p2 = 4/4, p3 = 2/2, p4 = 1/1. Corpus lengths: prediction 2 + 4 = 6, reference
    # 2 + 8 = 10, so BP = exp(1 - 10/6) = 51.34. Had the missing alternative counted as an empty
    # reference, "a b c d" would take reference length 0 and BLEU would be 100.
    scores = bleu_scores(["p q", "a b c d"], [["p q", "p q r"], ["a b c d e f g h"]])
    assert scores["bleu"] == pytest.approx(100 * math.exp(1 - 10 / 6), abs=0.01)


def test_bleu_rejects_mismatched_lengths_empty_lists_and_empty_alternatives():
    with pytest.raises(ValueError, match="2 predictions but 1 references"):
        bleu_scores(["a b", "c d"], ["a b"])
    with pytest.raises(ValueError, match="empty"):
        bleu_scores([], [])
    with pytest.raises(ValueError, match="prediction 1 has an empty list of references"):
        bleu_scores(["a b", "c d"], [["a b"], []])


# --- rouge_scores -----------------------------------------------------------------------------

def test_rouge_by_hand_for_a_prediction_missing_one_word():
    scores = rouge_scores(["the cat on the mat"], ["the cat sat on the mat"], use_stemmer=False)
    # rouge1: 5 of 5 predicted unigrams match, 5 of 6 reference ones: P = 1, R = 5/6,
    # F = 2PR / (P + R) = (10/6) / (11/6) = 10/11
    assert scores["rouge1"] == pytest.approx(100 * 10 / 11)
    # rouge2: predicted bigrams the-cat, cat-on, on-the, the-mat; reference ones the-cat, cat-sat,
    # sat-on, on-the, the-mat; 3 match: P = 3/4, R = 3/5, F = (18/20) / (27/20) = 2/3
    assert scores["rouge2"] == pytest.approx(100 * 2 / 3)
    # rougeL: longest common subsequence "the cat on the mat" = 5 tokens, so as rouge1: 10/11
    assert scores["rougeL"] == pytest.approx(100 * 10 / 11)
    assert scores["rougeLsum"] == pytest.approx(100 * 10 / 11)


@pytest.mark.parametrize("separator", [" ", ""])  # "" as in BBC News Summary: "sat.The dog"
def test_rouge_lsum_splits_sentences_so_swapped_sentences_still_match(separator):
    prediction = f"The dog ran.{separator}The cat sat."
    reference = f"The cat sat.{separator}The dog ran."
    scores = rouge_scores([prediction], [reference], use_stemmer=False)
    # rougeL: one LCS over "the dog ran the cat sat" / "the cat sat the dog ran" is 3 of 6 tokens:
    # P = R = F = 1/2. rougeLsum: each reference sentence is fully covered by a predicted one, 6 of 6.
    assert scores["rougeL"] == pytest.approx(50)
    assert scores["rougeLsum"] == pytest.approx(100)


def test_rouge_stems_words_when_asked():
    # Porter stems (words over 3 letters): cats -> cat, running -> run, runs -> run.
    prediction, reference = ["the cats running"], ["the cat runs"]
    assert rouge_scores(prediction, reference)["rouge1"] == pytest.approx(100)
    # Without stemming only "the" matches: P = R = 1/3
    assert rouge_scores(prediction, reference, use_stemmer=False)["rouge1"] == pytest.approx(100 / 3)


def test_rouge_is_the_mean_over_pairs():
    scores = rouge_scores(["the cat sat", "a b"], ["the cat sat", "x y"], use_stemmer=False)
    # (100 + 0) / 2 for every type
    assert scores == {name: pytest.approx(50) for name in ("rouge1", "rouge2", "rougeL", "rougeLsum")}


def test_rouge_needs_no_nltk_data(monkeypatch):
    import nltk

    def no_data(*args, **kwargs):
        raise AssertionError("nltk data was looked up")

    monkeypatch.setattr(nltk.data, "find", no_data)
    monkeypatch.setattr(nltk.data, "load", no_data)
    assert rouge_scores(["Cats were running. Dogs barked."], ["The cats ran. A dog barked."])["rouge1"] > 0


def test_rouge_rejects_mismatched_lengths_and_empty_lists():
    with pytest.raises(ValueError, match="1 predictions but 2 references"):
        rouge_scores(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="empty"):
        rouge_scores([], [])


# --- importing ----------------------------------------------------------------------------------

@pytest.mark.spawns
def test_importing_the_module_loads_no_metric_library_or_tensorflow():
    code = ("import sys, kerastx.metrics.generation; "
            "print(sorted({'sacrebleu', 'rouge_score', 'nltk', 'tensorflow'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
