"""Mixed precision for tf-keras models (a Keras-3 policy has no effect on Hugging Face TF models)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def set_precision(policy: str, model_name: str = "") -> None:
    """Set the global tf-keras policy; must run before the model is built."""
    import tf_keras

    name = "float32" if policy == "fp32" else policy
    if name == "mixed_float16" and "t5" in model_name.lower():
        log.warning("T5 models give NaN losses under mixed_float16; prefer mixed_bfloat16 or fp32")
    tf_keras.mixed_precision.set_global_policy(name)
    if name != "float32":
        python_float_embed_scale()


# Encoder/decoder stacks that multiply embeddings by ``tf.math.sqrt(d_model)`` (``scale_embedding``).
_SCALED_EMBEDDING_MODELS = ("bart", "blenderbot", "blenderbot_small", "marian", "mbart", "pegasus")


def python_float_embed_scale() -> None:
    """Marian, BART and their kin keep ``embed_scale`` as a float32 tensor, so building them under a
    mixed policy fails (float32 times bfloat16 embeddings). Make it a Python float, which takes the
    embeddings' dtype; under float32 nothing changes. Patches the classes once, before any is built.
    """
    import functools
    import importlib

    import tensorflow as tf

    for name in _SCALED_EMBEDDING_MODELS:
        module = importlib.import_module(f"transformers.models.{name}.modeling_tf_{name}")
        for cls in vars(module).values():
            if (not isinstance(cls, type) or cls.__module__ != module.__name__ or "_kerastx_float_scale" in vars(cls)
                    or not cls.__name__.endswith(("Encoder", "Decoder"))):
                continue

            @functools.wraps(cls.__init__)
            def init(self, *args, _original=cls.__init__, **kwargs):
                _original(self, *args, **kwargs)
                if isinstance(getattr(self, "embed_scale", None), tf.Tensor):
                    self.embed_scale = float(tf.get_static_value(self.embed_scale))

            cls.__init__ = init
            cls._kerastx_float_scale = True


def float32_logits(model) -> None:
    """Make ``model`` return float32 logits under a mixed policy, as the Keras mixed-precision guide
    advises for a model's outputs. Hugging Face TF models return them in the compute dtype
    (bfloat16/float16), which beam search and logits processors cannot add to their float32 scores.
    """
    import functools

    import tensorflow as tf

    if model.compute_dtype == "float32":
        return
    compute_call = model.call

    @functools.wraps(compute_call)  # generate() checks its arguments against call's signature
    def call_with_float32_logits(*args, **kwargs):
        outputs = compute_call(*args, **kwargs)
        if getattr(outputs, "logits", None) is not None:
            outputs.logits = tf.cast(outputs.logits, tf.float32)
        return outputs

    model.call = call_with_float32_logits
