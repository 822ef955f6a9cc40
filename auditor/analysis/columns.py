"""Data-frame column facts, collected during the ``symbols`` pass (no second walk of the tree).

A column is *produced* where a frame gets it (``df["x"] = ...``, ``df.loc[:, "x"] = ...``,
``row["x"] = row["a"] / row["b"]`` on a value that may be a dict: "key", a production only the
serving side of the skew rule counts,
``assign(x=...)``, ``rename(columns={...: "x"})``, Spark ``withColumn``, polars ``alias``, the keys a
feature function returns, feature-store ``Field(name=...)``). Every other occurrence of the name as a
string is a possible *use*; occurrences at production sites and in drops are not, so the module
records which strings occur only there (``site_only``). Frames that leave the code wholesale (written
to disk, columns selected by dtype or pattern) are recorded too, because they make "unused" uncertain.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from typing import Any

FRAME_LIBRARIES = ("pandas.", "polars.", "pyspark.", "dask.dataframe", "modin.", "cudf.", "pandera.")
# Methods that return a (new) frame when called on a frame.
FRAME_METHODS = frozenset({
    "copy", "merge", "join", "assign", "drop", "dropna", "fillna", "reset_index", "set_index", "sort_values",
    "query", "rename", "pipe", "astype", "head", "tail", "sample", "loc", "iloc", "filter", "select",
    "with_columns", "withColumn", "toPandas", "to_pandas", "drop_duplicates", "replace", "explode", "melt",
    "pivot_table", "reindex", "agg", "apply", "transform", "where", "mask", "clip", "round", "abs",
})
WRITES = frozenset({
    "to_parquet", "to_csv", "to_sql", "to_feather", "to_pickle", "to_json", "to_hdf", "to_excel", "to_orc",
    "saveAsTable", "insertInto", "write_parquet", "write_csv", "write_delta", "sink_parquet", "to_delta",
})
SERIES_ACCESSORS = frozenset({"dt", "str", "cat"})
_TARGET_VARIABLE = re.compile(r"^(target|label|y|outcome)(_\w+)?$|_(target|label)s?$", re.I)
FEATURE_STORE_FIELDS = ("feast.Field", "feast.Feature", "feast.field.Field", "feast.feature.Feature")


def _frame_name(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    lowered = last.lower()
    return lowered.startswith("df") or lowered.endswith("df") or "frame" in lowered


_COLUMN_LIST_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$|col|feature|field|keep|select|report|output", re.I)


def _names_columns(index: ast.AST) -> bool:
    """An index that names columns: a list or string literal, or a variable named like a column
    list (``REPORT_COLUMNS``, ``feature_cols``). A mask (``df[df.x > 0]``) selects rows, all columns."""
    if isinstance(index, ast.List) or _str(index):
        return True
    name = index.attr if isinstance(index, ast.Attribute) else index.id if isinstance(index, ast.Name) else None
    return bool(name and _COLUMN_LIST_NAME.search(name) and "mask" not in name.lower())


def _selects_columns(receiver: ast.AST) -> bool:
    """``df[COLS]`` or ``df.loc[:, COLS]``: the frame written is cut to those columns."""
    if not isinstance(receiver, ast.Subscript):
        return False
    index = receiver.slice
    if isinstance(receiver.value, ast.Attribute) and receiver.value.attr in ("loc", "iloc"):
        return isinstance(index, ast.Tuple) and len(index.elts) == 2 and _names_columns(index.elts[1])
    return _names_columns(index)


def _str(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


class ColumnFacts:
    def __init__(self, module) -> None:
        self.module = module
        self.produced: list[list[Any]] = []  # [name, line, how, scope]
        self.frames: dict[str, set[str]] = {}  # scope -> variable names known to hold frames
        self.sites: set[int] = set()  # ids of string constants at production and drop sites
        self.site_counts: Counter[str] = Counter()
        self.totals: Counter[str] = Counter()
        self.escapes: list[list[Any]] = []  # [how, line, scope]: frames written out wholesale
        self.dynamic: list[list[Any]] = []  # [how, line]: columns chosen by dtype or pattern
        self.patterns: set[str] = set()  # prefixes/suffixes columns are selected by
        # where each string is read: function scopes, or module level (for legacy-feature checks)
        self.read_scopes: dict[str, set[str]] = {}
        self.module_level: set[str] = set()
        self.targets: set[str] = set()  # label columns (never expected at serving time)
        self._polars = any(q.startswith(("polars", "pyspark")) for q in module.imports.values())

    # -- helpers --------------------------------------------------------------------------------
    def _is_frame_var(self, name: str | None, scope: str) -> bool:
        if not name:
            return False
        return name in self.frames.get(scope, ()) or name in self.frames.get("", ()) or _frame_name(name)

    def _frame_source(self, value: ast.AST, scope: str) -> bool:
        if isinstance(value, ast.Call):
            qualified = self.module.qualified_name(value.func) or ""
            if qualified.startswith(FRAME_LIBRARIES):
                return True
            func = value.func
            if isinstance(func, ast.Attribute):
                if func.attr in ("createDataFrame", "toPandas", "to_pandas", "read_parquet", "read_csv"):
                    return True
                receiver = self.module.dotted_name(func.value)
                return func.attr in FRAME_METHODS and self._is_frame_var(receiver, scope)
        if isinstance(value, ast.Subscript) and isinstance(value.slice, ast.List):
            return self._is_frame_var(self.module.dotted_name(value.value), scope)
        return False

    def _rhs_frame_work(self, name: str, value: ast.AST) -> str | None:
        """What on the right makes ``name[...] = ...`` a column: a pandas call or a ``.dt``/``.str``
        accessor ("assignment"); or only another key of the same value (``df["a"] = df["b"] / 2``,
        but also ``data["nc"] = len(data["names"])`` on a dict: "key"); None: neither."""
        same_value = False
        for node in ast.walk(value):
            if isinstance(node, ast.Subscript) and _str(node.slice) is not None \
                    and self.module.dotted_name(node.value) == name:
                same_value = True
            if isinstance(node, ast.Attribute) and node.attr in SERIES_ACCESSORS:
                return "assignment"
            if isinstance(node, ast.Call):
                qualified = self.module.qualified_name(node.func) or ""
                if qualified.startswith(FRAME_LIBRARIES):
                    return "assignment"
        return "key" if same_value else None

    def _produce(self, constant: ast.AST, how: str, scope: str) -> None:
        name = _str(constant)
        if name and name.isidentifier():
            self.produced.append([name, constant.lineno, how, scope])
            self._site(constant)

    def _site(self, node: ast.AST) -> None:
        for child in ast.walk(node):
            if _str(child) is not None:
                self.sites.add(id(child))

    # -- hooks called by the symbol visitor -------------------------------------------------------
    def string(self, node: ast.Constant, scope: str) -> None:
        self.totals[node.value] += 1
        if id(node) in self.sites:
            self.site_counts[node.value] += 1
        elif scope:
            self.read_scopes.setdefault(node.value, set()).add(scope)
        else:
            self.module_level.add(node.value)

    def annotated(self, name: str, annotation: ast.AST, scope: str) -> None:
        spelled = self.module.qualified_name(annotation) or self.module.dotted_name(annotation) or ""
        if spelled.endswith("DataFrame"):
            self.frames.setdefault(scope, set()).add(name)

    def assign(self, node: ast.Assign, scope: str) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._target_name(target.id, node.value)
                if self._frame_source(node.value, scope):
                    self.frames.setdefault(scope, set()).add(target.id)
                continue
            if not isinstance(target, ast.Subscript):
                continue
            base, key = target.value, target.slice
            if isinstance(base, ast.Attribute) and base.attr in ("loc", "at") and isinstance(key, ast.Tuple) \
                    and key.elts:
                self._produce(key.elts[-1], "loc", scope)
                continue
            name = self.module.dotted_name(base)
            keys = key.elts if isinstance(key, ast.List) else [key]
            if not name or not all(_str(k) for k in keys):
                continue
            how = "assignment" if self._is_frame_var(name, scope) else self._rhs_frame_work(name, node.value)
            if how:  # "key": a dict's as likely as a frame's (hyperparameters, a dataset's yaml)
                for k in keys:
                    self._produce(k, how, scope)

    def _target_name(self, variable: str, value: ast.AST) -> None:
        """Remember label columns: ``target = "churned"``, ``y_train = df["duration"].values``."""
        if _TARGET_VARIABLE.match(variable) and _str(value):
            self.targets.add(value.value)
        elif variable.lower().startswith("y"):
            for node in ast.walk(value):
                if isinstance(node, ast.Subscript) and _str(node.slice):
                    self.targets.add(node.slice.value)
                    break

    def delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Subscript):
                self._site(target.slice)

    def returned(self, node: ast.Return, scope: str) -> None:
        if "feature" in scope.rsplit(".", 1)[-1].lower() and isinstance(node.value, ast.Dict):
            for key in node.value.keys:
                if key is not None:
                    self._produce(key, "returned-key", scope)

    def call(self, node: ast.Call, scope: str) -> None:
        func = node.func
        if not isinstance(func, ast.Attribute):
            self._feature_store_field(node, scope)
            return
        handler = _METHOD_HANDLERS.get(func.attr)
        if handler is not None:
            handler(self, node, scope)

    # -- one handler per frame method (see _METHOD_HANDLERS) ---------------------------------------
    def _feature_store_field(self, node: ast.Call, scope: str) -> None:
        """``Field(name="x", ...)`` in a feature-store definition produces column ``x``."""
        if (self.module.qualified_name(node.func) or "") in FEATURE_STORE_FIELDS:
            for kw in node.keywords:
                if kw.arg == "name":
                    self._produce(kw.value, "feature-store", scope)

    def _on_assign(self, node: ast.Call, scope: str) -> None:
        for kw in node.keywords:
            if kw.arg and kw.arg.isidentifier():
                self.produced.append([kw.arg, node.lineno, "assign", scope])

    def _on_rename(self, node: ast.Call, scope: str) -> None:
        for kw in node.keywords:
            if kw.arg == "columns" and isinstance(kw.value, ast.Dict):
                for value in kw.value.values:
                    self._produce(value, "rename", scope)

    def _on_with_column(self, node: ast.Call, scope: str) -> None:
        if node.args:
            self._produce(node.args[0], "withColumn", scope)

    def _on_with_column_renamed(self, node: ast.Call, scope: str) -> None:
        if len(node.args) > 1:
            self._produce(node.args[1], "withColumnRenamed", scope)

    def _on_alias(self, node: ast.Call, scope: str) -> None:
        # ``alias`` names a column only in polars/Spark expressions (elsewhere it is unrelated)
        if node.args and self._polars:
            self._produce(node.args[0], "alias", scope)

    def _on_drop(self, node: ast.Call, scope: str) -> None:
        # dropped names are not uses of the column
        for arg in node.args:
            self._site(arg)
        for kw in node.keywords:
            if kw.arg in ("columns", "labels"):
                self._site(kw.value)

    def _on_write(self, node: ast.Call, scope: str) -> None:
        # ``df[REPORT_COLUMNS].to_csv(...)`` or ``to_csv(columns=[...])`` writes only the listed
        # columns, each a plain string use; a column outside the list does not leave the code
        if any(kw.arg == "columns" for kw in node.keywords) or _selects_columns(node.func.value):
            return
        self.escapes.append([node.func.attr, node.lineno, scope])

    def _on_select_dtypes(self, node: ast.Call, scope: str) -> None:
        self.dynamic.append(["select_dtypes", node.lineno])

    def _on_filter(self, node: ast.Call, scope: str) -> None:
        if not any(kw.arg in ("like", "regex") for kw in node.keywords):
            return  # filter(items=[...]) names its columns: plain string uses
        self.dynamic.append(["filter", node.lineno])
        for kw in node.keywords:
            if _str(kw.value):
                self.patterns.add(kw.value.value)

    def _on_pattern(self, node: ast.Call, scope: str) -> None:
        """``c.startswith("num_")``: columns may be picked by this prefix rather than by name."""
        if not node.args:
            return
        first = node.args[0]
        if _str(first):
            self.patterns.add(first.value)
        elif isinstance(first, ast.Tuple):
            self.patterns.update(e.value for e in first.elts if _str(e))

    def facts(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.produced:
            out["produced"] = self.produced[:500]
            out["site_only"] = sorted(s for s, n in self.site_counts.items() if n >= self.totals[s])
        # Identifier strings read only inside functions, with those functions: a column whose every
        # reader is dead code is a legacy feature. Strings read at module level are left out.
        # Kept only for modules that handle frames, to keep facts small elsewhere.
        handles_frames = self.produced or self.frames or any(
            q.startswith(FRAME_LIBRARIES) or q.split(".")[0] in ("pandas", "polars", "pyspark")
            for q in self.module.imports.values())
        scoped = {name: sorted(scopes)[:8] for name, scopes in self.read_scopes.items()
                  if name not in self.module_level and name.isidentifier() and len(name) > 2} if handles_frames else {}
        if scoped:
            out["read_scopes"] = dict(sorted(scoped.items())[:400])
        if self.targets:
            out["targets"] = sorted(self.targets)[:20]
        if self.escapes:
            out["escapes"] = self.escapes[:20]
        if self.dynamic:
            out["dynamic"] = self.dynamic[:5]
        if self.patterns:
            out["patterns"] = sorted(p for p in self.patterns if 0 < len(p) <= 60)[:50]
        return out


# Frame method name -> ColumnFacts handler for a call of it.
_METHOD_HANDLERS = {
    "assign": ColumnFacts._on_assign,
    "rename": ColumnFacts._on_rename,
    "withColumn": ColumnFacts._on_with_column,
    "withColumnRenamed": ColumnFacts._on_with_column_renamed,
    "alias": ColumnFacts._on_alias,
    "drop": ColumnFacts._on_drop,
    "select_dtypes": ColumnFacts._on_select_dtypes,
    "filter": ColumnFacts._on_filter,
    **{name: ColumnFacts._on_pattern for name in ("startswith", "endswith", "contains", "match")},
    **{name: ColumnFacts._on_write for name in WRITES},
}
