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


def warn(message: str) -> None:
    """A problem the run goes on with: one line, ``[warning] ...``, among the run's ``[data]`` and ``[model]`` lines."""
    print(f"[warning] {message}", flush=True)


class ModelError(KerastxError):
    """A model name, path or configuration cannot be resolved into a TensorFlow model."""


class CallbackError(KerastxError):
    """A Keras callback cannot work as used: it has no model to evaluate yet, or is not a tf-keras callback."""


class NotTfKerasCallbackError(CallbackError, TypeError):
    """A callback given to tf-keras ``fit``/``evaluate``/``predict`` is not a ``tf_keras.callbacks.Callback``
    (e.g. a Keras 3 one)."""


class CheckpointError(KerastxError):
    """A checkpoint cannot be written, or does not fit the model it is restored into."""


class ExportError(KerastxError):
    """A run that cannot be exported for serving, or an export that does not answer as the trained model does."""


class NonFiniteLossError(KerastxError):
    """The training loss became NaN or infinite; the last good checkpoint is kept."""


class TrainingStopped(Exception):
    """A signal (SIGTERM from a preemption, Ctrl-C) stopped training after a checkpoint was saved.
    Entry points print the message and exit with ``exit_status`` (128 + the signal's number: 143, 130)."""

    def __init__(self, message: str, exit_status: int):
        super().__init__(message)
        self.exit_status = exit_status
