"""Collators that turn lists of tokenized rows into numpy batches for ``tf.data``."""

from __future__ import annotations

import numpy as np


class Seq2SeqCollator:
    """``DataCollatorForSeq2Seq`` (labels padded with -100), plus the decoder inputs built by the model.

    Dynamic mode pads each batch to its longest source and target (rounded up to
    ``pad_to_multiple_of``); static mode (``source_length`` and ``target_length`` given) pads every
    batch to the same shape, as XLA and TPUs need. Returns numpy arrays.

    Example::

        collator = Seq2SeqCollator(tokenizer, model, pad_to_multiple_of=8)
        batch = collator([{"input_ids": [5, 6, 1], "attention_mask": [1, 1, 1], "labels": [7, 1]}])
        batch["labels"]             # [[7, 1, -100, ...]]
        batch["decoder_input_ids"]  # [[start, 7, pad, ...]]
    """

    def __init__(self, tokenizer, model, pad_to_multiple_of: int | None = None, source_length: int | None = None,
                 target_length: int | None = None):
        from transformers import DataCollatorForSeq2Seq

        self.model = model
        self.pad_token_id = tokenizer.pad_token_id
        self.source_length = source_length
        self.target_length = target_length
        self.padder = DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=-100, return_tensors="np",
                                             pad_to_multiple_of=None if source_length else pad_to_multiple_of)

    def __call__(self, features: list[dict]) -> dict[str, np.ndarray]:
        batch = dict(self.padder(features))
        if self.source_length:
            batch["input_ids"] = _pad_to(batch["input_ids"], self.source_length, self.pad_token_id)
            batch["attention_mask"] = _pad_to(batch["attention_mask"], self.source_length, 0)
        if "labels" in batch:
            if self.target_length:
                batch["labels"] = _pad_to(batch["labels"], self.target_length, -100)
            decoder_inputs = self.model.prepare_decoder_input_ids_from_labels(labels=batch["labels"])
            batch["decoder_input_ids"] = np.asarray(decoder_inputs, dtype=batch["labels"].dtype)
        return batch


def _pad_to(array: np.ndarray, length: int, value: int) -> np.ndarray:
    padded = np.full((array.shape[0], length), value, dtype=array.dtype)
    padded[:, :min(length, array.shape[1])] = array[:, :length]
    return padded
