"""Tokenization inside the TensorFlow graph that gives exactly the ids of a Hugging Face fast WordPiece tokenizer,
so that a SavedModel can take raw text (the ``predict_text`` signatures of :mod:`kerastx.serving.base`).

Why not ``tensorflow_text.BertTokenizer`` or ``FastBertTokenizer``: fed every code point c as ``"a{c}b {c}"``, both
give other ids than the packaged MiniLM tokenizer for about 4,300 assigned characters besides the 137k private-use
ones. They case-fold and apply compatibility mappings where Hugging Face lowercases and applies NFD (``ß`` -> ss,
``²`` -> 2, ``ª`` -> a, micro sign ``µ`` -> Greek ``μ``, ``Ĳ`` -> ij); they turn control and format characters
(``\\x00``, U+200B, U+0600) into word breaks where Hugging Face deletes them (``"a\\x00b"`` is one word); their
punctuation and mark tables come from another Unicode version; and they cap words at 100 bytes where Hugging Face caps
them at 100 characters. Only their word-piece step agrees, so that is all this module takes from tensorflow-text.

How a text becomes tokens here, each step as the ``tokenizers`` library does it:

1. Special tokens written in the text (``[MASK]``, ``[SEP]``...) are cut out first, longest match first, before any
   normalization; each is one word and one token (Hugging Face's added vocabulary).
2. Every other character goes through the tokenizer's own normalizer and pre-tokenizer, measured once per code point
   when a :class:`GraphTokenizer` is built and kept as constant interval tables in the graph: what the character
   becomes (nothing, one code point, or a few: a Hangul syllable becomes its jamo once accents are stripped) and how
   the result splits words (whitespace breaks them, punctuation and CJK ideographs stand alone, the rest joins).
3. Words go through ``tensorflow_text.FastWordpieceTokenizer`` (greedy longest match, as Hugging Face's WordPiece);
   a word of more than ``max_input_chars_per_word`` characters becomes one unknown token first.
4. Offsets: each normalized character remembers the code point it came from, so a token spans from the source of
   its first character to the source of its last (a jamo token spans its whole syllable, as in Hugging Face).
5. Truncation ("longest_first", "only_second") and the ``[CLS] A [SEP] B [SEP]`` template follow ``tokenizers``.

Checked over all 1.1M code points (each as ``"a{c}b {c}x{c}{c}"``): ids, offsets and word ids are the same as Hugging
Face's for MiniLM and for a scratch cased tokenizer. The one known difference: the tables normalize character by
character, so when accents are stripped (uncased tokenizers) NFD's canonical reordering of two adjacent combining
marks is not done. Hugging Face reorders 1,785 ordered pairs of marks that survive stripping (marks newer than its
Unicode tables, viramas and spacing marks of Balinese, Brahmi..., Hangul tone marks, musical symbols; e.g. U+08D4
then U+302E). Ids can differ only for a vocabulary that holds such marks: MiniLM's holds none, so a word with them
is ``[UNK]`` either way. Cased tokenizers do no NFD at all.

Example::

    tokenizer = GraphTokenizer(AutoTokenizer.from_pretrained(minilm_directory()), max_length=128)
    batch = tokenizer.encode(tf.constant(["How old is it?"]), tf.constant(["It is 12."]), truncation="only_second")
    batch["input_ids"]  # int32 [1, 12], the ids tokenizer(..., truncation="only_second") gives
"""

from __future__ import annotations

import functools
import json

import numpy as np
import tensorflow as tf

from kerastx.errors import ModelError

# How a character acts on words once normalized (the pre-tokenizer): a break, part of a word, a word of its own.
_SPACE, _WORD, _ALONE = 0, 1, 2
# The characters of a special token written in the text: the first starts a word, the others continue it.
_SPECIAL_FIRST, _SPECIAL_REST = 3, 4
# What the normalizer makes of a code point.
_REMOVED, _SINGLE, _SEVERAL = 0, 1, 2
_CODE_POINTS = 0x110000
_SURROGATES = range(0xD800, 0xE000)
_TRUNCATIONS = ("longest_first", "only_second")
_RUN = 4096  # code points measured on the tokenizers library at once


