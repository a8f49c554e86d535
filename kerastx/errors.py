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
