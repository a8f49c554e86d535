"""Named entities in raw text with a TF token classifier: word tags grouped into spans of the original text.

Words are tagged by their first sub-token, the only one trained (the others were labelled -100),
and consecutive words of one entity are merged the way transformers' NER pipeline does with
``aggregation_strategy="simple"``: one group per entity, scored by the mean of its words' scores.
"""

from __future__ import annotations

from kerastx.predictor import TextInputs

OUTSIDE = "O"


def group_entities(text: str, word_spans, word_tags, word_scores) -> list[dict]:
    """Entities from per-word tags: ``[{"entity_group", "score", "word", "start", "end"}]``.

    ``word_spans`` are ``(start, end)`` character offsets of the words in ``text``. B-X starts an
    entity; I-X continues an entity of type X and otherwise starts one (leniently, as conlleval
    reads it); O ends it. A bare tag ("PER") is read as I-PER. The score is the mean of the words'
    scores; ``word`` is ``text[start:end]``, from the first word's start to the last word's end.

    Example::

        group_entities("John Smith in Paris", [(0, 4), (5, 10), (11, 13), (14, 19)],
                       ["B-PER", "I-PER", "O", "B-LOC"], [0.9, 0.7, 0.99, 0.95])
        # [{"entity_group": "PER", "score": 0.8, "word": "John Smith", "start": 0, "end": 10},
        #  {"entity_group": "LOC", "score": 0.95, "word": "Paris", "start": 14, "end": 19}]
    """
    entities, current = [], None  # current: [type, start, end, scores]
    for (start, end), tag, score in zip(word_spans, word_tags, word_scores):
        if tag == OUTSIDE:
            current = None
            continue
        begins = tag.startswith("B-")
        kind = tag[2:] if tag[:2] in ("B-", "I-") else tag
        if current is not None and not begins and current[0] == kind:
            current[2] = end
            current[3].append(float(score))
        else:
            current = [kind, start, end, [float(score)]]
            entities.append(current)
    return [{"entity_group": kind, "score": sum(scores) / len(scores), "word": text[start:end], "start": start,
             "end": end} for kind, start, end, scores in entities]


class EntityPredictor(TextInputs):
    """Entities of each text, with character spans into the text, from a TF token classifier.

    Words are the tokenizer's own (a fast tokenizer's ``word_ids``: BERT splits at spaces and at
    every punctuation mark), so "U.S." is four words that group back into one entity when tagged
    alike. Texts longer than ``max_length`` tokens are truncated: words past it get no tag and are
    in no entity.

    Example::

        predictor = EntityPredictor(model, tokenizer)
        [entities] = predictor(["John Smith lives in Paris."])
        predictor.format(entities)  # 'PER "John Smith" 0.98 [0:10]; LOC "Paris" 0.95 [20:25]'
    """

    def __init__(self, model, tokenizer, max_length: int = 128, batch_size: int = 32):
        self.model = model
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.batch_size = batch_size
        self.id2label = {int(i): name for i, name in model.config.id2label.items()}

    def __call__(self, inputs: list[str]) -> list[list[dict]]:
        import tensorflow as tf

        results = []
        for begin in range(0, len(inputs), self.batch_size):
            batch = list(inputs[begin:begin + self.batch_size])
            encoded = self.tokenizer(batch, truncation=True, max_length=self.max_length, padding=True,
                                     return_offsets_mapping=True, return_tensors="np")
            features = {k: v for k, v in encoded.items() if k in self.tokenizer.model_input_names}
            logits = self.model(features, training=False).logits
            probabilities = tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1).numpy()
            for row, text in enumerate(batch):
                spans, tags, scores = self._words(encoded.word_ids(row), encoded["offset_mapping"][row],
                                                  probabilities[row])
                results.append(group_entities(text, spans, tags, scores))
        return results

    def _words(self, word_ids, offsets, probabilities):
        """Per word: its character span (first to last sub-token) and the tag and score of its first sub-token."""
        spans, tags, scores = [], [], []
        previous = None
        for position, word in enumerate(word_ids):
            if word is None:
                continue
            if word == previous:
                spans[-1] = (spans[-1][0], int(offsets[position][1]))
                continue
            best = int(probabilities[position].argmax())
            spans.append((int(offsets[position][0]), int(offsets[position][1])))
            tags.append(self.id2label[best])
            scores.append(float(probabilities[position][best]))
            previous = word
        return spans, tags, scores

    def format(self, result: list[dict]) -> str:
        if not result:
            return "(no entities)"
        return "; ".join(f'{e["entity_group"]} "{e["word"]}" {e["score"]:.2f} [{e["start"]}:{e["end"]}]'
                         for e in result)
