"""The ``seeds`` extractor: random draws, seed setters and seed logging, per module and scope.

One pass over each module's tree records the random draws and seed setters the tables in
``seed_tables`` describe, with the state of each seed argument (pinned, missing, not a pin such
as ``time.time()``, or derived from another draw), GPU determinism switches, and whether the run
records its seed (``mlflow.log_param("seed", ...)``). The facts are plain JSON for the project
phase (``seed_flow`` and the rules in ``seeds``).
"""

from __future__ import annotations

import ast
from typing import Any

from auditor.ml.tracking import RUN_RECORDERS
from auditor.rule import Extractor
from auditor.rules.seed_tables import (
    CUDNN_BENCHMARK,
    DATASETS_SHUFFLE,
    DETERMINISM_SWITCHES,
    GENERATOR_NAMES,
    METHOD_DRAWS,
    RECORDING_CALLS,
    SEED_SETTERS,
    SETTERS_WITHOUT_ARGUMENT,
    Draw,
    lookup_draw,
    says_random_on_purpose,
)
from auditor.rules.seed_values import DERIVED, NONE, PIN, UNKNOWN, SeedScopes

_DICT_MUTATORS = {"update", "setdefault", "__setitem__", "pop", "clear", "popitem"}


def _is_main_test(test: ast.AST) -> bool:
    return isinstance(test, ast.Compare) and len(test.comparators) == 1 and isinstance(test.ops[0], ast.Eq) and {
        _text(test.left), _text(test.comparators[0])} == {"__name__", "__main__"}


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


class _SeedVisitor(SeedScopes):
    """Records draws, setters, GPU switches and seed logging; seed values come from ``SeedScopes``."""

    def __init__(self, module) -> None:
        super().__init__(module)
        self.draws: list[dict[str, Any]] = []
        self.setters: list[dict[str, Any]] = []
        self.call_lines: dict[str, dict[str, list[int]]] = {}  # scope -> callee last name -> lines
        self.benchmark: list[list[Any]] = []
        self.deterministic = False
        self.records_seed = False
        self.tracks_opaque = False
        tops = {imported.split(".")[0] for imported in module.imports.values()}
        self.imported_tops = tops
        self.tracked_by_tool = bool(tops & RUN_RECORDERS)

    def _constant_attribute(self, target: ast.Attribute, value: ast.Constant) -> None:
        qualified = self.m.qualified_name(target)
        if qualified == CUDNN_BENCHMARK and value.value is True:
            self.benchmark.append(self._where(target.lineno))
        elif qualified in DETERMINISM_SWITCHES and value.value is True:
            self.deterministic = True

    # -- calls ---------------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        qualified = self.m.qualified_name(func)
        last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if last:
            self.call_lines.setdefault(self.scope, {}).setdefault(last, []).append(node.lineno)
        if isinstance(func, ast.Attribute) and func.attr in _DICT_MUTATORS and isinstance(func.value, ast.Name):
            self._opaque(func.value.id)
        if qualified in SEED_SETTERS:
            self._setter(node, qualified)
        elif qualified in DETERMINISM_SWITCHES:
            if not node.args or not (isinstance(node.args[0], ast.Constant) and node.args[0].value is False):
                self.deterministic = True
        elif qualified:
            draw = lookup_draw(qualified)
            if draw is not None:
                self._draw(node, qualified, draw)
            self._lightning_trainer(node, qualified)
        elif isinstance(func, ast.Attribute):
            self._method_draw(node, func)
        if last in RECORDING_CALLS:
            self._recording(node, qualified, last)
        self.generic_visit(node)

    def _setter(self, node: ast.Call, qualified: str) -> None:
        expr = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg in ("seed", "a")), None)
        if expr is None:
            state, detail = (PIN, "") if qualified in SETTERS_WITHOUT_ARGUMENT else (NONE, "no argument")
        else:
            state, detail = self._classify(expr)
        self.setters.append({
            "scope": self.scope, "where": self._where(node.lineno), "call": qualified,
            "spelling": self.m.dotted_name(node.func) or qualified, "libraries": list(SEED_SETTERS[qualified]),
            "state": state, "detail": detail, "constant": self._is_constant(expr), "from_config": self._from_config(expr),
            "fallback": self._has_fallback(expr), "main_guard": self._in_main_guard(node),
        })

    def _in_main_guard(self, node: ast.AST) -> bool:
        """Inside ``if __name__ == "__main__":``: runs only when the module is the program, never
        when another module imports it."""
        current = self.m.parent(node)
        while current is not None:
            if isinstance(current, ast.If) and _is_main_test(current.test):
                return True
            current = self.m.parent(current)
        return False

    def _draw(self, node: ast.Call, qualified: str, draw: Draw, spelling: str | None = None) -> None:
        if not self._condition_holds(node, draw):
            return  # not random in this configuration, or unknown: precision first
        expr = self._seed_expr(node, draw)
        if expr is UNKNOWN:
            return
        state, detail = (NONE, "") if expr is None else self._classify(expr)
        if state == PIN or state == DERIVED:
            return  # pinned, or seeded by a draw that is checked (and reported) on its own
        if state == NONE and draw.fixed_default:
            return
        self.draws.append({
            "scope": self.scope, "where": self._where(node.lineno), "call": qualified,
            "spelling": spelling or self.m.dotted_name(node.func) or qualified, "library": draw.library,
            "seed_args": list(draw.seed_args), "positional": draw.seed_position == 0, "lazy": draw.lazy,
            "state": state, "detail": detail,
            "fallback": self._has_fallback(expr) if expr is not None else False,
            "on_purpose": says_random_on_purpose([self.m.line_text(n)
                                                  for n in range(node.lineno - 1, max(node.lineno - 41, 0), -1)]),
        })

    def _method_draw(self, node: ast.Call, func: ast.Attribute) -> None:
        entry = METHOD_DRAWS.get(func.attr)
        if entry is None:
            return
        package, draw = entry
        receiver = self.m.dotted_name(func.value) or ""
        if receiver.split(".")[-1].lower() in GENERATOR_NAMES or "rng" in receiver.lower():
            return
        if func.attr == "shuffle" and package not in self.imported_tops and "datasets" in self.imported_tops:
            package, draw = "datasets", DATASETS_SHUFFLE
        if package not in self.imported_tops:
            return
        if func.attr == "sample" and not self._looks_like_pandas_sample(node):
            return
        spelling = f"{receiver or ast.unparse(func.value)[:40]}.{func.attr}"
        self._draw(node, f"{package}:.{func.attr}", draw, spelling)

    @staticmethod
    def _looks_like_pandas_sample(node: ast.Call) -> bool:
        keywords = {k.arg for k in node.keywords}
        if keywords & {"frac", "n", "replace", "weights", "axis", "ignore_index"}:
            return not keywords & {"sample_shape"}
        return len(node.args) == 1 and isinstance(node.args[0], ast.Constant) and \
            isinstance(node.args[0].value, (int, float)) and not isinstance(node.args[0].value, bool)

    def _lightning_trainer(self, node: ast.Call, qualified: str) -> None:
        if qualified.split(".")[0] in ("lightning", "pytorch_lightning") and qualified.endswith("Trainer"):
            for kw in node.keywords:
                if kw.arg == "deterministic" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                    self.deterministic = True
                elif kw.arg == "benchmark" and isinstance(kw.value, ast.Constant) and kw.value.value is True:
                    self.benchmark.append(self._where(node.lineno))

    def _recording(self, node: ast.Call, qualified: str | None, last: str) -> None:
        arguments = [*node.args, *(k.value for k in node.keywords)]
        for arg in arguments:
            for sub in ast.walk(arg):
                text = sub.id if isinstance(sub, ast.Name) else sub.attr if isinstance(sub, ast.Attribute) else \
                    sub.value if isinstance(sub, ast.Constant) and isinstance(sub.value, str) else \
                    sub.arg if isinstance(sub, ast.keyword) else ""
                if "seed" in (text or "").lower():  # a ``**kwargs`` keyword has no name
                    self.records_seed = True
                    return
        if any(k.arg and "seed" in k.arg.lower() for k in node.keywords):
            self.records_seed = True
            return
        # A tracker given a whole config object (mlflow.log_params(vars(args)), wandb.init(config=cfg),
        # self.save_hyperparameters()) may well record the seed: not ours to doubt.
        tracker = (qualified or "").split(".")[0] in RUN_RECORDERS or last in (
            "log_params", "log_hyperparams", "save_hyperparameters", "add_hparams", "log_dict", "log_config")
        if tracker and (not arguments or any(not isinstance(a, (ast.Constant, ast.Dict, ast.List)) for a in arguments)):
            self.tracks_opaque = True


class SeedFacts(Extractor):
    """Random draws without a pinned seed, seed setters, GPU determinism switches, seed logging."""

    name = "seeds"

    def extract(self, module) -> dict[str, Any]:
        visitor = _SeedVisitor(module)
        visitor.visit(module.tree)
        return {
            "draws": visitor.draws,
            "setters": visitor.setters,
            "call_lines": visitor.call_lines,
            "benchmark": visitor.benchmark,
            "deterministic": visitor.deterministic,
            "records_seed": visitor.records_seed,
            "tracks_opaque": visitor.tracks_opaque or visitor.tracked_by_tool and visitor.records_seed,
            "lines": {str(w[0]): module.line_text(w[0]).strip()[:200]
                      for w in [*(d["where"] for d in visitor.draws), *(s["where"] for s in visitor.setters),
                                *visitor.benchmark]},
        }
