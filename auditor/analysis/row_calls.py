"""Row flow, the calls: fits and what they saw, splits, transforms and predictions that carry
what an object learnt, and the evaluations where held-out rows meet a fit that saw them
(``auditor/analysis/row_flow.py`` says how the whole fits together)."""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Any

from auditor.analysis.row_columns import after_method, literal_names, popped, target_among_features
from auditor.analysis.row_values import Fit, Leak, Parts, Path, Value, base_name, flatten, holds_rows, is_prefix, seen_path, stacked
from auditor.ml import leakage as api


class CallFlow:
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
            first = arguments[0] if arguments else None
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
            return None  # rows through a function the analysis does not know: not followed
        return Value(family=next(self.state.counter))  # a read, a load, a constructor: a new origin

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
        if name in api.FIT_METHODS:
            return self.fitted(node, receiver, func, arguments, keywords)
        if name in api.APPLY_METHODS:
            return self.applied(receiver, _rows_argument(arguments, keywords))
        if name in api.SCORE_METHODS:
            self.evaluated(node, [*arguments, *keywords.values()], self.closure(receiver))
            return None
        if receiver.family is None:
            return receiver if name in ("set_params",) else None
        if name in api.STATISTIC_METHODS and receiver.window:
            return replace(receiver, window=False, subset=False)  # df["x"].rolling(3).mean(): row by row
        if name in api.STATISTIC_METHODS:
            if receiver.subset:
                return None  # a statistic of some of the rows: which ones is not known
            fit = self.new_fit("statistics", node, receiver, strong=False)
            return replace(receiver, taints=receiver.taints | {fit.id}, subset=False)
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
                kind = "statistics"  # a transformer the tables do not know (a ColumnTransformer, a pipeline)
            fit = self.new_fit(kind, node, rows, strong=receiver.learner is not None,
                               supervised=receiver.learner is not None and receiver.learner.supervised)
            earlier = (receiver.fits or frozenset()) if func.attr == "partial_fit" else frozenset()
            updated = replace(receiver, fits=earlier | {fit.id})
            result = self.applied(updated, rows) if func.attr in api.APPLY_METHODS else updated
        if isinstance(func.value, ast.Name):
            self.values[func.value.id] = updated
        return result

    def applied(self, receiver: Value, rows: Any) -> Any:
        """What ``transform``/``predict`` returns: the rows, carrying what the object learnt."""
        if not isinstance(rows, Value) or rows.family is None or receiver.fits is None:
            return None
        return replace(rows, taints=rows.taints | self.closure(receiver), subset=False)

    def closure(self, receiver: Value) -> frozenset:
        """The object's fits and every fit whose output it was fitted on."""
        found = set()
        todo = list(receiver.fits or ())
        while todo:
            fit_id = todo.pop()
            if fit_id not in found:
                found.add(fit_id)
                todo.extend(self.state.fits[fit_id].inherits)
        return frozenset(found)

    def new_fit(self, kind: str, node: ast.Call, rows: Value, strong: bool = True, supervised: bool = False) -> Fit:
        fit = Fit(next(self.state.counter), kind, node.lineno, self.state.text(node), rows.family,
                  rows.union or (rows.path,), rows.taints, strong, supervised)
        self.state.fits[fit.id] = fit
        return fit

    # -- evaluations --------------------------------------------------------------------------------
    def evaluated(self, node: ast.Call, values: list, extra: frozenset) -> None:
        """Held-out rows scored: every fit behind them that saw them is a leak."""
        rows = [v for v in flatten(values) if isinstance(v, Value) and v.family is not None]
        held_out = [v for v in rows if v.path and v.path[-1][1] == 1]
        if not held_out:
            return
        # a function's parameter scored on its held-out part: its callers' fits are checked there
        self.scored.extend((-(v.family + 1), v.path) for v in held_out if v.family < 0)
        taints = set(extra)
        for value in rows:
            taints |= self.closure(Value(fits=value.taints))
        for fit_id in sorted(taints):
            fit = self.state.fits[fit_id]
            for value in held_out:
                seen = seen_path(fit, value)
                if seen is not None:
                    self.leak(fit, value.path, node, _how(fit, seen, value.path))
                    break

    def scored_inside(self, node: ast.Call, scored: list, arguments: list) -> None:
        """``evaluate(X_scaled, y)`` where the function splits its argument and scores the held-out
        part: a fit behind the argument that saw those rows leaks, found at the call."""
        for index, below in scored:
            rows = arguments[index] if index < len(arguments) else None
            if not isinstance(rows, Value) or rows.family is None:
                continue
            if rows.family < 0:  # passed on from this function's own parameter: its callers are checked too
                self.scored.append((-(rows.family + 1), rows.path + below))
            held = Value(family=rows.family, path=rows.path + below)
            for fit_id in sorted(self.closure(Value(fits=rows.taints))):
                fit = self.state.fits[fit_id]
                seen = seen_path(fit, held)
                if seen is not None:  # the function splits after the call: any fit behind it came first
                    self.leak(fit, held.path, node, "before-split")

    def cross_validated(self, node: ast.Call, rows: Any) -> None:
        """Cross-validation holds out folds of ``rows``: a fit behind them that saw them leaks."""
        if not isinstance(rows, Value) or rows.family is None:
            return
        for fit_id in sorted(self.closure(Value(fits=rows.taints))):
            fit = self.state.fits[fit_id]
            # a model is cloned by the cross-validation; a vocabulary is the same whichever fold holds a row
            if seen_path(fit, rows) is not None and fit.kind not in ("model", "vocabulary"):
                self.leak(fit, rows.path, node, "cross-validation")

    def validated(self, node: ast.Call, rows: Any, keywords: dict) -> None:
        """``fit(X, y, validation_data=(X_val, y_val))``: training rows that include the
        validation rows, or a test set that stops the training early."""
        for keyword in api.VALIDATION_KEYWORDS & set(keywords):
            held_out = [v for v in flatten([keywords[keyword]]) if isinstance(v, Value) and v.family is not None
                        and v.path and v.path[-1][1] == 1]
            for value in held_out[:1]:
                if isinstance(rows, Value) and rows.family == value.family and \
                        any(is_prefix(path, value.path) for path in rows.union or (rows.path,)):
                    self.leak(self.new_fit("model", node, rows), value.path, node, "validation")
                elif len(value.path) == 1 and _stops_early(node, self.stoppers) and \
                        not self.held_out_is_validation(node, keyword):
                    # (held-out rows split off a training side are a validation set, whatever their name)
                    self.leak(self.new_fit("model", node, value), value.path, node, "early-stopping")

    def held_out_is_validation(self, node: ast.Call, keyword: str) -> bool:
        argument = next(k.value for k in node.keywords if k.arg == keyword)
        names = [n.id for n in ast.walk(argument) if isinstance(n, ast.Name)]
        return not names or any(api.is_validation_name(n) for n in names)

    def shuffled_in_time(self, node: ast.Call, arguments: list) -> None:
        """A shuffled split of rows ordered in time whose features look at other rows."""
        shuffle = next((k.value for k in node.keywords if k.arg == "shuffle"), None)
        if shuffle is not None and not (isinstance(shuffle, ast.Constant) and shuffle.value is True):
            return
        timed = next((v for v in arguments if isinstance(v, Value) and v.time_order and v.lagged), None)
        if timed is None:
            return
        fit = self.new_fit("split", node, timed)
        self.state.leaks[fit.id] = Leak("temporal", fit, timed.time_order, self.state.text_of_line(timed.time_order),
                                        timed.lagged, self.state.text_of_line(timed.lagged), "random-split", "low")

    def target_leak(self, node: ast.Call, rows: Any, labels: Any) -> None:
        """``fit(X, y)`` where ``X`` still holds the column ``y`` was taken from."""
        column = target_among_features(rows, labels)
        if column is None:
            return
        fit = self.new_fit("target", node, rows)
        line = labels.target[1]
        self.state.leaks[fit.id] = Leak("target", fit, line, self.state.text_of_line(line), node.lineno,
                                        self.state.text(node), f"target:{column}", "medium")

    def leak(self, fit: Fit, held_path: Path, node: ast.Call, how: str) -> None:
        if fit.id in self.state.leaks or fit.kind == "labels":
            return
        split_line = held_path[-1][0] if held_path else None
        split_text, known_split = self.state.splits.get(split_line, ("", False))
        kind = {"statistics": "preprocessing", "vocabulary": "preprocessing"}.get(fit.kind, "overlap")
        confidence = "high" if known_split and fit.strong else "medium"
        if how == "early-stopping":
            kind, confidence = "multi-test", "medium"
        if how == "cross-validation":
            # folds of rows an unsupervised step saw: a textbook leak that rarely moves the score
            confidence = "medium" if fit.supervised else "low"
        if fit.kind == "vocabulary":
            confidence = "low"
        self.state.leaks[fit.id] = Leak(kind, fit, split_line, split_text, node.lineno, self.state.text(node), how,
                                        confidence)



def _how(fit: Fit, seen: Path, held_path: Path) -> str:
    if seen == held_path:
        return "held-out"
    return "before-split" if fit.line < held_path[len(seen)][0] else "after-split"



def _stops_early(node: ast.Call, stoppers: set[str]) -> bool:
    """Early stopping in the call, or a callback bound earlier (``early = EarlyStopping(...)``)."""
    if any(k.arg in api.EARLY_STOPPING_KEYWORDS for k in node.keywords):
        return True
    callbacks = next((k.value for k in node.keywords if k.arg == "callbacks"), None)
    if callbacks is None:
        return False
    names = {n.attr if isinstance(n, ast.Attribute) else n.id for n in ast.walk(callbacks)
             if isinstance(n, (ast.Name, ast.Attribute))}
    return any(name in api.EARLY_STOPPING_CALLBACKS or name in stoppers for name in names)



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
        return replace(value, lagged=value.lagged or node.lineno, window=method in api.WINDOW_METHODS)
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


