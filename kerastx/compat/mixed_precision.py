"""tf-keras' global mixed-precision policy, held for a block.

The policy is process-wide: every layer built while it is set computes in its dtype. Hugging Face TF models
read tf-keras' policy (a Keras-3 one has no effect on them). :func:`global_policy` sets it for a block and, under
a mixed policy, makes Marian, BART and their kin buildable (:mod:`kerastx.compat.embed_scale`); after the block,
the policy before it and the original classes are back.
"""

from __future__ import annotations

import contextlib

from kerastx.compat import embed_scale
from kerastx.compat.keras import tf_keras

_open = 0  # blocks of global_policy not left yet


@contextlib.contextmanager
def global_policy(name: str):
    """tf-keras' global policy ``name`` (a Keras policy name: ``float32``, ``mixed_bfloat16``...) in the block."""
    global _open
    previous = tf_keras.mixed_precision.global_policy()
    patched_here = name != "float32" and not embed_scale.is_installed()
    _open += 1
    try:
        tf_keras.mixed_precision.set_global_policy(name)
        if patched_here:
            embed_scale.install()
        yield
    finally:
        _open -= 1
        tf_keras.mixed_precision.set_global_policy(previous)
        if patched_here:
            embed_scale.uninstall()


def is_installed() -> bool:
    """A block holds a policy other than float32."""
    return _open > 0 and tf_keras.mixed_precision.global_policy().name != "float32"


def uninstall() -> None:
    """float32 now (the blocks still open put their previous policies back as they end)."""
    tf_keras.mixed_precision.set_global_policy("float32")
