"""Tokenization inside the graph (kerastx.serving.text_graph) gives what the Hugging Face fast tokenizer gives: ids,
attention mask, token types, word ids and code point offsets, on real MRPC, SQuAD, CoNLL-2003 and IMDB slices and on
non-ASCII text, with the packaged MiniLM (uncased) and a scratch cased WordPiece tokenizer; and still does after a
SavedModel round trip into a process that imports only TensorFlow and tensorflow-text."""

import csv
import json

import numpy as np
import pytest
import tensorflow as tf

from kerastx.errors import ModelError
from kerastx.serving.text_graph import GraphTokenizer, graph_tokenizer_problem
from serving_helpers import run_in_fresh_process

# Characters where BERT tokenizers and tensorflow-text's BERT tokenizers part ways: accents, ligatures, case
# mappings that change length, CJK, Hangul, emoji, controls and invisible format characters, unusual spaces.
NON_ASCII = [
    "Café au lait in São Paulo, Zürich and Kraków; naïve coöperation.",
    "Straße, İstanbul, ΣΊΣΥΦΟΣ, ǅemal, ﬁne ﬂour, Ĳssel, ª and º, x² + y³, ½ cup, µs",
    "東京は日本の首都です。北京欢迎你！",
    "한국어 문장입니다. カタカナ ひらがな",
    "Thumbs up 👍🏽, flag 🇫🇷, family 👨‍👩‍👧, 🤖robots🤖",
    "tab\there, bell\x07ringing, nul\x00byte, zero\u200bwidth, soft\u00adhyphen, bom\ufeffmark, \x85next line",
    "100\u00a0km, 5\u202f000, ideographic\u3000space, line\u2028separator, em\u2003space",
    "e\u0301 versus é, a\u0308 versus ä, combining\u0327\u0301 marks",
    "العَرَبِيَّة ⁄ हिन्दी ⁄ ไทย ⁄ עִבְרִית",
    "x" * 101 + " " + "é" * 100 + " " + "é" * 101,
    "",
    "   \t\n  ",
    "«quotes» „German“ ‘single’ — dash – en‐dash … ellipsis ¿¡",
]


@pytest.fixture(scope="module")
def minilm():
    from transformers import AutoTokenizer

    from kerastx.models.minilm import minilm_directory

    return AutoTokenizer.from_pretrained(str(minilm_directory()))


@pytest.fixture(scope="module")
def conll_sentences(shared_data):
    from kerastx.data.readers.conll import read_conll

    data, _ = read_conll(shared_data("conll2003") / "train.txt")
    return [" ".join(tokens) for tokens in data.select(range(480))["tokens"]]


@pytest.fixture(scope="module")
def cased(conll_sentences):
    from kerastx.models.scratch import train_tokenizer

    return train_tokenizer(conll_sentences[:400] + NON_ASCII, "bert", "wordpiece", 1200)


def mrpc_pairs(shared_data, rows: int) -> tuple[list[str], list[str]]:
    # QUOTE_NONE: MRPC sentences hold bare double quotes
    with open(shared_data("mrpc") / "dev.tsv", encoding="utf-8-sig", newline="") as file:
        table = list(csv.reader(file, delimiter="\t", quoting=csv.QUOTE_NONE))[1:rows + 1]
    return [row[3] for row in table], [row[4] for row in table]


def hugging_face(tokenizer, texts, pairs=None, truncation="longest_first", max_length=128) -> dict:
    """What the Hugging Face tokenizer gives, in the graph tokenizer's terms (None -> -1)."""
    encoded = tokenizer(texts, pairs, padding=True, max_length=max_length, return_offsets_mapping=True,
                        truncation=True if truncation == "longest_first" else truncation, return_tensors="np")
    expected = {name: encoded[name] for name in ("input_ids", "attention_mask", "token_type_ids")}
    expected["offsets"] = encoded["offset_mapping"]
    for name in ("word_ids", "sequence_ids"):
        rows = [getattr(encoded, name)(row) for row in range(len(texts))]
        expected[name] = np.array([[-1 if value is None else value for value in row] for row in rows], np.int32)
    return expected


