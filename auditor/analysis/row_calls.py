"""Row flow, the calls: fits and what they saw, splits, transforms and predictions that carry
what an object learnt, and the evaluations where held-out rows meet a fit that saw them
(``auditor/analysis/row_flow.py`` says how the whole fits together)."""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Any

from auditor.analysis.row_columns import after_method, literal_names, popped
from auditor.analysis.row_leaks import LeakChecks
from auditor.analysis.row_values import Parts, Value, base_name, holds_rows, stacked
from auditor.ml import leakage as api


class CallFlow(LeakChecks):
    """The calls of a scope (a mixin of ``row_flow.Scope``, which holds ``state`` and ``values``)."""

    def call(self, node: ast.Call) -> Any:
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver = self.expr(func.value)
            if isinstance(receiver, Value):
                return self.method(node, receiver, func)
        qualified = self.state.module.qualified_name(func)
        arguments = [self.expr(a.value if isinstance(a, ast.Starred) else a) for a in node.args]
        keywords = {k.arg: self.expr(k.value) for k in node.keywords}
        return self.function(node, qualified, arguments, keywords)

    # -- calls of functions -------------------------------------------------------------------------
    def function(self, node: ast.Call, qualified: str | None, arguments: list, keywords: dict) -> Any:
        if qualified in api.SPLIT_FUNCTIONS:
            return self.split(node, arguments)
        if qualified in api.CROSS_VALIDATION:
            rows = arguments[1] if len(arguments) > 1 else keywords.get("X")
            self.cross_validated(node, rows)
            self.shuffled_in_time(node, [rows], shuffled=self.shuffled_folds(node))
            return None
        if qualified and qualified.startswith(api.METRIC_PREFIXES):
            self.evaluated(node, [*arguments, *keywords.values()], frozenset())
            return None
        if qualified in api.LEARNERS:
            return Value(learner=api.LEARNERS[qualified])
        if qualified in api.SEARCHES:
            return Value(search=True)
        if qualified in api.OVERSAMPLING_FUNCTIONS:
            return self.oversampled(node, qualified, arguments)
        if qualified in api.CONCAT_FUNCTIONS:
            return stacked(arguments[0] if arguments else None)
        if qualified in api.ROW_PRESERVING_FUNCTIONS:
            first = arguments[0] if arguments else keywords.get("data")  # pd.get_dummies(data=df, ...)
            return replace(first, subset=False) if isinstance(first, Value) and first.family is not None else None
        return self.other_function(node, qualified, arguments, keywords)

    def other_function(self, node: ast.Call, qualified: str | None, arguments: list, keywords: dict) -> Any:
        """A function of this module (one that splits or scores its arguments), a read, or one
        the tables do not know."""
        if isinstance(node.func, ast.Name) and node.func.id in self.state.scored:
            self.scored_inside(node, self.state.scored[node.func.id], arguments)
        if isinstance(node.func, ast.Name) and self.state.summaries.get(node.func.id) is not None:
            return self.local_split(node, self.state.summaries[node.func.id], arguments)
        if qualified and qualified.startswith(api.READ_PREFIXES):
            # pd.read_csv(path): a new data set with all its columns, whatever names the path
            return Value(family=next(self.state.counter), dropped=frozenset())
        if holds_rows([*arguments, *keywords.values()]):
            self.passed_on(node, qualified, arguments, keywords)
            return None  # rows through a function the analysis does not know: not followed
        return Value(family=next(self.state.counter))  # a read, a load, a constructor: a new origin

    def shuffled_folds(self, node: ast.Call) -> bool:
        """``cv=KFold(5, shuffle=True)``, ``cv=ShuffleSplit(...)``: folds drawn at random (a number, or
        a splitter without shuffle, keeps the rows' order in its folds)."""
        cv = next((k.value for k in node.keywords if k.arg == "cv"), node.args[3] if len(node.args) > 3 else None)
        if not isinstance(cv, ast.Call):
            return False
        qualified = self.state.module.qualified_name(cv.func)
        return qualified in api.SHUFFLING_SPLITTERS or (qualified in api.SHUFFLABLE_SPLITTERS and _keyword_is(cv, "shuffle", True))

    def split(self, node: ast.Call, arguments: list) -> Parts:
        self.state.splits[node.lineno] = (self.state.text(node), True)
        self.shuffled_in_time(node, arguments)
        parts = []
        for rows in arguments:
            for part in (0, 1):
                parts.append(replace(rows, path=rows.path + ((node.lineno, part),), subset=False, union=())
                             if isinstance(rows, Value) and rows.family is not None else None)
        return Parts(tuple(parts))

    def local_split(self, node: ast.Call, summary: list | None, arguments: list) -> Any:
        if summary is None:
            return None
        outputs = []
        for item in summary:
            if item is None or item[0] >= len(arguments) or not isinstance(arguments[item[0]], Value):
                outputs.append(None)
                continue
            rows = arguments[item[0]]
            # the split is seen at the call: its order against the caller's fits is what matters
            path = tuple((node.lineno, part) for _, part in item[1])
            outputs.append(replace(rows, path=rows.path + path, taints=rows.taints | item[2], subset=False, union=()))
        self.state.splits[node.lineno] = (self.state.text(node), all(self.state.splits.get(line, ("", False))[1]
                                                                    for item in summary if item for line, _ in item[1]))
        return Parts(tuple(outputs)) if len(outputs) > 1 else outputs[0]

    def oversampled(self, node: ast.Call, qualified: str, arguments: list) -> Any:
        keyword, wanted = api.OVERSAMPLING_FUNCTIONS[qualified]
        given = next((k.value for k in node.keywords if k.arg == keyword), None)
        rows = arguments[0] if arguments else None
        if not isinstance(rows, Value) or rows.family is None:
            return None
        if not (isinstance(given, ast.Constant) and given.value == wanted):
            return replace(rows, subset=False)
        fit = self.new_fit("rows", node, rows, supervised=True)
        return replace(rows, taints=rows.taints | {fit.id}, subset=False)

    # -- calls of methods ---------------------------------------------------------------------------
    def method(self, node: ast.Call, receiver: Value, func: ast.Attribute) -> Any:
        arguments = [self.expr(a.value if isinstance(a, ast.Starred) else a) for a in node.args]
        keywords = {k.arg: self.expr(k.value) for k in node.keywords}
        name = func.attr
        self.grouped_by_entity(func, receiver)
        if name in api.FIT_METHODS:
            return self.fitted(node, receiver, func, arguments, keywords)
        if name in api.GROUP_TRANSFORM_METHODS and receiver.family is not None and _group_statistic(node):
            return self.statistic(node, receiver)
        if name in api.APPLY_METHODS:
            return self.applied(receiver, _rows_argument(arguments, keywords))
        if name in api.SCORE_METHODS:
            self.evaluated(node, [*arguments, *keywords.values()], self.closure(receiver))
            return None
        if receiver.family is None:
            return receiver if name in ("set_params",) else None
        if name in api.OVERSAMPLING_METHODS and _keyword_is(node, *api.OVERSAMPLING_METHODS[name]):
            return self.copied_rows(node, receiver)
        if name in api.STATISTIC_METHODS:
            return self.statistic(node, receiver)
        return self.frame_method(node, receiver, func, arguments, keywords)

    def frame_method(self, node: ast.Call, receiver: Value, func: ast.Attribute, arguments: list, keywords: dict) -> Any:
        """Any other method of a frame (``drop``, ``sort_values``, ``shift``): the same rows, carrying
        what its arguments learnt; the columns and time order as the method leaves them."""
        name = func.attr
        taints = frozenset().union(*(v.taints for v in [*arguments, *keywords.values()]
                                     if isinstance(v, Value) and v.family is not None))
        result = after_method(name, node, replace(receiver, taints=receiver.taints | taints,
                                                  subset=_subsets_rows(name, node)), self.constants)
        result = _in_time(name, node, result, self.constants)
        self.changed_in_place(node, func, receiver, result)
        if _in_place(node) and taints:  # df.fillna(df.mean(), inplace=True), df["a"].fillna(m, inplace=True)
            base = base_name(func.value)
            if base in self.values and self.values[base].family == receiver.family:
                self.values[base] = replace(self.values[base], taints=self.values[base].taints | taints)
        return result

    def grouped_by_entity(self, func: ast.Attribute, receiver: Value) -> None:
        """``df.groupby("user_id")["amount"].transform("mean")``, ``df.groupby("user_id").cumcount()``:
        computed within each user's rows, so the frame holds several rows per user (checked for group
        leakage where held-out rows are scored). A groupby followed by an aggregation is one row per
        group and says nothing."""
        if func.attr not in api.GROUP_ROW_METHODS or receiver.family is None or receiver.family in self.state.entities:
            return
        grouped = func.value.value if isinstance(func.value, ast.Subscript) else func.value
        if not (isinstance(grouped, ast.Call) and isinstance(grouped.func, ast.Attribute)
                and grouped.func.attr in api.GROUP_METHODS):
            return
        by = grouped.args[0] if grouped.args else next((k.value for k in grouped.keywords if k.arg == "by"), None)
        entity = next((n for n in sorted(literal_names(by, self.constants) or ()) if api.ENTITY_COLUMN.search(n)), None)
        if entity is not None:
            self.state.entities[receiver.family] = (entity, grouped.lineno)

    def changed_in_place(self, node: ast.Call, func: ast.Attribute, receiver: Value, result: Value) -> None:
        """``df.pop("y")`` and ``df.drop(columns=["id"], inplace=True)`` change ``df`` itself."""
        base = base_name(func.value)
        if base not in self.values or self.values[base].family != receiver.family:
            return
        if func.attr == "pop":
            self.values[base] = popped(node, self.values[base], self.constants)
        elif _in_place(node) and isinstance(func.value, ast.Name):
            self.values[base] = replace(result, target=None)

    def fitted(self, node: ast.Call, receiver: Value, func: ast.Attribute, arguments: list, keywords: dict) -> Any:
        rows = _rows_argument(arguments, keywords)
        self.validated(node, rows, keywords)
        if receiver.learner is None:
            self.target_leak(node, rows, arguments[1] if len(arguments) > 1 else keywords.get("y"))
        if receiver.search:
            self.cross_validated(node, rows)
        if not isinstance(rows, Value) or rows.family is None or rows.subset:
            # rows not followed, or an unnamed slice of them (which rows?): what it saw is unknown
            updated = replace(receiver, fits=None)
            result = None
        else:
            kind = receiver.learner.learns if receiver.learner is not None else "model"
            if receiver.learner is None and func.attr == "fit_transform":
                kind = "unknown"  # a transformer the tables do not know: it may learn nothing at all
            fit = self.new_fit(kind, node, rows, strong=receiver.learner is not None,
                               supervised=receiver.learner is not None and receiver.learner.supervised)
            earlier = (receiver.fits or frozenset()) if func.attr == "partial_fit" else frozenset()
            updated = replace(receiver, fits=earlier | {fit.id})
            result = self.applied(updated, rows) if func.attr in api.APPLY_METHODS else updated
        if isinstance(func.value, ast.Name):
            self.values[func.value.id] = updated
        return result

    def statistic(self, node: ast.Call, receiver: Value) -> Value | None:
        """``df["x"].mean()``: a number learnt from the rows (row by row after ``rolling``)."""
        if receiver.window:
            return replace(receiver, window=False, subset=False)  # df["x"].rolling(3).mean(): row by row
        if receiver.subset:
            return None  # a statistic of some of the rows: which ones is not known
        fit = self.new_fit("statistics", node, receiver, strong=False)
        # one number per column (or group): not a row-by-row copy of the column it summarises
        return replace(receiver, taints=receiver.taints | {fit.id}, subset=False, sources=frozenset())

    def copied_rows(self, node: ast.Call, receiver: Value) -> Value:
        """``minority.sample(n, replace=True)``: copies of rows, which a later split puts on both sides."""
        fit = self.new_fit("rows", node, receiver, supervised=True)
        return replace(receiver, taints=receiver.taints | {fit.id}, subset=False)

    def applied(self, receiver: Value, rows: Any) -> Any:
        """What ``transform``/``predict`` returns: the rows, carrying what the object learnt."""
        if not isinstance(rows, Value) or rows.family is None or receiver.fits is None:
            return None
        return replace(rows, taints=rows.taints | self.closure(receiver), subset=False)


