"""The whole-program view shared by cross-module rules (dead code, seeds, artifacts).

Per module, the ``symbols`` extractor (``auditor.symbols``) records compact facts: definitions,
imports, and for each scope (module level, each function and method) the calls it makes with their
lines. The ``ProgramGraph`` joins them into one networkx graph: nodes are modules (``path``) and symbols
(``path::qualname``); edges say "running this runs that" (calls, imports, class -> methods it
defines are *not* implied). Entry points are roots; rules ask what is reachable.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any, Iterable


# MODULE and SymbolFacts are re-exported: rules import them from here with the graph.
from auditor.symbol_visitor import MODULE
from auditor.symbols import SymbolFacts

__all__ = ["MODULE", "Definition", "ProgramGraph", "SymbolFacts"]


@dataclass(frozen=True)
class Definition:
    path: str
    qualname: str
    kind: str
    line: int
    end_line: int
    decorators: tuple[str, ...]
    bases: tuple[str, ...]

    @property
    def node(self) -> str:
        return f"{self.path}::{self.qualname}"


class ProgramGraph:
    """Modules and symbols of the project joined by "running this runs that" edges."""

    def __init__(self, project) -> None:
        self.project = project
        self.symbols: dict[str, dict[str, Any]] = project.fact("symbols")
        import networkx as nx  # here, not at import: a scan answered from the cache never needs it

        self.graph = nx.DiGraph()
        self.definitions: dict[str, Definition] = {}
        self.module_paths: dict[str, str] = {}  # dotted name -> path (several spellings per module)
        self._index_modules()
        self._build()

    # -- module names ---------------------------------------------------------------------------
    def _index_modules(self) -> None:
        for path, name in self.project.module_names.items():
            if path not in self.symbols:
                continue
            spellings = {name}
            pure = PurePosixPath(path)
            dotted = ".".join(pure.with_suffix("").parts)
            if dotted.endswith(".__init__"):
                dotted = dotted[: -len(".__init__")]
            spellings.add(dotted)
            for prefix in ("src.", "lib.", "python."):
                if dotted.startswith(prefix):
                    spellings.add(dotted[len(prefix):])
            for spelling in spellings:
                self.module_paths.setdefault(spelling, path)

    def resolve_module(self, dotted: str) -> str | None:
        return self.module_paths.get(dotted)

    def resolve_qualified(self, qualified: str) -> str | None:
        """Graph node for ``pkg.mod.func`` or ``pkg.mod.Class.method`` or a module, if in the project."""
        parts = qualified.split(".")
        for cut in range(len(parts), 0, -1):
            path = self.module_paths.get(".".join(parts[:cut]))
            if path is None:
                continue
            rest = ".".join(parts[cut:])
            if not rest:
                return path
            node = f"{path}::{rest}"
            if node in self.definitions:
                return node
            # A name re-exported by a package __init__: follow its import once.
            for local, target, _ in self.symbols.get(path, {}).get("imports", []):
                if local == parts[cut] and target != qualified:
                    return self.resolve_qualified(".".join([target, *parts[cut + 1:]]))
            return path
        return None

    def resolve_from(self, path: str, qualified: str) -> str | None:
        """Like ``resolve_qualified``, but as seen from the module at ``path``: a module run as a
        script (not inside a package) imports its sibling files first (``import utils`` in
        ``tests/model/x.py`` is ``tests/model/utils.py``), as Python and pytest put its directory on
        ``sys.path``."""
        if "." not in self.project.module_names.get(path, "."):
            prefix = path[: path.rfind("/") + 1]  # the directory with its slash, or "" at the root
            head, _, rest = qualified.partition(".")
            for candidate in (f"{prefix}{head}.py", f"{prefix}{head}/__init__.py"):
                if candidate in self.symbols and candidate != path:
                    if not rest:
                        return candidate
                    node = f"{candidate}::{rest}"
                    if node in self.definitions:
                        return node
                    name = self.project.module_names.get(candidate, head)
                    return self.resolve_qualified(f"{name}.{rest}") or candidate
        return self.resolve_qualified(qualified)

    # -- graph --------------------------------------------------------------------------------
    def _build(self) -> None:
        for path, facts in self.symbols.items():
            self.graph.add_node(path, kind="module")
            for qualname, kind, line, end, decorators, bases in facts.get("defs", []):
                d = Definition(path, qualname, kind, line, end, tuple(decorators), tuple(bases))
                self.definitions.setdefault(d.node, d)
                self.graph.add_node(d.node, kind=kind)
        for path, facts in self.symbols.items():
            self._add_uses(path, facts)
            for _local, target, line in facts.get("imports", []):
                node = self.resolve_from(path, target)
                if node:
                    self._link(path, node if node in self.definitions or node in self.symbols else path, "import", line)
                    module = node.split("::")[0]
                    if module != path:
                        self._link(path, module, "import", line)

    def _add_uses(self, path: str, facts: dict[str, Any]) -> None:
        local_defs = {d[0] for d in facts.get("defs", [])}
        scope_locals = facts.get("locals", {})
        for scope, calls in facts.get("calls", {}).items():
            source = path if scope == MODULE else f"{path}::{scope}"
            for target, line in calls:
                node = self._resolve_target(path, scope, target, local_defs, scope_locals)
                if node and node != source:
                    self._link(source, node, "call", line)
        for scope, refs in facts.get("refs", {}).items():
            source = path if scope == MODULE else f"{path}::{scope}"
            for ref in refs:
                target = ref if ref.startswith("import:") else f"local:{ref}"
                node = self._resolve_target(path, scope, target, local_defs, scope_locals)
                if node and node != source:
                    self._link(source, node, "ref", None)

    def _link(self, source: str, target: str, kind: str, line: int | None) -> None:
        """One edge per pair. A call outranks an import or a reference of the same pair (so it
        is never hidden by one), and the edge keeps the first line of the call."""
        data = self.graph.get_edge_data(source, target)
        if data is None:
            self.graph.add_edge(source, target, kind=kind, line=line)
        elif kind == "call" and (data["kind"] != "call" or (line or 0) < (data.get("line") or 0)):
            data["kind"], data["line"] = "call", line

    def _resolve_target(self, path: str, scope: str, target: str, local_defs: set[str],
                        scope_locals: dict[str, list[str]]) -> str | None:
        kind, _, name = target.partition(":")
        if kind == "import":
            return self.resolve_from(path, name)
        if kind == "local":
            head, _, rest = name.partition(".")
            # innermost enclosing scope first: nested functions, then module level; a parameter
            # or local variable of an enclosing function shadows the module-level name.
            parts = scope.split(".") if scope else []
            for cut in range(len(parts), -1, -1):
                enclosing = ".".join(parts[:cut])
                if cut and head in scope_locals.get(enclosing, ()) and f"{enclosing}.{head}" not in local_defs:
                    return None
                candidate = ".".join([*parts[:cut], head])
                if candidate in local_defs:
                    node = f"{path}::{candidate}"
                    if rest and f"{node}.{rest}" in self.definitions:
                        return f"{node}.{rest}"
                    return node
            return None
        if kind == "self":
            cls = self._enclosing_class(path, scope)
            if cls:
                node = f"{path}::{cls}.{name}"
                if node in self.definitions:
                    return node
            return None
        return None

    def _enclosing_class(self, path: str, scope: str) -> str | None:
        parts = scope.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            candidate = ".".join(parts[:cut])
            d = self.definitions.get(f"{path}::{candidate}")
            if d and d.kind == "class":
                return candidate
        return None

    # -- queries --------------------------------------------------------------------------------
    def calls_from(self, node: str) -> list[tuple[str, int]]:
        """Project nodes called from a module's top level or a function, with call lines."""
        return [(t, data.get("line", 0)) for t, data in self.graph[node].items() if data.get("kind") == "call"] \
            if node in self.graph else []

    def reachable_from(self, roots: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        for root in roots:
            if root in self.graph and root not in seen:
                seen.add(root)
                seen |= self._descendants(root)
        return seen

    @cached_property
    def entry_modules(self) -> list[str]:
        """Modules run directly: ``__main__`` guards, notebooks, tests, declared console scripts."""
        roots = []
        for path, facts in self.symbols.items():
            name = PurePosixPath(path).name
            if facts.get("main_guard") or path.endswith(".ipynb") or name.startswith("test_") \
                    or name.endswith("_test.py") or name == "conftest.py" or name == "__main__.py":
                roots.append(path)
        return roots

    def _descendants(self, root: str) -> set[str]:
        import networkx as nx

        return nx.descendants(self.graph, root)
