"""Signals that ask a training run to stop or to checkpoint, handled between steps.

SIGTERM (what a preempted cloud or Colab machine gets before it is taken away) and SIGINT (Ctrl-C) ask
the run to save a checkpoint and stop at the end of the current step; a second Ctrl-C stops at once.
SIGUSR1 asks for a checkpoint now and training goes on (``kill -USR1 <pid>``).

Outside ``fit`` (reading the data, importing TensorFlow, building the model, saving, exporting) there is no step to
end, so a command ends at once: SIGTERM raises :class:`StoppedBySignal` where the program is, as Ctrl-C raises
``KeyboardInterrupt``, so that every ``with`` and ``finally`` on the way out removes what it left unfinished (a
staging folder, a temporary folder, a child process) before the entry point says what is left, on one line.
"""

from __future__ import annotations

import contextlib
import signal
import threading

STOPPING_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StoppedBySignal(BaseException):
    """SIGTERM received outside ``fit`` (see :func:`sigterm_raises`). A BaseException, as KeyboardInterrupt is,
    so that no ``except Exception`` on the way out takes it for an error to handle."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.name = signal.Signals(signum).name
        self.exit_status = 128 + signum


def stop_of(interrupt: BaseException) -> tuple[str, int]:
    """``(signal name, exit status)`` of a StoppedBySignal or a KeyboardInterrupt (Ctrl-C)."""
    if isinstance(interrupt, StoppedBySignal):
        return interrupt.name, interrupt.exit_status
    return "SIGINT", 128 + signal.SIGINT


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


@contextlib.contextmanager
def sigterm_raises():
    """Inside the block, SIGTERM raises :class:`StoppedBySignal` instead of ending the process where it stands
    (outside the main thread, where Python cannot handle signals, nothing changes). ``fit`` inside it still stops
    at the end of a step (:func:`stop_signals_caught` takes over for its duration)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_stop(signum, frame):
        raise StoppedBySignal(signum)

    previous = signal.signal(signal.SIGTERM, raise_stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)  # None: set outside Python
