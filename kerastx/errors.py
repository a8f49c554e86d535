"""The one exception type users see: a problem they can fix (bad input, missing file, offline hub)."""


class KerastxError(Exception):
    """A user-facing error. Entry points print its message on one line and exit with status 2."""


class ConfigError(KerastxError):
    """An option, flag or YAML key is unknown, malformed or out of range."""


class DataError(KerastxError):
    """A data file or dataset is missing, empty, or lacks the columns or labels the task needs."""


class ModelError(KerastxError):
    """A model name, path or configuration cannot be resolved into a TensorFlow model."""
