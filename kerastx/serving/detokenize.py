"""Token ids to text inside a TensorFlow graph, as the tokenizer decodes them, with core TensorFlow ops only.

A Hugging Face fast tokenizer decodes by looking each id up, dropping the special ones and handing the tokens to
its decoder. The decoders of kerastx's scratch tokenizers (and of T5, BERT, GPT-2, RoBERTa and BART) spell each
token on its own, differently only for the first token of a text, so each one's spelling is looked up in a
table: WordPiece (``##`` joins a token to the one before, others get a space), Metaspace (``▁`` is a space,
dropped from the first token), byte-level BPE (each character stands for one byte; the bytes of the whole text
are read as UTF-8, an invalid sequence becoming U+FFFD as in Python's ``errors="replace"``). transformers'
``clean_up_tokenization_spaces``, when the tokenizer has it on, and the predictors' ``strip()`` come after.
"""

from __future__ import annotations

import functools
import json
import sys

import numpy as np
import tensorflow as tf

from kerastx.errors import ExportError

PER_TOKEN_DECODERS = ("Metaspace", "WordPiece")  # each token spelled on its own, the first one differently
BYTE_LEVEL_DECODER = "ByteLevel"
# transformers' PreTrainedTokenizerBase.clean_up_tokenization, in its order
CLEAN_UP_REPLACEMENTS = ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                         (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"))


def graph_detokenizer_problem(tokenizer) -> str | None:
    """Why ``tokenizer`` cannot be decoded in a graph by :class:`GraphDetokenizer`, in one line; None if it can."""
    from transformers import PreTrainedTokenizerBase, PreTrainedTokenizerFast

    name = type(tokenizer).__name__
    if not isinstance(tokenizer, PreTrainedTokenizerFast):
        return f"{name} is not a fast (Rust) tokenizer, whose decoding rules can be read and rebuilt in the graph"
    for method, base in (("batch_decode", PreTrainedTokenizerBase), ("decode", PreTrainedTokenizerBase),
                         ("_decode", PreTrainedTokenizerFast)):
        if getattr(type(tokenizer), method) is not getattr(base, method):
            return f"{name} decodes with Python code of its own ({method})"
    if (tokenizer.clean_up_tokenization_spaces
            and type(tokenizer).clean_up_tokenization is not PreTrainedTokenizerBase.clean_up_tokenization):
        return f"{name} cleans up decoded text with Python code of its own (clean_up_tokenization)"
    supported = PER_TOKEN_DECODERS + (BYTE_LEVEL_DECODER,)
    kind = _decoder_kind(tokenizer)
    if kind not in supported:
        return f"its decoder ({kind or 'none'}) is not one of {', '.join(supported)}, the ones rebuilt in the graph"
    return None


class GraphDetokenizer(tf.Module):
    """Token ids (int32 ``[batch, length]``) -> texts (string ``[batch]``), equal to
    ``[text.strip() for text in tokenizer.batch_decode(ids, skip_special_tokens=True)]`` (what
    ``BucketedGenerator`` returns), or with ``strip=False`` to ``tokenizer.batch_decode(ids,
    skip_special_tokens=True)`` (what ``Completer`` returns). Special tokens (padding, end, start) are skipped, and
    so are ids outside the vocabulary. The vocabulary is kept in the module's variables, so a SavedModel that holds
    the module decodes on its own; only core TensorFlow ops are used (no tensorflow-text).

    Example::

        detokenize = GraphDetokenizer(tokenizer)
        detokenize(generator.generate_padded(input_ids, attention_mask))  # the texts generator(...) returns, as bytes

        module.detokenize = detokenize  # a module that a SavedModel saves keeps the vocabulary with it
    """

    def __init__(self, tokenizer, strip: bool = True):
        super().__init__()
        problem = graph_detokenizer_problem(tokenizer)
        if problem:
            raise ExportError(f"cannot decode token ids in the graph with this tokenizer: {problem}")
        backend = tokenizer.backend_tokenizer
        tokens = [backend.id_to_token(index) for index in range(backend.get_vocab_size(with_added_tokens=True))]
        special = {index for index, token in tokenizer.added_tokens_decoder.items() if token.special}
        # ids without a token (holes in a vocabulary) are skipped, as the tokenizer skips them
        kept = [token is not None and index not in special for index, token in enumerate(tokens)]
        tokens = [token or "" for token in tokens]
        self.byte_level = _decoder_kind(tokenizer) == BYTE_LEVEL_DECODER
        if self.byte_level:
            first = later = _byte_level_bytes(tokens)
        else:
            first, later = _per_token_spellings(backend.decoder, tokens)
        self.clean_up = bool(tokenizer.clean_up_tokenization_spaces)
        self.strip = strip
        self.kept = tf.Variable(np.array(kept, dtype=bool), trainable=False, name="kept")
        self.first_spellings = tf.Variable(np.array(first, dtype=object), trainable=False, name="first_spellings")
        self.later_spellings = tf.Variable(np.array(later, dtype=object), trainable=False, name="later_spellings")

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name="sequences")])
    def __call__(self, ids):
        in_vocabulary = (ids >= 0) & (ids < tf.shape(self.kept, out_type=tf.int32)[0])
        safe_ids = tf.where(in_vocabulary, ids, 0)
        kept = in_vocabulary & tf.gather(self.kept, safe_ids)
        is_first = kept & (tf.cumsum(tf.cast(kept, tf.int32), axis=1, exclusive=True) == 0)
        pieces = tf.where(is_first, tf.gather(self.first_spellings, safe_ids),
                          tf.gather(self.later_spellings, safe_ids))
        texts = tf.strings.reduce_join(tf.where(kept, pieces, ""), axis=1)
        if self.byte_level:
            texts = tf.strings.unicode_transcode(texts, "UTF-8", "UTF-8", errors="replace", replacement_char=0xFFFD)
        if self.clean_up:
            for old, new in CLEAN_UP_REPLACEMENTS:
                texts = tf.strings.regex_replace(texts, rf"\Q{old}\E", new)
        if self.strip:
            space = _python_whitespace()
            texts = tf.strings.regex_replace(texts, f"^{space}+|{space}+$", "")
        return texts


