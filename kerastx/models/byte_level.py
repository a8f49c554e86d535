"""How many bytes of text each token of a byte-level BPE tokenizer stands for.

Bits per byte divides a model's total loss by the UTF-8 size of the text it predicted: unlike perplexity,
which depends on how the tokenizer cuts the text, it compares models with different vocabularies, and
compressors (gzip, xz) too.
"""

from __future__ import annotations

import json

import numpy as np

from kerastx.errors import ConfigError


def is_byte_level(tokenizer) -> bool:
    """Whether ``tokenizer`` is a fast tokenizer whose tokens are spelled in the byte-level alphabet
    (GPT-2, RoBERTa, BART, CodeParrot and kerastx's scratch BPE tokenizers are)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return False
    decoder = json.loads(backend.to_str()).get("decoder") or {}
    # a Sequence decoder lists its parts; the ByteLevel one turns the token alphabet back into bytes
    return any(part.get("type") == "ByteLevel" for part in decoder.get("decoders", [decoder]))


def bytes_per_token(tokenizer) -> np.ndarray:
    """The number of UTF-8 bytes each token id stands for, indexed by id; 0 for special and added tokens.

    The byte-level alphabet spells each byte as one character, so a token's size in bytes is its length.
    For a text encoded without special tokens, ``bytes_per_token(tokenizer)[ids].sum()`` is the text's
    size in UTF-8 bytes (plus one if the tokenizer adds a prefix space).

    Example::

        sizes = bytes_per_token(tokenizer)
        ids = tokenizer("def f():\\n    return 1")["input_ids"]
        sizes[ids].sum()  # 21, the bytes of the text
        bits_per_byte = total_loss_in_nats / math.log(2) / sizes[predicted_ids].sum()
    """
    from transformers.models.gpt2.tokenization_gpt2 import bytes_to_unicode

    name = f"the tokenizer {tokenizer.name_or_path!r}" if tokenizer.name_or_path else "this tokenizer"
    if not is_byte_level(tokenizer):
        raise ConfigError(f"bits per byte needs a byte-level tokenizer (GPT-2-style BPE), and {name} is not one: its "
                          "tokens are not spelled in bytes; use a byte-level BPE tokenizer or leave bits per byte out")
    alphabet = set(bytes_to_unicode().values())
    special = set(tokenizer.get_added_vocab()) | set(tokenizer.all_special_tokens)
    sizes = np.zeros(len(tokenizer), dtype=np.int64)
    for token, index in tokenizer.get_vocab().items():
        if token in special:
            continue
        if not alphabet.issuperset(token):
            raise ConfigError(f"bits per byte needs a byte-level tokenizer, and token {token!r} (id {index}) of {name} "
                              "is not spelled in the byte-level alphabet")
        sizes[index] = len(token)
    return sizes
