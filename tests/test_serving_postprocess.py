"""In-graph post-processing (kerastx.serving.postprocess) gives what the Python post-processing gives: on random
cases with ties, on real CoNLL-2003 sentences and SQuAD contexts through the packaged MiniLM tokenizer, on
non-ASCII text (character offsets), in a tf.function of unknown shapes, and from a SavedModel reloaded in a
process that imports only TensorFlow."""

import json
from types import SimpleNamespace

import numpy as np
import pytest
import tensorflow as tf

from kerastx.data.readers.conll import read_conll
from kerastx.data.tasks.qa_windows import evaluation_features
from kerastx.inference.answers import _best_span
from kerastx.inference.entities import EntityPredictor, group_entities
from kerastx.serving.postprocess import (best_span_graph, char_offsets, first_subtoken_words, group_entities_graph,
                                         span_texts)
from serving_helpers import run_in_fresh_process

CONLL_LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
WITH_BARE_TAGS = CONLL_LABELS + ["PER", "LOC"]  # a label set may also hold bare tags, read as I-
LETTERS = "abcdXYZéüß中🙂"  # one-, two-, three- and four-byte UTF-8 characters
ACCENTED = "Zoë Müller flew from São Paulo to Zürich 🙂 with Przemysław Wójcik 🇨🇭 of the U.S. today."
ACCENTED_ENTITIES = [("PER", "Zoë Müller"), ("LOC", "São Paulo"), ("LOC", "Zürich"), ("PER", "Przemysław Wójcik"),
                     ("MISC", "🇨🇭"), ("LOC", "U.S.")]


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from kerastx.models.minilm import minilm_directory

    return AutoTokenizer.from_pretrained(str(minilm_directory()))


@pytest.fixture(scope="module")
def conll_texts(shared_data):
    """The first 60 CoNLL-2003 validation sentences, words joined by spaces, and each word's tag."""
    dataset, _ = read_conll(shared_data("conll2003") / "valid.txt")
    rows = dataset.select(range(60))
    return [" ".join(row["tokens"]) for row in rows], [row["tags"] for row in rows]


# --- Python references -----------------------------------------------------------------------------------------


def python_entities(texts, word_ids, offsets, probabilities, labels) -> list[list[dict]]:
    """What EntityPredictor gives for these tokens: its ``_words``, then ``group_entities``; scores as float32."""
    predictor = EntityPredictor(SimpleNamespace(config=SimpleNamespace(id2label=dict(enumerate(labels)))), None)
    result = []
    for row, text in enumerate(texts):
        ids = [None if word < 0 else int(word) for word in word_ids[row]]
        spans, tags, scores = predictor._words(ids, offsets[row], probabilities[row])
        result.append([{**entity, "score": np.float32(entity["score"])}
                       for entity in group_entities(text, spans, tags, scores)])
    return result


def as_entity_lists(entities: dict) -> list[list[dict]]:
    """The graph's padded entity tensors as group_entities' lists of dicts."""
    values = {name: np.asarray(value) for name, value in entities.items()}
    return [[{"entity_group": values["entity_group"][row, i].decode(), "score": values["entity_score"][row, i],
              "word": values["entity_word"][row, i].decode(), "start": int(values["entity_start"][row, i]),
              "end": int(values["entity_end"][row, i])} for i in range(count)]
            for row, count in enumerate(values["entity_count"])]


