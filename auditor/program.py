"""The whole-program view shared by cross-module rules (dead code, seeds, artifacts).

Per module, the ``symbols`` extractor records compact facts: definitions, imports, and for each
scope (module level, each function and method) the calls it makes with their lines. The
``ProgramGraph`` joins them into one networkx graph: nodes are modules (``path``) and symbols
(``path::qualname``); edges say "running this runs that" (calls, imports, class -> methods it
defines are *not* implied). Entry points are roots; rules ask what is reachable.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any, Iterable

import networkx as nx

from auditor.columns import ColumnFacts
from auditor.pymodule import resolve_relative
from auditor.rule import Extractor

MODULE = ""  # the qualname of a module's top-level scope
_IDENTIFIER_STRING = re.compile(r"^(?=.*[^\W_])[\w.:]+$")
# A dotted path inside a longer string: "train = pkg.cli:main", "uvicorn pkg.serve:app"
_DOTTED_IN_TEXT = re.compile(r"(?<![\w./-])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?::[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)?"
                             r"|(?<![\w./-])[A-Za-z_]\w*:[A-Za-z_]\w*(?![\w/])")
_NOT_LITERAL = object()
_CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml", ".cfg", ".ini")


def _end(node: ast.AST) -> int:
    return getattr(node, "end_lineno", None) or node.lineno


def _literal(node: ast.AST) -> Any:
    """The value of a literal (constants, containers of constants, -1); ``_NOT_LITERAL`` otherwise."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)) and isinstance(node.operand, ast.Constant):
        try:
            return -node.operand.value if isinstance(node.op, ast.USub) else not node.operand.value
        except TypeError:
            return _NOT_LITERAL
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return "?" if all(_literal(e) is not _NOT_LITERAL for e in node.elts) else _NOT_LITERAL
    if isinstance(node, ast.Dict):
        parts = [*node.values, *(k for k in node.keys if k is not None)]
        return "?" if len(node.keys) == len(node.values) and None not in node.keys and \
            all(_literal(e) is not _NOT_LITERAL for e in parts) else _NOT_LITERAL
    return _NOT_LITERAL


def _constant_prefix(node: ast.AST) -> str:
    """The constant start of a computed string: ``f"pkg.plugins.{name}"`` -> ``pkg.plugins.``."""
    if isinstance(node, ast.JoinedStr):
        prefix = ""
        for part in node.values:
            if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
                break
            prefix += part.value
        return prefix
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _constant_prefix(node.left)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return ""


def _import_flags(module) -> dict[str, list]:
    """Top-level imports a linter is told to keep (``# noqa``) or that re-export (``import x as x``)."""
    noqa, reexport = [], []
    for node in module.tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            text = module.line_text(node.lineno)
            if "noqa" in text or "pragma" in text or "isort:skip" in text:
                noqa.append(node.lineno)
            for alias in node.names:
                if alias.asname and alias.asname == alias.name.split(".")[-1]:
                    reexport.append(alias.asname)
    return {"noqa": noqa, "reexport": reexport}


