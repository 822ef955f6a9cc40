"""One walk of a module's syntax tree collecting the facts of the ``symbols`` extractor.

Scopes are named by qualname (``MODULE`` for the top level, ``Class.method`` inside): definitions,
the calls and name references each scope makes, function locals (for shadowing), identifier strings
(entry points named in code), and dead-code facts (module constants used as feature flags, the
``if FLAG:`` blocks they guard). Column facts for the unused-feature rules ride along
(``auditor.analysis.columns``), so the tree is walked once.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from auditor.analysis.columns import ColumnFacts
from auditor.analysis.local_use import LocalUse
from auditor.analysis.pymodule import NodeWalker
from auditor.ml import frameworks as fw
from auditor.ml.frameworks import is_serverless_handler
from auditor.ml.leakage import PATH_READ_PREFIXES

MODULE = ""  # the qualname of a module's top-level scope
_IDENTIFIER_STRING = re.compile(r"^(?=.*[^\W_])[\w.:]+$")
# A dotted path inside a longer string: "train = pkg.cli:main", "uvicorn pkg.serve:app"
_DOTTED_IN_TEXT = re.compile(r"(?<![\w./-])[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?::[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)?"
                             r"|(?<![\w./-])[A-Za-z_]\w*:[A-Za-z_]\w*(?![\w/])")
_NOT_LITERAL = object()
_CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml", ".cfg", ".ini")
# A string that may name data a pipeline reads: a path or a dataset id (a slash), or a file of a
# data format; templates (``"data/{}.csv"``, ``"%s.csv"``) and globs included. Identifier-like
# strings (``"imdb"``, ``"train.csv"``) are in ``strings`` already.
_DATA_STRING = re.compile(r"[/\\]|\.(csv|tsv|parquet|pq|jsonl?|feather|arrow|npy|npz|h5|hdf5|txt|xlsx?|avro|orc|"
                          r"tfrecords?|zip|gz|bz2|xz|tar)\b", re.I)
MAX_DATA_STRINGS = 500  # per module; over it the module's list is None (unknown)


def _literal_path(call: ast.Call) -> bool:
    """A reading call's first argument (or ``path``-like keyword) is written in the source: a string
    or an f-string (kept as a template in ``data_strings``)."""
    first = call.args[0] if call.args else next(
        (kw.value for kw in call.keywords if kw.arg in ("path", "filepath_or_buffer", "file", "fname", "data_files")),
        None)
    return isinstance(first, ast.JoinedStr) or (isinstance(first, ast.Constant) and isinstance(first.value, str))


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


def _executed_path(node: ast.AST) -> str | None:
    """The file ``exec(open(path).read())`` (or ``exec(compile(open(path).read(), ...))``) runs:
    the constant path, "?" when it is computed (a config file named on the command line), None when
    the code run is not read from a file."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "compile" and node.args:
        return _executed_path(node.args[0])
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "read":
        opened = node.func.value
        if isinstance(opened, ast.Call) and isinstance(opened.func, ast.Name) and opened.func.id == "open" \
                and opened.args:
            first = opened.args[0]
            return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else "?"
    return None


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


