"""Gradient accumulation: each training batch of ``batch_size x K`` rows is trained as K micro-batches of
``batch_size`` rows, one forward and backward pass at a time, and the optimizer updates the weights once, with
the gradients of the K micro-batches averaged (each weighed by its rows).

The update stays one Keras step, so everything that counts steps counts updates: the learning-rate schedule,
``--max_steps``, ``--eval_every_steps``, TensorBoard, and checkpoints, which therefore land only on update
boundaries (a resumed run starts at an update, exactly as without accumulation). The model's own
``train_step`` (transformers': label matching, internal loss, metrics) runs on each micro-batch, with its
optimizer call turned into a gradient computation; the metrics it keeps (the loss among them) are therefore
means over the whole batch. Under a distribution strategy each replica accumulates its share of the batch and
the gradients are all-reduced once per update. Under mixed precision each micro-batch's backward pass is
loss-scaled and unscaled as usual, and the loss-scale optimizer checks the accumulated gradients: an overflow in
any micro-batch skips the update and lowers the scale.

A micro-batch's loss is the model's mean over its rows, so the averaged gradient is exactly the whole batch's for
losses averaged over examples (classification); for losses averaged over tokens (token classification, language
models, seq2seq), micro-batches count by rows, not tokens, as in other trainers that accumulate.
"""

from __future__ import annotations

import threading

# The gradients list of the micro-batch this thread is computing (a strategy may run its replicas in threads).
_CAPTURING = threading.local()


def accumulate_gradients(model, steps: int) -> None:
    """Make the compiled ``model`` train each batch as ``steps`` micro-batches (nothing changes for 1)."""
    if steps == 1:
        return
    own_step = model.train_step
    optimizer = model.optimizer
    minimize = optimizer.minimize
    # tf_keras' optimizers (and their loss-scale wrappers) compute gradients as their minimize does; the legacy
    # ones (transformers' AdamWeightDecay among them) only under a private name
    compute = getattr(optimizer, "compute_gradients", None) or optimizer._compute_gradients

    def minimize_or_compute(loss, var_list, tape=None, **kwargs):
        """The model's own step asks for an update: inside a micro-batch, only its gradients."""
        gradients = getattr(_CAPTURING, "gradients", None)
        if gradients is None:
            return minimize(loss, var_list, tape=tape, **kwargs)
        return gradients.extend(gradient for gradient, _ in compute(loss, var_list, tape=tape))

    def train_step(data):
        return _accumulated_step(model, own_step, data, steps)

    optimizer.minimize = minimize_or_compute
    model.train_step = train_step


def _accumulated_step(model, own_step, data, steps: int) -> dict:
    """The K micro-batches one after another (each waits for the previous one's gradients: one micro-batch's
    activations in memory at a time), written out rather than in a ``tf.while_loop``: the model's own step reads
    its metrics, which under a distribution strategy is a synchronisation that TensorFlow refuses inside a loop."""
    import tensorflow as tf

    batches = MicroBatches(data, steps)
    variables = model.trainable_variables
    sums = None
    for index in range(steps):
        with tf.control_dependencies([] if sums is None else [s for s in sums if s is not None]):
            micro_batch, share = batches.take(index)
        gradients = _gradients(own_step, micro_batch, variables)
        weighed = [None if g is None else g * share for g in gradients]  # no gradient: no update, as without
        sums = weighed if sums is None else [None if t is None else t + g for t, g in zip(sums, weighed)]
    model.optimizer.apply_gradients(zip(sums, variables))
    return _logs(model)


def _gradients(own_step, data, variables) -> list:
    """The gradients (dense, or None) of ``variables`` for one micro-batch, as the model's own train step computes
    them (loss-scaled where the optimizer scales), its optimizer call computing them instead of applying them."""
    import tensorflow as tf

    _CAPTURING.gradients = computed = []
    try:
        own_step(data)
    finally:
        _CAPTURING.gradients = None
    if not computed:
        return [None] * len(variables)
    return [tf.convert_to_tensor(g) if isinstance(g, tf.IndexedSlices) else g for g in computed]


def _logs(model) -> dict:
    """What Keras logs after a step: each metric's result (a dict-valued one spread out), as transformers does."""
    logs = {}
    for metric in model.metrics:
        result = metric.result()
        logs.update(result if isinstance(result, dict) else {metric.name: result})
    return logs


class MicroBatches:
    """A batch (a nest of tensors, rows first) cut into ``steps`` micro-batches of (nearly) equal rows, each with its
    share of the batch's rows."""

    def __init__(self, data, steps: int):
        import tensorflow as tf

        self.data, self.steps = data, steps
        first = tf.nest.flatten(data)[0]
        # rows known when the step is traced and divisible (static shapes, XLA, TPUs): one known micro-batch shape
        self.static = first.shape[0] is not None and first.shape[0] % steps == 0
        self.rows = first.shape[0] if self.static else tf.shape(first)[0]

    def take(self, index: int):
        """Micro-batch ``index`` and its share of the rows. Rows ``[index * n // K, (index + 1) * n // K)``: none are
        empty unless the batch has fewer rows than K (an epoch's last batch can), where an empty one is a row of the
        batch weighed 0 (the logged loss counts it)."""
        import tensorflow as tf

        if self.static:
            size = self.rows // self.steps
            return tf.nest.map_structure(lambda t: t[index * size:(index + 1) * size], self.data), 1.0 / self.steps
        start, end = index * self.rows // self.steps, (index + 1) * self.rows // self.steps
        share = tf.cast(end - start, tf.float32) / tf.cast(self.rows, tf.float32)
        end = tf.maximum(end, start + 1)
        return tf.nest.map_structure(lambda t: t[start:end], self.data), share
