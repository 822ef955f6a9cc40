"""Row flow, the checks: where held-out rows meet a fit that saw them (a metric, ``score``,
cross-validation, a function that scores its argument, validation rows inside the training rows,
early stopping or a hyperparameter sweep on the test set), and the target and time-order checks;
each leak found is recorded once, at its fit (a mixin of ``row_calls.CallFlow``)."""

from __future__ import annotations

import ast
from typing import Any

from auditor.analysis.row_columns import made_from_later_rows, made_from_target, target_among_features
from auditor.analysis.row_tuning import scores_test_set
from auditor.analysis.row_values import Fit, Leak, Path, Value, flatten, how_seen, is_prefix, seen_path
from auditor.ml import leakage as api


class LeakChecks:
    """What a scope checks when rows are scored (its ``state``, ``scored``, ``sweeps`` and
    ``stoppers`` are the scope's)."""

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
        self._parameters_scored(rows, held_out)
        if not held_out:
            return
        self.split_across_entities(node, held_out)
        if self.sweeps and scores_test_set(node):  # a test set, not split off a training side, in a sweep
            self.sweeps[-1].extend((node, v) for v in held_out if len(v.path) == 1)
        taints = set(extra)
        for value in rows:
            taints |= self.closure(Value(fits=value.taints))
        for fit_id in sorted(taints):
            fit = self.state.fits[fit_id]
            for value in held_out:
                seen = seen_path(fit, value)
                if seen is not None:
                    self.leak(fit, value.path, node, how_seen(fit, seen, value.path))
                    break

    def split_across_entities(self, node: ast.Call, held_out: list) -> None:
        """Held-out rows of a frame with several rows per entity, split row by row by a known split:
        the same users are on both sides (low confidence: a model for known users may want that)."""
        for value in held_out:
            entity = self.state.entities.get(value.family)
            split_line = value.path[-1][0]
            split_text, known_split = self.state.splits.get(split_line, ("", False))
            if entity is None or not known_split or any(leak.kind == "group" and leak.split_line == split_line
                                                        for leak in self.state.leaks.values()):
                continue
            column, grouped_at = entity
            fit = Fit(next(self.state.counter), "group", grouped_at, self.state.text_of_line(grouped_at), value.family,
                      (value.path,), strong=False)
            self.state.leaks[fit.id] = Leak("group", fit, split_line, split_text, node.lineno, self.state.text(node),
                                            f"group:{column}", "low")

    def passed_on(self, node: ast.Call, qualified: str | None, arguments: list, keywords: dict) -> None:
        """A function of another module given rows that a fit saw: recorded with what the project
        phase needs to check it against what that function scores (``rows_passed_on``)."""
        if not qualified or qualified.split(".")[0] in api.DATA_LIBRARIES or qualified.startswith(api.READ_PREFIXES) \
                or (isinstance(node.func, ast.Name) and node.func.id in self.state.summaries):  # this module's own
            return
        given = {str(index): value for index, value in enumerate(arguments)} | {k: v for k, v in keywords.items() if k}
        passed, fits = {}, {}
        for key, value in given.items():
            behind = sorted(self.closure(Value(fits=value.taints))) if isinstance(value, Value) and value.family else []
            if behind:
                passed[key] = {"family": value.family, "path": [list(step) for step in value.path], "fits": behind}
                fits.update((fit_id, self.state.fits[fit_id]) for fit_id in behind)
        if passed:
            self.state.outgoing.append({"callee": qualified, "line": node.lineno, "text": self.state.text(node),
                                        "arguments": passed, "fits": fits})

    def _parameters_scored(self, rows: list, held_out: list) -> None:
        """Within a function, which of its parameters are scored, for its callers to check: one scored
        as it is given (its callers may pass held-out rows) or on its held-out part."""
        self.scored.extend((-(v.family + 1), ()) for v in rows if v.family < 0 and not v.path)
        self.scored.extend((-(v.family + 1), v.path) for v in held_out if v.family < 0)

    def scored_inside(self, node: ast.Call, scored: list, arguments: list) -> None:
        """``evaluate(X_scaled, y)`` where the function splits its argument and scores the held-out
        part: a fit behind the argument that saw those rows leaks, found at the call. A function that
        scores an argument as given (``report(model, X_test, y_test)``) is checked as a direct
        evaluation of what the caller passes."""
        for index, below in scored:
            rows = arguments[index] if index < len(arguments) else None
            if not isinstance(rows, Value) or rows.family is None:
                continue
            if not below:  # the function scores the argument as given: held-out rows passed in are checked
                if rows.path and rows.path[-1][1] == 1:
                    self.evaluated(node, [rows], frozenset())
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

    def shuffled_in_time(self, node: ast.Call, arguments: list, shuffled: bool | None = None) -> None:
        """A shuffled split (or cross-validation on shuffled folds, ``shuffled``) of rows ordered in
        time whose features look at other rows."""
        shuffle = next((k.value for k in node.keywords if k.arg == "shuffle"), None)
        if shuffled is None:  # train_test_split shuffles unless told not to
            shuffled = shuffle is None or (isinstance(shuffle, ast.Constant) and shuffle.value is True)
        if not shuffled:
            return
        timed = next((v for v in arguments if isinstance(v, Value) and v.time_order and v.lagged), None)
        if timed is None:
            return
        fit = self.new_fit("split", node, timed)
        self.state.leaks[fit.id] = Leak("temporal", fit, timed.time_order, self.state.text_of_line(timed.time_order),
                                        timed.lagged, self.state.text_of_line(timed.lagged), "random-split", "low")

    def target_leak(self, node: ast.Call, rows: Any, labels: Any) -> None:
        """``fit(X, y)`` where ``X`` still holds the column ``y`` was taken from, or a column made
        from it; and where ``X`` holds a column made from later rows."""
        self.ahead_leak(node, rows, labels)
        column = target_among_features(rows, labels)
        how = f"target:{column}"
        if column is None:
            made = made_from_target(rows, labels)
            if made is None:
                return
            how = f"derived:{made[0]}:{labels.target[0]}:{made[1]}"
        fit = self.new_fit("target", node, rows)
        line = labels.target[1]
        self.state.leaks[fit.id] = Leak("target", fit, line, self.state.text_of_line(line), node.lineno,
                                        self.state.text(node), how, "medium")

    def ahead_leak(self, node: ast.Call, rows: Any, labels: Any) -> None:
        """``fit(X, y)`` where ``X`` holds a feature made from later rows (``shift(-1)``)."""
        made = made_from_later_rows(rows, labels)
        if made is None:
            return
        column, line, ahead = made
        fit = self.new_fit("future", node, rows)
        self.state.leaks[fit.id] = Leak("future", fit, line, self.state.text_of_line(line), ahead,
                                        self.state.text_of_line(ahead), f"future:{column}", "low")

    def leak(self, fit: Fit, held_path: Path, node: ast.Call, how: str) -> None:
        if fit.id in self.state.leaks or fit.kind == "labels":
            return
        split_line = held_path[-1][0] if held_path else None
        split_text, known_split = self.state.splits.get(split_line, ("", False))
        kind = {"statistics": "preprocessing", "vocabulary": "preprocessing", "unknown": "preprocessing"}.get(fit.kind,
                                                                                                             "overlap")
        confidence = "high" if known_split and fit.strong else "medium"
        if how == "early-stopping":
            kind, confidence = "multi-test", "medium"
        if how == "cross-validation":
            # folds of rows an unsupervised step saw: a textbook leak that rarely moves the score
            confidence = "medium" if fit.supervised else "low"
        if fit.kind in ("vocabulary", "unknown"):  # an unknown transformer (sksurv's encoder) may learn nothing
            confidence = "low"
        self.state.leaks[fit.id] = Leak(kind, fit, split_line, split_text, node.lineno, self.state.text(node), how,
                                        confidence)







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