def python_spans(start_logits, end_logits, token_mask, context_mask, max_answer_length, n_best):
    """``_best_span`` of each window as (score, start token, end token), None where it finds no span; a context
    token's offsets are (10 * token, 10 * token + 5) so that the character offsets name the tokens."""
    spans = []
    for starts, ends, tokens, context in zip(start_logits, end_logits, token_mask, context_mask):
        length = int(tokens.sum())  # best_answers cuts each window's logits to its tokens
        offsets = [(10 * i, 10 * i + 5) if context[i] else None for i in range(length)]
        span = _best_span(starts[:length], ends[:length], offsets, n_best, max_answer_length)
        spans.append(None if span is None else (span[0], span[1] // 10, span[2] // 10))
    return spans


def graph_spans(span: dict):
    found = span["found"].numpy()
    return [(float(score), int(start), int(end)) if ok else None
            for score, start, end, ok in zip(span["score"].numpy(), span["start_token"].numpy(),
                                             span["end_token"].numpy(), found)]


# --- random and real inputs ------------------------------------------------------------------------------------


def random_tokenized(rng, rows: int, labels: int):
    """Random texts as a tokenizer would give them: word ids (-1 for special tokens, also inside words and
    between two sequences), each token's character offsets, padded to the longest row; and probabilities,
    some rounded to quarters so that labels tie."""
    texts, ids, spans = [], [], []
    for _ in range(rows):
        text, row_ids, row_spans = "", [-1], [(0, 0)]
        for _sequence in range(rng.integers(1, 3)):  # a second sequence numbers its words from 0 again
            for word in range(rng.integers(0, 7)):
                text += " " if text else ""
                for _piece in range(rng.integers(1, 4)):
                    if rng.random() < 0.1:
                        row_ids.append(-1)  # a special token inside a word does not end it
                        row_spans.append((0, 0))
                    piece = "".join(rng.choice(list(LETTERS), size=rng.integers(1, 4)))
                    row_ids.append(word)
                    row_spans.append((len(text), len(text) + len(piece)))
                    text += piece
            row_ids.append(-1)
            row_spans.append((0, 0))
        texts.append(text)
        ids.append(row_ids)
        spans.append(row_spans)
    length = max(len(row) for row in ids)
    word_ids = np.full((rows, length), -1, np.int32)
    offsets = np.zeros((rows, length, 2), np.int32)
    for row, (row_ids, row_spans) in enumerate(zip(ids, spans)):
        word_ids[row, :len(row_ids)] = row_ids
        offsets[row, :len(row_spans)] = row_spans
    probabilities = rng.random((rows, length, labels)).astype(np.float32)
    ties = rng.random(rows) < 0.4
    probabilities[ties] = np.round(probabilities[ties] * 4) / 4
    return texts, word_ids, offsets, probabilities


def tokenized(tokenizer, texts):
    encoded = tokenizer(texts, padding=True, return_offsets_mapping=True, return_tensors="np")
    word_ids = np.array([[-1 if word is None else word for word in encoded.word_ids(row)]
                         for row in range(len(texts))], np.int32)
    return word_ids, encoded["offset_mapping"].astype(np.int32)


def peaked_probabilities(rng, word_ids, offsets, tag_of_char, labels):
    """Probabilities whose most likely label at each token is ``tag_of_char(row, its first character)``; the
    other labels get at most 0.1 each, at random."""
    probabilities = rng.random(word_ids.shape + (len(labels),)).astype(np.float32) * 0.1
    for row in range(len(word_ids)):
        for position, word in enumerate(word_ids[row]):
            if word >= 0:
                probabilities[row, position, labels.index(tag_of_char(row, int(offsets[row, position, 0])))] = 0.9
    return probabilities


# --- words and entities ----------------------------------------------------------------------------------------


def test_words_take_their_first_subtokens_tag_and_score_and_span_to_their_last_subtoken():
    # "Johnson lives": [CLS] john ##son lives [SEP] [PAD]
    word_ids = [[-1, 0, 0, 1, -1, -1]]
    offsets = [[[0, 0], [0, 4], [4, 7], [8, 13], [0, 0], [0, 0]]]
    probabilities = [[[1, 0, 0], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8], [0.4, 0.2, 0.4], [1, 0, 0], [1, 0, 0]]]
    words = {name: value.numpy().tolist() for name, value in
             first_subtoken_words(word_ids, offsets, probabilities).items()}
    assert words == {"word_starts": [[0, 8]], "word_ends": [[7, 13]], "word_tag_ids": [[1, 0]],
                     "word_scores": [[pytest.approx(0.7), pytest.approx(0.4)]], "word_mask": [[True, True]]}


def test_entities_of_words_follow_the_b_i_o_rules_and_pad_to_the_text_with_most():
    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "PER"]
    texts = ["John Smith met Ann in Paris", "Bo"]
    # John/B-PER Smith/I-PER met/O Ann/PER Paris... ; Bo/I-LOC (an I- after nothing starts an entity)
    entities = group_entities_graph(
        texts, labels, word_starts=[[0, 5, 11, 15, 22], [0, -1, -1, -1, -1]],
        word_ends=[[4, 10, 14, 18, 27], [2, -1, -1, -1, -1]], word_tag_ids=[[1, 2, 0, 5, 3], [4, -1, -1, -1, -1]],
        word_scores=[[0.5, 0.25, 0.9, 0.75, 1.0], [0.5, 0, 0, 0, 0]],
        word_mask=[[True, True, True, True, True], [True, False, False, False, False]])
    assert as_entity_lists(entities) == [
        [{"entity_group": "PER", "score": 0.375, "word": "John Smith", "start": 0, "end": 10},
         {"entity_group": "PER", "score": 0.75, "word": "Ann", "start": 15, "end": 18},
         {"entity_group": "LOC", "score": 1.0, "word": "Paris", "start": 22, "end": 27}],
        [{"entity_group": "LOC", "score": 0.5, "word": "Bo", "start": 0, "end": 2}]]
    assert entities["entity_word"].numpy()[1].tolist() == [b"Bo", b"", b""]
    assert entities["entity_start"].numpy()[1].tolist() == [0, -1, -1]
    assert entities["entity_count"].numpy().tolist() == [3, 1]


