"""Row flow, the columns a frame still holds, for target leakage: ``y = df["label"]`` names the
target, ``X = df.drop(columns=["id"])`` keeps every other column, so a model fitted on ``X`` and
``y`` sees the answer among its features.

A frame's columns are known only from a read (all of them) and drops of literal names; any other
selection, rename or mutation makes them unknown, and unknown says nothing (``Value.dropped`` is
None)."""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Any

from auditor.analysis.row_values import Value

# Methods that keep a frame's columns as they are (rows may change).
KEEP_COLUMNS = frozenset({"fillna", "astype", "copy", "reset_index", "dropna", "replace", "sample", "head", "tail",
                          "query", "sort_values", "drop_duplicates", "to_numpy"})


def literal_names(node: ast.expr | None, constants: dict[str, str]) -> frozenset | None:
    """``"a"``, ``["a", "b"]``, or a name bound to a string in the scope; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return frozenset({node.value})
    if isinstance(node, ast.Name) and node.id in constants:
        return frozenset({constants[node.id]})
    if isinstance(node, (ast.List, ast.Tuple)) and node.elts:
        names = [literal_names(e, constants) for e in node.elts]
        return None if any(n is None or len(n) != 1 for n in names) else frozenset().union(*names)
    return None


def selected(value: Value, node: ast.Subscript, constants: dict[str, str], rows: bool) -> Value:
    """``df["label"]``: the target column; ``df[mask]``, ``df[:100]``: the same columns; any other
    selection (a list of columns, ``iloc[:, :-1]``): columns unknown."""
    index = node.slice
    if isinstance(index, ast.Tuple) and len(index.elts) > 1:
        keeps = all(isinstance(e, ast.Slice) and e.lower is e.upper is e.step is None for e in index.elts[1:])
        return value if keeps else replace(value, dropped=None, target=None)
    names = literal_names(index, constants)
    if names is not None and len(names) == 1 and isinstance(index, (ast.Constant, ast.Name)):
        return replace(value, dropped=None, target=(next(iter(names)), node.lineno), sources=names, made=frozenset())
    return value if rows else replace(value, dropped=None, target=None)


def after_method(name: str, node: ast.Call, receiver: Value, constants: dict[str, str]) -> Value:
    """The columns after ``receiver.name(...)``."""
    if name == "drop":
        return replace(receiver, dropped=_dropped(node, receiver, constants))
    if name == "pop":
        names = literal_names(node.args[0], constants) if node.args else None
        return replace(receiver, dropped=None, target=(next(iter(names)), node.lineno) if names and len(names) == 1
                       else None)
    return receiver if name in KEEP_COLUMNS else replace(receiver, dropped=None, target=None)


def popped(node: ast.Call, receiver: Value, constants: dict[str, str]) -> Value | None:
    """What ``df.pop("label")`` leaves in ``df``: the column is gone."""
    names = literal_names(node.args[0], constants) if node.args else None
    if receiver.dropped is None or names is None:
        return replace(receiver, dropped=None)
    return replace(receiver, dropped=receiver.dropped | names)


def _dropped(node: ast.Call, receiver: Value, constants: dict[str, str]) -> frozenset | None:
    keywords = {k.arg: k.value for k in node.keywords}
    axis = keywords.get("axis")
    by_columns = keywords.get("columns")
    if by_columns is None and isinstance(axis, ast.Constant) and axis.value in (1, "columns"):
        by_columns = keywords.get("labels", node.args[0] if node.args else None)
    if by_columns is None:
        return receiver.dropped if "index" in keywords or _by_index(node) else None  # rows dropped
    names = literal_names(by_columns, constants)
    return None if names is None or receiver.dropped is None else receiver.dropped | names


def _by_index(node: ast.Call) -> bool:
    first = node.args[0] if node.args else None
    return isinstance(first, ast.Attribute) and first.attr == "index"


def target_among_features(rows: Any, labels: Any) -> str | None:
    """The target column ``labels`` holds, when ``rows`` are of the same frame and still hold it."""
    if not (isinstance(rows, Value) and isinstance(labels, Value) and labels.target is not None):
        return None
    if rows.family != labels.family or rows.dropped is None or rows.target is not None:
        return None
    column = labels.target[0]
    return None if column in rows.dropped else column


def assigned_column(value: Value, column: str, line: int) -> frozenset:
    """``df[column] = value``: what the frame records of the column (made from which columns, and
    from later rows), replacing what it recorded of an earlier column of that name."""
    kept = frozenset(m for m in value.made if m[0] != column)
    return kept | {(column, value.sources - {column}, value.ahead, line)}


def made_from_target(rows: Any, labels: Any) -> tuple[str, int] | None:
    """A feature computed row by row from the target column (``df["ratio"] = df["label"] / df["n"]``)
    that the features still hold: the column and the line that made it."""
    if not (isinstance(rows, Value) and isinstance(labels, Value) and labels.target is not None):
        return None
    if rows.family != labels.family or rows.dropped is None or rows.target is not None:
        return None
    target = labels.target[0]
    return next(((column, line) for column, sources, _, line in sorted(rows.made, key=_by_line)
                 if target in sources and column != target and column not in rows.dropped), None)


def made_from_later_rows(rows: Any, labels: Any) -> tuple[str, int, int] | None:
    """A feature made from later rows (``shift(-1)``, a centred rolling window) that the features
    still hold and that is not the target: the column, the line that made it, the step's line."""
    if not isinstance(rows, Value) or rows.family is None or rows.dropped is None or rows.target is not None:
        return None
    target = labels.target[0] if isinstance(labels, Value) and labels.target is not None else None
    return next(((column, line, ahead) for column, _, ahead, line in sorted(rows.made, key=_by_line)
                 if ahead and column != target and column not in rows.dropped), None)


def _by_line(made: tuple) -> tuple:
    return made[3], made[0]
