"""kerastx's packages stand in floors: a module imports from its own package or from packages below it, never
above, and no modules import each other in a circle. Imports inside functions count (they are how kerastx keeps
TensorFlow out of ``--help``, not a way around the order). ``__main__`` modules are entry points run as scripts,
so they may import anything."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kerastx"

# Bottom first. "kerastx" is kerastx/__init__.py (the Keras 2 pin); a plain module counts as a package of its own.
FLOORS = [
    "errors", "compat", "strict_yaml", "utf8", "transformers_flags", "hub", "hub_upload", "startup_logs",
    "kerastx", "predictor", "metrics", "models", "config", "data", "report", "run_dir", "model_files",
    "generation", "inference", "evaluation", "serving", "callbacks", "training", "export", "cli", "recipes",
    "export_cli", "predict", "launch",
]


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ("kerastx", *path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__main__":
            continue
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The kerastx modules ``name`` imports anywhere in its file (``from kerastx.x import y`` counts as
    ``kerastx.x.y`` where that is a module, else as ``kerastx.x``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # a relative import: up node.level - 1 packages from this one
                above = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*above, base] if base else above)
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.add(target if target in modules else base)
    return {module for module in found if module in modules and module != name}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "kerastx"


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def test_every_package_has_a_floor(graph):
    assert sorted({_package(m) for m in graph} - set(FLOORS)) == []


def test_no_import_goes_up_a_floor(graph):
    upward = [f"{module} -> {target}" for module, targets in sorted(graph.items()) for target in sorted(targets)
              if FLOORS.index(_package(target)) > FLOORS.index(_package(module))]
    assert upward == []


def test_no_modules_import_each_other_in_a_circle(graph):
    circles, state = [], {}

    def visit(module, trail):
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                circles.append(" -> ".join([*trail[trail.index(target):], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == []
