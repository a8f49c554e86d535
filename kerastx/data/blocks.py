"""Language-model examples: every document tokenized, the token lists concatenated, and the result cut into
blocks of one length (the course's ``group_texts``). Nothing is padded and no token is wasted on padding;
the tokens after the last full block are dropped.
"""

from __future__ import annotations

import numpy as np


def group_into_blocks(token_lists, block_size: int) -> np.ndarray:
    """``[n_blocks, block_size]`` int32 ids: ``token_lists`` concatenated in order and cut into full blocks.

    Example::

        group_into_blocks([[1, 2, 3], [4, 5], [6, 7, 8]], 3)   # [[1, 2, 3], [4, 5, 6]]; 7 and 8 are dropped
    """
    lengths = [len(tokens) for tokens in token_lists]
    if not lengths:
        return np.zeros((0, block_size), dtype=np.int32)
    tokens = np.fromiter((t for tokens in token_lists for t in tokens), dtype=np.int32, count=sum(lengths))
    blocks = len(tokens) // block_size
    return tokens[:blocks * block_size].reshape(blocks, block_size)
