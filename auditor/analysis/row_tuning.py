"""Row flow, hyperparameters or models chosen on the test set: a loop that sweeps a hyperparameter
(``for k in range(1, 30): KNeighborsClassifier(n_neighbors=k)``) or walks a literal collection of
models (``for name, model in {"lr": LogisticRegression(), "rf": RandomForestClassifier()}.items()``),
scores each model on the held-out rows of a split named for testing (not validation), and picks the
best (``max``, ``argmax``, ``idxmax``, a name with ``best``). Each condition is read from the code
as written; without all three nothing is said."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from auditor.ml import leakage as api

# How a sweep's values are written: range(...), np.arange/linspace/logspace, ParameterGrid, a literal list.
_SWEEP_CALLS = frozenset({"range", "arange", "linspace", "logspace", "geomspace", "ParameterGrid", "ParameterSampler"})
_PICK = re.compile(r"\b(max|argmax|idxmax|nlargest|argsort)\s*\(|\bbest\w*\s*=|\bbest_\w+")
PICK_WINDOW = 40  # lines after the loop in which the best is picked


def sweeps_hyperparameter(node: ast.For) -> bool:
    """The loop walks values of a hyperparameter and builds something with them (``n_neighbors=k``),
    or of a decision threshold that it compares predictions with (``proba > t``)."""
    if not isinstance(node.target, ast.Name) or not _sweep_values(node.iter):
        return False
    name = node.target.id
    return any((isinstance(part, ast.Call) and any(isinstance(k.value, ast.Name) and k.value.id == name
                                                   for k in part.keywords))
               or (isinstance(part, ast.Compare) and _names(part, name))  # a decision threshold: proba > t
               for statement in node.body for part in ast.walk(statement))


def _names(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _sweep_values(values: ast.expr) -> bool:
    if isinstance(values, (ast.List, ast.Tuple)):
        return bool(values.elts) and all(isinstance(e, ast.Constant) and isinstance(e.value, (int, float))
                                         for e in values.elts)
    if isinstance(values, ast.Call):
        func = values.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        return name in _SWEEP_CALLS
    return False


def scores_test_set(call: ast.Call) -> bool:
    """The evaluation names a test set (``X_test``, ``y_test``), not a validation set."""
    names = [n.id for n in ast.walk(call) if isinstance(n, ast.Name)]
    return any(api.side_of_name(n) == 1 and not api.is_validation_name(n) for n in names)


def picks_best(lines: list[str], after: int) -> int | None:
    """The line (1-based) that picks the best result in the lines after the loop, if any."""
    for number in range(after + 1, min(after + PICK_WINDOW, len(lines)) + 1):
        text = lines[number - 1].split("#", 1)[0]
        if _PICK.search(text):
            return number
    return None


def model_collection(node: ast.expr | None, qualified: Callable[[ast.AST], str | None]) -> bool:
    """A literal list, tuple or dict of two or more model constructors, bare or paired with a name
    (``[("lr", LogisticRegression()), ("rf", RandomForestClassifier())]``)."""
    if isinstance(node, ast.Dict):
        items = node.values
    elif isinstance(node, (ast.List, ast.Tuple)):
        items = [e.elts[-1] if isinstance(e, ast.Tuple) and e.elts else e for e in node.elts]
    else:
        return False
    return len(items) >= 2 and all(isinstance(item, ast.Call) and (qualified(item.func) or "").startswith(api.MODEL_PREFIXES)
                                   for item in items)


def compared_models(node: ast.For, collections: set[str], qualified: Callable[[ast.AST], str | None]) -> set[str]:
    """The loop variables that hold each model when the loop walks a collection of models
    (``models.items()``, ``enumerate(models)``, ``zip(names, models)``) and fits them; else nothing."""
    walked = node.iter
    if isinstance(walked, ast.Call) and isinstance(walked.func, ast.Attribute) and walked.func.attr in ("items", "values"):
        walked = walked.func.value
    elif isinstance(walked, ast.Call) and isinstance(walked.func, ast.Name) and walked.func.id in ("enumerate", "zip"):
        walked = next((a for a in walked.args if _is_collection(a, collections, qualified)), None)
    if not _is_collection(walked, collections, qualified):
        return set()
    targets = {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    fitted = {call.func.value.id for statement in node.body for call in ast.walk(statement)
              if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "fit"
              and isinstance(call.func.value, ast.Name)}
    return targets & fitted


def _is_collection(node: ast.expr | None, collections: set[str], qualified: Callable[[ast.AST], str | None]) -> bool:
    return (isinstance(node, ast.Name) and node.id in collections) or model_collection(node, qualified)


def picks_best_model(loop: ast.For, lines: list[str]) -> int | None:
    """Where the best of the compared models is kept: ``best_model = model`` in the loop, or a pick
    after it (``max(scores, key=scores.get)``) that names what the loop stored its scores in."""
    stored = set()
    for statement in loop.body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                if "best" in node.id.lower():
                    return node.lineno
                stored.add(node.id)
            elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name):
                stored.add(node.value.id)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append" \
                    and isinstance(node.func.value, ast.Name):
                stored.add(node.func.value.id)
    after = loop.end_lineno or loop.lineno
    for number in range(after + 1, min(after + PICK_WINDOW, len(lines)) + 1):
        text = lines[number - 1].split("#", 1)[0]
        if _PICK.search(text) and any(re.search(rf"\b{re.escape(name)}\b", text) for name in stored):
            return number
    return None


def pick_is_on_test(loop: ast.For, pick_text: str) -> bool:
    """When the loop scores a validation set too, the best may be picked on it: only a pick that
    names the test side (``results[x]["holdout_f1"]``) and not the validation side counts."""
    if not any(isinstance(n, ast.Name) and api.is_validation_name(n.id) for n in ast.walk(loop)):
        return True
    words = re.findall(r"[A-Za-z_]\w*", pick_text)
    return any(api.side_of_name(w) == 1 for w in words) and not any(api.is_validation_name(w) for w in words)
