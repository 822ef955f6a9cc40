"""Which definitions and modules of a project are used: the analysis behind the dead-code rules.

Roots are the entry modules and root definitions (``auditor.analysis.roots``) and every module that is not
itself dead (its top level runs when it is imported). Methods hang off their class: a live class
keeps the methods its framework, its external base classes, its project relatives or an attribute
access anywhere can call. Everything reachable in the ``ProgramGraph`` from the roots is live. The
rest is dead, with a confidence that drops when Python's dynamism leaves room for a use the graph
cannot see (the name appears as a string, an attribute or an unresolved name somewhere).

One analysis per project, shared by the dead-code and unused-feature rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from auditor.analysis.program import Definition
from auditor.analysis.roots import Roots, private, public
from auditor.ml import frameworks as fw
from auditor.model.units import ROOT
from auditor.pathnames import posix_path


@dataclass
class DeadDefinition:
    definition: Definition
    confidence: str
    mentions: list[str] = field(default_factory=list)  # where the name appears without a resolved use
    used_by_dead: list[str] = field(default_factory=list)


@dataclass
class DeadModule:
    path: str
    confidence: str
    importers: list[str] = field(default_factory=list)  # dead modules that import it


class Liveness:
    def __init__(self, project) -> None:
        self.project = project
        self.graph = project.program
        self.symbols = self.graph.symbols
        self._index_names()
        self.defs_by_path: dict[str, list[str]] = {}
        for node, d in self.graph.definitions.items():
            self.defs_by_path.setdefault(d.path, []).append(node)
        self.roots = Roots(project, self.graph)
        self.entries = self.roots.entries
        self.dead_modules = self._dead_modules()
        self.live = self._live()
        self._dead_definitions: list[DeadDefinition] | None = None
        self._sorted_entries: list[str] | None = None

    def _index_names(self) -> None:
        """Name -> modules where it appears unresolved: as an attribute, a string or a bare name."""
        self.attr_index: dict[str, list[str]] = {}
        self.string_index: dict[str, list[str]] = {}
        self.name_index: dict[str, list[str]] = {}
        for path, facts in self.symbols.items():
            for key, index in (("attrs", self.attr_index), ("strings", self.string_index), ("names", self.name_index)):
                for name in facts.get(key, ()):
                    index.setdefault(name, []).append(path)
        # "pkg.mod.func" strings also mention "func"
        for text in list(self.string_index):
            if "." in text or ":" in text:
                tail = text.replace(":", ".").rsplit(".", 1)[-1]
                if tail and tail != text:
                    self.string_index.setdefault(tail, []).extend(self.string_index[text])

    # -- modules ----------------------------------------------------------------------------------
    def _dead_modules(self) -> dict[str, DeadModule]:
        candidates = set()
        for path in self.symbols:
            name = self.project.module_names.get(path, "")
            stem = posix_path(path).stem
            if path in self.entries or "." not in name or path.endswith(("__init__.py", ".ipynb")):
                continue
            if self.roots.in_library(path) and not private(stem):
                continue
            if stem in self.string_index:
                continue  # importlib / plugin loading by name
            candidates.add(path)
        changed = True
        while changed:  # a module imported only by dead modules is dead too
            changed = False
            for path in sorted(candidates):
                users = {src.split("::")[0] for node in [path, *self.defs_by_path.get(path, [])]
                         for src in self.graph.predecessors(node)}
                users.discard(path)
                if users - candidates:
                    candidates.discard(path)
                    changed = True
        result = {}
        for path in sorted(candidates):
            importers = sorted({src.split("::")[0] for src in self.graph.predecessors(path)} - {path})
            confidence = "low" if "" in self.roots.dynamic_prefixes else "medium" if importers else "high"
            result[path] = DeadModule(path, confidence, importers)
        return result

    # -- definitions ------------------------------------------------------------------------------
    def _live(self) -> set[str]:
        # every module that is not dead runs its top level; a module that does not parse is kept
        # alive (what it imports is used: auditor/analysis/symbols.py recovers its imports)
        roots = [p for p in self.symbols if p not in self.dead_modules] + list(self.graph.recovered)
        for node, d in self.graph.definitions.items():
            if d.path not in self.dead_modules and self._attach(node, d):
                roots.append(node)
        # one multi-source search (reachable_from runs one per root)
        seen = {root for root in roots if root in self.graph}
        stack = list(seen)
        successors = self.graph.successors
        while stack:
            for successor in successors(stack.pop()):
                if successor not in seen:
                    seen.add(successor)
                    stack.append(successor)
        return seen

    def _parent_class(self, d: Definition) -> str | None:
        """The node of the class ``d`` is defined in directly, if any."""
        if "." not in d.qualname:
            return None
        parent_node = f"{d.path}::{d.qualname.rsplit('.', 1)[0]}"
        parent_def = self.graph.definitions.get(parent_node)
        return parent_node if parent_def is not None and parent_def.kind == "class" else None

    def _attach(self, node: str, d: Definition) -> bool:
        """Record why ``d`` is used and hang class members off their class (a member is live when
        its class is and something can call it). True when ``d`` is a root of its own."""
        cls = self._parent_class(d)
        if d.kind == "method" and cls is not None:
            reason = self.roots.root_reason(d) or self.roots.method_reason(d, cls)
            if reason:
                self.roots.reasons.setdefault(node, reason)
                self.graph.add_member(cls, node)
            return False
        reason = self.roots.root_reason(d)
        if reason:
            self.roots.reasons.setdefault(node, reason)
            return True
        if cls is not None:
            self.graph.add_member(cls, node)  # class attributes live with the class
        return False

    def dead_definitions(self) -> list[DeadDefinition]:
        """Unused definitions worth a finding (one list for the three rules that report them)."""
        if self._dead_definitions is None:
            self._dead_definitions = self._find_dead_definitions()
        return self._dead_definitions

    def _find_dead_definitions(self) -> list[DeadDefinition]:
        star_users = self._star_users()
        found = []
        for node, d in self.graph.definitions.items():
            if node in self.live or d.path in self.dead_modules or d.kind == "attribute":
                continue
            if not self._reportable(d) or self._used_elsewhere(d, star_users):
                continue
            found.append(self._dead(node, d))
        return found

    def _star_users(self) -> dict[str, list[str]]:
        """Module -> modules that import it with ``*``."""
        star_users: dict[str, list[str]] = {}
        for path, facts in self.symbols.items():
            for local, target, _ in facts.get("imports", ()):
                resolved = self.graph.resolve_from(path, target) if local == "*" else None
                if resolved in self.symbols:
                    star_users.setdefault(resolved, []).append(path)
        return star_users

    def _reportable(self, d: Definition) -> bool:
        """Whether an unreached ``d`` is worth its own finding."""
        name = d.qualname.rsplit(".", 1)[-1]
        if "." in d.qualname:
            parent = f"{d.path}::{d.qualname.rsplit('.', 1)[0]}"
            if self._parent_class(d) != parent or parent not in self.live:
                return False  # nested in a function, or its dead class is what gets reported
        if d.path.endswith(".ipynb") or fw.is_dunder(name) or name == "_":
            return False
        # a variable computed at import time may exist for its side effects
        return d.kind != "variable" or name in self.symbols.get(d.path, {}).get("consts", {})

    def _used_elsewhere(self, d: Definition, star_users: dict[str, list[str]]) -> bool:
        """Used where this graph cannot see it: a package's public API, or a star import."""
        if (self.roots.in_library(d.path) or d.path.endswith("__init__.py")) and public(d):
            return True  # public API of a package: callers live outside this repository
        name = d.qualname.rsplit(".", 1)[-1]
        return "." not in d.qualname and any(name in self.symbols[user].get("names", ())
                                             for user in star_users.get(d.path, ()))

    def _dead(self, node: str, d: Definition) -> DeadDefinition:
        name = d.qualname.rsplit(".", 1)[-1]
        reaches = self._mention_filter(d.path)
        mentions = sorted({f"{p} (attribute)" for p in self.attr_index.get(name, ()) if d.kind != "method" and reaches(p)}
                          | {f"{p} (string)" for p in self.string_index.get(name, ()) if reaches(p)}
                          | {f"{p} (name)" for p in self.name_index.get(name, ()) if p != d.path and reaches(p)})
        used_by = sorted(src for src in self.graph.predecessors(node) if src != node and not src.startswith(node + "."))
        # a name mentioned where the graph cannot resolve it may be used dynamically
        if mentions:
            confidence = "low"
        elif used_by or not private(name):
            confidence = "medium"
        else:
            confidence = "high"
        return DeadDefinition(d, confidence, mentions[:5], used_by[:5])

    def _mention_filter(self, path: str):
        """Which files' mentions could reach a definition in ``path``: a unit is a program of its
        own (docs/units.md), so a string or attribute in another lab cannot name this lab's function
        (course monorepos repeat the same helper in every lab); code of the root unit may be shared
        by all, so any file's mention counts for it."""
        units = self.project.units
        unit = units.of(path)
        if unit == ROOT:
            return lambda _other: True
        return lambda other: units.of(other) == unit

    # -- imports ----------------------------------------------------------------------------------
    def imported_names(self) -> set[str]:
        """Every qualified name some project module imports (for re-exports)."""
        names = set()
        for facts in self.symbols.values():
            for _, target, _ in facts.get("imports", ()):
                names.add(target)
        return names

    def star_imported(self) -> set[str]:
        """Modules some project module imports with ``*``."""
        result = set()
        for facts in self.symbols.values():
            for local, target, _ in facts.get("imports", ()):
                if local == "*":
                    resolved = self.graph.resolve_module(target)
                    if resolved:
                        result.add(resolved)
        return result

    def entry_summary(self, limit: int = 8) -> list[str]:
        """The first entry points, for the evidence of every dead-code finding (made once)."""
        if self._sorted_entries is None:
            self._sorted_entries = [f"{path}: {why}" for path, why in sorted(self.entries.items())]
        return self._sorted_entries[:limit]


    # -- why -------------------------------------------------------------------------------------
    def explain(self, name: str) -> list[str]:
        """Why each definition or module named ``name`` (``func``, ``Class.method``, ``pkg.mod``,
        ``path.py`` or ``path.py::qualname``) is used or unused: the lines ``mlaudit scan
        --explain-dead`` prints, so a user can see what the analysis tried and correct it."""
        lines: list[str] = []
        for node in self._matching(name):
            lines += self._explain_module(node) if node in self.symbols else self._explain_definition(node)
            lines.append("")
        return lines or [f"no definition or module of the project is named {name!r}"]

    def _matching(self, name: str) -> list[str]:
        if name in self.symbols or name in self.graph.definitions:
            return [name]
        modules = [path for path, dotted in self.project.module_names.items() if dotted == name and path in self.symbols]
        names = self.project.module_names
        definitions = [node for node, d in self.graph.definitions.items()
                       if d.qualname == name or f".{names.get(d.path, '')}.{d.qualname}".endswith("." + name)]
        return sorted(modules) + sorted(definitions)

    def _explain_module(self, path: str) -> list[str]:
        lines = [f"module {path} ({self.project.module_names.get(path, path)})"]
        if path in self.entries:
            lines.append(f"  used: an entry point: {self.entries[path]}")
        elif path in self.dead_modules:
            lines.append("  unused: nothing outside the dead modules imports it, and no entry point runs it")
        importers = sorted({src.split("::")[0] for src in self.graph.predecessors(path)} - {path})
        lines.append(f"  imported by: {', '.join(importers[:10]) if importers else 'nothing in the project'}")
        if path not in self.entries and path not in self.dead_modules:
            lines.append("  used: imported by a module that is not dead")
        return lines

    def _explain_definition(self, node: str) -> list[str]:
        d = self.graph.definitions[node]
        lines = [f"{d.kind} {d.qualname} at {d.path}:{d.line}"]
        reason = self.roots.reasons.get(node)
        callers = [src for src in self.graph.predecessors(node) if not src.startswith(node + ".")]
        live_callers = [src for src in callers if src in self.live]
        if reason:
            lines.append(f"  used: a root: {reason}")
        if live_callers:
            lines.append(f"  used: referenced from live code: {', '.join(live_callers[:8])}")
        dead_callers = [src for src in callers if src not in self.live]
        if dead_callers:
            lines.append(f"  referenced only from unused code: {', '.join(dead_callers[:8])}")
        if d.path in self.dead_modules:
            lines.append(f"  its module {d.path} is unused")
        if node not in self.live and not reason and not live_callers:
            dead = self._dead(node, d)
            lines.append(f"  unused (confidence {dead.confidence}): no entry point reaches it, and no framework "
                         "convention, decorator, name lookup or configuration makes it a root")
            if dead.mentions:
                lines.append(f"  its name appears where the analysis cannot resolve it: {', '.join(dead.mentions[:8])}")
            lines.append("  if something does use it, add it to [tool.mlaudit] entrypoints "
                         f"(\"{self.project.module_names.get(d.path, d.path)}:{d.qualname}\")")
        lines.append(f"  entry points considered ({len(self.entries)}): {'; '.join(self.entry_summary(4))}")
        return lines


_CACHE: dict[int, tuple[Any, Liveness]] = {}


def release() -> None:
    """Forget the shared analysis (the engine, once the project rules are done with it)."""
    _CACHE.clear()


def analyse(project) -> Liveness:
    """The shared analysis of ``project`` (computed once per scan); each use is noted, as the
    program graph's is (``Project.program``)."""
    project.facts.touch("liveness")
    cached = _CACHE.get(id(project))
    if cached is not None and cached[0] is project:
        return cached[1]
    _CACHE.clear()
    result = Liveness(project)
    _CACHE[id(project)] = (project, result)
    return result
