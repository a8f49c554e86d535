"""TensorBoard by optimizer step: the training loss and learning rate every few steps (so warm-up shows),
and every evaluation at the step it was made, including the one before training (step 0)."""

from __future__ import annotations

from pathlib import Path

from kerastx.callbacks.recent_loss import RecentLoss
from kerastx.compat.keras import tf_keras


class StepTensorBoard(tf_keras.callbacks.Callback):
    """Writes TensorBoard summaries under ``log_dir``, with the optimizer step as their x axis:

    - ``train/``: ``loss`` (the mean over the steps since the previous point) and ``learning_rate`` every
      ``every_steps`` steps and at the end of every epoch;
    - ``validation/``: each evaluation of ``evaluation`` (an :class:`~kerastx.callbacks.metrics.EvaluationCallback`)
      at its step, every metric under its name without the ``val_`` prefix (``bleu``, ``f1``; ``loss`` where
      the task measures one), so that training and validation loss share one chart.

    Put it after ``evaluation`` in the list given to ``fit``.

    Example::

        metrics = EvaluationCallback(evaluator, every_steps=200, evaluate_at_start=True)
        model.fit(train_ds, epochs=3, callbacks=[metrics, StepTensorBoard("runs/x/logs", metrics, every_steps=10)])
    """

    def __init__(self, log_dir, evaluation, every_steps: int = 10):
        super().__init__()
        self.log_dir = Path(log_dir)
        self.evaluation = evaluation
        self.every_steps = every_steps
        self.loss = RecentLoss()
        self.step = 0
        self._written_evaluations = len(evaluation.history)  # a resumed run's earlier ones are written already
        self._writers = None
        self._chief_worker_only = True  # one writer in multi-worker training

    def on_train_begin(self, logs=None):
        import tensorflow as tf

        self._writers = {name: tf.summary.create_file_writer(str(self.log_dir / name))
                         for name in ("train", "validation")}
        self._write_new_evaluations()

    def on_epoch_begin(self, epoch, logs=None):
        self.loss.new_epoch()

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        self.loss.update(batch, logs)
        if self.step % self.every_steps == 0:
            self._write_training()
        self._write_new_evaluations()

    def on_epoch_end(self, epoch, logs=None):
        self._write_training()
        self._write_new_evaluations()
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        self._write_new_evaluations()
        for writer in self._writers.values():
            writer.close()

    def _write_training(self) -> None:
        import tensorflow as tf

        loss = self.loss.take()
        if loss is None:
            return
        with self._writers["train"].as_default(step=self.step):
            tf.summary.scalar("loss", loss)
            tf.summary.scalar("learning_rate", current_learning_rate(self.model.optimizer))

    def _write_new_evaluations(self) -> None:
        import tensorflow as tf

        prefix = self.evaluation.prefix
        for entry in self.evaluation.history[self._written_evaluations:]:
            with self._writers["validation"].as_default(step=entry["step"]):
                for name, value in entry.items():
                    if name.startswith(prefix):
                        tf.summary.scalar(name[len(prefix):], value)
        self._written_evaluations = len(self.evaluation.history)


def current_learning_rate(optimizer) -> float:
    """The learning rate of the optimizer's latest step. A schedule is evaluated at that step (as Keras'
    legacy optimizers do); Keras' current optimizers already hold the value they used."""
    rate = optimizer.learning_rate
    if callable(rate):
        rate = rate(max(int(optimizer.iterations.numpy()) - 1, 0))
    return float(rate.numpy() if hasattr(rate, "numpy") else rate)
