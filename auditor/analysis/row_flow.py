"""Row flow: which rows each variable of a module holds, and what each fitted object has seen.

One pass over a scope's statements in order (a script top to bottom, a notebook's cells as run
top to bottom), with the API knowledge of ``auditor/ml/leakage.py``. A variable holds rows of a
*family* (the data set a read or a load made) along a *path* of splits: each step of the path is
``(split line, part)``, part 0 the training side and 1 the held-out side. A fit records the rows it
saw; whatever it transforms or predicts carries it (a *taint*). When rows of a held-out side are
scored (a metric, ``score``/``evaluate``, cross-validation), every fit in their taints that saw a
path leading to them (all rows, a concatenation including them, or the held-out rows themselves)
is a leak.

Functions of the same module that split their arguments and return the sides, or split and score
them, are followed at their call sites. A frame's columns are followed for target leakage
(``row_columns``), and the time order of its rows for shuffled splits of a time series.

Precision first: what the analysis cannot follow it forgets. Rows through an unknown function, a
name rebound in a loop or a branch, a function with more than one return: the name is dropped and
nothing is said about it.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Any, Iterable

from auditor.analysis.pymodule import ParsedModule
from auditor.analysis.row_calls import CallFlow
from auditor.analysis.row_columns import assigned_column, literal_names, selected
from auditor.analysis.row_tuning import (
    compared_models,
    model_collection,
    pick_is_on_test,
    picks_best,
    picks_best_model,
    sweeps_hyperparameter,
)
from auditor.analysis.row_values import FlowState, Leak, Parts, Value, base_name
from auditor.ml import leakage as api

__all__ = ["Leak", "analyse", "may_leak"]


def may_leak(module: ParsedModule) -> bool:
    """The cheap prefilter: a module that imports no ML or data library holds no rows to follow, and
    one that never fits and scores (or fits with labels), defines no function using a metric, nor
    splits or cross-validates rows with lag features, has no leak to report."""
    text = module.text
    if not any(q.split(".")[0] in api.DATA_LIBRARIES for q in module.imports.values()):
        return False
    fits = (any(word in text for word in api.FIT_WORDS)
            and any(word in text for word in api.EVALUATION_WORDS + api.TARGET_FIT_WORDS))
    # a helper that only scores what it is given (for its callers in other modules: ML608)
    scores = "def " in text and any(q.startswith(api.METRIC_PREFIXES) for q in module.imports.values())
    return fits or scores or (any(word in text for word in api.SPLIT_WORDS)
                              and any(word + "(" in text for word in api.LAG_METHODS))


def analyse(module: ParsedModule) -> list[Leak]:
    """The leaks of one module (memoised: the data-leakage rules share one analysis)."""
    found = module.memo.get("row_flow")
    if found is None:
        try:
            found = _analyse(module) if may_leak(module) else []
        except RecursionError:  # expressions nested deeper than the walk can follow: nothing is known
            found = []
        module.memo["row_flow"] = found
    return found


def _analyse(module: ParsedModule) -> list[Leak]:
    state = FlowState(module)
    module.memo["row_flow_state"] = state
    state.constants.update((t.id, node.value.value) for node in module.tree.body if isinstance(node, ast.Assign)
                           and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                           for t in node.targets if isinstance(t, ast.Name))
    functions = [node for node in module.tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for function in functions:
        scope = Scope(state, _parameters(function))
        scope.run(function.body)
        state.summaries[function.name] = scope.summary()
        if scope.scored:
            state.scored[function.name] = scope.scored
            state.parameters[function.name] = [a.arg for a in function.args.posonlyargs + function.args.args]
    for method in _methods(module.tree.body):
        Scope(state, _parameters(method)).run(method.body)
    Scope(state, {}).run(module.tree.body)
    return sorted(state.leaks.values(), key=lambda leak: leak.fit.line)


def _methods(body: list[ast.stmt]) -> Iterable[ast.FunctionDef]:
    """The methods of the module's classes: each read as a scope of its own (no summaries: a method
    is called through an object the analysis does not follow)."""
    for node in body:
        if isinstance(node, ast.ClassDef):
            yield from (item for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)))


def _parameters(function: ast.FunctionDef) -> dict[str, Value]:
    """Each parameter holds rows of a family of its own (a negative id: the parameter's index)."""
    names = [a.arg for a in function.args.posonlyargs + function.args.args]
    return {name: Value(family=-(index + 1)) for index, name in enumerate(names) if name not in ("self", "cls")}


def _is_main_guard(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
            and len(test.comparators) == 1 and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__")


def _named_for_both_sides(target: ast.expr) -> list[tuple[str, int]] | None:
    """``X_train, X_test, y_train, y_test``: each name and its side, when every name says one and
    both sides are named; else None."""
    if not isinstance(target, (ast.Tuple, ast.List)) or len(target.elts) < 2:
        return None
    named = [(e.id, api.side_of_name(e.id)) for e in target.elts if isinstance(e, ast.Name)]
    if len(named) != len(target.elts) or any(side is None for _, side in named) or {side for _, side in named} != {0, 1}:
        return None
    return named


def _assigned_names(nodes: Iterable[ast.AST]) -> set[str]:
    """Names (re)bound anywhere in these statements, or whose object a method call may change."""
    names = set()
    for statement in nodes:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    isinstance(node.func.value, ast.Name) and node.func.attr in api.FIT_METHODS:
                names.add(node.func.value.id)
    return names


_NOT_FOLLOWED = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class Scope(CallFlow):
    """One function's (or the module's) statements, in order."""

    def __init__(self, state: FlowState, values: dict[str, Value]) -> None:
        self.state = state
        self.values = dict(values)
        self.constants: dict[str, str] = dict(state.constants)  # names bound to a string (column names)
        self.stoppers: set[str] = set()  # names bound to an early-stopping callback
        self.returns: list[Any] = []
        self.scored: list[tuple[int, tuple]] = []  # (parameter, path below it) of held-out rows scored here
        self.sweeps: list[list] = []  # per hyperparameter loop being walked: (evaluation, held-out rows) in it
        self.model_sets: set[str] = set()  # names bound to a literal collection of models

    # -- statements -----------------------------------------------------------------------------
    def run(self, body: list[ast.stmt]) -> None:
        for statement in body:
            self.statement(statement)

    def statement(self, node: ast.stmt) -> None:
        handler = _STATEMENTS.get(node.__class__)
        if handler is not None:
            handler(self, node)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.expr(child)

    def assign(self, node: ast.Assign) -> None:
        if isinstance(node.value, ast.Call) and (self.state.module.dotted_name(node.value.func) or "").rsplit(".", 1)[-1] \
                in api.EARLY_STOPPING_CALLBACKS:
            self.stoppers.update(t.id for t in node.targets if isinstance(t, ast.Name))
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            self.constants.update((t.id, node.value.value) for t in node.targets if isinstance(t, ast.Name))
        names = {t.id for t in node.targets if isinstance(t, ast.Name)}
        if model_collection(node.value, self.state.module.qualified_name):
            self.model_sets |= names
        else:
            self.model_sets -= names
        value = self.expr(node.value)
        if value is None and isinstance(node.value, ast.Call) and len(node.targets) == 1:
            value = self.named_split(node.value, node.targets[0], node.lineno)
        for target in node.targets:
            self.bind(target, value, node.lineno)

    def named_split(self, call: ast.Call, target: ast.expr, line: int) -> Parts | None:
        """``X_train, X_test, y_train, y_test = split_data(X, y)``: a function the analysis cannot
        read (another module's, a library's the tables lack) given whole rows, whose results are
        named for both sides, split them; each result holds the argument of its kind (``y_...``
        from the ``y`` argument). The split is not a known call: what leaks through it is medium."""
        named = _named_for_both_sides(target)
        if named is None:
            return None
        given = [(a.id, self.values[a.id]) for a in call.args if isinstance(a, ast.Name) and a.id in self.values]
        rows = [(name, v) for name, v in given if v.family is not None and not v.path and v.learner is None]
        if not rows or len(rows) != len(call.args):
            return None
        self.state.splits.setdefault(line, (self.state.text(call), False))
        parts = []
        for name, side in named:
            source = next((v for given_name, v in rows if given_name[:1].lower() == name[:1].lower()), rows[0][1])
            parts.append(replace(source, path=source.path + ((line, side),), subset=False, union=()))
        return Parts(tuple(parts))

    def ann_assign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.bind(node.target, self.expr(node.value), node.lineno)

    def aug_assign(self, node: ast.AugAssign) -> None:
        self.expr(node.value)
        if isinstance(node.target, ast.Name):
            self.values.pop(node.target.id, None)

    def loop(self, node: ast.For | ast.While) -> None:
        """One pass over the body; a name bound before the loop and rebound in it is not followed."""
        rebound = _assigned_names(node.body + node.orelse)
        for name in rebound & set(self.values):
            del self.values[name]
        if isinstance(node, (ast.For, ast.AsyncFor)):
            self.expr(node.iter)
        models = compared_models(node, self.model_sets, self.state.module.qualified_name) \
            if isinstance(node, ast.For) else set()
        for name in models:  # each model of the collection, fitted and scored in turn
            self.values[name] = Value()
        sweep = bool(models) or (isinstance(node, ast.For) and sweeps_hyperparameter(node))
        if sweep:
            self.sweeps.append([])
        self.run(node.body)
        if sweep:
            self.tuned_on_test(node, self.sweeps.pop(), compared=bool(models))
        self.run(node.orelse)
        if isinstance(node, (ast.For, ast.AsyncFor)):
            for name in _assigned_names([node.target]):
                self.values.pop(name, None)

    def tuned_on_test(self, loop: ast.For, scored: list, compared: bool) -> None:
        """A sweep, or a comparison of models, scored on the test set and the best picked: the test set
        chose the model."""
        if not scored:
            return
        lines = self.state.module.lines
        pick = picks_best_model(loop, lines) if compared else picks_best(lines, loop.end_lineno or loop.lineno)
        if pick is None or not pick_is_on_test(loop, lines[pick - 1]):
            return
        call, held = scored[0]
        fit = self.new_fit("model", call, held)
        split_text = self.state.splits.get(held.path[-1][0], ("", False))[0]
        self.state.leaks[fit.id] = Leak("multi-test", fit, held.path[-1][0], split_text, pick, self.state.text_of_line(pick),
                                        "compared-on-test" if compared else "tuned-on-test", "medium")

    def branch(self, node: ast.If) -> None:
        """Both branches are read; a name either changes is not followed after the ``if``."""
        if _is_main_guard(node):
            self.run(node.body)
            return
        self.expr(node.test)
        before = dict(self.values)
        self.run(node.body)
        after_body = self.values
        self.values = dict(before)
        self.run(node.orelse)
        changed = {n for n in set(after_body) | set(self.values) | set(before)
                   if after_body.get(n) is not before.get(n) or self.values.get(n) is not before.get(n)}
        self.values = {n: v for n, v in before.items() if n not in changed}

    def with_block(self, node: ast.With) -> None:
        for item in node.items:
            self.expr(item.context_expr)
            if item.optional_vars is not None:
                for name in _assigned_names([item.optional_vars]):
                    self.values.pop(name, None)
        self.run(node.body)

    def try_block(self, node: ast.Try) -> None:
        self.run(node.body)
        for name in _assigned_names(node.handlers):
            self.values.pop(name, None)
        self.run(node.orelse)
        self.run(node.finalbody)

    def delete(self, node: ast.Delete) -> None:
        """``del df["label"]``: the frame's columns are no longer known."""
        for target in node.targets:
            name = base_name(target)
            if name in self.values:
                self.values[name] = replace(self.values[name], dropped=None)

    def return_statement(self, node: ast.Return) -> None:
        self.returns.append(self.expr(node.value) if node.value is not None else None)

    def summary(self) -> list | None:
        """For a function that returns its parameters' rows (a split's sides): per output, the
        parameter and the path below it; None when it does not, or returns more than once."""
        if len(self.returns) != 1:
            return None
        result = self.returns[0]
        outputs = result.values if isinstance(result, Parts) else (result,)
        summary = [(-(v.family + 1), v.path, v.taints) if isinstance(v, Value) and v.family is not None
                   and v.family < 0 else None for v in outputs]
        return summary if any(s is not None and s[1] for s in summary) else None

    # -- binding --------------------------------------------------------------------------------
    def bind(self, target: ast.expr, value: Any, line: int) -> None:
        if isinstance(target, ast.Name):
            self.bind_name(target.id, value, line)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self.bind_tuple(target, value, line)
        elif isinstance(target, (ast.Subscript, ast.Attribute)):
            self.bind_into(target, value)

    def bind_name(self, name: str, value: Any, line: int) -> None:
        if not isinstance(value, Value):
            self.values.pop(name, None)
            return
        side = api.side_of_name(name)
        if value.subset and value.family is not None and side is not None:
            value = replace(value, path=value.path + ((line, side),), union=())
            self.state.splits.setdefault(line, (self.state.text_of_line(line), False))
        self.values[name] = replace(value, subset=False)

    def bind_tuple(self, target: ast.Tuple | ast.List, value: Any, line: int) -> None:
        elements = target.elts
        if isinstance(value, Parts) and len(value.values) == len(elements):  # a split's sides, or a, b = c, d
            values = value.values
        elif isinstance(value, Value) and value.family is not None and value.learner is None:
            values = [replace(value, subset=False)] * len(elements)  # X, y = load(...): rows of one data set
        else:
            values = [None] * len(elements)
        for element, item in zip(elements, values):
            if isinstance(element, ast.Starred):
                self.values.pop(getattr(element.value, "id", ""), None)
            else:
                self.bind(element, item, line)

    def bind_into(self, target: ast.Subscript | ast.Attribute, value: Any) -> None:
        """``df["col"] = scaler.fit_transform(df[["col"]])``: the frame now carries the fit."""
        name = base_name(target.value)
        if name not in self.values:
            return
        current = self.values[name]
        if current.family is None:
            return
        column = literal_names(target.slice, self.constants) if isinstance(target, ast.Subscript) else None
        column = next(iter(column)) if column and len(column) == 1 else None
        if value is None or (isinstance(value, Value) and value.family is None):
            # a column computed by a call the tables do not know (`pd.to_numeric(df.x)`), or an object
            # stored in the frame's attribute: the rows are the same rows, and nothing learnt is added
            if column is not None:  # what the frame recorded of an earlier column of that name is gone
                self.values[name] = replace(current, made=frozenset(m for m in current.made if m[0] != column))
            return
        if not isinstance(value, Value) or value.family != current.family:
            self.values.pop(name, None)  # rows from elsewhere: not followed
            return
        made = assigned_column(replace(value, made=current.made), column, target.lineno) if column is not None \
            else current.made
        self.values[name] = replace(current, taints=current.taints | value.taints, made=made,
                                    lagged=current.lagged or value.lagged, time_order=current.time_order or value.time_order)

    # -- expressions ----------------------------------------------------------------------------
    def expr(self, node: ast.expr | None) -> Any:
        if node is None or isinstance(node, _NOT_FOLLOWED):
            return None
        handler = _EXPRESSIONS.get(node.__class__)
        if handler is not None:
            return handler(self, node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expr(child)
        return None

    def name(self, node: ast.Name) -> Any:
        return self.values.get(node.id)

    def attribute(self, node: ast.Attribute) -> Any:
        value = self.expr(node.value)
        if isinstance(value, Value) and node.attr in ("iloc", "loc"):
            return replace(value, subset=True)
        return replace(value, subset=False) if isinstance(value, Value) else None

    def subscript(self, node: ast.Subscript) -> Any:
        value = self.expr(node.value)
        self.expr(node.slice)
        if not isinstance(value, Value) or value.family is None:
            return None
        rows = _selects_rows(node.slice)
        return replace(selected(value, node, self.constants, rows), subset=value.subset or rows)

    def binop(self, node: ast.BinOp) -> Any:
        left, right = self.expr(node.left), self.expr(node.right)
        rows = [v for v in (left, right) if isinstance(v, Value) and v.family is not None]
        if not rows:
            return None
        families = {v.family for v in rows}
        if len(families) > 1:
            return None
        return Value(family=rows[0].family, path=min((v.path for v in rows), key=len),
                     taints=frozenset().union(*(v.taints for v in rows)), sources=frozenset().union(*(v.sources for v in rows)),
                     ahead=next((v.ahead for v in rows if v.ahead), None))

    def sequence(self, node: ast.Tuple | ast.List) -> Parts:
        return Parts(tuple(self.expr(e) for e in node.elts))


def _selects_rows(index: ast.expr) -> bool:
    """A subscript that picks rows: a slice, a mask, or an index named for a side."""
    if isinstance(index, ast.Tuple) and index.elts:
        index = index.elts[0]
    if isinstance(index, ast.Slice) or isinstance(index, (ast.Compare, ast.BoolOp)):
        return True
    if isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.Invert):
        return True
    name = index.id if isinstance(index, ast.Name) else index.attr if isinstance(index, ast.Attribute) else None
    return name is not None and api.side_of_name(name) is not None



_STATEMENTS = {
    ast.Assign: Scope.assign, ast.AnnAssign: Scope.ann_assign, ast.AugAssign: Scope.aug_assign,
    ast.For: Scope.loop, ast.AsyncFor: Scope.loop, ast.While: Scope.loop, ast.If: Scope.branch,
    ast.With: Scope.with_block, ast.AsyncWith: Scope.with_block, ast.Try: Scope.try_block,
    ast.Return: Scope.return_statement, ast.Delete: Scope.delete,
}
_EXPRESSIONS = {
    ast.Name: Scope.name, ast.Attribute: Scope.attribute, ast.Subscript: Scope.subscript, ast.BinOp: Scope.binop,
    ast.Call: Scope.call, ast.Tuple: Scope.sequence, ast.List: Scope.sequence,
}
