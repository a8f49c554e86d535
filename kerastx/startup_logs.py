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
- transformers' "TensorFlow and JAX classes are deprecated" warning and, when stderr is not a terminal, the
  datasets library's progress bars: see :mod:`kerastx.compat.quiet_logs` (which also undoes it).

Everything else TensorFlow and transformers log still shows (``import kerastx`` sets
``TF_CPP_MIN_LOG_LEVEL=2`` unless it is set, which keeps C++ INFO and WARNING lines out).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile

from kerastx.compat import env, quiet_logs

TENSORFLOW_NOISE = (
    "All log messages before absl::InitializeLog() is called are written to STDERR",
    "oneDNN custom operations are on",
    "Could not find cuda drivers on your machine",
    "failed call to cuInit",
)


def quiet_start_up(verbose: bool = False, load_tensorflow: bool = True) -> None:
    """Hide the known start-up noise (see the module's docstring), or with ``verbose`` show all of
    TensorFlow's C++ log. Call it in an entry point before TensorFlow loads; once TensorFlow is loaded,
    its start-up messages are already out and only the transformers warning is hidden. Without
    ``load_tensorflow``, only the Python-side noise is hidden (call it again when TensorFlow is needed)."""
    if verbose:
        env.put("TF_CPP_MIN_LOG_LEVEL", "0")
        return
    # tqdm bars redrawn in a log file are hundreds of lines of carriage returns
    quiet_logs.install(hide_progress_bars=not sys.stderr.isatty())
    if load_tensorflow and "tensorflow" not in sys.modules:
        with stderr_without(TENSORFLOW_NOISE):
            import tensorflow as tf

            tf.config.list_physical_devices()  # the CUDA probe (cuInit) happens here


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
