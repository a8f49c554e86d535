"""Token classification parts: CoNLL files, tag maps, sub-token alignment, entity scores, entity grouping
and the entity predictor, on real CoNLL-2003 sentences and the packaged MiniLM tokenizer."""

import random
import re

import numpy as np
import pytest

from kerastx.data.readers.conll import is_conll_file, read_conll
from kerastx.data.files import LinesSource
from kerastx.data.splits import SubsetSource
from kerastx.data.tasks.token_labels import TagMap, align_labels, tokenize_and_align
from kerastx.errors import ConfigError, DataError
from kerastx.inference.entities import EntityPredictor, group_entities
from kerastx.metrics.token_classification import entity_scores, predictions_to_tags


@pytest.fixture(scope="module")
def conll(shared_data):
    return shared_data("conll2003")


@pytest.fixture(scope="module")
def train(conll):
    return read_conll(conll / "train.txt")


@pytest.fixture(scope="module")
def valid(conll):
    return read_conll(conll / "valid.txt")


@pytest.fixture(scope="module")
def tag_map(train):
    return TagMap.infer(train[0]["tags"])


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from kerastx.models.minilm import minilm_directory

    return AutoTokenizer.from_pretrained(str(minilm_directory()))


def conll_lines(path, first: int, last: int) -> str:
    """Lines ``first``..``last`` (1-based, inclusive) of a real CoNLL file."""
    return "".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[first - 1:last])


# --- reading CoNLL files ---------------------------------------------------------------------------------------


def test_first_training_sentence_tokens_tags_and_line(train, conll):
    dataset, source = train
    assert " ".join(dataset[0]["tokens"]) == "EU rejects German call to boycott British lamb ."
    assert dataset[0]["tags"] == ["B-ORG", "O", "B-MISC", "O", "O", "O", "B-MISC", "O", "O"]
    assert source.where(0) == f"{conll / 'train.txt'} line 3"  # line 1 is -DOCSTART-, line 2 blank
    assert source.where(1) == f"{conll / 'train.txt'} line 13"  # "Peter Blackburn"


def test_sentence_and_token_counts_match_the_published_splits(train, valid):
    assert len(train[0]) == 14_041 and len(valid[0]) == 3_250
    assert sum(map(len, train[0]["tokens"])) == 203_621
    assert sum(map(len, valid[0]["tokens"])) == 51_362


def test_docstart_lines_are_skipped_and_the_next_document_starts_after_them(train, conll):
    dataset, source = train
    assert not any("-DOCSTART-" in tokens for tokens in dataset["tokens"])
    # train.txt line 492 is the second -DOCSTART-, line 493 blank: the next sentence starts on 494.
    assert conll_lines(conll / "train.txt", 492, 492).startswith("-DOCSTART-")
    assert 492 not in source.lines and 493 not in source.lines
    row = source.lines.index(494)
    assert dataset[row]["tokens"][0] == conll_lines(conll / "train.txt", 494, 494).split()[0]


def test_crlf_endings_blank_line_runs_and_no_final_newline(tmp_path, conll):
    text = conll_lines(conll / "train.txt", 1, 17).replace("\n", "\r\n").replace("\r\n\r\n", "\r\n\r\n\r\n")
    path = tmp_path / "windows.txt"
    path.write_bytes((text + "\r\n\r\n" + "BRUSSELS NNP B-NP B-LOC").encode())
    dataset, source = read_conll(path)
    assert [len(tokens) for tokens in dataset["tokens"]] == [9, 2, 2, 1]
    assert dataset[1]["tokens"] == ["Peter", "Blackburn"]  # no stray '\r' in the last column either
    assert dataset[1]["tags"] == ["B-PER", "I-PER"]
    assert dataset[3]["tokens"] == ["BRUSSELS"] and dataset[3]["tags"] == ["B-LOC"]
    # each blank line doubled: DOCSTART 1, blanks 2-3, EU 4-12, blanks 13-14, Peter 15-16, blanks 17-18,
    # BRUSSELS 19-20, blanks 21-22, and the unterminated last sentence on line 23
    assert [source.where(row).split()[-1] for row in range(4)] == ["4", "15", "19", "23"]


def test_tag_column_picks_pos_or_chunk_tags(conll):
    pos, _ = read_conll(conll / "valid.txt", tag_column=1)
    chunk, _ = read_conll(conll / "valid.txt", tag_column=2)
    assert pos[1] == {"tokens": ["LONDON", "1996-08-30"], "tags": ["NNP", "CD"]}
    assert chunk[1]["tags"] == ["B-NP", "I-NP"]


