"""Pushes folders to a Hugging Face Hub model repo over HTTP, in the background, without ever failing training.

No git or git-lfs: ``huggingface_hub.HfApi.upload_folder`` sends the files (large ones through the Hub's LFS
storage) and makes one commit. One worker thread uploads; training only waits for a copy of the folder.

huggingface_hub gives its upload requests no timeout, so a hub that accepts the connection and never answers would
hold a push, and the end of a run waiting for the last one, for ever: every request of a push here waits at most
``request_timeout`` seconds for an answer (:func:`_requests_bounded`).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import requests
from huggingface_hub import HfApi
from huggingface_hub.utils import (are_progress_bars_disabled, disable_progress_bars, enable_progress_bars,
                                   filter_repo_objects, get_session)

# HTTP statuses worth another try: the server is busy or briefly broken. Others (401 wrong token, 403 no write
# access, 404 no such namespace, 400 bad card) will fail the same way again; the next push tries afresh.
_TRANSIENT_STATUSES = {408, 429, 500, 502, 503, 504}
_MAX_DELAY = 60.0
# Seconds a hub request may go unanswered: the Hub answers in well under a second, a commit of many files in a few
# seconds. It bounds each wait on the network (for an answer, or for the link to take the next piece of a file being
# sent), not a whole upload.
DEFAULT_REQUEST_TIMEOUT = 60.0


@dataclass(frozen=True)
class PushResult:
    """What became of one push: ``status`` is "pushed", "failed" (after ``attempts`` tries) or "dropped" (a newer
    push replaced it before it reached the hub); ``error`` is the last error, on one line."""

    commit_message: str
    status: str
    error: str | None = None
    attempts: int = 0
    commit: str | None = None  # the hub commit id, when pushed

    @property
    def ok(self) -> bool:
        return self.status == "pushed"


@dataclass(eq=False)
class _Request:
    snapshot: Path
    commit_message: str
    done: threading.Event = field(default_factory=threading.Event)
    result: PushResult | None = None


class HubUploader:
    """Uploads folders to the hub model repo ``repo_id`` from one background thread.

    ``push`` copies the folder into a private snapshot (so that training may overwrite it during the
    upload) and returns at once. While an upload runs, only the latest push waits: a newer one replaces
    it ("latest wins"), since it holds newer weights. A failed upload is logged on one ``[hub]`` line,
    retried with exponential backoff (``first_delay``, doubled up to 60 s, ``attempts`` tries in all) when
    the failure is transient (no connection, 5xx, 429), and recorded in :attr:`results`; it is never raised,
    and local files are never touched. A request the Hub leaves unanswered for ``request_timeout`` seconds
    fails its push at once, without retries that would each wait as long: the next push tries afresh. The
    repo is created (``private`` if asked) on the first upload that reaches the hub; ``repo_id`` then holds
    its full name ("user/name" for "name").

    ``token=None`` uses ``HF_TOKEN`` or the token saved by ``hf auth login``.

    Example::

        uploader = HubUploader("my-org/mrpc-bert", private=True)
        uploader.push("runs/mrpc", "Training in progress epoch 1")
        ...
        uploader.push("runs/mrpc", "End of training")
        uploader.close()  # waits for the last push
        print(uploader.results[-1])  # PushResult(commit_message='End of training', status='pushed', ...)
    """

    def __init__(self, repo_id: str, *, token: str | None = None, private: bool = False, attempts: int = 5,
                 first_delay: float = 2.0, request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
                 log: Callable[[str], None] | None = None):
        self.repo_id = repo_id
        self.private = private
        self.attempts = max(1, attempts)
        self.first_delay = first_delay
        self.request_timeout = request_timeout
        self.results: list[PushResult] = []
        self._api = HfApi(token=token)
        self._log = log or _print_to_stderr
        self._repo_created = False
        self._changed = threading.Condition()
        self._pending: _Request | None = None
        self._running: _Request | None = None
        self._worker: threading.Thread | None = None
        self._closed = False

    @property
    def last_error(self) -> str | None:
        """The error of the latest push that failed, if the latest finished push failed."""
        return self.results[-1].error if self.results and self.results[-1].status == "failed" else None

    def push(self, folder, commit_message: str, wait: bool = False,
             ignore_patterns: list[str] | str | None = None) -> PushResult | None:
        """Queues the files of ``folder`` (less ``ignore_patterns``, as in ``upload_folder``) for one commit.
        With ``wait``, returns its :class:`PushResult` once it is settled; otherwise returns None at once."""
        try:
            snapshot = _snapshot(Path(folder), ignore_patterns)
        except OSError as err:
            return self._settle(_Request(Path(), commit_message), "failed", f"cannot copy {folder}: {_one_line(err)}")
        request = _Request(snapshot, commit_message)
        with self._changed:
            if self._closed:
                shutil.rmtree(snapshot, ignore_errors=True)
                return self._settle(request, "dropped", "the uploader is closed")
            replaced, self._pending = self._pending, request
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="kerastx-hub-upload", daemon=True)
                self._worker.start()
            self._changed.notify_all()  # wakes a retry that waits, so that it gives way to this push
        if replaced is not None:
            shutil.rmtree(replaced.snapshot, ignore_errors=True)
            self._settle(replaced, "dropped", f"replaced by the newer push {commit_message!r}")
        if wait:
            request.done.wait()
            return request.result
        return None

    def wait(self, timeout: float | None = None) -> bool:
        """Blocks until no push is running or waiting; False if ``timeout`` seconds passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._pending is None and self._running is None, timeout)

    def close(self, wait: bool = True, timeout: float | None = None) -> bool:
        """Refuses further pushes; with ``wait``, blocks until the queued ones are settled (False on timeout)."""
        with self._changed:
            self._closed = True
        return self.wait(timeout) if wait else True

    def _work(self) -> None:
        while True:
            with self._changed:
                if self._pending is None:
                    self._worker = None  # the next push starts a new worker
                    return
                request, self._pending, self._running = self._pending, None, self._pending
            try:
                status, error, attempts, commit = self._upload_with_retries(request)
            except Exception as err:  # a bug here must not kill the worker and leave close() waiting
                status, error, attempts, commit = "failed", _one_line(err), 0, None
            finally:
                shutil.rmtree(request.snapshot, ignore_errors=True)
            self._settle(request, status, error, attempts, commit)
            with self._changed:
                self._running = None
                self._changed.notify_all()

    def _upload_with_retries(self, request: _Request):
        message = request.commit_message
        for attempt in range(1, self.attempts + 1):
            try:
                return "pushed", None, attempt, self._upload(request)
            except Exception as err:  # whatever the hub or the network does, training goes on
                error = (f"the Hub did not answer within {self.request_timeout:g}s" if _unanswered(err)
                         else _one_line(err))
                if not _transient(err):
                    self._log(f"[hub] push {message!r} to {self.repo_id} failed: {error} (not retried)")
                    return "failed", error, attempt, None
                if attempt == self.attempts:
                    self._log(f"[hub] push {message!r} to {self.repo_id} failed {attempt} times, giving up: {error}")
                    return "failed", error, attempt, None
                delay = min(self.first_delay * 2 ** (attempt - 1), _MAX_DELAY)
                self._log(f"[hub] push {message!r} to {self.repo_id} failed (attempt {attempt}/{self.attempts}): "
                          f"{error}; retrying in {delay:g}s")
                with self._changed:
                    if self._changed.wait_for(lambda: self._pending is not None, delay):
                        return "dropped", f"{error}; a newer push replaced it", attempt, None

    def _upload(self, request: _Request) -> str:
        with _requests_bounded(self.request_timeout):
            if not self._repo_created:
                self.repo_id = self._api.create_repo(self.repo_id, private=self.private, exist_ok=True).repo_id
                self._repo_created = True
            with _without_progress_bars():
                info = self._api.upload_folder(repo_id=self.repo_id, folder_path=request.snapshot,
                                               commit_message=request.commit_message)
        return info.oid

    def _settle(self, request: _Request, status: str, error: str | None = None, attempts: int = 0,
                commit: str | None = None) -> PushResult:
        request.result = PushResult(request.commit_message, status, error, attempts, commit)
        if status == "pushed":
            self._log(f"[hub] pushed {request.commit_message!r} to {self.repo_id} (commit {commit[:7]})")
        elif status == "dropped":
            self._log(f"[hub] dropped push {request.commit_message!r}: {error}")
        elif attempts == 0:
            self._log(f"[hub] push {request.commit_message!r} failed: {error}")
        with self._changed:
            self.results.append(request.result)
        request.done.set()
        return request.result


