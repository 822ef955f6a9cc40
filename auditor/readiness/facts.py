"""Per-module usage facts for the readiness score: what a module imports, calls, saves and loads.

One walk of the tree; the result is small JSON (names, first lines, a few literals) so it can be
cached with the module's other facts and read by the readiness checks without the tree.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from auditor.analysis.pymodule import Extractor
from auditor.ml.models import FIT_METHODS, MODEL_LOAD_CALLS, MODEL_LOAD_METHODS, MODEL_PATH_WORD, MODEL_SAVE_CALLS, MODEL_SAVE_METHODS
from auditor.ml.operations import failure_notices, failure_notices_off
from auditor.ml.tracking import DAGSTER_ASSET_DECORATORS, FIT_CALLS, dagster_io_manager_store

MAX_ENTRIES = 300  # per table and module: a generated 50k-line module must not bloat the cache

# Words looked for in identifiers, keyword names and short strings, reduced to a marker name.
MARKERS = {
    "holdout-cohort": re.compile(r"holdout_?(group|cohort|percent|pct|users|traffic)|control_?group|ab_?test",
                                 re.I),
    "champion": re.compile(r"champion|challenger", re.I),
    "time-travel": re.compile(r"versionAsOf|timestampAsOf|VERSION AS OF|TIMESTAMP AS OF|as_of_timestamp|snapshot_id",
                              re.I),
    "held-out": re.compile(r"^(x_|y_)?(test|holdout|valid|val)(_(set|df|data|split|ds|dataset|loader|x|y))?$"
                           r"|test_size|validation_split|holdout", re.I),
}
_URI = re.compile(r"^(models|runs|s3|s3a|gs|gcs|hdfs|abfss?|wasbs?|dbfs|hf|wandb-artifact)(:/|://)", re.I)

# Patterns whose source, lower-cased, would mean something else: escapes of letters or digits other
# than \w \d \s \b (\W, \x41), inline flags, and classes naming upper-case letters ([A-z]).
_CASE_SENSITIVE_SYNTAX = re.compile(r"\\[^\Wwdsb]|\(\?[-a-zA-Z]|\[[^\]]*[A-Z]")


def _lowered(pattern: re.Pattern) -> re.Pattern | None:
    """The same search for lower-cased ASCII text, without IGNORECASE (twice as fast), or None when
    lower-casing the pattern could change what it matches."""
    source = pattern.pattern
    if pattern.flags != re.IGNORECASE | re.UNICODE or not source.isascii() or _CASE_SENSITIVE_SYNTAX.search(source):
        return None
    return re.compile(source.lower())


_LOWERED = {name: _lowered(pattern) for name, pattern in MARKERS.items()}
# The markers each text matches, kept across the modules a worker reads: identifiers and short
# strings recur from file to file (self, model, config), and sixteen case-insensitive searches per
# new text were a tenth of the per-file phase. Cleared when full, so it stays a few megabytes.
_MARKERS_OF: dict[str, tuple[str, ...]] = {}
_MARKERS_OF_SIZE = 50_000


def _markers_in(text: str) -> tuple[str, ...]:
    found = _MARKERS_OF.get(text)
    if found is None:
        if len(_MARKERS_OF) >= _MARKERS_OF_SIZE:
            _MARKERS_OF.clear()
        found = _MARKERS_OF[text] = tuple(_search_markers(text))
    return found


def _search_markers(text: str):
    lowered = text.lower() if text.isascii() else None  # IGNORECASE folds more than lower() beyond ASCII
    for name, pattern in MARKERS.items():
        fast = _LOWERED[name]
        if (fast.search(lowered) if lowered is not None and fast is not None else pattern.search(text)):
            yield name


def _short(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 120


# Metrics whose first argument names the rows they score: one named for training scores nothing held out.
# (Mutual information between two columns is a feature statistic, not a model's score.)
_METRICS = ("sklearn.metrics.",)
# Methods that score a model on the rows they are given (`model.score(X_test, y_test)`, `model.evaluate(val_ds)`).
_SCORE_METHODS = frozenset({"score", "evaluate"})
_HELD_OUT_NAME = MARKERS["held-out"]
# Picking a file by its modification time: `max(paths, key=os.path.getmtime)`, `files.sort(key=lambda p: p.stat().st_mtime)`.
_PICKERS = frozenset({"max", "min", "sorted", "sort"})
_FILE_TIME = re.compile(r"\b(getmtime|getctime|st_mtime|st_ctime)\b")
_TRAINING_ROWS = re.compile(r"train", re.I)


def _name_of(node: ast.AST | None) -> str:
    """The name an expression starts from (``y_train``, ``df`` of ``df.churn``, ``self.tokenizer``'s
    ``tokenizer``), or ""."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _first_argument(node: ast.Call) -> str:
    """The source name of a call's first argument (``y_train``, ``df.churn``), or ""."""
    return _name_of(node.args[0] if node.args else None)