def graph_tokenizer_problem(tokenizer) -> str | None:
    """None when this Hugging Face fast tokenizer can run inside the graph (:class:`GraphTokenizer`); else why not,
    in one line.

    Supported: a WordPiece model with a BERT normalizer and pre-tokenizer and a ``[CLS] A [SEP] (B [SEP])``
    post-processor, such as the packaged MiniLM and kerastx's scratch WordPiece tokenizers.

    Example::

        graph_tokenizer_problem(train_tokenizer(texts, "gpt2", "bpe", 500))
        # 'byte-level BPE tokenizer (PreTrainedTokenizerFast): tensorflow-text has no equivalent'
    """
    name = getattr(tokenizer, "name_or_path", "") or type(tokenizer).__name__
    if not getattr(tokenizer, "is_fast", False):
        return f"slow (Python) tokenizer ({name}): only fast tokenizers run in the graph"
    settings = json.loads(tokenizer.backend_tokenizer.to_str())
    kind = _unsupported_kind(settings, tokenizer)
    if kind:
        return f"{kind} ({name}): tensorflow-text has no equivalent"
    return None


def _unsupported_kind(settings: dict, tokenizer) -> str | None:
    """What in these tokenizer settings the graph cannot do, named for a person; None when it can do all."""
    model = settings["model"]
    pre_tokenizer = (settings.get("pre_tokenizer") or {}).get("type")
    if model["type"] == "BPE":
        return "byte-level BPE tokenizer" if pre_tokenizer == "ByteLevel" else "BPE tokenizer"
    if model["type"] == "Unigram":
        return "unigram (SentencePiece) tokenizer"
    if model["type"] != "WordPiece":
        return f"{model['type']} tokenizer"
    normalizer = (settings.get("normalizer") or {}).get("type")
    if normalizer != "BertNormalizer":
        return f"WordPiece tokenizer with a {normalizer or 'missing'} normalizer (only BERT's is supported)"
    if pre_tokenizer != "BertPreTokenizer":
        return f"WordPiece tokenizer with a {pre_tokenizer or 'missing'} pre-tokenizer (only BERT's is supported)"
    if not settings["added_tokens"] or tokenizer.pad_token_id is None:
        return "WordPiece tokenizer without special tokens or without a padding token"
    if _template(settings, pair=False) is None or _template(settings, pair=True) is None:
        return "WordPiece tokenizer whose post-processor is not [CLS] A [SEP] (B [SEP])"
    odd = [token["content"] for token in settings["added_tokens"]
           if token["normalized"] or token["lstrip"] or token["rstrip"] or token["single_word"]]
    if odd:
        return f"WordPiece tokenizer with added tokens matched after normalization or with stripping ({odd[0]!r})"
    ids = sorted(tokenizer.get_vocab().values())
    if ids != list(range(len(ids))):
        return "WordPiece tokenizer whose vocabulary ids have gaps"
    if tokenizer.padding_side != "right" or tokenizer.truncation_side != "right":
        return "WordPiece tokenizer that pads or truncates on the left"
    return None


def _template(settings: dict, pair: bool) -> list[tuple] | None:
    """The post-processor as ``[("special", id, type_id) | ("A" | "B", type_id)]`` when it is BERT's (one special
    token before the text, one after each sequence); None for any other."""
    processor = settings.get("post_processor") or {}
    if processor.get("type") == "BertProcessing":
        cls, sep = processor["cls"][1], processor["sep"][1]
        single = [("special", cls, 0), ("A", 0), ("special", sep, 0)]
        return single + [("B", 1), ("special", sep, 1)] if pair else single
    if processor.get("type") != "TemplateProcessing":
        return None
    elements = []
    for element in processor["pair" if pair else "single"]:
        if "Sequence" in element:
            elements.append((element["Sequence"]["id"], element["Sequence"]["type_id"]))
        else:
            ids = processor["special_tokens"][element["SpecialToken"]["id"]]["ids"]
            if len(ids) != 1:
                return None
            elements.append(("special", ids[0], element["SpecialToken"]["type_id"]))
    shape = [element[0] for element in elements]
    expected = ["special", "A", "special"] + (["B", "special"] if pair else [])
    return elements if shape == expected else None