def assert_same(tokenizer, expected: dict, encoded: dict, texts):
    assert sorted(encoded) == sorted(expected)
    for name, value in expected.items():
        got = np.asarray(encoded[name])
        assert got.shape == value.shape, (name, got.shape, value.shape)
        wrong = np.flatnonzero((got != value).reshape(len(got), -1).any(axis=1))
        assert not len(wrong), (f"{name} differs for {texts[wrong[0]]!r}: expected "
                                f"{tokenizer.convert_ids_to_tokens(expected['input_ids'][wrong[0]])} "
                                f"{value[wrong[0]].tolist()}, got {got[wrong[0]].tolist()}")


def assert_encodes_like_hugging_face(graph, tokenizer, texts, pairs=None, truncation="longest_first"):
    encoded = graph.encode(tf.constant(texts), None if pairs is None else tf.constant(pairs), truncation)
    assert_same(tokenizer, hugging_face(tokenizer, texts, pairs, truncation, graph.max_length),
                {name: value.numpy() for name, value in encoded.items()}, texts)
    return encoded


def test_mrpc_pairs_match_hugging_face_whole_and_truncated(minilm, shared_data):
    texts, pairs = mrpc_pairs(shared_data, 64)
    whole = assert_encodes_like_hugging_face(GraphTokenizer(minilm, 128), minilm, texts, pairs)
    assert whole["input_ids"].shape[1] < 128  # nothing cut: padded to the longest pair
    cut = assert_encodes_like_hugging_face(GraphTokenizer(minilm, 24), minilm, texts, pairs)
    assert cut["input_ids"].shape == (64, 24)
    whole_lengths, cut_lengths = ([(encoded["sequence_ids"].numpy() == side).sum(axis=1) for side in (0, 1)]
                                  for encoded in (whole, cut))
    assert ((cut_lengths[0] < whole_lengths[0]) & (cut_lengths[1] < whole_lengths[1])).any()  # both texts cut


def test_longest_first_gives_an_odd_token_to_the_longer_text_and_ties_to_the_second(minilm):
    lengths = [(first, second) for first in range(1, 11) for second in range(1, 11)]
    texts = [" ".join(["a"] * first) for first, _ in lengths]
    pairs = [" ".join(["b"] * second) for _, second in lengths]
    encoded = assert_encodes_like_hugging_face(GraphTokenizer(minilm, 12), minilm, texts, pairs)
    sequences = encoded["sequence_ids"].numpy()
    kept = {pair: ((row == 0).sum(), (row == 1).sum()) for pair, row in zip(lengths, sequences)}
    # 9 places beside [CLS] a [SEP] b [SEP]
    assert kept[(6, 6)] == (4, 5) and kept[(7, 5)] == (5, 4) and kept[(5, 7)] == (4, 5)
    assert kept[(3, 9)] == (3, 6) and kept[(10, 2)] == (7, 2) and kept[(4, 5)] == (4, 5)


def test_squad_questions_and_contexts_cut_only_in_the_context(minilm, shared_data):
    squad = json.loads((shared_data("squad") / "train-v1.1.json").read_text(encoding="utf-8"))
    questions, contexts = [], []
    for article in squad["data"][:4]:
        for paragraph in article["paragraphs"][:4]:
            for qa in paragraph["qas"][:3]:
                questions.append(qa["question"])
                contexts.append(paragraph["context"])
    graph = GraphTokenizer(minilm, 64)
    encoded = assert_encodes_like_hugging_face(graph, minilm, questions, contexts, "only_second")
    assert encoded["input_ids"].shape == (len(questions), 64)
    assert any("é" in context for context in contexts)  # Beyoncé: offsets count code points, not bytes


def test_only_second_refuses_a_question_that_leaves_no_room_as_hugging_face_does(minilm):
    question = "what is " + "the very long question " * 10
    with pytest.raises(Exception, match="Truncation error"):
        minilm([question], ["a short context"], truncation="only_second", max_length=16)
    with pytest.raises(tf.errors.InvalidArgumentError, match="only_second"):
        GraphTokenizer(minilm, 16).encode(tf.constant([question]), tf.constant(["a short context"]), "only_second")
    with pytest.raises(ValueError, match="needs pairs"):
        GraphTokenizer(minilm, 16).encode(tf.constant([question]), truncation="only_second")


def test_conll_sentences_and_non_ascii_text_with_a_scratch_cased_tokenizer(cased, conll_sentences):
    assert json.loads(cased.backend_tokenizer.to_str())["normalizer"]["lowercase"] is False
    graph = GraphTokenizer(cased, 128)
    texts = conll_sentences[400:480] + NON_ASCII
    encoded = assert_encodes_like_hugging_face(graph, cased, texts)
    ids = encoded["input_ids"].numpy()
    assert cased.convert_tokens_to_ids("é") in ids and cased.unk_token_id in ids  # known accents, unknown words
    assert_encodes_like_hugging_face(GraphTokenizer(cased, 20), cased, NON_ASCII, conll_sentences[400:413])