def test_random_tokens_give_the_words_and_entities_of_entity_predictor():
    rng = np.random.default_rng(14)
    texts, word_ids, offsets, probabilities = random_tokenized(rng, 300, len(WITH_BARE_TAGS))
    words = first_subtoken_words(word_ids, offsets, probabilities)
    entities = group_entities_graph(texts, WITH_BARE_TAGS, **words)
    assert as_entity_lists(entities) == python_entities(texts, word_ids, offsets, probabilities, WITH_BARE_TAGS)
    assert entities["entity_count"].numpy().sum() > 300  # the cases hold many entities


def test_random_tags_group_as_group_entities_does_with_masked_words_left_out():
    rng = np.random.default_rng(3)
    rows, width = 400, 12
    text = "".join(rng.choice(list(LETTERS + "  "), size=60))
    starts = rng.integers(0, 50, size=(rows, width)).astype(np.int32)
    ends = (starts + rng.integers(0, 12, size=(rows, width))).astype(np.int32)  # some past the text's end
    tags = rng.integers(0, len(WITH_BARE_TAGS), size=(rows, width)).astype(np.int32)
    scores = rng.uniform(0.05, 1, size=(rows, width)).astype(np.float32)
    mask = rng.random((rows, width)) < 0.8
    entities = group_entities_graph([text] * rows, WITH_BARE_TAGS, starts, ends, tags, scores, mask)
    expected = [[{**entity, "score": np.float32(entity["score"])} for entity in group_entities(
        text, list(zip(starts[row][mask[row]].tolist(), ends[row][mask[row]].tolist())),
        [WITH_BARE_TAGS[tag] for tag in tags[row][mask[row]]], scores[row][mask[row]].tolist())]
        for row in range(rows)]
    assert as_entity_lists(entities) == expected


def test_conll_sentences_give_back_their_gold_entities(conll_texts, tokenizer):
    texts, gold = conll_texts
    word_ids, offsets = tokenized(tokenizer, texts)

    def gold_tag(row, character):  # a CoNLL word's tag, I- for the tokenizer's later words in it ("U.S.")
        starts = np.cumsum([0] + [len(word) + 1 for word in texts[row].split(" ")])
        word = int(np.searchsorted(starts, character, side="right")) - 1
        tag = gold[row][word]
        return "I-" + tag[2:] if tag.startswith("B-") and character != starts[word] else tag

    probabilities = peaked_probabilities(np.random.default_rng(0), word_ids, offsets, gold_tag, CONLL_LABELS)
    entities = as_entity_lists(group_entities_graph(texts, CONLL_LABELS,
                                                    **first_subtoken_words(word_ids, offsets, probabilities)))
    for row, text in enumerate(texts):
        words = text.split(" ")
        starts = np.cumsum([0] + [len(word) + 1 for word in words])
        spans = [(int(start), int(start) + len(word)) for start, word in zip(starts, words)]
        expected = group_entities(text, spans, gold[row], [1.0] * len(words))
        assert [(e["entity_group"], e["word"], e["start"], e["end"]) for e in entities[row]] == \
            [(e["entity_group"], e["word"], e["start"], e["end"]) for e in expected]
    assert sum(map(len, entities)) > 60
    assert python_entities(texts, word_ids, offsets, probabilities, CONLL_LABELS) == entities


