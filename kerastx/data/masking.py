"""Masked-language-model masking: which tokens the model must guess, and what it sees in their place.

BERT's rule: each maskable token is chosen with ``probability`` (15%); of the chosen, 80% become the mask
token, 10% a random token of the vocabulary and 10% stay as they were. Labels hold the chosen tokens'
ids and -100 elsewhere (the models' internal loss skips -100). Special tokens and padding are never
chosen. Whole-word masking chooses words, not pieces: every piece of a chosen word is masked together.

The rule is written once (:func:`masked_by_rule`), as a function of its random numbers (:class:`Draws`), and
applied in two forms side by side: :func:`mask_tokens` draws them from a ``numpy`` Generator the caller passes
in, for batches collated in Python (the shared trainer seeds one per training batch from ``(seed, epoch,
batch)``, so a resumed run masks as the interrupted one would have; validation masks are drawn once with the
run's seed, so perplexity compares across runs and models); :func:`mask_tokens_in_graph` draws them with
TensorFlow's stateless ops, for TFRecord shards read in ``tf.data``. Given the same draws, the two give the same
masks; their generators differ, so a row-read and a shard-read run do not mask a block alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kerastx.errors import ConfigError

IGNORED_LABEL = -100
# How a tokenizer's vocabulary marks the pieces that continue a word (WordPiece) or start one (byte-level BPE,
# SentencePiece's metaspace): what whole-word masking reads the word boundaries from.
CONTINUATION_PREFIX = "##"
WORD_START_PREFIXES = ("\u0120", "\u2581")  # 'Ġ' (byte-level BPE), '▁' (metaspace)


@dataclass(frozen=True)
class MaskingRule:
    """What masking needs to know about a tokenizer, and how much to mask.

    ``continues_word[i]`` is True where token id ``i`` continues the word before it (whole-word masking);
    None masks single tokens.

    Example::

        rule = MaskingRule.for_tokenizer(tokenizer, probability=0.15, whole_words=True)
        masked, labels = mask_tokens(input_ids, rule, np.random.default_rng(0))
    """

    mask_id: int
    vocab_size: int
    special_ids: tuple[int, ...]
    probability: float = 0.15
    mask_fraction: float = 0.8  # of the chosen tokens, shown as the mask token
    random_fraction: float = 0.1  # ... shown as a random token (the rest stay as they are)
    continues_word: np.ndarray | None = None

    @classmethod
    def for_tokenizer(cls, tokenizer, probability: float = 0.15, whole_words: bool = False) -> "MaskingRule":
        if tokenizer.mask_token_id is None:
            raise ConfigError(f"the tokenizer ({type(tokenizer).__name__}) has no mask token, which masked language "
                              "modelling needs")
        return cls(mask_id=tokenizer.mask_token_id, vocab_size=len(tokenizer),
                   special_ids=tuple(sorted(set(tokenizer.all_special_ids))), probability=probability,
                   continues_word=word_continuations(tokenizer) if whole_words else None)

    def maskable(self, input_ids: np.ndarray) -> np.ndarray:
        return ~np.isin(input_ids, self.special_ids)


def word_continuations(tokenizer) -> np.ndarray:
    """A boolean per token id: True where the token continues the previous token's word. Read from how the
    vocabulary marks word pieces: '##' prefixes (WordPiece), or word-start marks 'Ġ'/'▁' (BPE, Unigram)."""
    vocabulary = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    tokens = [token or "" for token in vocabulary]
    if any(token.startswith(CONTINUATION_PREFIX) for token in tokens):
        return np.array([token.startswith(CONTINUATION_PREFIX) for token in tokens])
    for mark in WORD_START_PREFIXES:
        if sum(token.startswith(mark) for token in tokens) > len(tokens) // 10:
            special = set(tokenizer.all_special_tokens)
            return np.array([not token.startswith(mark) and token not in special for token in tokens])
    raise ConfigError(f"whole-word masking needs word boundaries the vocabulary marks ('##' pieces, or 'Ġ'/'▁' word "
                      f"starts); {type(tokenizer).__name__}'s marks neither: drop --whole_word_masking")


@dataclass(frozen=True)
class Draws:
    """The random numbers one masking of a batch reads, each of the batch's shape. The rule is a function of them
    alone: the same draws give the same masks in numpy and in the graph (``tests/test_masked_lm.py`` checks it)."""

    choose: object  # uniform in [0, 1): a token is chosen below ``probability``; whole words: column w is word w's
    show: object  # uniform in [0, 1): a chosen token shows the mask token, a random token or itself
    random_ids: object  # ids in [0, vocab_size): the random token a chosen token may show


def mask_tokens(input_ids: np.ndarray, rule: MaskingRule, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(masked input_ids, labels)`` for a batch of token ids (2-D), by ``rule``; ``input_ids`` is not changed.
    Draws from ``rng`` in a fixed order (choose, show, random ids), both outputs in the input's dtype."""
    input_ids = np.asarray(input_ids)
    shape = input_ids.shape
    draws = Draws(rng.random(shape), rng.random(shape), rng.integers(0, rule.vocab_size, shape))
    masked, labels = masked_by_rule(input_ids, rule, draws, NumpyArrays(rule))
    return masked.astype(input_ids.dtype), labels.astype(input_ids.dtype)


