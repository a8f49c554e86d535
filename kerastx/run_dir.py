"""The run directory: written in a staging folder beside it and moved into place only when the run
succeeds, so that ``<output_dir>`` is never half-written.

The staging folder, ``.<name>.partial``, is also what an interrupted run resumes from: it holds the
run's checkpoints and its ``config.yaml``. It is kept when a run stops after its first checkpoint (a
kill, a preemption, a NaN loss, a full disk), and removed when a run fails before it (bad input), so a
re-run of the same command continues where the last checkpoint left off.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path

import yaml

from kerastx.config import parse_yaml
from kerastx.errors import ConfigError, KerastxError
from kerastx.utf8 import read_utf8

CHECKPOINTS = "checkpoints"


class RunDirectory:
    """Context manager around ``<output_dir>``; files go to ``self.path`` (the staging folder) until exit.

    ``resume``: None continues an interrupted run found in the staging folder (and starts a new one where
    there is none), True requires one, False discards it. ``self.resuming`` says which happened.

    In multi-worker training, every ``worker`` but the chief writes the checkpoints it must take part in
    (and resume from) into a staging folder of its own (``.<name>.worker-1.partial``), removed when the run
    succeeds: only the chief's run is kept.

    Example::

        with RunDirectory("runs/mrpc", overwrite=True) as run:
            run.write_yaml("config.yaml", {...})
        # runs/mrpc now exists, complete
    """

    def __init__(self, output_dir: str | os.PathLike, overwrite: bool = False, resume: bool | None = None,
                 keep_checkpoints: bool = False, worker: str | None = None):
        self.worker = worker
        self.final = Path(output_dir)
        if self.final.exists() and not self.final.is_dir():
            raise ConfigError(f"output_dir {self.final} is a file, not a directory")
        if self.final.exists() and not overwrite and worker is None:
            raise ConfigError(f"output_dir {self.final} already exists; pass --overwrite_output_dir to replace it")
        self.path = self.final.with_name(f".{self.final.name}.{worker}.partial" if worker else
                                         f".{self.final.name}.partial")
        self.resume = resume
        self.keep_checkpoints = keep_checkpoints
        self.resuming = False
        self.finished = False  # the run was moved into place
        self._lock = None
        if resume and not self.will_resume:
            raise ConfigError(f"--resume: there is no interrupted run of {self.final} to resume "
                              f"(no checkpoint in {self.path})")

    @property
    def checkpoints(self) -> Path:
        return self.path / CHECKPOINTS

    @property
    def will_resume(self) -> bool:
        """Whether entering continues an interrupted run (there is a checkpoint, and resuming is not refused)."""
        return self.resume is not False and has_checkpoint(self.checkpoints)

    def __enter__(self) -> "RunDirectory":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._remove_stale_staging()
            self._take_lock()
        except OSError as err:
            raise ConfigError(f"output_dir {self.final}: cannot write in {self.path.parent} "
                              f"({err.strerror or err})") from None
        self.resuming = self.will_resume
        if not self.resuming:
            self._clear()
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is not None:
                if not has_checkpoint(self.checkpoints):
                    shutil.rmtree(self.path, ignore_errors=True)
                return False
            if self.worker is not None:  # only the chief's run is kept
                shutil.rmtree(self.path, ignore_errors=True)
                return False
            if not self.keep_checkpoints:
                shutil.rmtree(self.checkpoints, ignore_errors=True)
            (self.path / ".lock").unlink(missing_ok=True)
            try:
                if self.final.exists():
                    shutil.rmtree(self.final)
                self.path.rename(self.final)
                self.finished = True
            except OSError as err:
                raise KerastxError(f"cannot move the finished run from {self.path} to {self.final}: "
                                   f"{err.strerror or err}") from None
            return False
        finally:
            self._release_lock()

    def saved_config(self) -> dict | None:
        """The ``config.yaml`` of the interrupted run being resumed (None when there is none)."""
        file = self.path / "config.yaml"
        return parse_yaml(read_utf8(file, ConfigError), str(file)) if file.is_file() else None

    def write_yaml(self, name: str, data) -> Path:
        return self.write_text(name, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))

    def write_json(self, name: str, data) -> Path:
        return self.write_text(name, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    def write_text(self, name: str, text: str) -> Path:
        target = self.path / name
        target.write_text(text, encoding="utf-8")
        return target

    def _take_lock(self) -> None:
        """One run at a time per output_dir: a second one would interleave its checkpoints with ours."""
        self.path.mkdir(exist_ok=True)
        self._lock = open(self.path / ".lock", "a+")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.seek(0)
            holder = self._lock.read().strip() or "another process"
            self._lock.close()
            self._lock = None
            raise ConfigError(f"output_dir {self.final} is being written by a run still going ({holder}); "
                              f"wait for it, or choose another --output_dir") from None
        self._lock.truncate(0)
        self._lock.write(f"pid {os.getpid()}")
        self._lock.flush()

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _clear(self) -> None:
        """A new run: empty the staging folder (an interrupted run's leftovers, or one discarded by --no-resume)."""
        for entry in self.path.iterdir():
            if entry.name != ".lock":
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()

    def _remove_stale_staging(self) -> None:
        """Staging folders of kerastx versions that named them by process (``.<name>.partial-<pid>``)."""
        for stale in self.path.parent.glob(f".{self.final.name}.partial-*"):
            shutil.rmtree(stale, ignore_errors=True)


def has_checkpoint(directory: str | os.PathLike) -> bool:
    """Whether ``directory`` holds a complete checkpoint to resume from (without loading TensorFlow)."""
    state = Path(directory) / "checkpoint"
    return state.is_file() and "model_checkpoint_path" in state.read_text(encoding="utf-8", errors="replace")
