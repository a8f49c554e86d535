"""BART-style text infilling: hide random spans of words behind one mask token each.

Used to add denoising examples (noised document -> document) to a from-scratch summarizer's training
data: reconstructing a document teaches the model to copy from its source, which a few thousand
document/summary pairs alone do not.
"""

from __future__ import annotations

import numpy as np


def mask_spans(text: str, mask_token: str, rng: np.random.Generator, mask_ratio: float = 0.3,
               mean_span: float = 3.0) -> str:
    """``text`` with about ``mask_ratio`` of its words hidden, in spans of Poisson(``mean_span``) words.

    Each span becomes a single ``mask_token`` (zero-length spans insert one), so the model must also
    infer how many words are missing. Words are split on whitespace; the result is joined by spaces.
    """
    words = text.split()
    budget = int(round(len(words) * mask_ratio))
    # a span of mean_span words starts with this chance at each kept word, so about mask_ratio are hidden
    start = mask_ratio / (mean_span * (1 - mask_ratio) + mask_ratio)
    noised, position = [], 0
    while position < len(words):
        if budget > 0 and rng.random() < start:
            span = min(int(rng.poisson(mean_span)), budget, len(words) - position)
            noised.append(mask_token)
            position += span
            budget -= max(span, 1)
        else:
            noised.append(words[position])
            position += 1
    return " ".join(noised)
