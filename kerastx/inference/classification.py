"""Label and probability of each text (or sentence pair) with a TF sequence classifier."""

from __future__ import annotations

from kerastx.errors import ConfigError, DataError


class TextClassifier:
    """``[(label name, probability)]`` for texts, or for ``(text, pair)`` tuples when ``paired``.

    Example::

        classifier = TextClassifier(model, tokenizer, max_length=128, paired=True)
        classifier([("The cat sat.", "A cat was sitting.")])   # [("equivalent", 0.91)]
        classifier.format(("equivalent", 0.91))               # "equivalent\t0.9100"
    """

    def __init__(self, model, tokenizer, max_length: int = 128, batch_size: int = 32, paired: bool = False,
                 sep: str = "\t"):
        self.model = model
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.batch_size = batch_size
        self.paired = paired
        if paired and not sep:
            raise ConfigError("sep is empty: a sentence pair needs a separator between its two sentences "
                              "(default: a tab)")
        self.sep = sep

    def __call__(self, inputs: list) -> list[tuple[str, float]]:
        import numpy as np
        import tensorflow as tf

        results = []
        for start in range(0, len(inputs), self.batch_size):
            batch = inputs[start:start + self.batch_size]
            texts = [item[0] for item in batch] if self.paired else list(batch)
            pairs = [item[1] for item in batch] if self.paired else None
            encoded = self.tokenizer(texts, pairs, truncation=True, max_length=self.max_length, padding=True,
                                     return_tensors="np")
            logits = self.model({k: v for k, v in encoded.items() if k in self.tokenizer.model_input_names},
                                training=False).logits
            probabilities = tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1).numpy()
            for row in probabilities:
                best = int(np.argmax(row))
                results.append((self.model.config.id2label[best], float(row[best])))
        return results

    def parse(self, line: str):
        if not self.paired:
            return line
        parts = line.split(self.sep, 1)
        if len(parts) != 2:
            raise DataError(f"this model classifies sentence pairs: separate the two sentences with {self.sep!r}")
        return parts[0], parts[1]

    def format(self, result: tuple[str, float]) -> str:
        label, score = result
        return f"{label}\t{score:.4f}"