def _group_statistic(node: ast.Call) -> bool:
    """``df.groupby("city")["price"].transform("mean")`` (or ``np.mean``): a statistic per group.
    A function the analysis cannot read (a lambda) says nothing."""
    func = node.func
    grouped = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in api.GROUP_METHODS
                  for n in ast.walk(func.value)) if isinstance(func, ast.Attribute) else False
    how = node.args[0] if node.args else None
    named = how.value if isinstance(how, ast.Constant) else how.attr if isinstance(how, ast.Attribute) else \
        how.id if isinstance(how, ast.Name) else None
    return grouped and named in api.STATISTIC_METHODS


def _keyword_is(node: ast.Call, keyword: str, wanted: Any) -> bool:
    return any(k.arg == keyword and isinstance(k.value, ast.Constant) and k.value.value == wanted for k in node.keywords)


def _in_place(node: ast.Call) -> bool:
    return any(k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value is True for k in node.keywords)


def _subsets_rows(method: str, node: ast.Call) -> bool:
    """``df.sample(frac=0.8)``, ``df.drop(train.index)``: rows, not columns, are selected."""
    if method == "drop":
        first = node.args[0] if node.args else None
        return (isinstance(first, ast.Attribute) and first.attr == "index") or any(k.arg == "index" for k in node.keywords)
    return method in api.ROW_SUBSET_METHODS


def _in_time(method: str, node: ast.Call, value: Value, constants: dict[str, str]) -> Value:
    """``df.sort_values("date")`` orders rows in time; ``df["x"].shift(1)`` looks at other rows."""
    if method in api.LAG_METHODS:
        ahead = node.lineno if api.reads_later_rows(method, node) else value.ahead
        return replace(value, lagged=value.lagged or node.lineno, window=method in api.WINDOW_METHODS, ahead=ahead)
    if method in api.ORDERING_METHODS:
        by = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg in ("by", "keys")), None)
        names = literal_names(by, constants) if by is not None else None
        if method == "sort_index" or (names and any(api.TIME_COLUMN.search(n) for n in names)):
            return replace(value, time_order=node.lineno)
    return value


def _rows_argument(arguments: list, keywords: dict) -> Any:
    if arguments:
        return arguments[0]
    return next((keywords[k] for k in api.ROWS_KEYWORDS if k in keywords), None)


