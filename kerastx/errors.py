"""The one exception type users see: a problem they can fix (bad input, missing file, offline hub)."""


class KerastxError(Exception):
    """A user-facing error. Entry points print its message on one line and exit with status 2."""


class ConfigError(KerastxError):
    """An option, flag or YAML key is unknown, malformed or out of range."""


class DataError(KerastxError):
    """A data file or dataset is missing, empty, or lacks the columns or labels the task needs."""


def shortened(value, width: int = 60) -> str:
    """A value quoted for a one-line message, cut to ``width`` characters of text (non-text values by their repr)."""
    text = value if isinstance(value, str) else repr(value)
    return repr(text if len(text) <= width else text[:width - 3] + "...")


class ModelError(KerastxError):
    """A model name, path or configuration cannot be resolved into a TensorFlow model."""


class CallbackError(KerastxError):
    """A Keras callback cannot work as used: it has no model to evaluate yet, or is not a tf-keras callback."""


class NotTfKerasCallbackError(CallbackError, TypeError):
    """A callback given to tf-keras ``fit``/``evaluate``/``predict`` is not a ``tf_keras.callbacks.Callback``
    (e.g. a Keras 3 one)."""
