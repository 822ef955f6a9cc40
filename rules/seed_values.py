"""Seed values as one module's code shows them, for the ``seeds`` extractor.

``SeedScopes`` walks a module keeping, per scope, the last value bound to each name, the keys set
on dicts (``params["seed"] = 0``) and which parameters have literal defaults; from those it says
what the seed argument of a call is (``seed_expr``) and whether it pins the seed (``classify``:
pinned, missing, not a pin such as ``time.time()``, or derived from another unseeded draw).
"""

from __future__ import annotations

import ast
from typing import Any

from auditor.analysis.program import MODULE
from auditor.analysis.pymodule import NodeWalker
from auditor.rules.seed_tables import Draw, is_non_pin_source, lookup_draw

UNKNOWN = object()  # a seed that may be there but cannot be seen (``**kwargs`` from elsewhere)
UNKNOWN_KEY = ast.Constant(value=None)  # marks a dict whose keys are set where we cannot read them
PIN, NONE, NON_PIN, DERIVED = "pin", "none", "non-pin", "derived"


def _literal_sequence(expr: ast.AST) -> bool:
    """A list, tuple or set of literals, or ``range`` of literals."""
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        return bool(expr.elts) and all(isinstance(e, ast.Constant) for e in expr.elts)
    return isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "range" \
        and bool(expr.args) and all(isinstance(a, ast.Constant) for a in expr.args)