def test_conll_sentences_with_random_probabilities_give_entity_predictors_entities(conll_texts, tokenizer):
    texts, _ = conll_texts
    word_ids, offsets = tokenized(tokenizer, texts)
    probabilities = np.random.default_rng(1).dirichlet(np.full(9, 0.3), size=word_ids.shape).astype(np.float32)
    words = first_subtoken_words(word_ids, offsets, probabilities)
    assert as_entity_lists(group_entities_graph(texts, CONLL_LABELS, **words)) == \
        python_entities(texts, word_ids, offsets, probabilities, CONLL_LABELS)


def accented_entities(tokenizer, texts):
    """Word ids, offsets and probabilities tagging the ACCENTED_ENTITIES in ``texts``."""
    word_ids, offsets = tokenized(tokenizer, list(texts))

    def tag(row, character):
        for kind, words in ACCENTED_ENTITIES:
            start = texts[row].find(words)
            if start == character:
                return "B-" + kind
            if start >= 0 and start < character < start + len(words):
                return "I-" + kind
        return "O"

    return word_ids, offsets, peaked_probabilities(np.random.default_rng(2), word_ids, offsets, tag, CONLL_LABELS)


def test_character_offsets_and_words_of_non_ascii_text(tokenizer):
    word_ids, offsets, probabilities = accented_entities(tokenizer, [ACCENTED])
    entities = as_entity_lists(group_entities_graph([ACCENTED], CONLL_LABELS,
                                                    **first_subtoken_words(word_ids, offsets, probabilities)))
    words = [(e["entity_group"], e["word"], e["start"], e["end"]) for e in entities[0]]
    assert words == [("PER", "Zoë Müller", 0, 10), ("LOC", "São Paulo", 21, 30), ("LOC", "Zürich", 34, 40),
                     ("PER", "Przemysław Wójcik", 48, 65), ("MISC", "🇨🇭", 66, 68), ("LOC", "U.S.", 76, 80)]
    assert python_entities([ACCENTED], word_ids, offsets, probabilities, CONLL_LABELS) == entities


def test_byte_offsets_become_character_offsets(tokenizer):
    texts = [ACCENTED, "plain ascii", ""]
    _, offsets = tokenized(tokenizer, texts)
    to_bytes = np.vectorize(lambda row, character: len(texts[row][:character].encode()))
    byte_offsets = to_bytes(np.arange(len(texts))[:, None, None], offsets)
    assert byte_offsets[0].max() > offsets[0].max()  # the accents and emoji take more bytes than characters
    np.testing.assert_array_equal(char_offsets(texts, byte_offsets).numpy(), offsets)


# --- answer spans ----------------------------------------------------------------------------------------------


def random_windows(rng, rows: int):
    """Windows of 1-40 tokens padded to 40: [CLS] question [SEP] context [SEP] with a few context tokens left
    out, and logits from small integers (many ties) or a normal distribution."""
    length = 40
    token_mask = np.zeros((rows, length), bool)
    context_mask = np.zeros((rows, length), bool)
    for row in range(rows):
        tokens = rng.integers(1, length + 1)
        token_mask[row, :tokens] = True
        question = rng.integers(0, min(tokens, 8))
        context_mask[row, question + 1:tokens - 1] = rng.random(max(tokens - question - 2, 0)) < 0.9
    ties = rng.random((rows, 1)) < 0.5
    start_logits = np.where(ties, rng.integers(-3, 4, (rows, length)), rng.normal(size=(rows, length)) * 3)
    end_logits = np.where(ties, rng.integers(-3, 4, (rows, length)), rng.normal(size=(rows, length)) * 3)
    return start_logits.astype(np.float32), end_logits.astype(np.float32), token_mask, context_mask


@pytest.mark.parametrize("n_best", [1, 3, 20])
@pytest.mark.parametrize("max_answer_length", [0, 1, 4, 30])
def test_random_windows_give_best_spans_answer(n_best, max_answer_length):
    windows = random_windows(np.random.default_rng(n_best * 100 + max_answer_length), 200)
    spans = graph_spans(best_span_graph(*windows, max_answer_length=max_answer_length, n_best=n_best))
    assert spans == python_spans(*windows, max_answer_length=max_answer_length, n_best=n_best)
    assert any(spans) or max_answer_length == 0


