"""Row flow, hyperparameters chosen on the test set: a loop that sweeps a hyperparameter (``for k
in range(1, 30): KNeighborsClassifier(n_neighbors=k)``), scores each model on the held-out rows
of a split named for testing (not validation), and picks the best after the loop (``max``,
``argmax``, ``idxmax``, a name with ``best``). Each condition is read from the code as written;
without all three nothing is said."""

from __future__ import annotations

import ast
import re

from auditor.ml import leakage as api

# How a sweep's values are written: range(...), np.arange/linspace/logspace, ParameterGrid, a literal list.
_SWEEP_CALLS = frozenset({"range", "arange", "linspace", "logspace", "geomspace", "ParameterGrid", "ParameterSampler"})
_PICK = re.compile(r"\b(max|argmax|idxmax|nlargest|argsort)\s*\(|\bbest\w*\s*=|\bbest_\w+")
PICK_WINDOW = 40  # lines after the loop in which the best is picked


def sweeps_hyperparameter(node: ast.For) -> bool:
    """The loop walks values of a hyperparameter and builds something with them (``n_neighbors=k``)."""
    if not isinstance(node.target, ast.Name) or not _sweep_values(node.iter):
        return False
    name = node.target.id
    return any(isinstance(call, ast.Call) and any(isinstance(k.value, ast.Name) and k.value.id == name
                                                  for k in call.keywords)
               for statement in node.body for call in ast.walk(statement))


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
