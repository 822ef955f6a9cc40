"""The project's classes and their bases, for deciding which methods something outside can call.

A method nobody in the project calls may still run: its class overrides an external base (the
framework calls it), a project relative defines the same name (called through the base), or a base
class registers its subclasses in ``__init_subclass__``.
"""

from __future__ import annotations

from auditor.ml import frameworks as fw


class ClassHierarchy:
    def __init__(self, graph) -> None:
        self.graph = graph
        self.definitions = graph.definitions
        self.bases = self._bases()  # class node -> base class nodes (None for an external base)
        self.subclasses: dict[str, list[str]] = {}
        self._external: dict[str, bool] = {}  # has_external_base answers
        self._relatives: dict[str, set[str]] = {}  # overrides: ancestors and direct subclasses
        for node, bases in self.bases.items():
            for base in bases:
                if base:
                    self.subclasses.setdefault(base, []).append(node)

    def _bases(self) -> dict[str, list[str | None]]:
        result: dict[str, list[str | None]] = {}
        for node, d in self.definitions.items():
            if d.kind == "class":
                result[node] = [self._base_node(d.path, base) for base in d.bases if base not in fw.NEUTRAL_BASES]
        return result

    def _base_node(self, path: str, base: str) -> str | None:
        """The project class a base expression names (same module first), or None if external."""
        local = f"{path}::{base}"
        if local in self.definitions:
            return local
        resolved = self.graph.resolve_qualified(base) if base != "?" else None
        if resolved in self.definitions and self.definitions[resolved].kind == "class":
            return resolved
        return None

    def has_external_base(self, cls: str) -> bool:
        """Some ancestor is not a project class (asked for every method of the class)."""
        if cls not in self._external:
            self._external[cls] = self._reaches_external(cls, set())
        return self._external[cls]

    def _reaches_external(self, cls: str, seen: set[str]) -> bool:
        if cls in seen:
            return False
        seen.add(cls)
        return any(b is None or self._reaches_external(b, seen) for b in self.bases.get(cls, ()))

    def registered_by_base(self, cls: str) -> bool:
        """Some ancestor defines ``__init_subclass__`` (typically a plugin registry)."""
        seen, todo = set(), [b for b in self.bases.get(cls, ()) if b]
        while todo:
            base = todo.pop()
            if base in seen:
                continue
            seen.add(base)
            if f"{base}.__init_subclass__" in self.definitions:
                return True
            todo.extend(b for b in self.bases.get(base, ()) if b)
        return False

    def overrides(self, cls: str, name: str) -> bool:
        """An ancestor or a direct subclass of ``cls`` defines ``name`` too."""
        return any(f"{c}.{name}" in self.definitions for c in self._related(cls))

    def _related(self, cls: str) -> set[str]:
        """Ancestors and direct subclasses of ``cls``, found once per class."""
        if cls not in self._relatives:
            related = set()
            todo = [cls]
            while todo:  # ancestors
                current = todo.pop()
                for base in self.bases.get(current, ()):
                    if base and base not in related:
                        related.add(base)
                        todo.append(base)
            related.update(self.subclasses.get(cls, ()))  # direct descendants
            self._relatives[cls] = related
        return self._relatives[cls]