def test_non_ascii_text_with_the_uncased_minilm(minilm):
    assert_encodes_like_hugging_face(GraphTokenizer(minilm, 128), minilm, NON_ASCII)
    assert_encodes_like_hugging_face(GraphTokenizer(minilm, 16), minilm, NON_ASCII, NON_ASCII[::-1])


def test_every_character_of_the_basic_multilingual_plane(minilm):
    codes = [code for code in range(0x10000) if not 0xD800 <= code < 0xF900]  # no surrogates or private use
    texts = [f"a{chr(code)}b {chr(code)}" for code in codes]
    assert_encodes_like_hugging_face(GraphTokenizer(minilm, 16), minilm, texts)


def test_imdb_reviews_with_html_breaks_and_odd_punctuation(minilm, shared_data):
    reviews = []
    for folder in ("pos", "neg"):
        files = sorted((shared_data("imdb") / "aclImdb" / "train" / folder).glob("*.txt"))[:16]
        reviews += [file.read_text(encoding="utf-8") for file in files]
    assert any("<br />" in review for review in reviews)
    assert_encodes_like_hugging_face(GraphTokenizer(minilm, 512), minilm, reviews)
    assert_encodes_like_hugging_face(GraphTokenizer(minilm, 64), minilm, reviews)


MASKED = ["Paris is the [MASK] of France.", "[MASK] is the capital.", "a[MASK]b", "[MASK].",
          "two [MASK][MASK] in a row", "[MASK]", " [MASK] ", "[MASK]'s", "x [MASK]\t[MASK]\n",
          "lower-case [mask] is just text", "[[MASK]]", "[MASK ] and [ MASK] are not masks",
          "Zürich [MASK] 東京[MASK]👍"]


@pytest.mark.parametrize("which", ["minilm", "cased"])
def test_mask_tokens_written_in_text_become_the_mask_id(which, request):
    tokenizer = request.getfixturevalue(which)
    graph = GraphTokenizer(tokenizer, 32)
    encoded = {name: value.numpy() for name, value in graph.encode_with_mask_token(tf.constant(MASKED)).items()}
    assert_same(tokenizer, hugging_face(tokenizer, MASKED, max_length=32), encoded, MASKED)
    masks = (encoded["input_ids"] == tokenizer.mask_token_id).sum(axis=1)
    assert masks.tolist() == [text.count("[MASK]") for text in MASKED]


def test_only_fast_wordpiece_bert_tokenizers_can_run_in_the_graph(minilm, cased, conll_sentences):
    from kerastx.models.scratch import train_tokenizer

    assert graph_tokenizer_problem(minilm) is None
    assert graph_tokenizer_problem(cased) is None
    unigram = train_tokenizer(conll_sentences[:200], "marian", "unigram", 300)
    assert "unigram" in graph_tokenizer_problem(unigram)
    byte_level = train_tokenizer(conll_sentences[:200], "gpt2", "bpe", 400)
    problem = graph_tokenizer_problem(byte_level)
    assert problem.startswith("byte-level BPE tokenizer") and problem.endswith("tensorflow-text has no equivalent")
    with pytest.raises(ModelError, match="byte-level BPE"):
        GraphTokenizer(byte_level, 32)


class Tokenize(tf.Module):
    def __init__(self, tokenizer):
        super().__init__()
        self.tokenizer = GraphTokenizer(tokenizer, max_length=32)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, text):
        return self.tokenizer.encode(text)


@pytest.mark.spawns
def test_a_saved_model_tokenizes_in_a_process_with_only_tensorflow(minilm, shared_data, tmp_path):
    module = Tokenize(minilm)
    tf.saved_model.save(module, str(tmp_path / "model"), signatures={"tokenize": module.__call__})
    texts = mrpc_pairs(shared_data, 8)[0] + NON_ASCII + MASKED[:3]
    reloaded = run_in_fresh_process(tmp_path / "model", "tokenize", {"text": np.array(texts)}, text_ops=True)
    assert_same(minilm, hugging_face(minilm, texts, max_length=32), reloaded, texts)