class SymbolVisitor(NodeWalker):
    def __init__(self, module) -> None:
        self.module = module
        self.scope = MODULE  # the qualname of the innermost scope (the top of ``stack``)
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
        self.data_strings: set[str] = set()  # strings that may name data read (paths, dataset ids, templates)
        # a data set read from a path or id computed at run time (``pd.read_csv(args.data)``): what
        # the module reads is then unknown
        self.computed_data_reads = False
        self.dynamic_imports: set[str] = set()  # constant prefixes of import_module(f"pkg.{name}")
        self.getattrs: set[str] = set()  # names looked up with getattr/hasattr and a constant string
        self.handlers: list[str] = []  # functions a serverless runtime calls (auditor/ml/frameworks.py)
        self.loaded_packages: set[str] = set()  # modules and packages a loader imports (Dagster's load_defs)
        self.executed: set[str] = set()  # paths run with exec(open(path).read()) / runpy.run_path ("?": computed)
        self.name_prefixes: set[str] = set()  # constant starts of names looked up at run time ("Model" + x)
        # unused parameters, locals and attributes (auditor/analysis/local_use.py)
        self.local_use = LocalUse()
        self._callees: set[int] = set()  # ids of the func nodes of calls: a name there is called, not passed
        self.value_names: set[str] = set()  # names read as values (passed, stored), not called
        self.value_attrs: set[str] = set()

    def visit_Module(self, node: ast.Module) -> None:
        for stmt in node.body:
            if isinstance(stmt, (ast.With, ast.AsyncWith)) or (
                    isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
                self.script = True
            self.visit(stmt)

    def _enter(self, qualname: str, kind: str) -> None:
        self.stack.append((qualname, kind))
        self.scope = qualname

    def _leave(self) -> None:
        qualname, kind = self.stack.pop()
        self.scope = self.stack[-1][0] if self.stack else MODULE
        self.local_use.leave(qualname, kind, self.refs.get(qualname, ()), self.scope if self.stack else None,
                             self.globals_declared)

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
        if is_serverless_handler(self.module.path, qualname, positional):
            self.handlers.append(qualname)
        self.local_use.enter_function(node, qualname, kind)
        self._enter(qualname, kind)
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None and arg.annotation is not None:
                self.visit(arg.annotation)  # a class used only in annotations is still used
                self.columns.annotated(arg.arg, arg.annotation, qualname)
        for stmt in node.body:
            self.visit(stmt)
        if node.returns:
            self.visit(node.returns)
        self._leave()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        qualname = self._define(node, node.name, "class")
        self.calls.setdefault(qualname, [])
        self.refs.setdefault(qualname, set())
        self._enter(qualname, "class")
        for stmt in node.body:
            self.visit(stmt)
        self._leave()

    def visit_Call(self, node: ast.Call) -> None:
        self._callees.add(id(node.func))
        target = self._target(node.func)
        # A method called on some object (``df.fillna()``) cannot be resolved to a project symbol,
        # so it is not kept: it was a third of every module's facts (names used are kept apart).
        if target and not target.startswith("attr:"):
            self.calls.setdefault(self.scope, []).append([target, node.lineno])
        self.columns.call(node, self.scope)
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if target and target.startswith("import:"):
            self._imported_call(node, target[7:])
        if name in ("locals", "vars", "eval", "exec") and isinstance(func, ast.Name):
            self.local_use.dynamic([q for q, _ in self.stack])  # names may be read without being spelled
        if name in ("import_module", "__import__") and node.args and not isinstance(node.args[0], ast.Constant):
            self.dynamic_imports.add(_constant_prefix(node.args[0]))
        if name in ("getattr", "hasattr", "setattr", "delattr") and len(node.args) >= 2 \
                and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
            self.getattrs.add(node.args[1].value)
        else:
            self._dynamic_use(node, name, func)
        self.generic_visit(node)

    def _imported_call(self, node: ast.Call, qualified: str) -> None:
        """A call of an imported function: a package loader (its modules are roots), or a data set
        read from a path or id computed at run time."""
        if qualified in fw.PACKAGE_LOADERS:
            self._loaded_modules(node)
        if qualified.startswith(PATH_READ_PREFIXES) and not _literal_path(node):
            self.computed_data_reads = True

    def _loaded_modules(self, node: ast.Call) -> None:
        """The modules a package loader reads (``load_defs(pkg.defs)``,
        ``load_assets_from_modules([assets, jobs])``, ``load_assets_from_package_name("pkg.assets")``):
        each as a qualified module name, recorded for the dead-code roots."""
        arguments = [*node.args, *(kw.value for kw in node.keywords if kw.arg in (
            "package_module", "package_name", "modules", "defs_root"))]
        for argument in arguments[:3]:
            items = argument.elts if isinstance(argument, (ast.List, ast.Tuple)) else [argument]
            for item in items:
                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                    self.loaded_packages.add(item.value)
                else:
                    qualified = self.module.qualified_name(item)
                    if qualified:
                        self.loaded_packages.add(qualified)

    def _dynamic_use(self, node: ast.Call, name: str, func: ast.AST) -> None:
        """Names built at run time (``getattr(m, "Model" + x)``, ``eval("TF" + x)``) and files run by
        path (``exec(open(path).read())``, ``runpy.run_path(path)``)."""
        if name in ("getattr", "hasattr") and len(node.args) >= 2:
            self._name_prefix(node.args[1])
        elif name == "eval" and isinstance(func, ast.Name) and node.args:
            self._name_prefix(node.args[0])
        elif name == "exec" and isinstance(func, ast.Name) and node.args:
            executed = _executed_path(node.args[0])
            if executed is not None:
                self.executed.add(executed)
        elif name == "run_path" and node.args:
            first = node.args[0]
            self.executed.add(first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else "?")

    def visit_Subscript(self, node: ast.Subscript) -> None:
        value = node.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in ("globals", "vars"):
            self._name_prefix(node.slice)  # globals()[name]: any module-level name may be read
        self.generic_visit(node)

    def _name_prefix(self, node: ast.AST) -> None:
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            self.name_prefixes.add(_constant_prefix(node))

    def visit_Name(self, node: ast.Name) -> None:  # the most frequent node: exact class tests
        ctx = node.ctx.__class__
        if ctx is ast.Load:
            self.names.add(node.id)
            self.refs[self.scope].add(node.id)  # made when the scope was entered
            if id(node) not in self._callees:
                self.value_names.add(node.id)
        elif ctx is ast.Store and self.stack and self.stack[-1][1] != "class":
            self.locals.setdefault(self.scope, set()).add(node.id)
        elif ctx is ast.Del:
            self.refs[self.scope].add(node.id)  # `del x` is the last use of x, not an unused value

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, ast.Store):
            self.attr_stores.add(node.attr)
            self.local_use.attribute_store(node, self.stack)
        if isinstance(node.ctx, ast.Load):
            self.attrs.add(node.attr)
            if id(node) not in self._callees:
                self.value_attrs.add(node.attr)
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
                return
            if _DATA_STRING.search(value):
                self.data_strings.add(value)
            if "." in value or ":" in value:  # each match has one (the search is slow)
                # "name = pkg.module:function" in a setup.py entry_points list; "pkg.mod:app" commands
                for match in _DOTTED_IN_TEXT.finditer(value):
                    self.strings.add(match.group(0))

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        """An f-string that may name data: kept as a template, ``f"data/{split}.csv"`` -> ``data/{}.csv``."""
        template = "".join(part.value if isinstance(part, ast.Constant) and isinstance(part.value, str) else "{}"
                           for part in node.values)
        if len(template) <= 200 and _DATA_STRING.search(template):
            self.data_strings.add(template)
        self.generic_visit(node)

    def visit_Return(self, node: ast.Return) -> None:
        self.columns.returned(node, self.scope)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        self.globals_declared.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.refs[self.scope].update(node.names)  # the enclosing function's variable is used here

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
        elif self.stack[-1][1] != "class":
            self.local_use.assign(node.targets, node.lineno, self.scope)
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
        if isinstance(node.target, ast.Name):
            self.refs[self.scope].add(node.target.id)  # `x += 1` reads x
        if not self.stack and isinstance(node.target, ast.Name):
            self.consts.pop(node.target.id, None)
            self.assigned_twice.add(node.target.id)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if self.stack and self.stack[-1][1] != "class" and node.value is not None:
            self.local_use.assign([node.target], node.lineno, self.scope)
        if isinstance(node.target, ast.Name) and (not self.stack or self.stack[-1][1] == "class"):
            self._define(node, node.target.id, "variable" if not self.stack else "attribute")
            if not self.stack and node.value is not None:
                self._constant(node.target.id, node.value, node.lineno)
        if isinstance(node.target, ast.Name) and node.annotation is not None:
            self.columns.annotated(node.target.id, node.annotation, self.scope)
        self.generic_visit(node)