class GraphTokenizer(tf.Module):
    """A Hugging Face fast WordPiece tokenizer as TensorFlow ops (tensorflow-text's FastWordpieceTokenizer and core
    ops), giving the ids, masks, word ids and offsets that the Hugging Face tokenizer gives. Its tables and vocabulary
    are graph constants (about 2 MB for MiniLM, in each signature that uses them): a SavedModel that uses it needs no
    file besides itself, and a process that loads it needs ``import tensorflow_text`` (which registers the ops).
    Building one measures the normalizer on every code point: a few seconds, once per process and normalizer setting.

    Example::

        class Serving(tf.Module):
            def __init__(self, tokenizer):
                self.tokenizer = GraphTokenizer(tokenizer, max_length=128)

            @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
            def ids(self, text):
                return self.tokenizer.encode(text)

        module = Serving(hf_tokenizer)
        tf.saved_model.save(module, "out", signatures={"tokenize": module.ids})
    """

    def __init__(self, tokenizer, max_length: int):
        super().__init__()
        problem = graph_tokenizer_problem(tokenizer)
        if problem:
            raise ModelError(problem)
        settings = json.loads(tokenizer.backend_tokenizer.to_str())
        normalizer, model = settings["normalizer"], settings["model"]
        self.max_length = int(max_length)
        self._with_token_types = "token_type_ids" in tokenizer.model_input_names
        self._pad_id = tokenizer.pad_token_id
        self._single = _template(settings, pair=False)
        self._pair = _template(settings, pair=True)
        self._tables = _character_tables(normalizer["clean_text"], normalizer["handle_chinese_chars"],
                                          normalizer["strip_accents"], normalizer["lowercase"])
        # Longest first: a regex alternation takes the first alternative that matches, the added vocabulary the
        # longest token.
        added = sorted(settings["added_tokens"], key=lambda token: -len(token["content"]))
        self._added_tokens = [token["content"] for token in added]
        self._added_ids = [token["id"] for token in added]
        self._added_pattern = "|".join(_regex_literal(token) for token in self._added_tokens)
        self._unk_token = model["unk_token"]
        self._unk_id = tokenizer.convert_tokens_to_ids(self._unk_token)
        self._max_word_chars = model["max_input_chars_per_word"]
        vocab = [token for token, _ in sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])]
        import tensorflow_text as text

        # Words of up to max_word_chars characters have at most 4 bytes each; longer ones never reach it.
        self._wordpiece_model = np.frombuffer(text.build_fast_wordpiece_model(
            vocab, 4 * self._max_word_chars, model["continuing_subword_prefix"], self._unk_token, True, False),
            np.uint8)

    # Plain TensorFlow ops with no Python control flow on tensors: autograph has nothing to convert, and converting
    # this code and tensorflow-text's would triple the time a signature takes to trace.
    @tf.autograph.experimental.do_not_convert
    def encode(self, texts, pairs=None, truncation: str = "longest_first") -> dict[str, tf.Tensor]:
        """``texts`` (and ``pairs``), tf.string [batch], as int32 [batch, length] tensors right-padded to the
        longest encoded row (at most ``max_length``): ``input_ids``, ``attention_mask``, ``token_type_ids`` (when
        the model takes them), ``sequence_ids`` (0 for tokens of ``texts``, 1 of ``pairs``, -1 for special tokens
        and padding), ``word_ids`` (the word within its own text, -1 for special tokens and padding) and
        ``offsets`` ([batch, length, 2] code point offsets into its own text, (0, 0) for special tokens and
        padding).

        ``truncation``: "longest_first" (Hugging Face ``truncation=True``) or "only_second" (question answering:
        only the context is cut). Special tokens written in the text (``[MASK]``) become their ids, as Hugging Face
        treats them.

        Example::

            tokenizer.encode(tf.constant(["a question"]), tf.constant(["its context"]), truncation="only_second")
        """
        if truncation not in _TRUNCATIONS:
            raise ValueError(f"truncation {truncation!r}: expected one of {', '.join(_TRUNCATIONS)}")
        if truncation == "only_second" and pairs is None:
            raise ValueError("truncation 'only_second' needs pairs (the second sequence is the one cut)")
        texts = tf.convert_to_tensor(texts, tf.string)
        batch = tf.shape(texts, out_type=tf.int64)[0]
        if pairs is None:
            first = self._tokens(texts, batch)
            kept = tf.minimum(first.lengths, self._budget(self._single))
            return self._framed(self._single, {"A": first.prefix(kept)}, batch)
        pairs = tf.convert_to_tensor(pairs, tf.string)
        tf.debugging.assert_equal(tf.shape(pairs), tf.shape(texts), message="texts and pairs: not as many")
        # one pass over texts and pairs together: half the ops of two
        both = self._tokens(tf.concat([texts, pairs], axis=0), 2 * batch)
        first, second = both.rows(0, batch), both.rows(batch, 2 * batch)
        first_kept, second_kept = _pair_lengths(first.lengths, second.lengths, self._budget(self._pair), truncation)
        return self._framed(self._pair, {"A": first.prefix(first_kept), "B": second.prefix(second_kept)}, batch)

    @tf.autograph.experimental.do_not_convert
    def encode_with_mask_token(self, texts) -> dict[str, tf.Tensor]:
        """:meth:`encode` of single texts that hold the mask token (``"Paris is the [MASK] of France."``): each
        ``[MASK]`` becomes the mask token's id, wherever it stands (``"a[MASK]b"``, ``"[MASK]."``), as in Hugging
        Face. :meth:`encode` already treats every special token written in a text so; this name says what a
        fill-mask signature relies on.

        Example::

            tokenizer.encode_with_mask_token(tf.constant(["Paris is the [MASK] of France."]))["input_ids"]
        """
        return self.encode(texts)

    def _budget(self, template: list[tuple]) -> tf.Tensor:
        """How many text tokens fit beside the template's special tokens (never below 0, as in tokenizers)."""
        specials = sum(1 for element in template if element[0] == "special")
        return tf.constant(max(self.max_length - specials, 0), tf.int64)

    def _framed(self, template: list[tuple], sequences: dict, batch: tf.Tensor) -> dict[str, tf.Tensor]:
        """The template's special tokens around the (truncated) sequences, right-padded into the output tensors."""
        padding = {"input_ids": self._pad_id, "attention_mask": 0, "token_type_ids": 0, "sequence_ids": -1,
                   "word_ids": -1, "starts": 0, "ends": 0}
        places, values = [], {name: [] for name in padding}
        column = tf.zeros([batch], tf.int64)  # where each row's next token goes
        for element in template:
            if element[0] == "special":
                _, token_id, type_id = element
                places.append(tf.stack([tf.range(batch), column], axis=1))
                special = {**padding, "input_ids": token_id, "attention_mask": 1, "token_type_ids": type_id}
                for name, value in special.items():
                    values[name].append(tf.fill([batch], tf.constant(value, tf.int64)))
                column += 1
            else:
                sequence, type_id = sequences[element[0]], element[1]
                places.append(tf.stack([sequence.row, tf.gather(column, sequence.row) + sequence.position], axis=1))
                ones = tf.ones_like(sequence.ids)
                tokens = {"input_ids": sequence.ids, "attention_mask": ones, "token_type_ids": ones * type_id,
                          "sequence_ids": ones * (0 if element[0] == "A" else 1), "word_ids": sequence.words,
                          "starts": sequence.starts, "ends": sequence.ends}
                for name, value in tokens.items():
                    values[name].append(value)
                column += sequence.lengths
        places = tf.concat(places, axis=0)
        shape = tf.stack([batch, tf.reduce_max(tf.concat([column, [0]], axis=0))])
        dense = {name: tf.cast(tf.tensor_scatter_nd_update(tf.fill(shape, tf.constant(padding[name], tf.int64)),
                                                           places, tf.concat(values[name], axis=0)), tf.int32)
                 for name in padding}
        outputs = {name: dense[name] for name in ("input_ids", "attention_mask", "sequence_ids", "word_ids")}
        outputs["offsets"] = tf.stack([dense["starts"], dense["ends"]], axis=-1)
        if self._with_token_types:
            outputs["token_type_ids"] = dense["token_type_ids"]
        return outputs

    def _tokens(self, texts: tf.Tensor, batch: tf.Tensor) -> "_Tokens":
        """Every text's word pieces before truncation (ids, word indexes, code point offsets)."""
        return self._word_pieces(self._normalized(self._characters(texts, batch)), batch)

    def _characters(self, texts: tf.Tensor, batch: tf.Tensor) -> dict[str, tf.Tensor]:
        """The code points of all texts, flat: ``code``, ``row`` (its text), ``position`` (its index in the text),
        ``special`` (the id of a special token written in the text, on its first character; -1 elsewhere) and
        ``override`` (the word class of a special token's characters; -1 for other characters)."""
        import tensorflow_text as text

        # The regex op stops at a NUL byte: it finds the special tokens in a copy without NULs, and the parts are
        # then cut from the texts themselves.
        without_nul = tf.strings.regex_replace(texts, "\x00", "\x01")
        _, begins, ends = text.regex_split_with_offsets(without_nul, self._added_pattern, self._added_pattern)
        parts = begins.with_flat_values(tf.strings.substr(tf.gather(texts, begins.value_rowids()), begins.flat_values,
                                                          ends.flat_values - begins.flat_values))
        matches = tf.equal(parts.flat_values[:, None], tf.constant(self._added_tokens)[None, :])
        part_special = tf.where(tf.reduce_any(matches, axis=1),
                                tf.gather(tf.constant(self._added_ids, tf.int64), tf.argmax(tf.cast(matches, tf.int32),
                                                                                              axis=1)), -1)
        codes = tf.strings.unicode_decode(parts.flat_values, "UTF-8", errors="replace")  # [parts, characters]
        part = codes.value_rowids()
        first_of_part = tf.equal(tf.range(tf.size(codes.flat_values, out_type=tf.int64)),
                                 tf.gather(codes.row_starts(), part))
        in_special = tf.gather(part_special, part) >= 0
        row = tf.gather(parts.value_rowids(), part)  # the regex parts of a text are the whole text, in order
        return {"code": tf.cast(codes.flat_values, tf.int64), "row": row, "position": _positions_in_rows(row, batch)[0],
                "special": tf.where(first_of_part, tf.gather(part_special, part), -1),
                "override": tf.where(in_special, tf.where(first_of_part, _int64(_SPECIAL_FIRST), _SPECIAL_REST), -1)}

    def _normalized(self, chars: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """The characters as the normalizer leaves them (each may become none or several), without whitespace:
        ``code``, ``row``, ``source`` (the position of the character it came from), ``special`` and ``word_start``
        (whether it begins a word, as the pre-tokenizer splits them)."""
        tables = self._tables
        starts = tf.constant(tables["starts"])
        interval = tf.searchsorted(starts, chars["code"], side="right", out_type=tf.int64) - 1
        written = chars["override"] >= 0  # special tokens are matched before normalization and kept as written
        kind = tf.where(written, _int64(_SINGLE), tf.gather(tf.constant(tables["kinds"]), interval))
        code = chars["code"] + tf.where(written, _int64(0), tf.gather(tf.constant(tables["deltas"]), interval))
        single_class = tf.where(written, chars["override"], tf.gather(tf.constant(tables["classes"]), interval))
        several = tf.equal(kind, _SEVERAL)
        row_of = tf.where(several, tf.gather(tf.constant(tables["bases"]), interval) + chars["code"]
                          - tf.gather(starts, interval), 0)
        splits = tf.constant(tables["several_splits"])
        several_start = tf.gather(splits, row_of)
        lengths = tf.where(several, tf.gather(splits, row_of + 1) - several_start,
                           tf.cast(tf.not_equal(kind, _REMOVED), tf.int64))
        source = tf.repeat(tf.range(tf.size(lengths, out_type=tf.int64)), lengths)
        within = tf.range(tf.reduce_sum(lengths)) - tf.repeat(tf.cumsum(lengths, exclusive=True), lengths)
        from_several = tf.gather(several, source)
        several_index = tf.where(from_several, tf.gather(several_start, source) + within, 0)
        out = {"code": tf.where(from_several, tf.gather(tf.constant(tables["several_codes"]), several_index),
                                tf.gather(code, source)),
               "class": tf.where(from_several, tf.gather(tf.constant(tables["several_classes"]), several_index),
                                 tf.gather(single_class, source)),
               "row": tf.gather(chars["row"], source), "source": tf.gather(chars["position"], source),
               "special": tf.gather(chars["special"], source)}
        previous_class = tf.concat([tf.constant([_SPACE], tf.int64), out["class"][:-1]], axis=0)
        new_row = tf.not_equal(out["row"], tf.concat([tf.constant([-1], tf.int64), out["row"][:-1]], axis=0))
        joins = tf.logical_and(tf.equal(previous_class, _WORD), tf.logical_not(new_row))
        out["word_start"] = tf.logical_or(
            tf.logical_or(tf.equal(out["class"], _ALONE), tf.equal(out["class"], _SPECIAL_FIRST)),
            tf.logical_and(tf.equal(out["class"], _WORD), tf.logical_not(joins)))
        kept = tf.not_equal(out.pop("class"), _SPACE)
        return {name: tf.boolean_mask(value, kept) for name, value in out.items()}

    def _word_pieces(self, stream: dict[str, tf.Tensor], batch: tf.Tensor) -> "_Tokens":
        """The words of the normalized stream through WordPiece: pieces with their word and code point offsets."""
        import tensorflow_text as text

        word_of = tf.cumsum(tf.cast(stream["word_start"], tf.int64)) - 1
        words = tf.RaggedTensor.from_value_rowids(stream["code"], word_of,
                                                  nrows=tf.reduce_sum(tf.cast(stream["word_start"], tf.int64)),
                                                  validate=False)
        first, last = words.row_starts(), words.row_limits() - 1
        special = tf.gather(stream["special"], first)
        # One token for the whole word: a special token written in the text, or a word too long for WordPiece.
        whole = tf.where(special >= 0, special, tf.where(words.row_lengths() > self._max_word_chars,
                                                         _int64(self._unk_id), -1))
        spelled = tf.where(whole >= 0, self._unk_token, tf.strings.unicode_encode(tf.cast(words, tf.int32), "UTF-8"))
        wordpiece = text.FastWordpieceTokenizer(model_buffer=tf.constant(self._wordpiece_model),
                                                token_out_type=tf.int64)
        pieces, byte_starts, byte_ends = wordpiece.tokenize_with_offsets(spelled)
        word = pieces.value_rowids()
        piece_whole = tf.gather(whole, word)
        # Byte offsets within a word -> characters of the stream: the stream's characters in UTF-8, end to end.
        code = stream["code"]
        utf8_bytes = 1 + tf.cast(code >= 0x80, tf.int64) + tf.cast(code >= 0x800, tf.int64) + tf.cast(
            code >= 0x10000, tf.int64)
        byte_at = tf.cumsum(utf8_bytes, exclusive=True)
        word_byte = tf.gather(tf.gather(byte_at, first), word)
        first_char = tf.searchsorted(byte_at, word_byte + byte_starts.flat_values, side="left", out_type=tf.int64)
        last_char = tf.searchsorted(byte_at, word_byte + byte_ends.flat_values, side="left", out_type=tf.int64) - 1
        first_char = tf.where(piece_whole >= 0, tf.gather(first, word), first_char)
        last_char = tf.where(piece_whole >= 0, tf.gather(last, word), last_char)
        word_row = tf.gather(stream["row"], first)
        piece_row = tf.gather(word_row, word)
        position, lengths = _positions_in_rows(piece_row, batch)
        return _Tokens(row=piece_row, position=position, lengths=lengths,
                       ids=tf.where(piece_whole >= 0, piece_whole, pieces.flat_values),
                       words=tf.gather(_positions_in_rows(word_row, batch)[0], word),
                       starts=tf.gather(stream["source"], first_char), ends=tf.gather(stream["source"], last_char) + 1)


class _Tokens:
    """The word pieces of a batch of texts, flat and in text order: ``row`` (the text), ``position`` (in its text),
    ``ids``, ``words`` (word index in the text), ``starts``/``ends`` (code point offsets); and ``lengths``, the
    number of pieces of each text."""

    _FIELDS = ("row", "position", "ids", "words", "starts", "ends")

    def __init__(self, lengths, **fields):
        self.lengths = lengths
        for name in self._FIELDS:
            setattr(self, name, fields[name])

    def _kept(self, keep, lengths, first_row=0) -> "_Tokens":
        fields = {name: tf.boolean_mask(getattr(self, name), keep) for name in self._FIELDS}
        fields["row"] -= first_row
        return _Tokens(lengths, **fields)

    def rows(self, begin, end) -> "_Tokens":
        """The pieces of texts ``begin`` to ``end - 1``, as texts 0, 1...."""
        return self._kept(tf.logical_and(self.row >= begin, self.row < end), self.lengths[begin:end], begin)

    def prefix(self, lengths: tf.Tensor) -> "_Tokens":
        """The first ``lengths[i]`` pieces of each text (truncation keeps the start)."""
        return self._kept(self.position < tf.gather(lengths, self.row), tf.minimum(self.lengths, lengths))


def _int64(value: int) -> tf.Tensor:
    """A scalar that ``tf.where`` can pair with int64 tensors (a bare Python int in its first branch is int32)."""
    return tf.constant(value, tf.int64)


def _positions_in_rows(rows: tf.Tensor, nrows: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """For flat values grouped by (sorted) ``rows``: each value's index within its row, and each row's length."""
    lengths = tf.math.unsorted_segment_sum(tf.ones_like(rows), rows, nrows)
    return tf.range(tf.size(rows, out_type=tf.int64)) - tf.gather(tf.cumsum(lengths, exclusive=True), rows), lengths


def _pair_lengths(first: tf.Tensor, second: tf.Tensor, budget: tf.Tensor, truncation: str):
    """How many tokens of each sequence of a pair are kept, as ``tokenizers`` truncates them (lengths per row)."""
    over = first + second > budget
    if truncation == "only_second":
        remove = tf.maximum(first + second - budget, 0)
        possible = tf.reduce_all(tf.logical_or(tf.logical_not(over), second > remove))
        # as tokenizers, which refuses to cut the second text down to nothing
        tf.debugging.Assert(possible, ["truncation only_second: a first text leaves no room within max_length for "
                                       "even one token of its pair (Hugging Face refuses it too)"])
        return first, second - remove
    # longest_first: the shorter one stays whole if it takes at most half; otherwise both get half and the longer
    # one the odd token (the second when they are equally long).
    shorter = tf.minimum(first, second)
    longer_kept = tf.where(shorter > budget, shorter, tf.maximum(shorter, budget - shorter))
    halves = shorter + longer_kept > budget
    shorter_kept = tf.where(halves, budget // 2, shorter)
    longer_kept = tf.where(halves, budget // 2 + budget % 2, longer_kept)
    first_longer = first > second
    first_kept = tf.where(first_longer, longer_kept, shorter_kept)
    second_kept = tf.where(first_longer, shorter_kept, longer_kept)
    return (tf.where(over, tf.minimum(first, first_kept), first),
            tf.where(over, tf.minimum(second, second_kept), second))


def _regex_literal(token: str) -> str:
    """``token`` as an RE2 pattern that matches it literally."""
    return "".join("\\" + char if char in "\\.^$|?*+()[]{}-" else char for char in token)


@functools.lru_cache(maxsize=4)
def _character_tables(clean_text: bool, handle_chinese_chars: bool, strip_accents, lowercase: bool) -> dict:
    """What a BERT normalizer with these settings, then the BERT pre-tokenizer, make of each code point, measured on
    the ``tokenizers`` library itself, as numpy arrays over intervals of code points that behave alike.

    An interval starting at ``starts[i]`` is ``kinds[i]``: _REMOVED; _SINGLE (code point + ``deltas[i]``, of word
    class ``classes[i]``); or _SEVERAL (row ``bases[i] + code - starts[i]`` of ``several_splits`` holds the code
    points and their classes in ``several_codes``/``several_classes``)."""
    from tokenizers import normalizers, pre_tokenizers

    normalizer = normalizers.BertNormalizer(clean_text=clean_text, handle_chinese_chars=handle_chinese_chars,
                                            strip_accents=strip_accents, lowercase=lowercase)
    word_class = _word_classes(pre_tokenizers.BertPreTokenizer())
    kinds = np.full(_CODE_POINTS, _SINGLE, np.int64)
    deltas = np.zeros(_CODE_POINTS, np.int64)
    classes = word_class.copy()
    several = {}
    codes = [code for code in range(_CODE_POINTS) if code not in _SURROGATES]
    for code, normalized in zip(codes, _normalized_one_by_one(normalizer, codes)):
        if len(normalized) == 1 and ord(normalized) == code:
            continue
        out = [(ord(char), word_class[ord(char)]) for char in normalized]
        if len(out) == 3 and out[0][1] == out[2][1] == _SPACE and out[1][1] != _SPACE:
            out = [(out[1][0], _ALONE)]  # a CJK ideograph between the spaces the normalizer puts around it
        if not out:
            kinds[code], classes[code] = _REMOVED, _SPACE
        elif len(out) == 1:
            deltas[code], classes[code] = out[0][0] - code, out[0][1]
        else:
            kinds[code], classes[code] = _SEVERAL, _SPACE
            several[code] = out
    change = np.ones(_CODE_POINTS, bool)
    change[1:] = (kinds[1:] != kinds[:-1]) | (deltas[1:] != deltas[:-1]) | (classes[1:] != classes[:-1])
    starts = np.flatnonzero(change)
    row_of = {code: row for row, code in enumerate(sorted(several))}
    bases = np.array([row_of.get(start, 0) for start in starts], np.int64)
    # A last row of one placeholder, so that the graph's gathers (done for every character, used for some) never
    # index an empty table.
    outputs = [several[code] for code in sorted(several)] + [[(0, _SPACE)]]
    return {"starts": starts.astype(np.int64), "kinds": kinds[starts], "deltas": deltas[starts],
            "classes": classes[starts].astype(np.int64), "bases": bases,
            "several_splits": np.cumsum([0] + [len(out) for out in outputs]).astype(np.int64),
            "several_codes": np.array([code for out in outputs for code, _ in out], np.int64),
            "several_classes": np.array([cls for out in outputs for _, cls in out], np.int64)}


def _normalized_one_by_one(normalizer, codes: list[int]) -> list[str]:
    """What ``normalizer`` makes of each code point alone. Fast: a long run of them is normalized at once with a
    separator that it leaves as is (and that stops NFD from reordering marks across it); a run where a code point
    turns into the separator too is done again one by one."""
    separator = "|"
    results = []
    for begin in range(0, len(codes), _RUN):
        chars = [chr(code) for code in codes[begin:begin + _RUN]]
        outputs = normalizer.normalize_str(separator.join(chars)).split(separator)
        if len(outputs) != len(chars):
            outputs = [normalizer.normalize_str(char) for char in chars]
        results += outputs
    return results


def _word_classes(pre_tokenizer) -> np.ndarray:
    """Per code point, what the pre-tokenizer does with it: _SPACE (drops it, breaking words), _ALONE (makes it a
    word of its own: punctuation) or _WORD (joins it to its neighbours). Measured on one string where every code
    point stands between two letters ``a``: no word covers a dropped one, a word of one character is alone."""
    codes = np.array([code for code in range(_CODE_POINTS) if code not in _SURROGATES])
    classes = np.full(_CODE_POINTS, _WORD, np.int64)
    classes[codes] = _SPACE
    for begin in range(0, len(codes), _RUN):
        run = codes[begin:begin + _RUN]
        for _, (start, end) in pre_tokenizer.pre_tokenize_str("a" + "a".join(map(chr, run)) + "a"):
            if end - start == 1 and start % 2 == 1:
                classes[run[start // 2]] = _ALONE
            else:  # code point i is at 2i + 1
                classes[run[start // 2:end // 2]] = _WORD
    return classes
