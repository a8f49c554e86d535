"""One optimizer update of a tiny BERT classifier on 32 real MRPC pairs, made from one batch or accumulated from
micro-batches, for tests/test_accumulation.py. Run as a script, it compares the two under MirroredStrategy on two
logical CPU devices (which must be set up before TensorFlow starts, hence a process of its own) and prints
``{"relative_difference": ..., "iterations": ...}``:

    python tests/accumulation_update.py MRPC_DIR
"""

import json
import sys
from pathlib import Path

import numpy as np

import kerastx  # noqa: F401  (before TensorFlow: pins Keras 2)
from kerastx.compat.keras import tf_keras
from tests_helpers import tokenized_mrpc

ROWS = 32


def mrpc_batch(mrpc_dir: Path, rows: int = ROWS):
    """``(tokenizer, batch)``: the first ``rows`` MRPC pairs as one padded batch with labels (numpy arrays)."""
    tokenizer, data, collator = tokenized_mrpc(mrpc_dir, rows=rows, vocab_size=400)
    return tokenizer, dict(collator(list(data)))


def update(tokenizer, batch: dict, accumulate: int, precision: str = "fp32", strategy=None, known_rows: bool = True,
           jit_compile: bool = False):
    """The change one update makes to each weight, with the batch trained as ``accumulate`` micro-batches (the same
    initial weights every time: no dropout, plain SGD so that the change is the gradient itself), and the
    optimizer's step count after it. ``known_rows=False`` hides the batch's row count from the traced step."""
    import tensorflow as tf
    from transformers import TFAutoModelForSequenceClassification

    from kerastx.models.scratch import ScratchSpec
    from kerastx.training.accumulation import accumulate_gradients
    from kerastx.training.optimizer import updates_after_backward
    from kerastx.training.precision import global_precision

    strategy = strategy or tf.distribute.OneDeviceStrategy("/cpu:0")
    with global_precision(precision, "scratch:bert-tiny"), strategy.scope():
        tf_keras.utils.set_random_seed(0)
        config = ScratchSpec.parse("scratch:bert-tiny").build_config(
            tokenizer, 64, num_labels=2, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
        model = TFAutoModelForSequenceClassification.from_config(config)
        model(model.dummy_inputs)
        before = [w.numpy() for w in model.trainable_weights]
        model.compile(optimizer=updates_after_backward(tf_keras.optimizers.legacy.SGD(1.0)), jit_compile=jit_compile)
        accumulate_gradients(model, accumulate)
        data = tf.data.Dataset.from_tensors(batch)
        if not known_rows:
            data = data.unbatch().batch(len(batch["labels"]))
        model.fit(data, epochs=1, verbose=0)
        changes = [w.numpy() - b for w, b in zip(model.trainable_weights, before)]
        return changes, int(model.optimizer.iterations.numpy())


def relative_difference(changes, expected) -> float:
    """``|changes - expected| / |expected|``, the update taken as one vector of every weight's change (per weight,
    a gradient that is zero but for rounding, as an attention key's bias has, has no relative size)."""
    difference = np.sqrt(sum(np.sum((got - want) ** 2) for got, want in zip(changes, expected)))
    return float(difference / np.sqrt(sum(np.sum(want ** 2) for want in expected)))


if __name__ == "__main__":
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    tokenizer, batch = mrpc_batch(Path(sys.argv[1]))
    expected, _ = update(tokenizer, batch, 1)
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert mirrored.num_replicas_in_sync == 2
    changes, iterations = update(tokenizer, batch, 4, strategy=mirrored)
    print(json.dumps({"relative_difference": relative_difference(changes, expected), "iterations": iterations}))