class _SymbolVisitor(ast.NodeVisitor):
    def __init__(self, module) -> None:
        self.module = module
        self.defs: list[list[Any]] = []
        self.calls: dict[str, list[list[Any]]] = {MODULE: []}
        self.refs: dict[str, set[str]] = {MODULE: set()}
        self.locals: dict[str, set[str]] = {}  # function scope -> parameters and assigned names
        self.stack: list[tuple[str, str]] = []  # (qualname, kind)
        self.names: set[str] = set()
        self.attrs: set[str] = set()
        self.strings: set[str] = set()
        self.main_guard = False
        self.all: list[str] | None = None
        # dead-code facts
        self.script = False  # top-level calls or `with` blocks: the module does work when run
        self.consts: dict[str, list[Any]] = {}  # module-level NAME = literal -> [line, value or "?"]
        self.assigned_twice: set[str] = set()
        self.globals_declared: set[str] = set()
        self.attr_stores: set[str] = set()
        self.flag_ifs: list[list[Any]] = []  # [name, negated, line, body_start, body_end, else_start, else_end]
        self.columns = ColumnFacts(module)
        self.config_files: set[str] = set()  # file names of configs the code names ("train.yaml")
        self.dynamic_imports: set[str] = set()  # constant prefixes of import_module(f"pkg.{name}")
        self.getattrs: set[str] = set()  # names looked up with getattr/hasattr and a constant string
        self.handlers: list[str] = []  # functions taking (event, context): serverless handlers

    def visit_Module(self, node: ast.Module) -> None:
        for stmt in node.body:
            if isinstance(stmt, (ast.With, ast.AsyncWith)) or (
                    isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
                self.script = True
            self.visit(stmt)

    @property
    def scope(self) -> str:
        return self.stack[-1][0] if self.stack else MODULE

    def _class_scope(self) -> str | None:
        for qualname, kind in reversed(self.stack):
            if kind == "class":
                return qualname
        return None

    def _target(self, func: ast.AST) -> str | None:
        """How a callee is named: ``import:q.name``, ``local:name``, ``self:meth``, ``attr:name``."""
        qualified = self.module.qualified_name(func)
        if qualified:
            return f"import:{qualified}"
        if isinstance(func, ast.Name):
            return f"local:{func.id}"
        if isinstance(func, ast.Attribute):
            if isinstance(func.value, ast.Name) and func.value.id in ("self", "cls"):
                return f"self:{func.attr}"
            if isinstance(func.value, ast.Name):
                return f"local:{func.value.id}.{func.attr}"
            return f"attr:{func.attr}"
        return None

    def _define(self, node: ast.AST, name: str, kind: str) -> str:
        qualname = f"{self.scope}.{name}" if self.scope else name
        decorators = []
        for dec in getattr(node, "decorator_list", []):
            target = dec.func if isinstance(dec, ast.Call) else dec
            decorators.append(self.module.qualified_name(target) or self.module.dotted_name(target) or "?")
        bases = [self.module.qualified_name(b) or self.module.dotted_name(b) or "?" for b in getattr(node, "bases", [])]
        self.defs.append([qualname, kind, node.lineno, getattr(node, "end_lineno", node.lineno), decorators, bases])
        return qualname

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for dec in node.decorator_list:
            self.visit(dec)
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(default)
        kind = "method" if self.stack and self.stack[-1][1] == "class" else "function"
        qualname = self._define(node, node.name, kind)
        self.calls.setdefault(qualname, [])
        self.refs.setdefault(qualname, set())
        args = node.args
        self.locals[qualname] = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs,
                                                   *([args.vararg] if args.vararg else []),
                                                   *([args.kwarg] if args.kwarg else [])]}
        positional = [a.arg for a in [*args.posonlyargs, *args.args]]
        if positional[:2] == ["event", "context"]:
            self.handlers.append(qualname)
        self.stack.append((qualname, kind))
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None and arg.annotation is not None:
                self.visit(arg.annotation)  # a class used only in annotations is still used
                self.columns.annotated(arg.arg, arg.annotation, qualname)
        self.stack.pop()
        self.stack.append((qualname, kind))
        for stmt in node.body:
            self.visit(stmt)
        if node.returns:
            self.visit(node.returns)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        qualname = self._define(node, node.name, "class")
        self.calls.setdefault(qualname, [])
        self.refs.setdefault(qualname, set())
        self.stack.append((qualname, "class"))
        for stmt in node.body:
            self.visit(stmt)
        self.stack.pop()

    def visit_Call(self, node: ast.Call) -> None:
        target = self._target(node.func)
        if target:
            self.calls.setdefault(self.scope, []).append([target, node.lineno])
        self.columns.call(node, self.scope)
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name in ("import_module", "__import__") and node.args and not isinstance(node.args[0], ast.Constant):
            self.dynamic_imports.add(_constant_prefix(node.args[0]))
        if name in ("getattr", "hasattr", "setattr", "delattr") and len(node.args) >= 2 \
                and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
            self.getattrs.add(node.args[1].value)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store) and self.stack and self.stack[-1][1] != "class":
            self.locals.setdefault(self.scope, set()).add(node.id)
        if isinstance(node.ctx, ast.Load):
            self.names.add(node.id)
            self.refs.setdefault(self.scope, set()).add(node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, ast.Store):
            self.attr_stores.add(node.attr)
        if isinstance(node.ctx, ast.Load):
            self.attrs.add(node.attr)
            qualified = self.module.qualified_name(node)
            if qualified:
                self.refs.setdefault(self.scope, set()).add(f"import:{qualified}")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, str) and 0 < len(value) <= 200:
            self.columns.string(node, self.scope)
            if value.endswith(_CONFIG_SUFFIXES) and len(value) > 5:
                self.config_files.add(value.rsplit("/", 1)[-1])
            if _IDENTIFIER_STRING.match(value):
                self.strings.add(value)
            else:
                # "name = pkg.module:function" in a setup.py entry_points list; "pkg.mod:app" commands
                for match in _DOTTED_IN_TEXT.finditer(value):
                    self.strings.add(match.group(0))

    def visit_Return(self, node: ast.Return) -> None:
        self.columns.returned(node, self.scope)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        self.globals_declared.update(node.names)

    def visit_Delete(self, node: ast.Delete) -> None:
        self.columns.delete(node)
        self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (not self.stack and isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
                and test.left.id == "__name__" and any(isinstance(c, ast.Constant) and c.value == "__main__"
                                                       for c in test.comparators)):
            self.main_guard = True
        negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
        name = test.operand if negated else test
        if isinstance(name, ast.Name) and node.body:
            orelse = node.orelse
            self.flag_ifs.append([name.id, negated, node.lineno, node.body[0].lineno, _end(node.body[-1]),
                                  orelse[0].lineno if orelse else 0, _end(orelse[-1]) if orelse else 0])
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        if not self.stack:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    if target.id == "__all__" and isinstance(node.value, (ast.List, ast.Tuple)):
                        self.all = [e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                    self._define(node, target.id, "variable")
                    self._constant(target.id, node.value, node.lineno)
        self.columns.assign(node, self.scope)
        self.generic_visit(node)

    def _constant(self, name: str, value: ast.AST, line: int) -> None:
        if name in self.consts or name in self.assigned_twice:
            self.consts.pop(name, None)
            self.assigned_twice.add(name)
            return
        literal = _literal(value)
        if literal is not _NOT_LITERAL:
            flag = literal if isinstance(literal, (bool, int)) or literal is None else "?"
            self.consts[name] = [line, flag]
        else:
            self.assigned_twice.add(name)  # a computed value: not a fixed switch

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if not self.stack and isinstance(node.target, ast.Name):
            self.consts.pop(node.target.id, None)
            self.assigned_twice.add(node.target.id)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if isinstance(node.target, ast.Name) and (not self.stack or self.stack[-1][1] == "class"):
            self._define(node, node.target.id, "variable" if not self.stack else "attribute")
            if not self.stack and node.value is not None:
                self._constant(node.target.id, node.value, node.lineno)
        if isinstance(node.target, ast.Name) and node.annotation is not None:
            self.columns.annotated(node.target.id, node.annotation, self.scope)
        self.generic_visit(node)


class SymbolFacts(Extractor):
    """Definitions, imports, calls per scope, and every name, attribute and identifier string used."""

    name = "symbols"

    def extract(self, module) -> dict[str, Any]:
        visitor = _SymbolVisitor(module)
        visitor.visit(module.tree)
        imports = []
        for node in module.tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.name == "*" and isinstance(node, ast.ImportFrom):
                        # the module whose public names land here (a star re-export)
                        imports.append(["*", resolve_relative(module.module_name, module.path.endswith("__init__.py"),
                                                              node.level, node.module), node.lineno])
                        continue
                    local = alias.asname or alias.name.split(".")[0]
                    # `import a.b` binds `a` but loads (and depends on) `a.b`
                    target = alias.name if isinstance(node, ast.Import) and not alias.asname \
                        else module.imports.get(local, alias.name)
                    imports.append([local, target, node.lineno])
        return {
            "defs": visitor.defs,
            "calls": {scope: calls for scope, calls in visitor.calls.items() if calls},
            "refs": {scope: sorted(refs) for scope, refs in visitor.refs.items() if refs},
            "imports": imports,
            "names": sorted(visitor.names),
            "attrs": sorted(visitor.attrs),
            "strings": sorted(visitor.strings),
            "main_guard": visitor.main_guard,
            "all": visitor.all,
            "locals": {scope: sorted(names) for scope, names in visitor.locals.items() if names},
            "script": visitor.script,
            "consts": {name: value for name, value in visitor.consts.items()
                       if name not in visitor.globals_declared},
            "attr_stores": sorted(visitor.attr_stores),
            "flag_ifs": visitor.flag_ifs,
            "import_flags": _import_flags(module),
            "columns": visitor.columns.facts(),
            "handlers": visitor.handlers,
            "getattrs": sorted(visitor.getattrs),
            "dynamic_imports": sorted(visitor.dynamic_imports),
            "config_files": sorted(visitor.config_files),
        }


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
            parent = PurePosixPath(path).parent.as_posix()
            prefix = "" if parent == "." else parent + "/"
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
                seen |= nx.descendants(self.graph, root)
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
