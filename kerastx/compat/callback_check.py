"""A one-line error for a callback tf-keras cannot call, instead of an AttributeError deep inside ``fit``.

Hugging Face TF models are tf-keras (Keras 2) models, so their ``fit``, ``evaluate`` and ``predict`` build a
tf-keras ``CallbackList``, which calls private hooks (``_implements_train_batch_hooks``...) that only tf-keras
callbacks have. A ``keras.callbacks.Callback`` from the Keras 3 package (what ``import keras`` gives, even with
``TF_USE_LEGACY_KERAS=1``) lacks them. :func:`install` makes that list check its callbacks when it is built,
the one place all three entry points share. Duck-typed callbacks that have the hooks still pass.
:func:`uninstall` puts tf-keras' own ``CallbackList.__init__`` back.
"""

from __future__ import annotations

import functools

import tensorflow as tf
import tf_keras  # kerastx, imported first as this module's package, has pinned Keras 2

from kerastx.errors import NotTfKerasCallbackError

_TF_KERAS_HOOK = "_implements_train_batch_hooks"


def check_callback(callback) -> None:
    """Raises :class:`NotTfKerasCallbackError` for a callback tf-keras cannot call."""
    if hasattr(callback, _TF_KERAS_HOOK):
        return
    name = type(callback).__name__
    if any(cls.__module__.split(".")[0] == "keras" for cls in type(callback).__mro__):
        raise NotTfKerasCallbackError(
            f"callback {name} is a Keras 3 callback; Hugging Face TF models train with tf-keras (Keras 2): "
            "subclass tf_keras.callbacks.Callback instead of keras.callbacks.Callback")
    raise NotTfKerasCallbackError(
        f"callback {name} is not a tf-keras callback; Hugging Face TF models train with tf-keras (Keras 2): "
        "subclass tf_keras.callbacks.Callback")


def install() -> None:
    """Makes every ``tf_keras.callbacks.CallbackList`` check its callbacks as it is built (once per process)."""
    if is_installed():
        return
    callback_list = tf_keras.callbacks.CallbackList
    build = callback_list.__init__

    @functools.wraps(build)
    def checked_build(self, callbacks=None, *args, **kwargs):
        for callback in tf.nest.flatten(callbacks) if callbacks else []:
            check_callback(callback)
        build(self, callbacks, *args, **kwargs)

    checked_build.checks_callbacks = True
    callback_list.__init__ = checked_build


def is_installed() -> bool:
    return getattr(tf_keras.callbacks.CallbackList.__init__, "checks_callbacks", False)


def uninstall() -> None:
    """``CallbackList`` builds without checking again."""
    callback_list = tf_keras.callbacks.CallbackList
    if is_installed():
        callback_list.__init__ = callback_list.__init__.__wrapped__
