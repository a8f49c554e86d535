"""Word tags -> sub-token labels: the tag vocabulary, and alignment of word tags to a tokenizer's pieces.

A word such as "Blackburn" becomes several sub-tokens ("blackburn" may be "black", "##burn"), but
the data has one tag per word. By default only the first sub-token carries the word's tag and the
others get -100 (ignored by the loss and by evaluation), so each word is trained and scored once, as
the course does. ``all_subtokens=True`` labels every piece instead, turning B-X into I-X after the
first piece so that one word never reads as two entities.
"""

from __future__ import annotations

from dataclasses import dataclass

from kerastx.data.files import Source
from kerastx.data.labels import LabelMap, require_two_classes
from kerastx.errors import ConfigError, DataError

IGNORED = -100  # the label id that Hugging Face TF losses skip
OUTSIDE = "O"


@dataclass(frozen=True)
class TagMap(LabelMap):
    """The tag vocabulary: ``names[i]`` is the name of label id ``i``; ``values[i]`` the raw tag in the data.

    Example::

        tag_map = TagMap.infer(train["tags"])  # names: ('O', 'B-LOC', 'B-MISC', ..., 'I-PER')
        train_ids = tag_map.encode(train["tags"], train_source, "tags")
        model = TFAutoModelForTokenClassification.from_pretrained(
            name, num_labels=len(tag_map), id2label=tag_map.id2label, label2id=tag_map.label2id)
    """

    @classmethod
    def infer(cls, tag_lists, names: list[str] | None = None, where: str = "the training labels") -> "TagMap":
        """The distinct training tags, sorted with "O" first; ``names`` renames them in that order.

        Integer tags 0..n-1 (a hub dataset's ``ner_tags``) keep their ids, so the dataset's own tag
        names can be passed as ``names``.
        """
        found = {tag for tags in tag_lists for tag in tags}
        # "O" first: id 0 is then "no entity", which reads naturally in logits and confusion tables.
        return cls.named(tuple(sorted(found, key=lambda t: (t != OUTSIDE, isinstance(t, str), t))), names, where)

    @classmethod
    def from_training(cls, tag_lists, source: Source, column: str, names: list[str] | None = None) -> "TagMap":
        """:meth:`infer` from a training split's tags (each one checked already), refusing a single tag."""
        require_two_classes({tag for tags in tag_lists for tag in tags}, source, column, "tag")
        return cls.infer(tag_lists, names, f"the tags of {source.name} column '{column}'")

    def __len__(self) -> int:
        return len(self.names)

    def encode(self, tag_lists, source: Source, column: str = "tags") -> list[list[int]]:
        """Ids of each sentence's tags; a tag not seen in training is a DataError naming the line and the tag."""
        index = {tag: i for i, tag in enumerate(self.values)}
        encoded = []
        for row, tags in enumerate(tag_lists):
            ids = []
            for position, tag in enumerate(tags):
                if tag not in index:
                    raise DataError(f"{source.where(row)}: column '{column}' has tag {tag!r} (word {position + 1} "
                                    f"of the sentence), which the training data does not have "
                                    f"(tags: {', '.join(map(str, self.values))})")
                ids.append(index[tag])
            encoded.append(ids)
        return encoded

    def inside_of(self) -> dict[int, int]:
        """``{id of B-X: id of I-X}`` for every type that has both, for labelling a word's later sub-tokens.

        A type seen only as B-X in training (single-word entities only) keeps B-X: there is no I-X
        label to move to.
        """
        ids = self.label2id
        return {ids[name]: ids["I-" + name[2:]] for name in self.names
                if name.startswith("B-") and "I-" + name[2:] in ids}

    def entity_types(self) -> list[str]:
        """Sorted entity types of the names ("PER" for B-PER/I-PER; a bare tag is its own type)."""
        return sorted({name[2:] if name[:2] in ("B-", "I-") else name for name in self.names if name != OUTSIDE})


def align_labels(word_ids, word_label_ids, all_subtokens: bool = False, inside_of: dict[int, int] | None = None):
    """One label per sub-token from one label per word (``word_ids`` as a fast tokenizer's ``word_ids()``).

    Special tokens (word id None) get -100; a word's first sub-token gets the word's label; its other
    sub-tokens get -100, or with ``all_subtokens`` the word's label mapped through ``inside_of``
    (B-X -> I-X, see :meth:`TagMap.inside_of`).

    Example::

        align_labels([None, 0, 0, 1, None], [3, 0])                          # [-100, 3, -100, 0, -100]
        align_labels([None, 0, 0, 1, None], [3, 0], True, inside_of={3: 7})  # [-100, 3, 7, 0, -100]
    """
    inside_of = inside_of or {}
    labels, previous = [], None
    for word in word_ids:
        if word is None:
            labels.append(IGNORED)
        elif word != previous:
            labels.append(word_label_ids[word])
        elif all_subtokens:
            label = word_label_ids[word]
            labels.append(inside_of.get(label, label))
        else:
            labels.append(IGNORED)
        previous = word
    return labels


def tokenize_and_align(tokenizer, token_lists, tag_id_lists, max_length: int, all_subtokens: bool = False,
                       inside_of: dict[int, int] | None = None) -> dict:
    """Tokenize pre-split sentences and align their tag ids; a dict of lists, ready for ``Dataset.map``.

    Holds the tokenizer's model inputs (truncated to ``max_length``, not padded: the collator pads
    each batch), ``labels``, and ``words_truncated``: per sentence, how many of its last words were
    cut off by ``max_length`` and so are neither trained nor evaluated. A recipe reports
    ``sum(n > 0 for n in dataset["words_truncated"])`` sentences as truncated; the column is not a
    model input, so ``prepare_tf_dataset`` leaves it out. (A per-row column, unlike a counter,
    survives ``Dataset.map``'s cache.)

    Example::

        features = train.map(lambda batch: tokenize_and_align(tokenizer, batch["tokens"], batch["tag_ids"], 128),
                             batched=True, remove_columns=train.column_names)
    """
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError(f"token classification needs a fast tokenizer (for word_ids), got {type(tokenizer).__name__}")
    encoded = tokenizer(list(token_lists), is_split_into_words=True, truncation=True, max_length=max_length)
    features = {name: list(encoded[name]) for name in encoded.keys()}
    features["labels"], features["words_truncated"] = [], []
    for row, (words, tag_ids) in enumerate(zip(token_lists, tag_id_lists)):
        word_ids = encoded.word_ids(row)
        features["labels"].append(align_labels(word_ids, tag_ids, all_subtokens, inside_of))
        kept = max((w for w in word_ids if w is not None), default=-1) + 1
        features["words_truncated"].append(len(words) - kept)
    return features
