"""The validation loss: the loss the model trains on, measured on labelled validation batches."""

from __future__ import annotations

from kerastx.evaluation.base import MIN, label_names, split_batch


class WithValidationLoss:
    """``evaluator``'s metrics plus ``loss``: the model's own (Hugging Face internal) loss on ``dataset``,
    each batch's mean weighted by its size, as Keras averages the training loss in ``fit``.

    Only tasks evaluated on labelled batches have one (text and token classification); a task measured on
    generated text or on answers read back from the context has no batches to take a loss on.

    Example::

        evaluator = WithValidationLoss(ClassificationEvaluator(val_ds, num_labels=2), val_ds)
        print(evaluator.evaluate(model))   # {"accuracy": ..., "f1": ..., "loss": ...}
    """

    def __init__(self, evaluator, dataset):
        self.evaluator = evaluator
        self.dataset = dataset
        self.directions = {**evaluator.directions, "loss": MIN}
        self._model = None
        self._batch_loss = None

    def evaluate(self, model) -> dict[str, float]:
        return {**self.evaluator.evaluate(model), "loss": self.loss(model)}

    def loss(self, model) -> float:
        import tensorflow as tf

        if self._model is not model:  # one traced loss per model, reused at every evaluation
            self._batch_loss = tf.function(
                lambda inputs: tf.reduce_mean(tf.cast(model(inputs, training=False).loss, tf.float32)),
                reduce_retracing=True)
            self._model = model
        names = label_names(model)
        total, count = 0.0, 0
        for batch in self.dataset:
            features, labels = split_batch(batch, names)
            inputs = {**features, **(labels if isinstance(labels, dict) else {names[0]: labels})}
            size = int(tf.shape(next(iter(features.values())))[0])
            total += float(self._batch_loss(inputs)) * size
            count += size
        return total / count