def _snapshot(folder: Path, ignore_patterns) -> Path:
    """A private copy of the files to upload. Copies, not hard links: ``save_pretrained`` rewrites tf_model.h5
    in place, which would change a linked snapshot during its upload."""
    if not folder.is_dir():
        raise NotADirectoryError(f"no such folder: {folder}")
    files = sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())
    snapshot = Path(tempfile.mkdtemp(prefix="kerastx-hub-"))
    try:
        for relative in filter_repo_objects(files, ignore_patterns=ignore_patterns):
            target = snapshot / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / relative, target)
    except OSError:
        shutil.rmtree(snapshot, ignore_errors=True)
        raise
    return snapshot


@contextmanager
def _without_progress_bars():
    """huggingface_hub's upload bars, drawn from this thread, would cut through Keras' progress bar; the
    [hub] lines say what happened. Its switch is global: downloads elsewhere lose their bars meanwhile."""
    if are_progress_bars_disabled():
        yield
        return
    disable_progress_bars()
    try:
        yield
    finally:
        enable_progress_bars()


class _Bounded(requests.adapters.BaseAdapter):
    """An HTTP adapter that gives each request ``seconds`` to answer, where it was given no timeout."""

    def __init__(self, adapter: requests.adapters.BaseAdapter, seconds: float):
        super().__init__()
        self.adapter, self.seconds = adapter, seconds

    def send(self, request, stream=False, timeout=None, **kwargs):
        return self.adapter.send(request, stream=stream, timeout=self.seconds if timeout is None else timeout, **kwargs)

    def close(self):
        self.adapter.close()