def test_only_the_n_best_starts_and_ends_are_paired_as_in_best_span():
    # all four tokens are context; the best pair overall is (2, 3) with 0 + 9, but with n_best 2 the starts
    # are tokens 0 and 1 and the ends tokens 3 and 0 (the first of the tied zeros), so (0, 0) it is
    starts, ends = np.array([[5, 4, 0, 0]], np.float32), np.array([[0, 0, 0, 9]], np.float32)
    masks = np.ones((1, 4), bool), np.ones((1, 4), bool)
    assert graph_spans(best_span_graph(starts, ends, *masks, max_answer_length=2, n_best=2)) == [(5.0, 0, 0)]
    assert graph_spans(best_span_graph(starts, ends, *masks, max_answer_length=2, n_best=4)) == [(9.0, 2, 3)]
    assert python_spans(starts, ends, *masks, max_answer_length=2, n_best=2) == [(5.0, 0, 0)]
    assert graph_spans(best_span_graph(starts, ends, *masks, max_answer_length=2, n_best=1)) == [None]


def squad_windows(shared_data, tokenizer, count: int):
    """Windows (128 tokens, stride 32) of the first ``count`` SQuAD questions whose context is not ASCII."""
    articles = json.loads((shared_data("squad") / "train-v1.1.json").read_text(encoding="utf-8"))["data"]
    pairs = [(qa["question"], paragraph["context"]) for article in articles for paragraph in article["paragraphs"]
             if not paragraph["context"].isascii() for qa in paragraph["qas"][:1]][:count]
    contexts = [context for _, context in pairs]
    windows = evaluation_features(tokenizer, [question for question, _ in pairs], contexts, 128, 32)
    rows, length = len(windows["example_index"]), max(map(len, windows["input_ids"]))
    token_mask, context_mask = np.zeros((rows, length), bool), np.zeros((rows, length), bool)
    offsets = np.zeros((rows, length, 2), np.int32)
    for row, window in enumerate(windows["offset_mapping"]):
        token_mask[row, :len(window)] = True
        for position, offset in enumerate(window):
            if offset is not None:
                context_mask[row, position] = True
                offsets[row, position] = offset
    window_contexts = [contexts[owner] for owner in windows["example_index"]]
    return window_contexts, windows["offset_mapping"], token_mask, context_mask, offsets


def test_squad_windows_give_best_spans_answer_text_and_characters(shared_data, tokenizer):
    contexts, offset_lists, token_mask, context_mask, offsets = squad_windows(shared_data, tokenizer, 12)
    rng = np.random.default_rng(7)
    start_logits, end_logits = (rng.normal(size=token_mask.shape).astype(np.float32) * 4 for _ in range(2))
    span = best_span_graph(start_logits, end_logits, token_mask, context_mask, max_answer_length=30, n_best=20)
    answers = {name: value.numpy() for name, value in
               span_texts(contexts, offsets, span["start_token"], span["end_token"]).items()}
    for row, context in enumerate(contexts):
        length = len(offset_lists[row])
        score, first, last = _best_span(start_logits[row, :length], end_logits[row, :length], offset_lists[row],
                                        20, 30)
        assert (answers["answer"][row].decode(), answers["answer_start"][row], answers["answer_end"][row]) == \
            (context[first:last], first, last)
        assert span["score"].numpy()[row] == np.float32(score)
    assert len(contexts) > 12  # some contexts took several windows
    assert not "".join(answers["answer"][row].decode() for row in range(len(contexts))).isascii()


def test_a_window_without_a_span_answers_empty_at_zero():
    span = best_span_graph([[1.0, 2.0]], [[1.0, 2.0]], [[True, True]], [[False, False]])
    answer = span_texts(["Lourdes"], [[[0, 0], [0, 0]]], span["start_token"], span["end_token"])
    assert graph_spans(span) == [None] and span["start_token"].numpy().tolist() == [-1]
    assert [value.numpy().tolist() for value in answer.values()] == [[b""], [0], [0]]


