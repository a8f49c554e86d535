"""``transformers.pipeline(..., framework="tf")`` without torch installed.

transformers 4.57's ``pipeline()`` defaults to ``dtype="auto"`` and resolves any string dtype with
``hasattr(torch, dtype)``; with no torch that is ``NameError: name 'torch' is not defined`` before a
TF model is even looked at. A dtype is a torch notion, so where torch is absent ``import kerastx``
makes the default ``dtype=None`` (what the caller would otherwise have to pass), and changes nothing
where torch is installed.

The patch waits for ``transformers.pipelines`` to be imported (an import hook), so ``import kerastx``
stays light: it imports neither transformers nor TensorFlow. Code that took a reference to
``pipeline`` before ``import kerastx`` keeps the unpatched function: import kerastx first.

:func:`uninstall` removes the hook and gives ``transformers.pipelines`` (and ``transformers``) back the unwrapped
``pipeline``. A wrapper it cannot reach passes calls through unchanged from then on: importing
``transformers.pipelines`` puts a second ``transformers`` module in ``sys.modules``, and the first one, which
``import transformers`` gave the caller, caches the wrapper on its first ``transformers.pipeline``.
"""

from __future__ import annotations

import functools
import importlib.abc
import sys

PIPELINES = "transformers.pipelines"

_installed = False  # between install() and uninstall(): the wrappers change the dtype default


def torchless_default(pipeline):
    """``pipeline`` with ``dtype=None`` instead of its ``"auto"`` default when torch is not installed (while
    this patch is installed)."""
    if getattr(pipeline, "__kerastx_torchless__", False):
        return pipeline

    @functools.wraps(pipeline)
    def wrapper(*args, **kwargs):
        if _installed and kwargs.get("dtype", "auto") == "auto":
            from transformers.utils import is_torch_available

            if not is_torch_available():
                kwargs["dtype"] = None
        return pipeline(*args, **kwargs)

    wrapper.__kerastx_torchless__ = True
    return wrapper


def patch(module) -> None:
    """Wrap ``pipeline`` in an imported ``transformers.pipelines`` (and in ``transformers``, if it cached it)."""
    module.pipeline = torchless_default(module.pipeline)
    transformers = sys.modules.get("transformers")
    if transformers is not None and "pipeline" in vars(transformers):
        transformers.pipeline = module.pipeline


class _PatchingLoader(importlib.abc.Loader):
    """Runs the real loader, then :func:`patch`; anything else is the real loader's."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        patch(module)

    def __getattr__(self, name):
        return getattr(self.loader, name)


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Finds ``transformers.pipelines`` with the other finders and patches it once it has run."""

    def find_spec(self, fullname, path, target=None):
        if fullname != PIPELINES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _PatchingLoader(spec.loader)
                return spec
        return None


def install() -> None:
    """Patch ``transformers.pipelines`` now if it is imported, else when it is; idempotent."""
    global _installed
    _installed = True
    if PIPELINES in sys.modules:
        patch(sys.modules[PIPELINES])
    elif not any(isinstance(finder, _PatchOnImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _PatchOnImport())


def is_installed() -> bool:
    return _installed


def uninstall() -> None:
    """Remove the import hook, unwrap ``pipeline`` where it can, and make every wrapper pass calls through."""
    global _installed
    _installed = False
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, _PatchOnImport)]
    for module in (sys.modules.get(PIPELINES), sys.modules.get("transformers")):
        pipeline = vars(module).get("pipeline") if module is not None else None
        if getattr(pipeline, "__kerastx_torchless__", False):
            module.pipeline = pipeline.__wrapped__
