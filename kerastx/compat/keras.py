"""The Keras that Hugging Face TF models use: tf-keras (Keras 2), never a Keras-3 ``keras``."""

import kerastx  # noqa: F401  (pins TF_USE_LEGACY_KERAS before TensorFlow loads)
import tf_keras  # noqa: E402

from kerastx.compat import callback_check  # noqa: E402

callback_check.install()  # a Keras 3 callback given to fit: one line that says so, not an AttributeError

__all__ = ["tf_keras"]
