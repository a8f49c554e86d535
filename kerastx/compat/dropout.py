"""Dropout whose random state a checkpoint can hold, for one training run.

tf-keras' dropout layers draw from stateful random ops by default, which keep their state inside the kernels,
so a resumed run would draw other dropout masks than the run it continues. ``enable_tf_random_generator()``
makes the layers built from then on draw from ``tf.random.Generator``s, which
:mod:`kerastx.training.checkpoints` saves. The switch is process-wide; :func:`checkpointable_dropout` holds it
for a block and puts back what was there.
"""

from __future__ import annotations

import contextlib

from kerastx.compat.keras import tf_keras

_turned_on = False  # by an open checkpointable_dropout block


@contextlib.contextmanager
def checkpointable_dropout():
    """Dropout layers built in the block draw from ``tf.random.Generator``s; build the model inside it."""
    global _turned_on
    experimental = tf_keras.backend.experimental
    turns_on = not experimental.is_tf_random_generator_enabled()
    experimental.enable_tf_random_generator()
    _turned_on = _turned_on or turns_on
    try:
        yield
    finally:
        if turns_on:
            uninstall()


def is_installed() -> bool:
    return _turned_on and tf_keras.backend.experimental.is_tf_random_generator_enabled()


def uninstall() -> None:
    """Stateful random ops again for the dropout layers built from now on, if kerastx switched them off."""
    global _turned_on
    if _turned_on:
        tf_keras.backend.experimental.disable_tf_random_generator()
    _turned_on = False
