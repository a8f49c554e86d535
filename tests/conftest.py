"""Shared fixtures: offline Hub, the real data slices in ../shared/data, tiny models."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

import kerastx  # noqa: E402,F401  (pins Keras 2 before any test imports TensorFlow)

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("KERASTX_SHARED_DATA", ROOT.parent / "shared" / "data"))


def _shared(relative: str) -> Path:
    path = SHARED_DATA / relative
    if not path.exists():
        message = f"shared data not found: {path} (clone with ../shared beside the repository)"
        if os.environ.get("KERASTX_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def shared_data():
    """``shared_data("mrpc")``: a path under ../shared/data, or a skip (a failure in CI) when it is absent."""
    return _shared


@pytest.fixture
def mrpc_dir() -> Path:
    """The GLUE MRPC files (train.tsv, dev.tsv)."""
    return _shared("mrpc")