def mask_tokens_in_graph(input_ids, rule: MaskingRule, seed):
    """:func:`mask_tokens` in the graph, for ``tf.data``: ``(masked input_ids, labels)`` of a batch of token ids
    (2-D tensor), its draws made by TensorFlow's stateless random ops from ``seed`` (shape [2]); outputs keep the
    ids' dtype.

    Example::

        masked, labels = mask_tokens_in_graph(ids, rule, tf.constant([42, 0], tf.int64))
    """
    import tensorflow as tf

    ids = tf.convert_to_tensor(input_ids)
    shape = tf.shape(ids)
    choose_seed, show_seed, random_seed, word_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 4))
    draws = Draws(tf.random.stateless_uniform(shape, choose_seed if rule.continues_word is None else word_seed),
                  tf.random.stateless_uniform(shape, show_seed),
                  tf.random.stateless_uniform(shape, random_seed, minval=0, maxval=rule.vocab_size, dtype=ids.dtype))
    return masked_by_rule(ids, rule, draws, GraphTensors(rule))


def masked_by_rule(ids, rule: MaskingRule, draws: Draws, arrays) -> tuple:
    """The rule, written once for numpy arrays and TensorFlow tensors (``arrays``: :class:`NumpyArrays` or
    :class:`GraphTensors`, the few operations whose spelling differs).

    Special tokens are never chosen; of the chosen, ``rule.mask_fraction`` show the mask token,
    ``rule.random_fraction`` a random token, the rest stay; labels hold the chosen ids and -100 elsewhere. With
    ``rule.continues_word``, whole words are chosen: word w (numbered from each row's first word start) is chosen
    when column w of ``draws.choose`` is, with every piece of it; a row's leading continuation pieces belong to a
    word begun in the block before, and are never chosen."""
    maskable = arrays.not_special(ids)
    if rule.continues_word is None:
        chosen = (draws.choose < rule.probability) & maskable
    else:
        starts = maskable & ~arrays.continues_word(ids)
        word = arrays.cumsum_rows(starts) - 1  # a continuation shares its word's number
        chosen = arrays.at_word(draws.choose < rule.probability, word) & (word >= 0) & maskable
    labels = arrays.replace(~chosen, IGNORED_LABEL, ids)
    shown_as_mask = chosen & (draws.show < rule.mask_fraction)
    shown_as_random = chosen & (draws.show >= rule.mask_fraction) & (
        draws.show < rule.mask_fraction + rule.random_fraction)
    masked = arrays.replace(shown_as_mask, rule.mask_id, ids)
    return arrays.replace(shown_as_random, draws.random_ids, masked), labels


class NumpyArrays:
    """What :func:`masked_by_rule` does with arrays, in numpy."""

    def __init__(self, rule: MaskingRule):
        self.rule = rule

    def not_special(self, ids):
        return self.rule.maskable(ids)

    def continues_word(self, ids):
        table = self.rule.continues_word
        return table[np.clip(ids, 0, len(table) - 1)]

    def cumsum_rows(self, flags):
        return np.cumsum(flags, axis=1)

    def at_word(self, per_column, word):
        """``per_column[row, word]`` for every token (word -1 reads column 0)."""
        return np.take_along_axis(per_column, np.maximum(word, 0), axis=1)

    def replace(self, where, value, ids):
        return np.where(where, value, ids)


class GraphTensors:
    """What :func:`masked_by_rule` does with arrays, in TensorFlow ops (traced into ``tf.data`` maps)."""

    def __init__(self, rule: MaskingRule):
        import tensorflow as tf

        self.tf, self.rule = tf, rule

    def not_special(self, ids):
        special = self.tf.constant(self.rule.special_ids or (-1,), dtype=ids.dtype)  # -1: no token id, none special
        return self.tf.reduce_all(self.tf.not_equal(ids[..., None], special), axis=-1)

    def continues_word(self, ids):
        table = self.rule.continues_word
        return self.tf.gather(self.tf.constant(table, self.tf.bool), self.tf.clip_by_value(ids, 0, len(table) - 1))

    def cumsum_rows(self, flags):
        return self.tf.cumsum(self.tf.cast(flags, self.tf.int32), axis=1)

    def at_word(self, per_column, word):
        return self.tf.gather(per_column, self.tf.maximum(word, 0), batch_dims=1)

    def replace(self, where, value, ids):
        return self.tf.where(where, self.tf.cast(value, ids.dtype), ids)