@contextmanager
def _requests_bounded(seconds: float):
    """Inside the block, the requests huggingface_hub makes from this thread (through its per-thread session) wait
    at most ``seconds`` for an answer; the session's own adapters are back after it."""
    session = get_session()
    adapters = dict(session.adapters)
    for prefix, adapter in adapters.items():
        session.mount(prefix, _Bounded(adapter, seconds))
    try:
        yield
    finally:
        for prefix, adapter in adapters.items():
            session.mount(prefix, adapter)


def _unanswered(error: BaseException) -> bool:
    """True when a request was sent and its answer did not come in time."""
    while error is not None:
        if isinstance(error, requests.ReadTimeout):
            return True
        error = error.__cause__
    return False


def _transient(error: BaseException) -> bool:
    """True for a failure that may pass: no connection, or a busy or broken server. Not a request left unanswered
    (:func:`_unanswered`): trying again would wait as long again, and a commit may still be under way there."""
    if _unanswered(error):
        return False
    while error is not None:  # huggingface_hub wraps some errors (an LFS upload's) in a RuntimeError
        if isinstance(error, (requests.ConnectionError, requests.Timeout)):
            return True
        if isinstance(error, requests.HTTPError) and error.response is not None:
            return error.response.status_code in _TRANSIENT_STATUSES
        error = error.__cause__
    return False


def _one_line(error: BaseException) -> str:
    """huggingface_hub's errors span several lines (status, url, server message, request id)."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _print_to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