# --- in a graph and in a SavedModel ----------------------------------------------------------------------------


class Postprocessing(tf.Module):
    """Both post-processings as serving signatures of unknown batch size and length."""

    def __init__(self, labels):
        super().__init__()
        self.labels = labels

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string), tf.TensorSpec([None, None], tf.int32),
                                  tf.TensorSpec([None, None, 2], tf.int32),
                                  tf.TensorSpec([None, None, None], tf.float32)])
    def entities(self, texts, word_ids, offsets, probabilities):
        return group_entities_graph(texts, self.labels, **first_subtoken_words(word_ids, offsets, probabilities))

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string), tf.TensorSpec([None, None], tf.float32),
                                  tf.TensorSpec([None, None], tf.float32), tf.TensorSpec([None, None], tf.int32),
                                  tf.TensorSpec([None, None], tf.bool), tf.TensorSpec([None, None, 2], tf.int32)])
    def answers(self, contexts, start_logits, end_logits, attention_mask, context_mask, offsets):
        span = best_span_graph(start_logits, end_logits, attention_mask, context_mask, max_answer_length=30)
        return {**span, **span_texts(contexts, offsets, span["start_token"], span["end_token"])}


def test_unknown_shapes_in_a_tf_function_give_the_eager_results():
    module = Postprocessing(CONLL_LABELS)
    for rows in (1, 5):
        texts, word_ids, offsets, probabilities = random_tokenized(np.random.default_rng(rows), rows, 9)
        eager = group_entities_graph(texts, CONLL_LABELS, **first_subtoken_words(word_ids, offsets, probabilities))
        assert as_entity_lists(module.entities(texts, word_ids, offsets, probabilities)) == as_entity_lists(eager)
        start_logits, end_logits, token_mask, context_mask = random_windows(np.random.default_rng(rows), rows)
        graph = module.answers([""] * rows, start_logits, end_logits, token_mask.astype(np.int32), context_mask,
                               np.zeros(token_mask.shape + (2,), np.int32))
        assert graph_spans(graph) == graph_spans(best_span_graph(start_logits, end_logits, token_mask, context_mask))


@pytest.mark.trains
def test_a_saved_model_reloaded_with_only_tensorflow_gives_the_python_results(tmp_path, tokenizer, shared_data):
    module = Postprocessing(CONLL_LABELS)
    saved = tmp_path / "postprocessing"
    tf.saved_model.save(module, str(saved), signatures={"entities": module.entities, "answers": module.answers})

    texts = [ACCENTED, "Anna Schäfer works for Deutsche Bank in Frankfurt ."]
    word_ids, offsets, probabilities = accented_entities(tokenizer, texts)
    served = run_in_fresh_process(saved, "entities", {"texts": np.array(texts), "word_ids": word_ids,
                                                      "offsets": offsets, "probabilities": probabilities})
    expected = python_entities(texts, word_ids, offsets, probabilities, CONLL_LABELS)
    assert [[(str(served["entity_group"][row, i]), str(served["entity_word"][row, i]),
              int(served["entity_start"][row, i]), int(served["entity_end"][row, i]), served["entity_score"][row, i])
             for i in range(count)] for row, count in enumerate(served["entity_count"])] == \
        [[(e["entity_group"], e["word"], e["start"], e["end"], e["score"]) for e in row] for row in expected]
    assert expected[0][0]["word"] == "Zoë Müller"

    contexts, offset_lists, token_mask, context_mask, offsets = squad_windows(shared_data, tokenizer, 3)
    rng = np.random.default_rng(9)
    start_logits, end_logits = (rng.normal(size=token_mask.shape).astype(np.float32) * 4 for _ in range(2))
    served = run_in_fresh_process(saved, "answers", {
        "contexts": np.array(contexts), "start_logits": start_logits, "end_logits": end_logits,
        "attention_mask": token_mask.astype(np.int32), "context_mask": context_mask, "offsets": offsets})
    for row, context in enumerate(contexts):
        length = len(offset_lists[row])
        score, first, last = _best_span(start_logits[row, :length], end_logits[row, :length], offset_lists[row],
                                        20, 30)
        assert (str(served["answer"][row]), served["answer_start"][row], served["answer_end"][row],
                served["score"][row]) == (context[first:last], first, last, np.float32(score))
