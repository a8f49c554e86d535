"""Masked-language-model masking: which tokens the model must guess, and what it sees in their place.

BERT's rule: each maskable token is chosen with ``probability`` (15%); of the chosen, 80% become the mask
token, 10% a random token of the vocabulary and 10% stay as they were. Labels hold the chosen tokens'
ids and -100 elsewhere (the models' internal loss skips -100). Special tokens and padding are never
chosen. Whole-word masking chooses words, not pieces: every piece of a chosen word is masked together.

The random numbers come from a ``numpy`` Generator the caller passes in, so the same generator state gives
the same masks: the shared trainer seeds one per training batch from ``(seed, epoch, batch)`` (a resumed run
masks as the interrupted one would have), and the validation masks are drawn once with the run's seed, so
perplexity compares across runs and models. :mod:`kerastx.data.tfrecords` applies the same rule in-graph.
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


def mask_tokens(input_ids: np.ndarray, rule: MaskingRule, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(masked input_ids, labels)`` for a batch of token ids (2-D), by ``rule``; ``input_ids`` is not changed."""
    input_ids = np.asarray(input_ids)
    maskable = rule.maskable(input_ids)
    if rule.continues_word is None:
        chosen = (rng.random(input_ids.shape) < rule.probability) & maskable
    else:
        chosen = _chosen_words(input_ids, maskable, rule, rng)
    labels = np.where(chosen, input_ids, IGNORED_LABEL)
    draw = rng.random(input_ids.shape)
    shown_as_mask = chosen & (draw < rule.mask_fraction)
    shown_as_random = chosen & (draw >= rule.mask_fraction) & (draw < rule.mask_fraction + rule.random_fraction)
    masked = np.where(shown_as_mask, rule.mask_id, input_ids)
    masked = np.where(shown_as_random, rng.integers(0, rule.vocab_size, input_ids.shape), masked)
    return masked.astype(input_ids.dtype), labels.astype(input_ids.dtype)


def _chosen_words(input_ids: np.ndarray, maskable: np.ndarray, rule: MaskingRule,
                  rng: np.random.Generator) -> np.ndarray:
    """Tokens chosen a whole word at a time: a word is its first piece and the continuation pieces after it."""
    continues = rule.continues_word[np.clip(input_ids, 0, len(rule.continues_word) - 1)] & maskable
    starts = maskable & ~continues
    # word number of every token (a continuation shares the number of the word it continues)
    word = np.cumsum(starts, axis=1) - 1
    word_chosen = rng.random(input_ids.shape) < rule.probability  # one draw per word, read at its start column
    start_columns = np.where(starts, np.arange(input_ids.shape[1]), input_ids.shape[1])
    chosen = np.zeros(input_ids.shape, dtype=bool)
    for row in range(input_ids.shape[0]):
        columns = np.sort(start_columns[row])[:starts[row].sum()]  # column of each word's first piece
        if len(columns):
            chosen[row] = word_chosen[row, columns[np.maximum(word[row], 0)]] & (word[row] >= 0)
    return chosen & maskable
