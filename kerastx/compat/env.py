"""The environment variables kerastx sets, and how to put back what was there before.

TensorFlow reads these once, when it is imported, so setting them only works before ``import tensorflow``
and :func:`restore` does not change a TensorFlow that is already loaded: it gives the environment (and the
subprocesses started from it) back its own values.

- ``TF_USE_LEGACY_KERAS=1`` (unless set): Hugging Face TF models are tf-keras (Keras 2) models, so ``tf.keras``
  must be ``tf_keras``; a Keras-3 optimizer, callback or precision policy silently breaks them.
- ``TF_ENABLE_ONEDNN_OPTS=1`` (unless set): off by default on AMD CPUs, where it nearly doubles matmul speed.
- ``TF_CPP_MIN_LOG_LEVEL=2`` (unless set): TensorFlow's C++ INFO and WARNING lines stay out of a run's log;
  an entry point's ``--verbose`` sets it to 0.
"""

from __future__ import annotations

import os
import sys

DEFAULTS = {"TF_USE_LEGACY_KERAS": "1", "TF_ENABLE_ONEDNN_OPTS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}

# What each variable kerastx set held before its first change (None: it was not set), and what kerastx set.
_before: dict[str, str | None] = {}
_set: dict[str, str] = {}


def put(name: str, value: str) -> None:
    """Set ``name`` to ``value``, remembering the value it had before kerastx first changed it."""
    _before.setdefault(name, os.environ.get(name))
    os.environ[name] = _set[name] = value


def install() -> None:
    """Set each of :data:`DEFAULTS` the user has not set; refuse a TensorFlow that already runs Keras 3."""
    for name, value in DEFAULTS.items():
        if name not in os.environ:
            put(name, value)
    if os.environ["TF_USE_LEGACY_KERAS"] != "1":
        raise ImportError("kerastx needs TF_USE_LEGACY_KERAS=1 (Hugging Face TF models are Keras 2 models); "
                          f"it is set to {os.environ['TF_USE_LEGACY_KERAS']!r}.")
    keras = sys.modules.get("keras")
    if "tensorflow" in sys.modules and keras is not None and keras.__version__.startswith("3"):
        # Keras 3 as tf.keras has a __version__; tf_keras behind TensorFlow's lazy tf.keras shows none
        if getattr(sys.modules["tensorflow"].keras, "__version__", "2").startswith("3"):
            raise ImportError("TensorFlow was imported with Keras 3 as tf.keras before kerastx. Import kerastx "
                              "first, or set TF_USE_LEGACY_KERAS=1 before importing TensorFlow.")


def is_installed() -> bool:
    """Whether a variable still holds the value kerastx set."""
    return any(os.environ.get(name) == value for name, value in _set.items())


def uninstall() -> None:
    """Give each variable kerastx set its value from before (unset it if it had none); a value someone else
    set since is left alone."""
    for name, value in list(_set.items()):
        if os.environ.get(name) == value:
            if _before[name] is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = _before[name]
        del _set[name], _before[name]