def test_a_line_with_a_missing_column_names_file_line_and_counts(tmp_path, conll):
    text = conll_lines(conll / "train.txt", 1, 17).replace("Blackburn NNP I-NP I-PER", "Blackburn I-NP I-PER")
    path = tmp_path / "train.txt"
    path.write_text(text)
    with pytest.raises(DataError) as error:
        read_conll(path)
    assert str(error.value).startswith(f"{path} line 14: expected 4 space-separated columns (word POS chunk NER) "
                                       "as on line 3, got 3")
    assert "\n" not in str(error.value)


def test_bad_tag_column_and_files_without_sentences(tmp_path, conll):
    with pytest.raises(DataError, match=r"tag_column 4 is outside the 4 columns of line 3"):
        read_conll(conll / "valid.txt", tag_column=4)
    with pytest.raises(DataError, match=r"tag_column -4 is outside"):  # column 0 is the word
        read_conll(conll / "valid.txt", tag_column=-4)
    with pytest.raises(DataError, match=r"nope.txt: no such file"):
        read_conll(tmp_path / "nope.txt")
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(DataError, match=r"empty.txt: the file is empty"):
        read_conll(tmp_path / "empty.txt")
    (tmp_path / "docstart.txt").write_text("-DOCSTART- -X- -X- O\n\n\n")
    with pytest.raises(DataError, match=r"docstart.txt: no sentences"):
        read_conll(tmp_path / "docstart.txt")


def test_held_out_rows_still_name_their_file_line(train, conll):
    dataset, source = train
    held = SubsetSource(source.name, parent=source, rows=(1, 0))
    assert held.where(0) == f"{conll / 'train.txt'} line 13"
    assert LinesSource("valid.txt", lines=(3, 15)).where(1) == "valid.txt line 15"


def test_conll_files_are_recognised_by_suffix():
    assert all(map(is_conll_file, ["train.txt", "eng.conll", "eng.train", "eng.testa", "EN.TXT"]))
    assert not any(map(is_conll_file, ["train.csv", "train.jsonl", "ud.conllu", "train"]))


# --- tag vocabulary --------------------------------------------------------------------------------------------


def test_tag_map_puts_O_first_then_sorted_tags(train):
    tag_map = TagMap.infer(train[0]["tags"])
    assert tag_map.names == ("O", "B-LOC", "B-MISC", "B-ORG", "B-PER", "I-LOC", "I-MISC", "I-ORG", "I-PER")
    assert tag_map.id2label[0] == "O" and tag_map.label2id["I-PER"] == 8
    assert tag_map.inside_of() == {1: 5, 2: 6, 3: 7, 4: 8}
    assert tag_map.entity_types() == ["LOC", "MISC", "ORG", "PER"]
    assert tag_map.encode(train[0]["tags"][:2], train[1])[1] == [4, 8]  # Peter Blackburn


def test_a_tag_the_training_data_lacks_names_its_line_and_tag(tmp_path, conll, tag_map):
    path = tmp_path / "valid.txt"
    path.write_text(conll_lines(conll / "valid.txt", 1, 19).replace("LONDON NNP B-NP B-LOC", "LONDON NNP B-NP B-FOO"))
    dataset, source = read_conll(path)
    with pytest.raises(DataError) as error:
        tag_map.encode(dataset["tags"], source, "tags")
    assert str(error.value).startswith(f"{path} line 15: column 'tags' has tag 'B-FOO' (word 1 of the sentence), "
                                       "which the training data does not have (tags: O, B-LOC,")


def test_label_names_rename_integer_tags_and_must_match_their_count():
    tag_map = TagMap.infer([[0, 1, 2], [0, 0]], names=["O", "B-PER", "I-PER"])
    assert tag_map.id2label == {0: "O", 1: "B-PER", 2: "I-PER"} and tag_map.inside_of() == {1: 2}
    with pytest.raises(ConfigError, match="label_names has 2 names but the training labels have 3"):
        TagMap.infer([[0, 1, 2]], names=["O", "B-PER"])


# --- sub-token alignment on the real tokenizer -----------------------------------------------------------------


