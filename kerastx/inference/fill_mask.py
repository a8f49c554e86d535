"""Filling in masked words: a masked language model's guesses for each mask token of a text."""

from __future__ import annotations

import numpy as np

from kerastx.errors import DataError
from kerastx.predictor import TextInputs


class MaskFiller(TextInputs):
    """Texts holding the tokenizer's mask token (``[MASK]`` for BERT) in, the ``top_k`` most likely tokens for
    each mask out: ``[[("great", 0.41), ("good", 0.12), ...], ...]`` per text, one list per mask (a predictor:
    see :mod:`kerastx.predictor`). Answers like ``pipeline("fill-mask")``.

    Example::

        filler = MaskFiller(model, tokenizer, top_k=3)
        filler(["This movie was [MASK]."])   # [[[("great", 0.21), ("terrible", 0.08), ("good", 0.07)]]]
    """

    def __init__(self, model, tokenizer, top_k: int = 5, max_length: int = 512, batch_size: int = 32):
        self.model = model
        self.tokenizer = tokenizer
        self.top_k = top_k
        self.max_length = max_length
        self.batch_size = batch_size

    def parse(self, line: str) -> str:
        if self.tokenizer.mask_token not in line:
            raise DataError(f"{line!r}: no {self.tokenizer.mask_token} to fill in (write it where a word is missing)")
        return line

    def __call__(self, texts: list[str]) -> list[list[list[tuple[str, float]]]]:
        results = []
        for start in range(0, len(texts), self.batch_size):
            batch = [self.parse(text) for text in texts[start:start + self.batch_size]]
            encoded = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_length,
                                     return_tensors="np")
            logits = np.asarray(self.model(dict(encoded), training=False).logits, dtype=np.float32)
            for row, ids in enumerate(encoded["input_ids"]):
                results.append([self._best(logits[row, position])
                                for position in np.flatnonzero(ids == self.tokenizer.mask_token_id)])
        return results

    def _best(self, logits: np.ndarray) -> list[tuple[str, float]]:
        probabilities = np.exp(logits - logits.max())
        probabilities /= probabilities.sum()
        best = np.argsort(-probabilities)[:self.top_k]
        return [(self.tokenizer.decode([i]).strip(), float(probabilities[i])) for i in best]

    def format(self, result) -> str:
        return " | ".join(", ".join(f"{token} ({p:.2f})" for token, p in guesses) for guesses in result) or "(no mask)"
