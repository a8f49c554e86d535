"""Quiet start-up for the entry points: the known noise of TensorFlow and transformers is hidden, so that
a run's first lines are its own; ``--verbose`` shows everything.

What is hidden, and why it cannot be turned off where it is made:

- TensorFlow's C++ start-up messages: "oneDNN custom operations are on" and, on a machine without a GPU,
  "Could not find cuda drivers" (both once per TensorFlow library, so twice), each after absl's "All log
  messages before absl::InitializeLog() is called..." preface, and the ERROR "failed call to cuInit" when
  the devices are first listed. The first ones are logged before absl logging is set up, so
  ``TF_CPP_MIN_LOG_LEVEL`` does not reach them; they are written straight to file descriptor 2. So
  TensorFlow is loaded, and its devices listed, while descriptor 2 is caught, and every caught line that
  is not one of these is written back to stderr.
- transformers 4.x's "TensorFlow and JAX classes are deprecated" warning, logged when the first TF model
  or tokenizer output is made: true, and known (kerastx pins transformers < 5), so it says nothing new.
- the datasets library's progress bars (tokenizing, filtering) when stderr is not a terminal, where each
  redraw is another line of the log.

Everything else TensorFlow and transformers log still shows (``import kerastx`` sets
``TF_CPP_MIN_LOG_LEVEL=2`` unless it is set, which keeps C++ INFO and WARNING lines out).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile

TENSORFLOW_NOISE = (
    "All log messages before absl::InitializeLog() is called are written to STDERR",
    "oneDNN custom operations are on",
    "Could not find cuda drivers on your machine",
    "failed call to cuInit",
)
TRANSFORMERS_DEPRECATION = "TensorFlow and JAX classes are deprecated"
# The transformers modules that log TRANSFORMERS_DEPRECATION for TF models, tokenizers and pipelines.
TRANSFORMERS_DEPRECATION_LOGGERS = ("transformers.modeling_tf_utils", "transformers.tokenization_utils_base",
                                    "transformers.feature_extraction_utils", "transformers.pipelines.base")


def quiet_start_up(verbose: bool = False, load_tensorflow: bool = True) -> None:
    """Hide the known start-up noise (see the module's docstring), or with ``verbose`` show all of
    TensorFlow's C++ log. Call it in an entry point before TensorFlow loads; once TensorFlow is loaded,
    its start-up messages are already out and only the transformers warning is hidden. Without
    ``load_tensorflow``, only the Python-side noise is hidden (call it again when TensorFlow is needed)."""
    if verbose:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
        return
    hide_transformers_deprecation()
    if not sys.stderr.isatty():  # tqdm bars redrawn in a log file are hundreds of lines of carriage returns
        import datasets

        datasets.disable_progress_bars()
    if load_tensorflow and "tensorflow" not in sys.modules:
        with stderr_without(TENSORFLOW_NOISE):
            import tensorflow as tf

            tf.config.list_physical_devices()  # the CUDA probe (cuInit) happens here


class _DropMessage(logging.Filter):
    def __init__(self, start: str):
        super().__init__()
        self.start = start

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.start)


def hide_transformers_deprecation() -> None:
    """Drop transformers' "TensorFlow and JAX classes are deprecated" warning, and only that one."""
    for name in TRANSFORMERS_DEPRECATION_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropMessage) for f in logger.filters):
            logger.addFilter(_DropMessage(TRANSFORMERS_DEPRECATION))


@contextlib.contextmanager
def stderr_without(noise: tuple[str, ...]):
    """Catch what is written to file descriptor 2 (C++ libraries as well as Python) inside the block,
    then write back every line that contains none of ``noise``, also when the block raises."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            lines = caught.read().decode("utf-8", errors="replace").splitlines(keepends=True)
            sys.stderr.write("".join(line for line in lines if not any(text in line for text in noise)))
            sys.stderr.flush()
