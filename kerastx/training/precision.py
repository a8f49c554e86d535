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
