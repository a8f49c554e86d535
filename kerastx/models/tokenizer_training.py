"""Tokenizers trained the same way every time: the same texts give the same tokenizer in any process.

The tokenizers library's WordPiece and unigram trainers walk hash maps whose order is drawn anew in each
process (huggingface/tokenizers issue 1794). WordPiece numbers its word-continuing pieces (``##s``) in that
order, and those numbers break ties between equally frequent merges, so the merges themselves differ; the
unigram trainer orders its words and sums its scores in that order. Each algorithm is therefore trained so
that nothing depends on that order:

- WordPiece: the library's trainer, given every continuing piece the text needs before it starts, in code
  point order, so every process numbers them alike.
- Unigram: sentencepiece (Marian's own tokenizer trainer, deterministic for a fixed number of threads), on
  the words this tokenizer's normalizer and pre-tokenizer make; its pieces and scores become the library's
  Unigram model.
- Byte-level BPE: the library's trainer as it is: its alphabet, the 256 bytes, is numbered in a fixed order
  and it has no continuing pieces, so its merges are already the same in every process.

Whatever trained it, the result is the library's own model (WordPiece, Unigram with scores, BPE), with the
special tokens first, in the order given.
"""

from __future__ import annotations

import io
import sys
from collections import Counter

from kerastx.errors import ConfigError

CONTINUING = "##"  # WordPiece's mark of a piece that continues a word
SENTENCEPIECE_THREADS = 4  # fixed: its scores are sums over threads, so another count gives other scores


def _untrained(algorithm: str, unk: str | None, prefix_space: bool):
    """A tokenizer of ``algorithm`` with the normalizer, pre-tokenizer and decoder it is trained and used with."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers

    if algorithm == "wordpiece":
        tokenizer = Tokenizer(models.WordPiece(unk_token=unk))
        tokenizer.normalizer = normalizers.BertNormalizer(lowercase=False)
        tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tokenizer.decoder = decoders.WordPiece()
    elif algorithm == "bpe":
        tokenizer = Tokenizer(models.BPE(unk_token=unk))
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=prefix_space)
        tokenizer.decoder = decoders.ByteLevel()
    else:
        tokenizer = Tokenizer(models.Unigram())
        tokenizer.normalizer = normalizers.NFKC()
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
        tokenizer.decoder = decoders.Metaspace()
    return tokenizer


def train(texts, algorithm: str, special_tokens: list[str], unk: str | None, vocab_size: int, prefix_space: bool):
    """A ``tokenizers.Tokenizer`` of ``algorithm`` trained on ``texts`` (an iterable of strings, read once)."""
    from tokenizers import pre_tokenizers, trainers

    tokenizer = _untrained(algorithm, unk, prefix_space)
    if algorithm == "bpe":
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special_tokens,
                                      show_progress=sys.stdout.isatty(),  # its display leaves blank lines in logs
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        tokenizer.train_from_iterator(texts, trainer=trainer)
        return tokenizer
    counts = _word_counts(texts, tokenizer)
    if algorithm == "wordpiece":
        tokenizer.model = _wordpiece(counts, special_tokens, unk, vocab_size)
    else:
        tokenizer.model = _unigram(counts, special_tokens, unk, vocab_size)
    tokenizer.add_special_tokens(special_tokens)
    return tokenizer


def _word_counts(texts, tokenizer) -> Counter:
    """How often each word occurs in ``texts``, the words as ``tokenizer``'s normalizer and pre-tokenizer cut them."""
    counts = Counter()
    for text in texts:
        counts.update(word for word, _ in tokenizer.pre_tokenizer.pre_tokenize_str(
            tokenizer.normalizer.normalize_str(text)))
    return counts


def _wordpiece(counts: Counter, special_tokens: list[str], unk: str, vocab_size: int):
    """The library's WordPiece trainer on ``counts``, its continuing pieces declared up front in a fixed order."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    continuing = sorted({CONTINUING + character for word in counts for character in word[1:]})
    # Declared as special tokens, the trainer numbers them right after the real ones instead of as it meets them;
    # they are plain vocabulary entries in the tokenizer built from its vocabulary below.
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=special_tokens + continuing,
                                        continuing_subword_prefix=CONTINUING, show_progress=sys.stdout.isatty())
    counting = Tokenizer(models.WordPiece(unk_token=unk))
    counting.pre_tokenizer = pre_tokenizers.WhitespaceSplit()  # the words are normalized and cut already
    counting.train_from_iterator((" ".join([word] * count) for word, count in counts.items()), trainer=trainer)
    return models.WordPiece(counting.get_vocab(), unk_token=unk, continuing_subword_prefix=CONTINUING)


def _unigram(counts: Counter, special_tokens: list[str], unk: str, vocab_size: int):
    """sentencepiece's unigram trainer on ``counts``, as the library's Unigram model with the special tokens first."""
    from tokenizers import models

    characters = {character for word in counts for character in word}
    smallest = len(characters) + len(special_tokens) + 1  # sentencepiece wants one piece beyond the characters
    if vocab_size < smallest:
        raise ConfigError(f"vocab_size {vocab_size} is too small for the unigram tokenizer: the training text has "
                          f"{len(characters)} distinct characters and each needs its own entry beside the "
                          f"{len(special_tokens)} special tokens; use --vocab_size {smallest} or more (a few thousand "
                          "is usual), or --tokenizer_algorithm bpe")
    # sentencepiece reads "word<TAB>count" lines and never puts a tab inside a piece: a word is cut at its tabs,
    # and the tab is a piece of its own
    parts = Counter()
    for word, count in counts.items():
        for part in filter(None, word.split("\t")):
            parts[part] += count
    # its own unknown piece gives way to our special tokens; no text, no pieces (as the library's trainers give)
    pieces = _sentencepiece_pieces(parts, vocab_size - len(special_tokens) + 1, "\t" in characters) if parts else []
    vocabulary = [(token, 0.0) for token in special_tokens] + [
        (piece, score) for piece, score in pieces if piece not in special_tokens]
    return models.Unigram(vocabulary, unk_id=special_tokens.index(unk), byte_fallback=False)


def _sentencepiece_pieces(parts: Counter, vocab_size: int, tab: bool) -> list[tuple[str, float]]:
    """The pieces and scores of a sentencepiece unigram model of ``vocab_size`` trained on the words ``parts``
    counts (tab-free), less its unknown piece; the tab a piece of its own if ``tab``."""
    import sentencepiece

    written = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=(f"{part}\t{count}" for part, count in parts.items()), input_format="tsv",
        max_sentence_length=max(len(part.encode()) for part in parts),  # it would leave out longer words
        model_writer=written, model_type="unigram", vocab_size=vocab_size,
        hard_vocab_limit=False,  # a small text may have fewer pieces worth keeping
        character_coverage=1.0, user_defined_symbols=["\t"] if tab else [],
        # the words come normalized and pre-tokenized, with the word-start mark (▁) in place
        normalization_rule_name="identity", add_dummy_prefix=False, remove_extra_whitespaces=False,
        # a piece may mix scripts ("'s", "n't", "▁l'", "!" after a word), as the library's trainer allows: fewer
        # tokens per sentence (Tatoeba: 8.8 instead of 9.7 with sentencepiece's default)
        split_by_unicode_script=False,
        unk_id=0, bos_id=-1, eos_id=-1, pad_id=-1, num_threads=SENTENCEPIECE_THREADS, minloglevel=2)
    trained = sentencepiece.SentencePieceProcessor(model_proto=written.getvalue())
    return [(trained.id_to_piece(i), trained.get_score(i)) for i in range(1, trained.get_piece_size())]  # 0: unknown