def fischler_sentence(train, tag_map):
    """train.txt line 183: "Fischler proposed EU-wide measures ... Bovine Spongiform Encephalopathy ( BSE ) ..."."""
    dataset, source = train
    row = source.lines.index(183)
    return dataset[row]["tokens"], tag_map.encode([dataset[row]["tags"]], source)[0]


def test_first_subtoken_carries_the_word_label_and_the_rest_are_ignored(train, tag_map, tokenizer):
    words, tag_ids = fischler_sentence(train, tag_map)
    features = tokenize_and_align(tokenizer, [words], [tag_ids], max_length=128)
    pieces = tokenizer.convert_ids_to_tokens(features["input_ids"][0])
    labels = features["labels"][0]
    assert pieces[:8] == ["[CLS]", "fis", "##ch", "##ler", "proposed", "eu", "-", "wide"]
    B, I = tag_map.label2id, -100
    assert labels[:8] == [I, B["B-PER"], I, I, B["O"], B["B-MISC"], I, I]
    assert pieces[-1] == "[SEP]" and labels[-1] == I
    assert len(labels) == len(features["input_ids"][0])
    kept = [label for label in labels if label != -100]
    assert kept == tag_ids  # every word labelled exactly once


def test_all_subtokens_mode_labels_every_piece_and_turns_B_into_I(train, tag_map, tokenizer):
    words, tag_ids = fischler_sentence(train, tag_map)
    features = tokenize_and_align(tokenizer, [words], [tag_ids], max_length=128, all_subtokens=True,
                                  inside_of=tag_map.inside_of())
    pieces = tokenizer.convert_ids_to_tokens(features["input_ids"][0])
    names = [tag_map.id2label.get(label, "-100") for label in features["labels"][0]]
    assert list(zip(pieces, names))[:8] == [("[CLS]", "-100"), ("fis", "B-PER"), ("##ch", "I-PER"), ("##ler", "I-PER"),
                                            ("proposed", "O"), ("eu", "B-MISC"), ("-", "I-MISC"), ("wide", "I-MISC")]
    start = pieces.index("sp")  # "Spongiform" is I-MISC already: all its pieces stay I-MISC
    assert names[start:start + 3] == ["I-MISC"] * 3 and names[-1] == "-100"


def test_align_labels_without_inside_map_repeats_the_word_label():
    assert align_labels([None, 0, 0, 1, None], [3, 0]) == [-100, 3, -100, 0, -100]
    assert align_labels([None, 0, 0, 1, None], [3, 0], all_subtokens=True) == [-100, 3, 3, 0, -100]


def test_truncation_to_max_length_is_counted_in_words_cut_off(valid, tag_map, tokenizer):
    dataset, source = valid
    words = dataset[0]["tokens"]  # CRICKET - LEICESTERSHIRE TAKE OVER AT TOP AFTER INNINGS VICTORY .
    tag_ids = tag_map.encode([dataset[0]["tags"]], source)
    features = tokenize_and_align(tokenizer, [words], tag_ids, max_length=8)
    assert tokenizer.convert_ids_to_tokens(features["input_ids"][0]) == [
        "[CLS]", "cricket", "-", "leicestershire", "take", "over", "at", "[SEP]"]
    assert features["labels"][0] == [-100, 0, 0, tag_map.label2id["B-ORG"], 0, 0, 0, -100]
    assert features["words_truncated"] == [len(words) - 6]  # TOP AFTER INNINGS VICTORY .


def test_words_cut_off_plus_words_labelled_is_every_word(valid, tag_map, tokenizer):
    dataset, source = valid
    sentences = dataset[:40]
    tag_ids = tag_map.encode(sentences["tags"], source)
    features = tokenize_and_align(tokenizer, sentences["tokens"], tag_ids, max_length=16)
    for words, labels, cut in zip(sentences["tokens"], features["labels"], features["words_truncated"]):
        assert sum(label != -100 for label in labels) + cut == len(words)
    assert sum(cut > 0 for cut in features["words_truncated"]) == 22
    assert sum(tokenize_and_align(tokenizer, sentences["tokens"], tag_ids, max_length=512)["words_truncated"]) == 0


# --- entity scores ---------------------------------------------------------------------------------------------


def test_one_right_entity_and_one_of_the_wrong_type_score_one_half():
    scores = entity_scores([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "B-ORG"]])
    assert (scores["precision"], scores["recall"], scores["f1"]) == (0.5, 0.5, 0.5)
    assert scores["accuracy"] == 0.75  # 3 of 4 tokens


