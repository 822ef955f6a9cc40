"""Whole-program seed analysis: which libraries are seeded on every path to a point.

``SeedFlow`` joins the per-module ``seeds`` facts with the program graph. It is a must-analysis:
a library counts as seeded before a line when a seed for it is set earlier in the same scope, at
module level, in a call made earlier, or on entry to the scope on every path from the program's
entry points (every caller seeds it before calling). Test code neither seeds nor is judged.
"""

from __future__ import annotations

from typing import Any

from auditor.analysis.program import MODULE, ProgramGraph
from auditor.ml.frameworks import starts_own_process
from auditor.ml.paths import is_test_support_path
from auditor.rules.seed_values import NONE


def flow_node(path: str, scope: str) -> str:
    """The program-graph node of a scope: the module path, or ``path::qualname``."""
    return path if scope == MODULE else f"{path}::{scope}"


def _split(node: str) -> tuple[str, str]:
    path, _, scope = node.partition("::")
    return path, scope


class SeedFlow:
    """Must-analysis over the program graph: the libraries seeded before a line of a scope."""

    def __init__(self, project, program: ProgramGraph | None = None) -> None:
        self.facts: dict[str, dict[str, Any]] = {p: f for p, f in project.fact("seeds").items()}
        self.program = program or project.program
        self.entries = set(self.program.entry_modules)
        self.direct: dict[str, list[tuple[int, frozenset[str]]]] = {}  # node -> [(line, libraries)]
        self.guarded: dict[str, list[tuple[int, frozenset[str]]]] = {}  # module -> its main-guard setters
        for path, facts in self.facts.items():
            if is_test_support_path(path):
                continue
            for setter in facts.get("setters", []):
                if setter.get("state") == NONE:
                    continue
                # a seed under `if __name__ == "__main__":` pins only what the module runs as the
                # program, after it: never the modules that import it
                into = self.guarded if setter.get("main_guard") and not setter["scope"] else self.direct
                into.setdefault(flow_node(path, setter["scope"]), []).append(
                    (setter["where"][0], frozenset(setter["libraries"])))
        self._always: dict[str, frozenset[str]] = {}
        self._entry: dict[str, frozenset[str]] = {}
        self._busy_always: set[str] = set()
        self._callees: dict[str, list[tuple[str, int]]] = {}
        self._callers: dict[str, list[tuple[str, int]]] = {}
        self._busy_entry: set[str] = set()
        self._places: dict[str, list[tuple[str, str]]] | None = None  # library -> (unit, place) of its setters
        self.seeded_anywhere = frozenset().union(*(libs for setters in (self.direct, self.guarded)
                                                   for items in setters.values() for _, libs in items))
        self.everything = self.seeded_anywhere
        # Libraries seeded in each unit: a seed in one project of a monorepo pins nothing in another.
        self.units = project.units
        self._seeded_in: dict[str, set[str]] = {}
        for node, items in [*self.direct.items(), *self.guarded.items()]:
            unit = self.units.of(_split(node)[0])
            for _, libs in items:
                self._seeded_in.setdefault(unit, set()).update(libs)

    def seeded_in_unit(self, path: str) -> frozenset[str]:
        """Libraries some code of the unit holding ``path`` seeds."""
        return frozenset(self._seeded_in.get(self.units.of(path), ()))

    def starts_process(self, node: str) -> bool:
        """Whether ``node`` runs as a process of its own (a Metaflow step, an Airflow task...)."""
        d = self.program.definitions.get(node)
        return d is not None and starts_own_process(d.decorators)

    # -- call sites with every line --------------------------------------------------------------
    def _lines(self, caller: str, callee: str) -> list[int]:
        """Every line where ``caller`` calls ``callee`` (imports of a module count as calls of it)."""
        path, scope = _split(caller)
        facts = self.facts.get(path, {})
        name = _split(callee)[1].split(".")[-1] if "::" in callee else ""
        kind, line = self.program.edge(caller, callee)
        if "::" not in callee:  # a module runs when imported
            return [line] if kind == "import" else []
        # The graph keeps one edge per pair (an import of a name can hide its call): the call
        # lines recorded per scope say where it is really called.
        lines = facts.get("call_lines", {}).get(scope, {}).get(name, [])
        if lines:
            return sorted(lines)
        return [line] if kind == "call" else []

    def callees(self, node: str) -> list[tuple[str, int]]:
        if node in self._callees:
            return self._callees[node]
        found: list[tuple[str, int]] = []
        self._callees[node] = found
        if node not in self.program:
            return found
        for target in self.program.successors(node):
            for line in self._lines(node, target):
                found.append((target, line))
                init = f"{target}.__init__"
                if init in self.program.definitions:
                    found.append((init, line))
        return found

    def callers(self, node: str) -> list[tuple[str, int]]:
        if node in self._callers:
            return self._callers[node]
        found: list[tuple[str, int]] = []
        self._callers[node] = found
        targets = [node]
        if node.endswith(".__init__"):
            targets.append(node[: -len(".__init__")])
        for target in targets:
            if target not in self.program:
                continue
            for source in self.program.predecessors(target):
                if is_test_support_path(_split(source)[0]):
                    continue
                for line in self._lines(source, target):
                    found.append((source, line))
        return found

    # -- what a call always seeds ------------------------------------------------------------------
    def always(self, node: str) -> frozenset[str]:
        """Libraries seeded whenever ``node`` runs (its setters and those of everything it calls)."""
        if node in self._always:
            return self._always[node]
        if node in self._busy_always or not self.seeded_anywhere:
            return frozenset()
        self._busy_always.add(node)
        libs = set()
        for _, seeded in self.direct.get(node, []):
            libs |= seeded
        for callee, _ in self.callees(node):
            libs |= self.always(callee)
        self._busy_always.discard(node)
        self._always[node] = frozenset(libs)
        return self._always[node]

    def before(self, node: str, line: int) -> frozenset[str]:
        """Libraries seeded on every path before ``line`` of ``node`` runs."""
        libs = set(self.entry(node))
        for setter_line, seeded in [*self.direct.get(node, []), *self.guarded.get(node, [])]:
            if setter_line < line:
                libs |= seeded
        for callee, call_line in self.callees(node):
            if call_line < line:
                libs |= self.always(callee)
        path, scope = _split(node)
        if scope:  # module-level code (setters, imports) runs before any of its functions
            libs |= self.module_level(path)
        return frozenset(libs)

    def module_level(self, path: str) -> frozenset[str]:
        libs = set()
        for _, seeded in self.direct.get(path, []):
            libs |= seeded
        if path in self.program:
            for target in self.program.successors(path):
                if self.program.edge(path, target)[0] == "import" and "::" not in target:
                    libs |= self.always(target)
        return frozenset(libs)

    def entry(self, node: str) -> frozenset[str]:
        """Libraries seeded on entry to ``node``, on every path from the program's entry points."""
        if node in self._entry:
            return self._entry[node]
        if node in self._busy_entry:
            return self.everything  # recursion: the greatest fixed point; never reports wrongly
        if not self.seeded_anywhere or node in self.entries:
            return frozenset()
        callers = self.callers(node)
        if not callers:
            self._entry[node] = frozenset()
            return self._entry[node]
        self._busy_entry.add(node)
        result: set[str] | None = None
        for caller, line in callers:
            seeded = self.before(caller, line)
            result = set(seeded) if result is None else result & seeded
            if not result:
                break
        self._busy_entry.discard(node)
        self._entry[node] = frozenset(result or ())
        return self._entry[node]

    def setter_places(self, library: str, near: str | None = None) -> list[str]:
        """Where ``library`` is seeded, as users see it (``path scope line N`` or ``... cell C line N``);
        with ``near``, only in the unit holding that path. The places are listed once per scan (this
        is asked for every unseeded draw: re-reading every module each time made it draws x modules)."""
        if self._places is None:
            self._places = {}
            for path, facts in sorted(self.facts.items()):
                if is_test_support_path(path):
                    continue
                unit = self.units.of(path)
                for setter in facts.get("setters", []):
                    if setter.get("state") == NONE:
                        continue
                    _, shown, cell = setter["where"]
                    at = f"cell {cell} line {shown}" if cell else f"line {shown}"
                    place = f"{path} {setter['scope'] or '<module>'} {at}".replace("  ", " ")
                    for seeded in setter.get("libraries", ()):
                        self._places.setdefault(seeded, []).append((unit, place))
        unit = self.units.of(near) if near is not None else None
        return [place for where, place in self._places.get(library, ()) if unit is None or where == unit]

    def unseeded_path(self, node: str, library: str, limit: int = 8) -> tuple[list[str], str]:
        """A chain of callers, innermost first, along which ``library`` is never seeded, and its root."""
        chain = []
        seen = {node}
        while limit > 0:
            limit -= 1
            nxt = None
            for caller, line in self.callers(node):
                if caller not in seen and library not in self.before(caller, line):
                    nxt = (caller, line)
                    break
            if nxt is None:
                break
            chain.append(f"{nxt[0]} (line {nxt[1]})")
            node = nxt[0]
            seen.add(node)
        return chain, node
