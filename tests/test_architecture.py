"""The house rules of mlaudit's own code: no import cycles, and no import up the layering.

The import graph is built from the source files with ``ast`` (nothing is imported), so the test
sees every import, including the ones made inside functions to load a module late. Imports under
``if TYPE_CHECKING:`` never run and only name types for annotations; they are left out of the
layer check, and each one is listed below so that none hides a real dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]

# Lowest first. A module may import modules of its own layer (without a cycle) and of the layers
# below it. The order is also written in the docstring of each package's __init__.py.
LAYERS = [
    ("base", ["auditor", "auditor.finding", "auditor.config", "auditor.pathnames"]),
    ("ml", ["auditor.ml"]),
    ("model", ["auditor.model"]),
    ("analysis", ["auditor.analysis"]),
    ("rules", ["auditor.rule", "auditor.rules"]),
    ("readiness", ["auditor.readiness"]),
    ("scan", ["auditor.registry", "auditor.scan"]),
    ("ci", ["auditor.ci", "auditor.testing"]),
    ("report", ["auditor.report"]),
    ("fix", ["auditor.fix"]),
    ("history", ["auditor.history"]),
    ("server", ["auditor.server"]),
    ("cli", ["auditor.cli", "auditor.__main__", "auditor.demo"]),
]

# Type-only imports that point up the layering, each with why it is harmless.
TYPE_ONLY_UPWARD = {
    ("auditor.model.project", "auditor.analysis.artifacts"): "Project.artifacts' return type; built by the engine",
    ("auditor.model.project", "auditor.analysis.program"): "Project.program's return type; built by the engine",
}


def _modules() -> dict[str, Path]:
    found = {}
    for folder, package in ((PROJECT / "auditor", "auditor"), (PROJECT / "rules", "auditor.rules")):
        for path in folder.rglob("*.py"):
            relative = path.relative_to(folder)
            if relative.parts[:2] == ("demo", "files"):
                continue  # the planted demo project: data, not mlaudit's code
            parts = [p for p in relative.with_suffix("").parts if p != "__init__"]
            found[".".join([package, *parts])] = path
    return found


MODULES = _modules()


def _target(name: str) -> str | None:
    """The mlaudit module an imported dotted name refers to (longest known prefix)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            ids.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return ids


def _imports(module: str, path: Path) -> list[tuple[str, int, bool]]:
    """(imported mlaudit module, line, type-only) for each import in the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = _type_checking_nodes(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names = [f"{prefix}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            target = _target(name)
            if target and target != module:
                found.append((target, node.lineno, id(node) in type_only))
    return found


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _layer(module: str) -> int:
    best = None
    for rank, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or (prefix != "auditor" and module.startswith(prefix + ".")):
                if best is None or len(prefix) > best[1]:
                    best = (rank, len(prefix))
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/test_architecture.py")
    return best[0]


def test_every_module_has_a_layer():
    for module in MODULES:
        _layer(module)


def test_no_import_goes_up_the_layering():
    upward = []
    for module, imports in GRAPH.items():
        for target, line, type_only in imports:
            if _layer(target) <= _layer(module):
                continue
            if type_only and (module, target) in TYPE_ONLY_UPWARD:
                continue
            upward.append(f"{MODULES[module].relative_to(PROJECT)}:{line}: {module} ({LAYERS[_layer(module)][0]}) "
                          f"imports {target} ({LAYERS[_layer(target)][0]})")
    assert not upward, "imports up the layering:\n" + "\n".join(upward)


def test_type_only_exceptions_are_still_needed():
    present = {(m, t) for m, imports in GRAPH.items() for t, _, type_only in imports if type_only}
    assert set(TYPE_ONLY_UPWARD) <= present, set(TYPE_ONLY_UPWARD) - present


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a list of nodes (first repeated last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle_between_modules():
    edges = {m: {t for t, _, type_only in imports if not type_only} for m, imports in GRAPH.items()}
    cycle = _cycle(edges)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def _package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 or module in MODULES and MODULES[module].name == "__init__.py" else module


def test_no_import_cycle_between_packages():
    edges: dict[str, set[str]] = {}
    for module, imports in GRAPH.items():
        for target, _, type_only in imports:
            if not type_only and _package(module) != _package(target):
                edges.setdefault(_package(module), set()).add(_package(target))
    cycle = _cycle(edges)
    assert cycle is None, "import cycle between packages: " + " -> ".join(cycle)


def test_the_check_finds_an_upward_import_and_a_cycle():
    # The test's own machinery on a small graph: a model module importing the engine is named.
    assert _layer("auditor.model.project") < _layer("auditor.scan.engine")
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("package", sorted(p for p, path in MODULES.items() if path.name == "__init__.py"
                                          and p.count(".") == 1 and p != "auditor.rules"))
def test_each_package_says_what_lives_there_and_what_it_may_import(package):
    doc = ast.get_docstring(ast.parse(MODULES[package].read_text(encoding="utf-8"))) or ""
    assert len(doc.split()) >= 25, f"{package}/__init__.py needs a docstring: what lives there, what it may import"
    assert "import" in doc, f"{package}/__init__.py: say what the package may import"