def test_per_type_scores_and_support():
    true = [["B-PER", "I-PER", "O", "B-LOC"], ["B-LOC", "O", "B-PER"]]
    predicted = [["B-PER", "I-PER", "O", "B-ORG"], ["B-LOC", "O", "O"]]
    scores = entity_scores(true, predicted)
    assert {k: v for k, v in scores.items() if k.startswith("PER_")} == {
        "PER_precision": 1.0, "PER_recall": 0.5, "PER_f1": 2 / 3, "PER_support": 2.0}
    assert (scores["LOC_precision"], scores["LOC_recall"], scores["LOC_support"]) == (1.0, 0.5, 2.0)
    assert (scores["ORG_precision"], scores["ORG_recall"], scores["ORG_support"]) == (0.0, 0.0, 0.0)
    assert (scores["precision"], scores["recall"]) == (2 / 3, 2 / 4)
    assert scores["accuracy"] == 5 / 7


def test_an_entity_counts_only_with_its_exact_span():
    # the predicted I-PER after O starts an entity of one word; the true entity has two
    scores = entity_scores([["B-PER", "I-PER", "O"]], [["O", "I-PER", "O"]])
    assert (scores["precision"], scores["recall"], scores["accuracy"]) == (0.0, 0.0, 2 / 3)


def test_scores_agree_with_seqeval_report_on_real_tags(valid):
    from seqeval.metrics import classification_report

    true = valid[0]["tags"][:400]
    rng = random.Random(0)
    names = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC"]
    predicted = [[tag if rng.random() < 0.85 else rng.choice(names) for tag in tags] for tags in true]
    scores = entity_scores(true, predicted)
    report = classification_report(true, predicted, output_dict=True, zero_division=0)
    assert scores["f1"] == pytest.approx(report["micro avg"]["f1-score"])
    for kind in ("LOC", "MISC", "ORG", "PER"):
        assert scores[f"{kind}_precision"] == pytest.approx(report[kind]["precision"])
        assert scores[f"{kind}_recall"] == pytest.approx(report[kind]["recall"])
        assert scores[f"{kind}_support"] == report[kind]["support"]


def test_no_predictions_or_no_sentences_give_zeros_and_fixed_keys():
    assert entity_scores([["B-PER", "O"]], [["O", "O"]])["recall"] == 0.0
    assert entity_scores([], []) == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "accuracy": 0.0}
    scores = entity_scores([["O"]], [["B-MISC"]], types=["PER", "date/time"])
    assert sorted(scores) == sorted(["precision", "recall", "f1", "accuracy", "PER_precision", "PER_recall",
                                     "PER_f1", "PER_support", "date_time_precision", "date_time_recall",
                                     "date_time_f1", "date_time_support"])
    assert all(isinstance(value, float) for value in scores.values())


def test_predictions_to_tags_keeps_only_labelled_positions():
    id2label = {0: "O", 1: "B-PER", 2: "I-PER"}
    labels = np.array([[-100, 1, -100, 2, -100], [-100, 0, -100, -100, -100]])
    logits = np.zeros((2, 5, 3))
    logits[0, :, 1] = 1.0  # every position predicts B-PER
    logits[1, 1, 0] = 5.0
    true, predicted = predictions_to_tags(logits, labels, id2label)
    assert true == [["B-PER", "I-PER"], ["O"]]
    assert predicted == [["B-PER", "B-PER"], ["O"]]
    assert predictions_to_tags(logits.argmax(-1), labels, {str(k): v for k, v in id2label.items()}) == (true, predicted)


# --- grouping words into entities ------------------------------------------------------------------------------


def words_of(text):
    return [match.span() for match in re.finditer(r"\S+", text)]


def test_B_then_I_of_one_type_is_one_entity_with_the_mean_score():
    text = "Peter Blackburn visited Brussels"
    entities = group_entities(text, words_of(text), ["B-PER", "I-PER", "O", "B-LOC"], [0.9, 0.7, 0.99, 0.6])
    assert entities == [
        {"entity_group": "PER", "score": pytest.approx(0.8), "word": "Peter Blackburn", "start": 0, "end": 15},
        {"entity_group": "LOC", "score": 0.6, "word": "Brussels", "start": 24, "end": 32}]


