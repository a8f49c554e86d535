"""Shared fixtures: offline Hub, the real data slices in ../shared/data, tiny models."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Under pytest-xdist each worker's TensorFlow (and every process a test starts) gets its share of the cores, not
# all of them: two thread pools each as wide as the machine spin against each other on the same cores. Measured on
# 2 cores (`make test`, two workers): 16.7 min with TensorFlow's default pools, 13.2 min with one thread each.
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _WORKERS > 1:
    _SHARE = str(max(1, len(os.sched_getaffinity(0)) // _WORKERS))
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", _SHARE)
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", _SHARE)

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


# `make test-fast` (KERASTX_FAST=1) runs what neither trains nor starts a process: the tests that do are marked
# `trains` or `spawns` (pyproject.toml), by module (`pytestmark`) or by test. So that the fast set cannot grow by an
# unmarked test, in that mode a training step or a new Python process is a failure naming the marker to add.
FAST = os.environ.get("KERASTX_FAST") == "1"


def _refuse(what: str, marker: str):
    def refused(*args, **kwargs):
        pytest.fail(f"{what} in the fast set: mark the test (or its module) @pytest.mark.{marker}", pytrace=False)
    return refused


@pytest.fixture(scope="session", autouse=True)
def fast_set_guard():
    """Under KERASTX_FAST=1: ``Model.fit`` and starting Python, saved_model_cli or a notebook kernel fail."""
    if not FAST:
        yield
        return
    import subprocess
    import sys

    import tf_keras

    spawn = subprocess.Popen.__init__

    def guarded_spawn(self, args, *rest, **kwargs):
        program = Path(str(args[0] if isinstance(args, (list, tuple)) else args).split()[0]).name
        if program.startswith("python") or program in ("saved_model_cli", Path(sys.executable).name):
            _refuse(f"starting {program}", "spawns")()
        spawn(self, args, *rest, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tf_keras.Model, "fit", _refuse("Model.fit", "trains"))
        patch.setattr(subprocess.Popen, "__init__", guarded_spawn)
        yield


# `make test` runs two pytest-xdist workers, each taking whole modules (--dist loadfile, so a module's trained
# fixture is built once); the modules that take longest go first (--no-loadscope-reorder keeps this order: xdist
# would start with the modules of most tests), so that neither worker is left alone at the end.
LONGEST_FIRST = ("test_resume.py", "test_seq2seq.py", "test_question_answering.py", "test_causal_lm.py",
                 "test_accumulation.py", "test_masked_lm.py", "test_export.py", "test_token_classification.py",
                 "test_saved_runs.py", "test_launch.py", "test_serving_generation.py")


def pytest_collection_modifyitems(items):
    def rank(item):
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: each module's tests stay in their order