class SeedScopes(NodeWalker):
    """Scoped bindings of names and dicts, and what a seed expression evaluates to."""

    def __init__(self, module) -> None:
        self.m = module
        self.stack: list[tuple[str, str]] = []
        self.scope = MODULE  # the qualname of the innermost scope (the top of ``stack``)
        self.assigned: list[dict[str, ast.AST]] = [{}]  # per scope: name -> last value assigned
        self.dict_keys: list[dict[str, dict[str, ast.AST]]] = [{}]  # name -> {key: value} set by item
        self.defaults: list[dict[str, bool]] = [{}]  # parameter -> has a literal default

    # -- scopes (qualnames as in auditor.analysis.program) ------------------------------------------------
    def _enter(self, node, kind: str) -> None:
        qualname = f"{self.scope}.{node.name}" if self.scope else node.name
        self.stack.append((qualname, kind))
        self.scope = qualname
        self.assigned.append({})
        self.dict_keys.append({})
        self.defaults.append({})

    def _leave(self) -> None:
        self.stack.pop()
        self.scope = self.stack[-1][0] if self.stack else MODULE
        self.assigned.pop()
        self.dict_keys.pop()
        self.defaults.pop()

    def visit_FunctionDef(self, node) -> None:
        for expr in [*node.decorator_list, *node.args.defaults, *(d for d in node.args.kw_defaults if d)]:
            self.visit(expr)
        self._enter(node, "function")
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        defaults = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]], args.defaults))
        defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
        self.defaults[-1] = {name: isinstance(value, ast.Constant) and value.value is not None
                             for name, value in defaults.items()}
        for stmt in node.body:
            self.visit(stmt)
        self._leave()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        self._enter(node, "class")
        for stmt in node.body:
            self.visit(stmt)
        self._leave()

    # -- assignments (seed values and visible ``**params`` dicts) --------------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._store(target, node.value)
            self.visit(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self._store(node.target, node.value)

    def visit_For(self, node: ast.For) -> None:
        """``for seed in [0, 1, 2]:`` or ``range(5)``: each value of the loop variable is written in the
        code, as a literal seed is (its runs are recorded by version control)."""
        self.visit(node.iter)
        if isinstance(node.target, ast.Name) and _literal_sequence(node.iter):
            self.assigned[-1][node.target.id] = ast.Constant(value=0)
        for child in [node.target, *node.body, *node.orelse]:
            self.visit(child)

    visit_AsyncFor = visit_For

    def _store(self, target: ast.AST, value: ast.AST) -> None:
        if isinstance(target, ast.Name):
            self.assigned[-1][target.id] = value
            self.dict_keys[-1].pop(target.id, None)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            if isinstance(target.slice, ast.Constant) and isinstance(target.slice.value, str):
                self.dict_keys[-1].setdefault(target.value.id, {})[target.slice.value] = value
            else:
                self._opaque(target.value.id)  # params[name] = ...: any key may be set
        elif isinstance(target, ast.Attribute) and isinstance(value, ast.Constant):
            self._constant_attribute(target, value)

    def _opaque(self, name: str) -> None:
        """The dict bound to ``name`` gets keys we cannot see: it may carry a seed."""
        self.dict_keys[-1].setdefault(name, {})["*"] = UNKNOWN_KEY

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name):
            self._opaque(node.target.id)
        self.generic_visit(node)

    def _value_of(self, name: str) -> ast.AST | None:
        for scope in (self.assigned[-1], self.assigned[0]):
            if name in scope:
                return scope[name]
        return None

    def _dict_entries(self, expr: ast.AST) -> dict[str, ast.AST] | None:
        """Keys of a dict the code shows (literal, dict(...), or a name bound to one), else None."""
        extra: dict[str, ast.AST] = {}
        if isinstance(expr, ast.Name):
            for keys in (self.dict_keys[-1], self.dict_keys[0]):
                extra = {**keys.get(expr.id, {}), **extra}
            expr = self._value_of(expr.id)
        entries: dict[str, ast.AST] | None = None
        if isinstance(expr, ast.Dict) and None not in expr.keys:
            entries = {k.value: v for k, v in zip(expr.keys, expr.values)
                       if isinstance(k, ast.Constant) and isinstance(k.value, str)}
            if len(entries) != len(expr.keys):
                return None
        elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "dict" \
                and not expr.args and all(k.arg for k in expr.keywords):
            entries = {k.arg: k.value for k in expr.keywords}
        if entries is None or "*" in extra:
            return None
        return {**entries, **extra}

    # -- seed values -------------------------------------------------------------------------------
    def _classify(self, expr: ast.AST, depth: int = 0) -> tuple[str, str]:
        """(PIN | NONE | NON_PIN | DERIVED, detail) for the expression given as a seed."""
        if isinstance(expr, ast.Constant) and expr.value is None:
            return NONE, "None"
        for sub in ast.walk(expr):
            if isinstance(sub, ast.Call):
                qualified = self.m.qualified_name(sub.func)
                if qualified and is_non_pin_source(qualified):
                    return NON_PIN, qualified
                draw = lookup_draw(qualified) if qualified else None
                if draw is not None and draw.library and self._seed_expr(sub, draw) is None:
                    return DERIVED, f"{draw.library}:{qualified}"
            elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and depth < 3:
                value = self._value_of(sub.id)
                if value is not None and value is not expr:
                    state, detail = self._classify(value, depth + 1)
                    if state in (NON_PIN, DERIVED):
                        return state, detail
        return PIN, ""

    def _seed_expr(self, call: ast.Call, draw: Draw) -> Any:
        """The seed argument of a call: an expression, None (absent), or UNKNOWN."""
        for kw in call.keywords:
            if kw.arg in draw.seed_args:
                return kw.value
        position = draw.seed_position
        starred = any(isinstance(a, ast.Starred) for a in call.args)
        if position is not None and len(call.args) > position and \
                not any(isinstance(a, ast.Starred) for a in call.args[:position + 1]):
            return call.args[position]
        for kw in call.keywords:
            if kw.arg is None:
                entries = self._dict_entries(kw.value)
                if entries is None:
                    return UNKNOWN
                for key in draw.seed_args:
                    if key in entries:
                        return entries[key]
        if starred and position is not None:
            return UNKNOWN
        return None

    def _condition_holds(self, call: ast.Call, draw: Draw) -> bool | None:
        if draw.when is None:
            return True
        keyword, random_value, default = draw.when
        for kw in call.keywords:
            if kw.arg == keyword:
                if isinstance(kw.value, ast.Constant):
                    return kw.value.value == random_value
                return None
            if kw.arg is None:
                return None
        return default == random_value

    def _constant_attribute(self, target: ast.Attribute, value: ast.Constant) -> None:
        """``x.y = <constant>``: subclasses record the switches they care about."""

    def _where(self, line: int) -> list[Any]:
        shown, cell = self.m.location(line)
        return [line, shown, cell]

    def _is_constant(self, expr: ast.AST | None) -> bool:
        """A literal seed, a name bound to one, or a parameter whose default is one (all in the code)."""
        if isinstance(expr, ast.Constant):
            return True
        if isinstance(expr, ast.Name):
            value = self._value_of(expr.id)
            if value is not None:
                return isinstance(value, ast.Constant)
            return self.defaults[-1].get(expr.id, False)
        return False

    def _from_config(self, expr: ast.AST | None, depth: int = 0) -> bool:
        """A seed read from a mapping by key (``params["seed"]``, ``cfg.train.seed``): a config file's value."""
        if isinstance(expr, ast.Call) and expr.args and isinstance(expr.func, ast.Name) and expr.func.id in ("int", "str"):
            expr = expr.args[0]
        if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant) and isinstance(expr.slice.value, str):
            return True
        if isinstance(expr, ast.Attribute):
            base = self.m.dotted_name(expr) or ""
            return any(word in base.lower() for word in ("cfg", "conf", "param", "setting", "hparam", "hp."))
        if isinstance(expr, ast.Name) and depth < 2:
            value = self._value_of(expr.id)
            return value is not None and self._from_config(value, depth + 1)
        return False

    @staticmethod
    def _has_fallback(expr: ast.AST | None) -> bool:
        return expr is not None and any(isinstance(n, (ast.IfExp, ast.BoolOp)) for n in ast.walk(expr))