def test_I_after_O_or_another_type_starts_an_entity_and_B_splits_one():
    text = "a b c d e f"
    tags = ["I-ORG", "O", "I-PER", "I-LOC", "B-LOC", "I-LOC"]
    entities = group_entities(text, words_of(text), tags, [1.0, 1.0, 0.5, 0.4, 0.2, 0.4])
    assert [(e["entity_group"], e["word"], e["score"]) for e in entities] == [
        ("ORG", "a", 1.0), ("PER", "c", 0.5), ("LOC", "d", 0.4), ("LOC", "e f", pytest.approx(0.3))]


def test_bare_tags_are_their_own_type_and_spans_keep_the_text_between_words():
    text = "New  York-based Acme"
    spans = [(0, 3), (5, 9), (9, 10), (10, 15), (16, 20)]
    entities = group_entities(text, spans, ["LOC", "LOC", "O", "O", "ORG"], [0.5, 1.0, 1.0, 1.0, 0.25])
    assert [(e["entity_group"], e["word"], e["start"], e["end"]) for e in entities] == [
        ("LOC", "New  York", 0, 9), ("ORG", "Acme", 16, 20)]


# --- the entity predictor with a tiny random token classifier --------------------------------------------------


@pytest.fixture(scope="module")
def tiny_tagger(tokenizer, tag_map):
    import tf_keras
    from transformers import BertConfig, TFBertForTokenClassification

    tf_keras.utils.set_random_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, num_labels=len(tag_map),
                        id2label=tag_map.id2label, label2id=tag_map.label2id)
    return TFBertForTokenClassification(config)


TEXTS = ["EU rejects German call to boycott British lamb.", "", "Peter Blackburn, BRUSSELS 1996-08-22",
         "The European Commission said on Thursday it disagreed with German advice to consumers to shun British lamb "
         "until scientists determine whether mad cow disease can be transmitted to sheep."]


def test_predictor_gives_entities_that_are_slices_of_each_text(tiny_tagger, tokenizer, tag_map):
    predictor = EntityPredictor(tiny_tagger, tokenizer, max_length=64, batch_size=8)
    results = predictor(TEXTS)
    assert len(results) == len(TEXTS) and results[1] == []
    assert sum(map(len, results)) > 3  # random weights tag plenty of words: the checks below are not vacuous
    for text, entities in zip(TEXTS, results):
        for entity in entities:
            assert entity["word"] == text[entity["start"]:entity["end"]] and entity["word"].strip() == entity["word"]
            assert entity["entity_group"] in tag_map.entity_types()
            assert 0.0 < entity["score"] <= 1.0


def test_predictor_results_do_not_depend_on_batch_size(tiny_tagger, tokenizer):
    one = EntityPredictor(tiny_tagger, tokenizer, max_length=64, batch_size=1)(TEXTS)
    eight = EntityPredictor(tiny_tagger, tokenizer, max_length=64, batch_size=8)(TEXTS)
    assert [[(e["entity_group"], e["start"], e["end"]) for e in r] for r in one] == \
           [[(e["entity_group"], e["start"], e["end"]) for e in r] for r in eight]
    assert [e["score"] for r in one for e in r] == pytest.approx([e["score"] for r in eight for e in r], abs=1e-5)


def test_predictor_truncates_long_texts_to_max_length(tiny_tagger, tokenizer):
    text = TEXTS[3]
    [entities] = EntityPredictor(tiny_tagger, tokenizer, max_length=8)([text])
    sixth_word_end = [m.end() for m in re.finditer(r"\S+", text)][5]  # 8 tokens - [CLS], [SEP] = 6 words here
    assert all(entity["end"] <= sixth_word_end for entity in entities)


def test_format_and_parse_round_trip(tiny_tagger, tokenizer):
    predictor = EntityPredictor(tiny_tagger, tokenizer, max_length=64)
    line = "Peter Blackburn, BRUSSELS 1996-08-22"
    text = predictor.parse(line)
    assert text == line
    [entities] = predictor([text])
    formatted = predictor.format(entities)
    assert "\n" not in formatted
    parsed = re.findall(r'(\w+) "([^"]*)" (\d\.\d\d) \[(\d+):(\d+)\]', formatted)
    assert [(kind, word, int(start), int(end)) for kind, word, _, start, end in parsed] == \
           [(e["entity_group"], e["word"], e["start"], e["end"]) for e in entities]
    assert all(line[int(start):int(end)] == word for _, word, _, start, end in parsed)
    assert predictor.format([]) == "(no entities)"