def _held_out_argument(node: ast.Call) -> str:
    """The first argument of a call named as held-out rows (``y_test``, ``val_ds``), or ""."""
    for arg in [*node.args, *(kw.value for kw in node.keywords)]:
        name = _name_of(arg)
        if name and _HELD_OUT_NAME.search(name):
            return name
    return ""


def _literal(node: ast.AST) -> Any:
    """A value as ``failure_notices`` reads it: a constant's value, ``()`` for an empty collection,
    else the node itself (a list of addresses, a callback, a variable: something is set)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)) and not node.elts:
        return ()
    return node


def _is_open_call(node: ast.AST) -> bool:
    """`open(PATH, ...)`: its first argument is the path a handle writes to or reads from."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open" and bool(node.args)


def _arg(node: ast.Call, index: int | None) -> ast.AST | None:
    return node.args[index] if index is not None and len(node.args) > index else None


def _fstring_path(node: ast.JoinedStr) -> tuple[str, str | None]:
    if all(isinstance(v, ast.Constant) for v in node.values):
        return "literal", "".join(str(v.value) for v in node.values)
    return "parameterised", None


class _Walker:
    def __init__(self, module) -> None:
        self.module = module
        self.imports: dict[str, int] = {}
        self.calls: dict[str, int] = {}
        self.methods: dict[str, int] = {}
        self.markers: dict[str, int] = {}
        self._texts: dict[str, int] = {}  # every identifier and short string, with its first line
        self.kwargs: dict[str, int] = {}
        self.uris: dict[str, int] = {}
        self.strings: dict[str, dict[str, int]] = {}  # call name -> literal string argument -> line
        self.saves: list[dict[str, Any]] = []
        self.loads: list[dict[str, Any]] = []
        self.constants: dict[str, str] = {}  # module-level NAME = "literal"
        self.handles: dict[str, ast.AST] = {}  # `with open(PATH, "wb") as handle` -> PATH
        self.main = False
        self.defs: dict[str, int] = {}
        self.notices: dict[str, int] = {}  # failure notices switched on (auditor/ml/operations.py) -> line
        self.notices_off: dict[str, int] = {}  # ... and switched off
        self.scores: dict[str, int] = {}  # metric calls whose rows are not named for training -> first line
        self.scored_held_out: dict[str, int] = {}  # a held-out name passed to a metric or score call -> line
        self.newest: dict[str, int] = {}  # a file picked by its modification time (max/sorted by getmtime) -> line
        self._scoring_defs: set[str] = set()  # functions of this module whose body scores rows
        self._local_calls: list[tuple[str, str, int]] = []  # (local function, held-out name given to it, line)
        self.io_managers: list[dict[str, Any]] = []  # Dagster IO managers under a resource key (auditor/ml/tracking.py)
        self.assets: list[dict[str, Any]] = []  # Dagster assets: name, line, IO manager key, whether they fit a model

    # -- helpers --------------------------------------------------------------------------------
    @staticmethod
    def _put(table: dict, key: str, line: int) -> None:
        if key not in table and len(table) < MAX_ENTRIES:
            table[key] = line

    def _mark(self, text: str, line: int) -> None:
        # Names repeat (``self``, ``df``, ``x``): remember each text's first line, match it once.
        if text and len(text) <= 120 and text not in self._texts:
            self._texts[text] = line

    def _match_markers(self) -> None:
        markers = self.markers
        for text, line in self._texts.items():
            for name in _markers_in(text):
                if name not in markers:
                    markers[name] = line

    def _path(self, node: ast.AST | None) -> tuple[str, str | None]:
        """(kind, literal): 'literal' paths are constant (the same file every run), 'parameterised' ones
        are built from values (a version, a run id, an argument), 'unknown' ones come from elsewhere."""
        if node is None:
            return "unknown", None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return "literal", node.value
        if isinstance(node, ast.Name):
            return self._name_path(node.id)
        if _is_open_call(node):
            return self._path(node.args[0])
        if isinstance(node, ast.JoinedStr):
            return _fstring_path(node)
        parts = self._path_parts(node)
        if not parts:
            return "unknown", None
        resolved = [self._path(part) for part in parts]
        if all(kind == "literal" for kind, _ in resolved):
            return "literal", "/".join(value for _, value in resolved if value)
        return "parameterised", None

    def _name_path(self, name: str) -> tuple[str, str | None]:
        if name in self.constants:
            return "literal", self.constants[name]
        if name in self.handles:
            return self._path(self.handles[name])
        return "unknown", None

    def _path_parts(self, node: ast.AST) -> list[ast.AST]:
        """The pieces a path expression joins; empty when it is not a join."""
        if isinstance(node, ast.BinOp):  # "dir/" + name, Path(dir) / "m.pkl", "%s.pkl" % name
            return [node.left, node.right]
        if not isinstance(node, ast.Call):
            return []
        # os.path.join(...), Path(...), str(...)
        last = (self.module.dotted_name(node.func) or "").split(".")[-1]
        if last not in ("join", "Path", "PurePath", "str", "joinpath", "format"):
            return []
        parts = list(node.args)
        if isinstance(node.func, ast.Attribute) and last in ("joinpath", "format"):
            parts.insert(0, node.func.value)
        return parts

    def _record_io(self, table: list, call: str, line: int, path_node: ast.AST | None, saved: str = "") -> None:
        """One save or load: its call, line and path (``saved``: the name of the object a save writes)."""
        if len(table) >= MAX_ENTRIES:
            return
        kind, literal = self._path(path_node)
        entry = {"call": call, "line": line, "path": literal, "kind": kind}
        if saved:
            entry["saved"] = saved
        table.append(entry)

    # -- walk -----------------------------------------------------------------------------------
    def run(self) -> None:
        tree = self.module.tree
        for stmt in tree.body:  # module-level string constants, for paths like MODEL_PATH
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant) and \
                    isinstance(stmt.value.value, str):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        self.constants[target.id] = stmt.value.value
        # One visitor per node type (the types are disjoint), looked up instead of tested in turn;
        # identifiers (a third of all nodes) are marked in bulk, by the field that holds them.
        visitors = {
            ast.Import: self._import, ast.ImportFrom: self._import_from, ast.With: self._with,
            ast.FunctionDef: self._def, ast.AsyncFunctionDef: self._def,
            ast.ClassDef: self._def, ast.Name: "id", ast.arg: "arg", ast.Attribute: "attr",
            ast.Constant: self._constant, ast.If: self._if, ast.Dict: self._dict, ast.Call: self._call,
        }
        # The module's shared node index, type by type: no walk of our own. Calls come last, so
        # the file handles of `with open(...)` blocks are known when the calls are read.
        for kind, visit in visitors.items():
            if isinstance(visit, str):
                self._mark_identifiers(self.module.nodes(kind), visit)
                continue
            for node in self.module.nodes(kind):
                visit(node, getattr(node, "lineno", 0))
        self._match_markers()
        self._scored_by_local_functions()

    def _mark_identifiers(self, nodes: list[ast.AST], field: str) -> None:
        """``_mark`` for each node's identifier (never empty) in ``field``."""
        texts = self._texts
        for node in nodes:
            text = getattr(node, field)
            if text not in texts and len(text) <= 120:
                texts[text] = node.lineno

    def _import(self, node: ast.Import, line: int) -> None:
        for alias in node.names:
            self._put(self.imports, alias.name, line)

    def _import_from(self, node: ast.ImportFrom, line: int) -> None:
        for alias in node.names:  # the module and each imported name: `azureml.core.Run`
            full = self.module.imports.get(alias.asname or alias.name, "")
            module = full.rsplit(".", 1)[0] if full else (node.module or "")
            if module:
                self._put(self.imports, module, line)
            if full:
                self._put(self.imports, full, line)

    def _with(self, node: ast.With, line: int) -> None:
        for item in node.items:
            if isinstance(item.optional_vars, ast.Name) and _is_open_call(item.context_expr):
                self.handles[item.optional_vars.id] = item.context_expr.args[0]

    def _def(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, line: int) -> None:
        self._put(self.defs, node.name, line)
        self._mark(node.name, line)
        if not isinstance(node, ast.ClassDef) and node.decorator_list and len(self.assets) < MAX_ENTRIES:
            self._asset(node, line)

    def _asset(self, node: ast.FunctionDef | ast.AsyncFunctionDef, line: int) -> None:
        """A Dagster asset: which IO manager key stores what it returns (``io_manager`` unless it
        names one), and whether its body fits a model (a fit method, ``curve_fit``, ``xgboost.train``)."""
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            if self.module.qualified_name(call.func if call else decorator) not in DAGSTER_ASSET_DECORATORS:
                continue
            keys = [kw.value.value for kw in (call.keywords if call else ()) if kw.arg == "io_manager_key"
                    and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str)]
            returns = ast.unparse(node.returns) if node.returns is not None else ""
            fits = "DataFrame" not in returns and any(isinstance(inner, ast.Call) and (
                (isinstance(inner.func, ast.Attribute) and inner.func.attr in FIT_METHODS)
                or self.module.qualified_name(inner.func) in FIT_CALLS) for inner in ast.walk(node))
            self.assets.append({"name": node.name, "line": line, "key": keys[0] if keys else "io_manager", "fits": fits})
            return

    def _constant(self, node: ast.Constant, line: int) -> None:
        if not _short(node.value):
            return
        self._mark(node.value, line)
        if _URI.match(node.value):
            self._put(self.uris, node.value, line)

    def _if(self, node: ast.If, line: int) -> None:
        test = node.test
        if isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__":
            self.main = True

    def _dict(self, node: ast.Dict, line: int) -> None:
        keys = {key.value: _literal(value) for key, value in zip(node.keys, node.values)
                if isinstance(key, ast.Constant) and isinstance(key.value, str)}
        self._notices(keys, line)
        for key, value in keys.items():
            if isinstance(value, ast.Call) and len(self.io_managers) < MAX_ENTRIES:
                name = self.module.qualified_name(value.func)
                store = dagster_io_manager_store(name) if name else None
                if store:
                    self.io_managers.append({"key": key, "class": name, "store": store, "line": value.lineno})

    def _notices(self, keys: dict[str, Any], line: int) -> None:
        for notice in failure_notices(keys) if keys else ():
            self._put(self.notices, notice, line)
        for notice in failure_notices_off(keys) if keys else ():
            self._put(self.notices_off, notice, line)

    def _call(self, node: ast.Call, line: int) -> None:
        self._notices({kw.arg: _literal(kw.value) for kw in node.keywords if kw.arg}, line)
        self._newest(node, line)
        name = self.module.qualified_name(node.func)
        if name is None and isinstance(node.func, ast.Name) and node.func.id in ("open", "print"):
            name = node.func.id
        for keyword in node.keywords:
            if keyword.arg:
                self._put(self.kwargs, keyword.arg, line)
                self._mark(keyword.arg, line)
        if name is not None:
            self._named_call(name, node, line)
        elif isinstance(node.func, ast.Name) and len(self._local_calls) < MAX_ENTRIES:
            held_out = _held_out_argument(node)
            if held_out:
                self._local_calls.append((node.func.id, held_out, line))
        elif isinstance(node.func, ast.Attribute):
            self._method_call(node.func.attr, node, line)

    def _newest(self, node: ast.Call, line: int) -> None:
        """``max(files, key=os.path.getmtime)``: the newest file is picked, whatever its version."""
        func = node.func
        picker = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if picker in _PICKERS:
            for keyword in node.keywords:
                found = keyword.arg == "key" and _FILE_TIME.search(ast.unparse(keyword.value))
                if found:
                    self._put(self.newest, f"{picker}(..., key={found.group(1)})", line)

    def _held_out_scored(self, call: str, node: ast.Call, line: int) -> None:
        """A held-out name among the rows a metric or score call is given: ``r2_score(y_test, ...)``;
        and the function around the call scores what it is given."""
        name = _held_out_argument(node)
        if name:
            self._put(self.scored_held_out, f"passes held-out `{name}` to `{call}`", line)
        parent = self.module.parent(node)
        while parent is not None and not isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef)):
            parent = self.module.parent(parent)
        if parent is not None:
            self._scoring_defs.add(parent.name)

    def _scored_by_local_functions(self) -> None:
        """``evaluate(model, test, ...)`` where this module's ``evaluate`` calls a metric: the held-out
        rows are scored one call away."""
        for function, name, line in self._local_calls:
            if function in self._scoring_defs:
                self._put(self.scored_held_out, f"passes held-out `{name}` to `{function}`, which scores it", line)

    def _named_call(self, name: str, node: ast.Call, line: int) -> None:
        self._put(self.calls, name, line)
        if name.startswith(_METRICS) or name.rsplit(".", 1)[-1] in _SCORE_METHODS:
            self._held_out_scored(name, node, line)
        if name.startswith(_METRICS) and not _TRAINING_ROWS.search(_first_argument(node)) and "mutual_info" not in name:
            self._put(self.scores, name, line)  # `r2_score(y_train, ...)` scores the training rows
        literals = [a.value for a in node.args[:2] if isinstance(a, ast.Constant) and _short(a.value)]
        if literals and len(self.strings) < MAX_ENTRIES:
            table = self.strings.setdefault(name, {})
            for literal in literals:
                if len(table) < 20:
                    table.setdefault(literal, line)
        if name in MODEL_SAVE_CALLS:
            self._record_io(self.saves, name, line, _arg(node, MODEL_SAVE_CALLS[name]), _name_of(_arg(node, 0)))
        elif name in MODEL_LOAD_CALLS:
            self._record_io(self.loads, name, line, _arg(node, MODEL_LOAD_CALLS[name]))
        elif name.endswith((".load_model", ".from_pretrained")):
            self._record_io(self.loads, name, line, _arg(node, 0))
        elif name.endswith((".log_model", ".save_model")):
            self._record_io(self.saves, name, line, _arg(node, 1))

    def _method_call(self, method: str, node: ast.Call, line: int) -> None:
        self._put(self.methods, method, line)
        if method in _SCORE_METHODS:
            self._held_out_scored(f".{method}", node, line)
        if not node.args:
            return
        if method in MODEL_SAVE_METHODS or method == "save":
            kind, literal = self._path(node.args[0])
            # `.save(...)` is also an image or a dataframe: only paths that look like models count.
            if method != "save" or (literal and MODEL_PATH_WORD.search(literal)):
                receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
                self._record_io(self.saves, f".{method}", line, node.args[0], _name_of(receiver))
        elif method in MODEL_LOAD_METHODS:
            self._record_io(self.loads, f".{method}", line, node.args[0])

    def result(self) -> dict[str, Any]:
        return {
            "imports": self.imports, "calls": self.calls, "methods": self.methods, "kwargs": self.kwargs,
            "markers": self.markers, "uris": self.uris, "strings": self.strings, "saves": self.saves,
            "loads": self.loads, "defs": self.defs, "main": self.main, "notices": self.notices,
            "notices_off": self.notices_off, "scores": self.scores, "io_managers": self.io_managers,
            "assets": self.assets, "scored_held_out": self.scored_held_out, "newest": self.newest,
        }


class UsageFacts(Extractor):
    """Imports, qualified calls, method names, markers, model saves and loads of one module."""

    name = "usage"

    def extract(self, module) -> dict[str, Any]:
        walker = _Walker(module)
        walker.run()
        return walker.result()
