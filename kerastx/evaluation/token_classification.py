"""Entity-level precision, recall and F1 (seqeval, conlleval-style) of a token classifier."""

from __future__ import annotations

import numpy as np

from kerastx.evaluation.base import DatasetEvaluator, maximized


class TokenClassificationEvaluator(DatasetEvaluator):
    """``precision``, ``recall``, ``f1``, ``accuracy`` and per entity type ``<TYPE>_precision``/``_recall``/
    ``_f1`` on ``dataset`` (``(features, labels)`` batches, or labels inside the features dict, that are -100
    everywhere but at each word's first sub-token, so every word is scored once).

    Example::

        evaluator = TokenClassificationEvaluator(val_ds, model.config.id2label, types=["LOC", "MISC", "ORG", "PER"])
        evaluator.evaluate(model)["f1"]
    """

    def __init__(self, dataset, id2label: dict[int, str], types: list[str]):
        from kerastx.metrics.token_classification import entity_scores, predictions_to_tags

        def tags(outputs, labels):
            return predictions_to_tags(np.argmax(outputs.logits.numpy(), axis=-1), np.asarray(labels), id2label)

        def scores(tag_batches, _labels):
            true = [sentence for batch_true, _ in tag_batches for sentence in batch_true]
            predicted = [sentence for _, batch_predicted in tag_batches for sentence in batch_predicted]
            # supports (true entities per type) are facts of the data, not of the model: they stay out of the logs
            return {k: v for k, v in entity_scores(true, predicted, types).items() if not k.endswith("_support")}

        names = ["precision", "recall", "f1", "accuracy"] + [f"{t}_{m}" for t in types for m in ("precision", "recall", "f1")]
        super().__init__(dataset, maximized(*names), output_fn=lambda out, labels: (tags(out, labels), None),
                         metric_fn=scores)
