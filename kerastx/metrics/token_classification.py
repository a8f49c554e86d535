"""Entity-level precision, recall and F1 with seqeval, computed offline (``evaluate.load("seqeval")`` needs the Hub).

Scores follow conlleval, as the course's metric does: an entity counts as found only when its type
and its exact span match, and an I-X that follows O or another type starts a new entity.
"""

from __future__ import annotations

import re

import numpy as np

IGNORED = -100


def entity_scores(true_tags: list[list[str]], predicted_tags: list[list[str]],
                  types: list[str] | None = None) -> dict[str, float]:
    """Overall ``precision``, ``recall``, ``f1`` (micro over entities), ``accuracy`` (over tokens), and per
    entity type ``<TYPE>_precision``, ``<TYPE>_recall``, ``<TYPE>_f1``, ``<TYPE>_support`` (true entities).

    Types are those in either tag set, or exactly ``types`` when given (``TagMap.entity_types()``):
    then the keys are the same every epoch, which Keras' CSVLogger requires. Type names are made
    safe for log keys (characters other than letters, digits and ``_`` become ``_``). A bare tag
    ("PER") is an I- tag of its own type, as in ``group_entities``. No entities or no tokens give
    zeros, never an error.

    Example::

        entity_scores([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "B-ORG"]])
        # {'precision': 0.5, 'recall': 0.5, 'f1': 0.5, 'accuracy': 0.75, 'LOC_precision': 0.0, ...,
        #  'PER_f1': 1.0, 'PER_support': 1.0}
    """
    from seqeval.metrics.sequence_labeling import get_entities

    true_tags, predicted_tags = _prefixed(true_tags), _prefixed(predicted_tags)
    if [len(t) for t in true_tags] != [len(p) for p in predicted_tags]:
        raise ValueError("true and predicted tags differ in number of sentences or of tags in a sentence")
    tokens = sum(len(t) for t in true_tags)
    correct = sum(t == p for true, predicted in zip(true_tags, predicted_tags) for t, p in zip(true, predicted))
    # seqeval reads the entities (conlleval chunking); counting matches of (type, start, end) is then
    # what its precision_recall_fscore_support does, done here once for the overall and per-type scores.
    true_entities = set(get_entities(true_tags)) if true_tags else set()
    predicted_entities = set(get_entities(predicted_tags)) if predicted_tags else set()
    scores = _prf("", true_entities, predicted_entities)
    scores["accuracy"] = correct / tokens if tokens else 0.0
    found = sorted({entity[0] for entity in true_entities | predicted_entities})
    for name in types if types is not None else found:
        safe = re.sub(r"[^0-9A-Za-z_]", "_", name) + "_"
        scores.update(_prf(safe, {e for e in true_entities if e[0] == name},
                           {e for e in predicted_entities if e[0] == name}))
        scores[safe + "support"] = float(sum(e[0] == name for e in true_entities))
    return scores


def predictions_to_tags(logits_or_ids, labels, id2label) -> tuple[list[list[str]], list[list[str]]]:
    """``(true tags, predicted tags)`` per sentence of a batch, keeping only positions whose label is not -100.

    ``logits_or_ids`` is ``(batch, length, num_labels)`` logits or ``(batch, length)`` label ids;
    ``labels`` is ``(batch, length)`` with -100 at special tokens, later sub-tokens and padding.

    Example::

        true, predicted = predictions_to_tags(model.predict(batch).logits, batch_labels, model.config.id2label)
        entity_scores(true, predicted)
    """
    predicted = np.asarray(logits_or_ids)
    if predicted.ndim == 3:
        predicted = predicted.argmax(axis=-1)
    labels = np.asarray(labels)
    names = {int(i): name for i, name in id2label.items()}  # configs read from JSON may have str keys
    true_tags, predicted_tags = [], []
    for row_predicted, row_labels in zip(predicted, labels):
        keep = row_labels != IGNORED
        true_tags.append([names[int(i)] for i in row_labels[keep]])
        predicted_tags.append([names[int(i)] for i in row_predicted[keep]])
    return true_tags, predicted_tags


def _prefixed(tag_lists) -> list[list[str]]:
    """Bare tags ("PER") as I-PER: seqeval would read "PER" as prefix P of type "ER" (and "ORG" as O)."""
    return [[t if t == "O" or t[1:2] == "-" else "I-" + t for t in tags] for tags in tag_lists]


def _prf(prefix: str, true_entities: set, predicted_entities: set) -> dict[str, float]:
    found = len(true_entities & predicted_entities)
    precision = found / len(predicted_entities) if predicted_entities else 0.0
    recall = found / len(true_entities) if true_entities else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {prefix + "precision": precision, prefix + "recall": recall, prefix + "f1": f1}
