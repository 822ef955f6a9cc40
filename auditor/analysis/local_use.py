"""Names a function never reads: its parameters and local variables, and the attributes its class
writes on ``self``. Collected during the ``symbols`` pass (no walk of its own): the visitor tells
this class where scopes start and end and what is assigned; the names each scope reads are the
visitor's ``refs``.

A scope's reads include those of the functions and classes nested in it (a closure reads its
enclosing function's variables). A function that calls ``locals()``, ``vars()``, ``eval`` or
``exec`` may read any of its names without spelling them, so nothing is reported for it. Stubs (a
body of ``pass``, ``...``, a docstring, ``raise NotImplementedError``) define an interface: their
parameters are the interface's, not unused. Whether an unused parameter is dictated by an
interface (an override, a callback, a framework hook) is decided by the rule, which sees the whole
program (``rules/dead_code.py``).
"""

from __future__ import annotations

import ast
from typing import Any, Iterable

_FUNCTION_KINDS = ("function", "method")
_RECEIVERS = ("self", "cls")


def _is_stub(body: list[ast.stmt]) -> bool:
    """A body that only holds a place: docstring, ``pass``, ``...``, ``raise NotImplementedError``,
    ``return`` of a constant."""
    for stmt in body:
        if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            continue
        if isinstance(stmt, ast.Raise):
            exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            if isinstance(exc, ast.Name) and exc.id in ("NotImplementedError", "NotImplemented"):
                continue
        if isinstance(stmt, ast.Return) and (stmt.value is None or isinstance(stmt.value, ast.Constant)):
            continue
        return False
    return True


class LocalUse:
    def __init__(self) -> None:
        self._params: dict[str, tuple[int, list[str], set[str]]] = {}  # function -> (line, judged, all parameters)
        self._assigned: dict[str, dict[str, int]] = {}  # function -> simple local name -> first line
        self._subtree_reads: dict[str, set[str]] = {}  # scope -> names read by the scopes nested in it
        self._dynamic: set[str] = set()  # scopes that call locals(), vars(), eval or exec
        self._self_writes: dict[str, dict[str, int]] = {}  # class -> attribute set on self -> first line
        self.unused_params: list[list[Any]] = []  # [function, line, [names]]
        self.unused_locals: list[list[Any]] = []  # [function, name, line]

    def enter_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, qualname: str, kind: str) -> None:
        args = node.args
        named = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)
        if kind == "method" and not static and named and named[0].arg in _RECEIVERS:
            named = named[1:]
        every = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a}
        judged = [] if _is_stub(node.body) else [a.arg for a in named if not a.arg.startswith("_")]
        self._params[qualname] = (node.lineno, judged, every)

    def assign(self, targets: Iterable[ast.expr], line: int, scope: str) -> None:
        """``name = value`` in a function: a plain name target (not unpacking, which often names
        parts it does not need)."""
        for target in targets:
            if isinstance(target, ast.Name) and not target.id.startswith("_"):
                self._assigned.setdefault(scope, {}).setdefault(target.id, line)

    def attribute_store(self, node: ast.Attribute, stack: list[tuple[str, str]]) -> None:
        """``self.x = ...`` in a method: an attribute of the method's class."""
        if not (isinstance(node.value, ast.Name) and node.value.id == "self" and len(stack) >= 2
                and stack[-1][1] == "method" and stack[-2][1] == "class"):
            return
        self._self_writes.setdefault(stack[-2][0], {}).setdefault(node.attr, node.lineno)

    def dynamic(self, scopes: list[str]) -> None:
        self._dynamic.update(scopes)

    def leave(self, qualname: str, kind: str, reads: Iterable[str], parent: str | None, globals_: set[str]) -> None:
        """A scope ends: judge a function's names against everything read inside it, then hand
        those reads to the enclosing scope (its variables may be read by this closure)."""
        seen = set(reads) | self._subtree_reads.pop(qualname, set())
        if kind in _FUNCTION_KINDS and qualname in self._dynamic:
            self._params.pop(qualname, None)
            self._assigned.pop(qualname, None)
        elif kind in _FUNCTION_KINDS:
            line, judged, params = self._params.pop(qualname, (0, [], set()))
            unused = [name for name in judged if name not in seen]
            if unused:
                self.unused_params.append([qualname, line, unused])
            for name, assigned_at in self._assigned.pop(qualname, {}).items():
                if name not in seen and name not in globals_ and name not in params:
                    self.unused_locals.append([qualname, name, assigned_at])
        if parent is not None:
            self._subtree_reads.setdefault(parent, set()).update(seen)

    def facts(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.unused_params:
            out["unused_params"] = self.unused_params[:300]
        if self.unused_locals:
            out["unused_locals"] = self.unused_locals[:300]
        writes = [[cls, attr, line] for cls, attrs in self._self_writes.items() for attr, line in attrs.items()]
        if writes:
            out["self_writes"] = writes[:500]
        return out