def _decoder_kind(tokenizer) -> str | None:
    decoder = json.loads(tokenizer.backend_tokenizer.to_str()).get("decoder")
    return decoder["type"] if decoder else None


def _per_token_spellings(decoder, tokens: list[str]) -> tuple[list[bytes], list[bytes]]:
    """Each token as the decoder spells it first in a text and after another token. These decoders spell tokens
    one by one, so a token's spelling after another is what it adds to that one's."""
    anchor = decoder.decode(["a"])
    first = [decoder.decode([token]).encode("utf-8") for token in tokens]
    later = [decoder.decode(["a", token])[len(anchor):].encode("utf-8") for token in tokens]
    return first, later


def _byte_level_bytes(tokens: list[str]) -> list[bytes]:
    """The bytes each byte-level token stands for; a token with characters outside the byte alphabet (an added
    token such as ``<|endoftext|>`` may have them) stands for its own UTF-8 bytes, as in the tokenizers library."""
    from transformers.models.gpt2.tokenization_gpt2 import bytes_to_unicode

    byte_of = {character: byte for byte, character in bytes_to_unicode().items()}
    return [bytes(byte_of[character] for character in token) if all(character in byte_of for character in token)
            else token.encode("utf-8") for token in tokens]


@functools.cache
def _python_whitespace() -> str:
    """An RE2 character class of what Python's ``str.strip()`` removes (tf.strings.strip removes ASCII only)."""
    return "[" + "".join(f"\\x{{{code:x}}}" for code in range(sys.maxunicode + 1) if chr(code).isspace()) + "]"
