"""The run directory: written in a staging folder and moved into place only when the run succeeds,
so a failed or interrupted run never leaves a half-written output behind."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import yaml

from kerastx.errors import ConfigError


class RunDirectory:
    """Context manager around ``<output_dir>``; files go to ``self.path`` (the staging folder) until exit.

    Example::

        with RunDirectory("runs/mrpc", overwrite=True) as run:
            run.write_yaml("config.yaml", {...})
        # runs/mrpc now exists, complete
    """

    def __init__(self, output_dir: str | os.PathLike, overwrite: bool = False):
        self.final = Path(output_dir)
        if self.final.exists() and not overwrite:
            raise ConfigError(f"output_dir {self.final} already exists; pass --overwrite_output_dir to replace it")
        if self.final.exists() and not self.final.is_dir():
            raise ConfigError(f"output_dir {self.final} is a file, not a directory")
        self.path = self.final.with_name(f".{self.final.name}.partial-{os.getpid()}")

    def __enter__(self) -> "RunDirectory":
        shutil.rmtree(self.path, ignore_errors=True)
        self.path.mkdir(parents=True)
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            return False
        if self.final.exists():
            shutil.rmtree(self.final)
        self.path.rename(self.final)
        return False

    def write_yaml(self, name: str, data) -> Path:
        target = self.path / name
        target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        return target

    def write_json(self, name: str, data) -> Path:
        target = self.path / name
        target.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return target
