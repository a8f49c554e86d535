"""Signals that ask a training run to stop or to checkpoint, handled between steps.

SIGTERM (what a preempted cloud or Colab machine gets before it is taken away) and SIGINT (Ctrl-C) ask
the run to save a checkpoint and stop at the end of the current step; a second Ctrl-C stops at once.
SIGUSR1 asks for a checkpoint now and training goes on (``kill -USR1 <pid>``).
"""

from __future__ import annotations

import contextlib
import signal
import threading

STOPPING_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopRequests:
    """What the signals received so far ask for; read by the checkpoint callback after each step."""

    def __init__(self):
        self.stop_signal: int | None = None
        self.save_requested = False

    def take_save_request(self) -> bool:
        requested, self.save_requested = self.save_requested, False
        return requested

    def _on_signal(self, signum, frame):
        if signum == signal.SIGUSR1:
            self.save_requested = True
        elif signum == signal.SIGINT and self.stop_signal == signal.SIGINT:
            raise KeyboardInterrupt  # pressed twice: stop now, without a checkpoint
        else:
            self.stop_signal = signum
            print(f"[stop] {signal.Signals(signum).name}: saving a checkpoint at the end of this step", flush=True)


@contextlib.contextmanager
def stop_signals_caught():
    """Inside the block, SIGTERM/SIGINT/SIGUSR1 are recorded in the yielded :class:`StopRequests` instead of
    ending the process; the previous handlers are back after it. Outside the main thread (where Python cannot
    handle signals) the requests stay empty."""
    requests = StopRequests()
    if threading.current_thread() is not threading.main_thread():
        yield requests
        return
    caught = (*STOPPING_SIGNALS, signal.SIGUSR1)
    previous = {signum: signal.signal(signum, requests._on_signal) for signum in caught}
    try:
        yield requests
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
