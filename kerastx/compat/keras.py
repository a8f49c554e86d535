"""The Keras that Hugging Face TF models use: tf-keras (Keras 2), never a Keras-3 ``keras``."""

import tf_keras  # kerastx, imported first as this module's package, has pinned TF_USE_LEGACY_KERAS

from kerastx.compat import callback_check

callback_check.install()  # a Keras 3 callback given to fit: one line that says so, not an AttributeError

__all__ = ["tf_keras"]
