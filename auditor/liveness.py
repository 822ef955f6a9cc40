"""Which definitions and modules of a project are used: the analysis behind the dead-code rules.

Roots are the entry points (``auditor.entrypoints``), every module that is not itself dead (its top
level runs when it is imported), and definitions a framework calls (``auditor.frameworks``).
Methods hang off their class: a live class keeps the methods its framework, its external base
classes, its project relatives or an attribute access anywhere can call. Everything reachable in the
``ProgramGraph`` from the roots is live. The rest is dead, with a confidence that drops when
Python's dynamism leaves room for a use the graph cannot see (the name appears as a string, an
attribute or an unresolved name somewhere).

One analysis per project, shared by the dead-code and unused-feature rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from auditor import frameworks as fw
from auditor.entrypoints import (command_targets, config_targets, distribution_name, is_script_path,
                                 is_test_path, packaging_targets, user_entrypoints)
from auditor.program import Definition


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


def _private(name: str) -> bool:
    return name.startswith("_") and not fw.is_dunder(name)


class Liveness:
    def __init__(self, project) -> None:
        self.project = project
        self.graph = project.program
        self.g = self.graph.graph
        self.symbols = self.graph.symbols
        self.paths = set(self.symbols)
        self.reasons: dict[str, str] = {}  # root node -> why it is a root
        self._index_names()
        self.defs_by_path: dict[str, list[str]] = {}
        for node, d in self.graph.definitions.items():
            self.defs_by_path.setdefault(d.path, []).append(node)
        self.library_packages = self._library_packages()
        self.class_bases = self._class_bases()
        self.entries = self._entries()
        self.dead_modules = self._dead_modules()
        self.live = self._live()

    # -- indices ----------------------------------------------------------------------------------
    def _index_names(self) -> None:
        self.attr_index: dict[str, list[str]] = {}
        self.string_index: dict[str, list[str]] = {}
        self.name_index: dict[str, list[str]] = {}
        self.getattr_names: set[str] = set()
        for path, facts in self.symbols.items():
            for key, index in (("attrs", self.attr_index), ("strings", self.string_index), ("names", self.name_index)):
                for name in facts.get(key, ()):
                    index.setdefault(name, []).append(path)
            self.getattr_names.update(facts.get("getattrs", ()))
        # "pkg.mod.func" strings also mention "func"
        for text in list(self.string_index):
            if "." in text or ":" in text:
                tail = text.replace(":", ".").rsplit(".", 1)[-1]
                if tail and tail != text:
                    self.string_index.setdefault(tail, []).extend(self.string_index[text])

    def _library_packages(self) -> set[str]:
        """Top-level packages that present a public API: a declared distribution whose package
        ``__init__`` re-exports names. Their public names are not dead for lack of callers here."""
        if distribution_name(self.project) is None:
            return set()
        packages = set()
        for path, facts in self.symbols.items():
            if path.endswith("__init__.py") and (facts.get("imports") or facts.get("all")):
                name = self.project.module_names.get(path, "")
                if name:
                    packages.add(name.split(".")[0])
        return packages

    def in_library(self, path: str) -> bool:
        name = self.project.module_names.get(path, "")
        return bool(name) and name.split(".")[0] in self.library_packages and not is_test_path(path) \
            and not is_script_path(path)

    def _class_bases(self) -> dict[str, list[str | None]]:
        """Class node -> base class nodes in the project (None for an external base)."""
        result: dict[str, list[str | None]] = {}
        for node, d in self.graph.definitions.items():
            if d.kind != "class":
                continue
            bases: list[str | None] = []
            for base in d.bases:
                if base in fw.NEUTRAL_BASES:
                    continue
                target = None
                local = f"{d.path}::{base}"
                if local in self.graph.definitions:
                    target = local
                else:
                    resolved = self.graph.resolve_qualified(base) if base != "?" else None
                    if resolved in self.graph.definitions and self.graph.definitions[resolved].kind == "class":
                        target = resolved
                bases.append(target)
            result[node] = bases
        self._subclasses: dict[str, list[str]] = {}
        for node, bases in result.items():
            for base in bases:
                if base:
                    self._subclasses.setdefault(base, []).append(node)
        return result

    def has_external_base(self, cls: str, seen: set[str] | None = None) -> bool:
        seen = seen or set()
        if cls in seen:
            return False
        seen.add(cls)
        return any(b is None or self.has_external_base(b, seen) for b in self.class_bases.get(cls, ()))

    # -- entry points -----------------------------------------------------------------------------
    def _resolve(self, target: str) -> str | None:
        if target in self.paths:
            return target
        return self.graph.resolve_qualified(target.replace(":", "."))

    def _entries(self) -> dict[str, str]:
        entries: dict[str, str] = {}
        for path in self.graph.entry_modules:
            entries[path] = "runs as a script, test or notebook"
        for path, facts in self.symbols.items():
            if path in entries:
                continue
            if is_script_path(path):
                entries[path] = "script, example or tool file"
            elif facts.get("script") and not path.endswith("__init__.py"):
                entries[path] = "does work at import time (top-level calls)"
            elif is_test_path(path):
                entries[path] = "test support"
        sources = [
            *packaging_targets(self.project), *config_targets(self.project),
            *command_targets(self.project, self.paths), *user_entrypoints(self.project, self.paths),
        ]
        for path, facts in self.symbols.items():
            for text in facts.get("strings", ()):
                if ("." in text or ":" in text) and not text.startswith("."):
                    sources.append((text, path))
        for target, where in sources:
            node = self._resolve(target)
            if node is None or node == where:
                continue
            module = node.split("::")[0]
            if module != where:
                entries.setdefault(module, f"named in {where}")
            if node != module:
                self.reasons.setdefault(node, f"named in {where}")
        for path in self.symbols:
            if path.endswith("__init__.py") and self.in_library(path):
                entries.setdefault(path, "public package of the distribution")
        self.dynamic_prefixes = {p for facts in self.symbols.values() for p in facts.get("dynamic_imports", ())}
        self.plugin_modules = {path for path in self.symbols if self._loaded_by_name(path)}
        for path in self.plugin_modules:
            entries.setdefault(path, "loaded by a computed import_module() name")
        return entries

    def _loaded_by_name(self, path: str) -> bool:
        """``import_module(f"pkg.plugins.{name}")`` loads every module of a ``plugins`` package."""
        name = self.project.module_names.get(path, "")
        if "." not in name:
            return False
        package = name.rsplit(".", 1)[0]
        for prefix in self.dynamic_prefixes:
            if prefix.endswith(".") and (name.startswith(prefix) or
                                         package.rsplit(".", 1)[-1] == prefix[:-1].rsplit(".", 1)[-1]):
                return True
        return False

    # -- modules ----------------------------------------------------------------------------------
    def _dead_modules(self) -> dict[str, DeadModule]:
        candidates = set()
        for path in self.symbols:
            name = self.project.module_names.get(path, "")
            stem = PurePosixPath(path).stem
            if path in self.entries or "." not in name or path.endswith(("__init__.py", ".ipynb")):
                continue
            if self.in_library(path) and not _private(stem):
                continue
            if stem in self.string_index:
                continue  # importlib / plugin loading by name
            candidates.add(path)
        changed = True
        while changed:  # a module imported only by dead modules is dead too
            changed = False
            for path in sorted(candidates):
                users = {src.split("::")[0] for src in self.g.predecessors(path)} | {
                    src.split("::")[0] for node in self._nodes_of(path) for src in self.g.predecessors(node)}
                users.discard(path)
                if users - candidates:
                    candidates.discard(path)
                    changed = True
        result = {}
        for path in sorted(candidates):
            importers = sorted({src.split("::")[0] for src in self.g.predecessors(path)} - {path})
            confidence = "low" if "" in self.dynamic_prefixes else "medium" if importers else "high"
            result[path] = DeadModule(path, confidence, importers)
        return result

    def _nodes_of(self, path: str) -> list[str]:
        return self.defs_by_path.get(path, [])

    # -- definitions ------------------------------------------------------------------------------
    def root_reason(self, d: Definition) -> str | None:
        name = d.qualname.rsplit(".", 1)[-1]
        if d.node in self.reasons:
            return self.reasons[d.node]
        for decorator in d.decorators:
            reason = fw.decorator_reason(decorator)
            if reason:
                return reason
        facts = self.symbols.get(d.path, {})
        if name in self.getattr_names:
            return "looked up by name with getattr"
        if d.qualname in (facts.get("all") or ()):
            return "listed in __all__"
        if d.qualname in facts.get("handlers", ()):
            return "serverless handler (event, context)"
        if d.kind == "function" and "." not in d.qualname:
            reason = fw.function_reason(name)
            if reason:
                return reason
        if d.kind == "class" and name.startswith("Test") and is_test_path(d.path):
            return "test class"
        if d.kind == "class" and "." not in d.qualname and self.has_external_base(d.node) and (
                is_test_path(d.path) or (not self._imported(d.path) and self._runner_base(d))):
            # unittest, manim, locust, luigi...: a runner finds subclasses in the file it is given
            return "subclass of an external class in a file run by a tool"
        if d.path in self.plugin_modules and "." not in d.qualname and not _private(name):
            return "defined in a plugin module that is loaded and inspected by name"
        if d.kind == "class" and self._registered_by_base(d.node):
            return "registered by a base class's __init_subclass__"
        if self._public(d) and self.in_library(d.path):
            return "public API of the package"
        return None

    def _runner_base(self, d: Definition) -> bool:
        return any(base.rsplit(".", 1)[-1].endswith(fw.RUNNER_BASES) or base == "?" for base in d.bases)

    def _registered_by_base(self, cls: str) -> bool:
        seen, todo = set(), [b for b in self.class_bases.get(cls, ()) if b]
        while todo:
            base = todo.pop()
            if base in seen:
                continue
            seen.add(base)
            if f"{base}.__init_subclass__" in self.graph.definitions:
                return True
            todo.extend(b for b in self.class_bases.get(base, ()) if b)
        return False

    def _imported(self, path: str) -> bool:
        return any(src.split("::")[0] != path for src in self.g.predecessors(path))

    @staticmethod
    def _public(d: Definition) -> bool:
        return not any(_private(part) for part in [PurePosixPath(d.path).stem, *d.qualname.split(".")])

    def method_reason(self, d: Definition, cls: str) -> str | None:
        name = d.qualname.rsplit(".", 1)[-1]
        reason = fw.method_reason(name)
        if reason:
            return reason
        if self.has_external_base(cls):
            return "may override a method of an external base class"
        if name in self.attr_index:
            return "used as an attribute"
        if self._overrides(cls, name):
            return "overrides or is overridden by a project class"
        return None

    def _overrides(self, cls: str, name: str) -> bool:
        related = set()
        todo = [cls]
        while todo:  # ancestors
            current = todo.pop()
            for base in self.class_bases.get(current, ()):
                if base and base not in related:
                    related.add(base)
                    todo.append(base)
        related.update(self._subclasses.get(cls, ()))  # direct descendants
        return any(f"{c}.{name}" in self.graph.definitions for c in related)

    def _live(self) -> set[str]:
        roots = [p for p in self.symbols if p not in self.dead_modules]
        for node, d in self.graph.definitions.items():
            if d.path in self.dead_modules:
                continue
            parent = d.qualname.rsplit(".", 1)[0] if "." in d.qualname else None
            parent_node = f"{d.path}::{parent}" if parent else None
            parent_def = self.graph.definitions.get(parent_node) if parent_node else None
            if d.kind == "method" and parent_def is not None and parent_def.kind == "class":
                reason = self.root_reason(d) or self.method_reason(d, parent_node)
                if reason:
                    self.reasons.setdefault(node, reason)
                    self.g.add_edge(parent_node, node, kind="member")
                continue
            reason = self.root_reason(d)
            if reason:
                self.reasons.setdefault(node, reason)
                roots.append(node)
            elif parent_def is not None and parent_def.kind == "class":
                self.g.add_edge(parent_node, node, kind="member")  # class attributes live with the class
        # one multi-source search (reachable_from runs one per root)
        seen = {root for root in roots if root in self.g}
        stack = list(seen)
        adjacency = self.g.adj
        while stack:
            for successor in adjacency[stack.pop()]:
                if successor not in seen:
                    seen.add(successor)
                    stack.append(successor)
        return seen

    def dead_definitions(self) -> list[DeadDefinition]:
        found = []
        star_users: dict[str, list[str]] = {}  # module -> modules that import it with *
        for path, facts in self.symbols.items():
            for local, target, _ in facts.get("imports", ()):
                resolved = self.graph.resolve_from(path, target) if local == "*" else None
                if resolved in self.symbols:
                    star_users.setdefault(resolved, []).append(path)
        for node, d in self.graph.definitions.items():
            if node in self.live or d.path in self.dead_modules or d.kind == "attribute":
                continue
            name = d.qualname.rsplit(".", 1)[-1]
            parent = d.qualname.rsplit(".", 1)[0] if "." in d.qualname else None
            if parent:
                parent_def = self.graph.definitions.get(f"{d.path}::{parent}")
                if parent_def is None or parent_def.kind != "class" or f"{d.path}::{parent}" not in self.live:
                    continue  # nested in a function, or its dead class is what gets reported
            if d.path.endswith(".ipynb") or fw.is_dunder(name) or name == "_":
                continue
            facts = self.symbols.get(d.path, {})
            if d.kind == "variable" and name not in facts.get("consts", {}):
                continue  # computed at import time: may exist for its side effects
            if self._public(d) and (self.in_library(d.path) or d.path.endswith("__init__.py")):
                continue  # public API of a package: callers live outside this repository
            if "." not in d.qualname and any(name in self.symbols[user].get("names", ())
                                             for user in star_users.get(d.path, ())):
                continue  # used by name in a module that star-imports this one
            mentions = sorted({f"{p} (attribute)" for p in self.attr_index.get(name, ()) if d.kind != "method"}
                              | {f"{p} (string)" for p in self.string_index.get(name, ())}
                              | {f"{p} (name)" for p in self.name_index.get(name, ()) if p != d.path})
            used_by = sorted(src for src in self.g.predecessors(node) if src != node and not src.startswith(node + "."))
            if mentions:
                confidence = "low"
            elif used_by or not _private(name):
                confidence = "medium"
            else:
                confidence = "high"
            found.append(DeadDefinition(d, confidence, mentions[:5], used_by[:5]))
        return found

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
        for path, facts in self.symbols.items():
            for local, target, _ in facts.get("imports", ()):
                if local == "*":
                    resolved = self.graph.resolve_module(target)
                    if resolved:
                        result.add(resolved)
        return result

    def entry_summary(self, limit: int = 8) -> list[str]:
        return [f"{path}: {why}" for path, why in sorted(self.entries.items())[:limit]]


_CACHE: dict[int, tuple[Any, Liveness]] = {}


def analyse(project) -> Liveness:
    """The shared analysis of ``project`` (computed once per scan)."""
    cached = _CACHE.get(id(project))
    if cached is not None and cached[0] is project:
        return cached[1]
    _CACHE.clear()
    result = Liveness(project)
    _CACHE[id(project)] = (project, result)
    return result
