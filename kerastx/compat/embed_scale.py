"""Marian, BART and their kin built under a mixed-precision policy.

Their encoder and decoder stacks keep ``embed_scale`` (``sqrt(d_model)``, with ``scale_embedding``) as a
float32 tensor, so building them under a bfloat16 or float16 policy fails: float32 times bfloat16 embeddings.
:func:`install` wraps the ``__init__`` of each ``*Encoder``/``*Decoder`` class of these transformers TF modules
to turn it into a Python float, which takes the embeddings' dtype; under float32 nothing changes. It must run
before the model is built; :func:`uninstall` puts the original ``__init__`` back (models built meanwhile keep
their float).
"""

from __future__ import annotations

import functools
import importlib

MODELS = ("bart", "blenderbot", "blenderbot_small", "marian", "mbart", "pegasus")

_originals: dict[type, object] = {}  # each patched class: the __init__ it defined itself (None: it inherited one)


def _stacks():
    for name in MODELS:
        module = importlib.import_module(f"transformers.models.{name}.modeling_tf_{name}")
        for cls in vars(module).values():
            if (isinstance(cls, type) and cls.__module__ == module.__name__
                    and cls.__name__.endswith(("Encoder", "Decoder"))):
                yield cls


def install() -> None:
    """Patch every encoder and decoder stack of :data:`MODELS` not patched yet."""
    import tensorflow as tf

    for cls in _stacks():
        if cls in _originals:
            continue

        @functools.wraps(cls.__init__)
        def init(self, *args, _original=cls.__init__, **kwargs):
            _original(self, *args, **kwargs)
            if isinstance(getattr(self, "embed_scale", None), tf.Tensor):
                self.embed_scale = float(tf.get_static_value(self.embed_scale))

        _originals[cls] = vars(cls).get("__init__")
        cls.__init__ = init


def is_installed() -> bool:
    return bool(_originals)


def uninstall() -> None:
    """Give each patched class its own ``__init__`` back."""
    while _originals:
        cls, original = _originals.popitem()
        if original is None:
            del cls.__init__
        else:
            cls.__init__ = original
