"""Unpinned seeds, followed across the whole program.

The ``seeds`` extractor records, per module and scope, the random draws and seed setters the
tables in ``seed_tables`` describe, with the state of each seed argument. The project rules join
those facts with the program graph: a draw that falls back to a library's global RNG is pinned
when a seed for that library is set before it on every path that reaches it (same function,
module level, or a project helper such as ``set_seeds()`` called earlier by every caller).
"""

from __future__ import annotations

import ast
import re
from pathlib import PurePosixPath
from typing import Any

from auditor.program import MODULE, ProgramGraph
from auditor.project import CONFIG
from auditor.rule import Extractor, Invalid, ProjectRule, Valid
from auditor.rules.seed_tables import (CUDNN_BENCHMARK, DATASETS_SHUFFLE, DETERMINISM_SWITCHES,
                                       GENERATOR_NAMES, METHOD_DRAWS, RECORDING_CALLS, SEED_SETTERS,
                                       SETTERS_WITHOUT_ARGUMENT, Draw, is_non_pin_source, lookup_draw)

UNKNOWN = object()  # a seed that may be there but cannot be seen (``**kwargs`` from elsewhere)
UNKNOWN_KEY = ast.Constant(value=None)  # marks a dict whose keys are set where we cannot read them
_DICT_MUTATORS = {"update", "setdefault", "__setitem__", "pop", "clear", "popitem"}
PIN, NONE, NON_PIN, DERIVED = "pin", "none", "non-pin", "derived"
_SERVING = re.compile(r"(^|_)(serve|serving|server|predict|predictor|inference|infer|deploy|api|app)(_|$)", re.I)
TRACKERS = ("mlflow", "wandb", "neptune", "comet_ml", "clearml", "tensorboardX", "aim", "hydra", "dvclive")


def _has_seed_key(data: Any, depth: int = 0) -> bool:
    """Whether a parsed config has a key naming a seed (seed, random_state, random_seed, ...)."""
    if depth > 6:
        return False
    if isinstance(data, dict):
        return any((isinstance(k, str) and ("seed" in k.lower() or k.lower() == "random_state"))
                   or _has_seed_key(v, depth + 1) for k, v in data.items())
    if isinstance(data, list):
        return any(_has_seed_key(v, depth + 1) for v in data[:200])
    return False


def is_test_path(path: str) -> bool:
    p = PurePosixPath(path)
    name = p.name
    return (name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
            or any(part in ("tests", "test", "testing") or part.startswith("test_") for part in p.parts[:-1]))


# ------------------------------------------------------------------------------------------------
# Extraction: one pass over each module's tree


class _SeedVisitor(ast.NodeVisitor):
    def __init__(self, module) -> None:
        self.m = module
        self.stack: list[tuple[str, str]] = []
        self.assigned: list[dict[str, ast.AST]] = [{}]  # per scope: name -> last value assigned
        self.dict_keys: list[dict[str, dict[str, ast.AST]]] = [{}]  # name -> {key: value} set by item
        self.defaults: list[dict[str, bool]] = [{}]  # parameter -> has a literal default
        self.draws: list[dict[str, Any]] = []
        self.setters: list[dict[str, Any]] = []
        self.call_lines: dict[str, dict[str, list[int]]] = {}  # scope -> callee last name -> lines
        self.benchmark: list[list[Any]] = []
        self.deterministic = False
        self.records_seed = False
        self.tracks_opaque = False
        tops = {imported.split(".")[0] for imported in module.imports.values()}
        self.imported_tops = tops
        self.tracked_by_tool = bool(tops & set(TRACKERS))

    # -- scopes (qualnames as in auditor.program) ------------------------------------------------
    @property
    def scope(self) -> str:
        return self.stack[-1][0] if self.stack else MODULE

    def _enter(self, node, kind: str) -> None:
        qualname = f"{self.scope}.{node.name}" if self.scope else node.name
        self.stack.append((qualname, kind))
        self.assigned.append({})
        self.dict_keys.append({})
        self.defaults.append({})

    def _leave(self) -> None:
        self.stack.pop()
        self.assigned.pop()
        self.dict_keys.pop()
        self.defaults.pop()

    def visit_FunctionDef(self, node) -> None:
        for expr in [*node.decorator_list, *node.args.defaults, *(d for d in node.args.kw_defaults if d)]:
            self.visit(expr)
        self._enter(node, "function")
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        defaults = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]], args.defaults))
        defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
        self.defaults[-1] = {name: isinstance(value, ast.Constant) and value.value is not None
                             for name, value in defaults.items()}
        for stmt in node.body:
            self.visit(stmt)
        self._leave()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        self._enter(node, "class")
        for stmt in node.body:
            self.visit(stmt)
        self._leave()

    # -- assignments (seed values and visible ``**params`` dicts) --------------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._store(target, node.value)
            self.visit(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self._store(node.target, node.value)

    def _store(self, target: ast.AST, value: ast.AST) -> None:
        if isinstance(target, ast.Name):
            self.assigned[-1][target.id] = value
            self.dict_keys[-1].pop(target.id, None)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            if isinstance(target.slice, ast.Constant) and isinstance(target.slice.value, str):
                self.dict_keys[-1].setdefault(target.value.id, {})[target.slice.value] = value
            else:
                self._opaque(target.value.id)  # params[name] = ...: any key may be set
        elif isinstance(target, ast.Attribute) and isinstance(value, ast.Constant):
            qualified = self.m.qualified_name(target)
            if qualified == CUDNN_BENCHMARK and value.value is True:
                self.benchmark.append(self._where(target.lineno))
            elif qualified in DETERMINISM_SWITCHES and value.value is True:
                self.deterministic = True

    def _opaque(self, name: str) -> None:
        """The dict bound to ``name`` gets keys we cannot see: it may carry a seed."""
        self.dict_keys[-1].setdefault(name, {})["*"] = UNKNOWN_KEY

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name):
            self._opaque(node.target.id)
        self.generic_visit(node)

    def _value_of(self, name: str) -> ast.AST | None:
        for scope in (self.assigned[-1], self.assigned[0]):
            if name in scope:
                return scope[name]
        return None

    def _dict_entries(self, expr: ast.AST) -> dict[str, ast.AST] | None:
        """Keys of a dict the code shows (literal, dict(...), or a name bound to one), else None."""
        extra: dict[str, ast.AST] = {}
        if isinstance(expr, ast.Name):
            for keys in (self.dict_keys[-1], self.dict_keys[0]):
                extra = {**keys.get(expr.id, {}), **extra}
            expr = self._value_of(expr.id)
        entries: dict[str, ast.AST] | None = None
        if isinstance(expr, ast.Dict) and None not in expr.keys:
            entries = {k.value: v for k, v in zip(expr.keys, expr.values)
                       if isinstance(k, ast.Constant) and isinstance(k.value, str)}
            if len(entries) != len(expr.keys):
                return None
        elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "dict" \
                and not expr.args and all(k.arg for k in expr.keywords):
            entries = {k.arg: k.value for k in expr.keywords}
        if entries is None or "*" in extra:
            return None
        return {**entries, **extra}

    # -- seed values -------------------------------------------------------------------------------
    def _classify(self, expr: ast.AST, depth: int = 0) -> tuple[str, str]:
        """(PIN | NONE | NON_PIN | DERIVED, detail) for the expression given as a seed."""
        if isinstance(expr, ast.Constant) and expr.value is None:
            return NONE, "None"
        for sub in ast.walk(expr):
            if isinstance(sub, ast.Call):
                qualified = self.m.qualified_name(sub.func)
                if qualified and is_non_pin_source(qualified):
                    return NON_PIN, qualified
                draw = lookup_draw(qualified) if qualified else None
                if draw is not None and draw.library and self._seed_expr(sub, draw) is None:
                    return DERIVED, f"{draw.library}:{qualified}"
            elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and depth < 3:
                value = self._value_of(sub.id)
                if value is not None and value is not expr:
                    state, detail = self._classify(value, depth + 1)
                    if state in (NON_PIN, DERIVED):
                        return state, detail
        return PIN, ""

    def _seed_expr(self, call: ast.Call, draw: Draw) -> Any:
        """The seed argument of a call: an expression, None (absent), or UNKNOWN."""
        for kw in call.keywords:
            if kw.arg in draw.seed_args:
                return kw.value
        position = draw.seed_position
        starred = any(isinstance(a, ast.Starred) for a in call.args)
        if position is not None and len(call.args) > position and \
                not any(isinstance(a, ast.Starred) for a in call.args[:position + 1]):
            return call.args[position]
        for kw in call.keywords:
            if kw.arg is None:
                entries = self._dict_entries(kw.value)
                if entries is None:
                    return UNKNOWN
                for key in draw.seed_args:
                    if key in entries:
                        return entries[key]
        if starred and position is not None:
            return UNKNOWN
        return None

    def _condition_holds(self, call: ast.Call, draw: Draw) -> bool | None:
        if draw.when is None:
            return True
        keyword, random_value, default = draw.when
        for kw in call.keywords:
            if kw.arg == keyword:
                if isinstance(kw.value, ast.Constant):
                    return kw.value.value == random_value
                return None
            if kw.arg is None:
                return None
        return default == random_value

    # -- calls ---------------------------------------------------------------------------------
    def _where(self, line: int) -> list[Any]:
        shown, cell = self.m.location(line)
        return [line, shown, cell]

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
            "fallback": self._has_fallback(expr),
        })

    def _is_constant(self, expr: ast.AST | None) -> bool:
        """A literal seed, a name bound to one, or a parameter whose default is one (all in the code)."""
        if isinstance(expr, ast.Constant):
            return True
        if isinstance(expr, ast.Name):
            value = self._value_of(expr.id)
            if value is not None:
                return isinstance(value, ast.Constant)
            return self.defaults[-1].get(expr.id, False)
        return False

    def _from_config(self, expr: ast.AST | None, depth: int = 0) -> bool:
        """A seed read from a mapping by key (``params["seed"]``, ``cfg.train.seed``): a config file's value."""
        if isinstance(expr, ast.Call) and expr.args and isinstance(expr.func, ast.Name) and expr.func.id in ("int", "str"):
            expr = expr.args[0]
        if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant) and isinstance(expr.slice.value, str):
            return True
        if isinstance(expr, ast.Attribute):
            base = self.m.dotted_name(expr) or ""
            return any(word in base.lower() for word in ("cfg", "conf", "param", "setting", "hparam", "hp."))
        if isinstance(expr, ast.Name) and depth < 2:
            value = self._value_of(expr.id)
            return value is not None and self._from_config(value, depth + 1)
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

    @staticmethod
    def _has_fallback(expr: ast.AST | None) -> bool:
        return expr is not None and any(isinstance(n, (ast.IfExp, ast.BoolOp)) for n in ast.walk(expr))

    def _recording(self, node: ast.Call, qualified: str | None, last: str) -> None:
        arguments = [*node.args, *(k.value for k in node.keywords)]
        for arg in arguments:
            for sub in ast.walk(arg):
                text = sub.id if isinstance(sub, ast.Name) else sub.attr if isinstance(sub, ast.Attribute) else \
                    sub.value if isinstance(sub, ast.Constant) and isinstance(sub.value, str) else \
                    sub.arg if isinstance(sub, ast.keyword) else ""
                if "seed" in text.lower():
                    self.records_seed = True
                    return
        if any(k.arg and "seed" in k.arg.lower() for k in node.keywords):
            self.records_seed = True
            return
        # A tracker given a whole config object (mlflow.log_params(vars(args)), wandb.init(config=cfg),
        # self.save_hyperparameters()) may well record the seed: not ours to doubt.
        tracker = (qualified or "").split(".")[0] in TRACKERS or last in (
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


# ------------------------------------------------------------------------------------------------
# Whole-program analysis: which libraries are seeded on every path to a point


def _node(path: str, scope: str) -> str:
    return path if scope == MODULE else f"{path}::{scope}"


def _split(node: str) -> tuple[str, str]:
    path, _, scope = node.partition("::")
    return path, scope


class SeedFlow:
    """Must-analysis over the program graph: the libraries seeded before a line of a scope."""

    def __init__(self, project, program: ProgramGraph | None = None) -> None:
        self.facts: dict[str, dict[str, Any]] = {p: f for p, f in project.fact("seeds").items()}
        self.program = program or ProgramGraph(project)
        self.graph = self.program.graph
        self.entries = set(self.program.entry_modules)
        self.direct: dict[str, list[tuple[int, frozenset[str]]]] = {}  # node -> [(line, libraries)]
        for path, facts in self.facts.items():
            if is_test_path(path):
                continue
            for setter in facts.get("setters", []):
                if setter.get("state") == NONE:
                    continue
                self.direct.setdefault(_node(path, setter["scope"]), []).append(
                    (setter["where"][0], frozenset(setter["libraries"])))
        self._always: dict[str, frozenset[str]] = {}
        self._entry: dict[str, frozenset[str]] = {}
        self._busy_always: set[str] = set()
        self._callees: dict[str, list[tuple[str, int]]] = {}
        self._callers: dict[str, list[tuple[str, int]]] = {}
        self._busy_entry: set[str] = set()
        self.seeded_anywhere = frozenset().union(*(libs for items in self.direct.values() for _, libs in items))
        self.everything = self.seeded_anywhere

    # -- call sites with every line --------------------------------------------------------------
    def _lines(self, caller: str, callee: str) -> list[int]:
        """Every line where ``caller`` calls ``callee`` (imports of a module count as calls of it)."""
        path, scope = _split(caller)
        facts = self.facts.get(path, {})
        name = _split(callee)[1].split(".")[-1] if "::" in callee else ""
        edge = self.graph.edges[caller, callee]
        if "::" not in callee:  # a module runs when imported
            return [edge.get("line", 0)] if edge.get("kind") == "import" else []
        # The graph keeps one edge per pair (an import of a name can hide its call): the call
        # lines recorded per scope say where it is really called.
        lines = facts.get("call_lines", {}).get(scope, {}).get(name, [])
        if lines:
            return sorted(lines)
        return [edge.get("line", 0)] if edge.get("kind") == "call" else []

    def callees(self, node: str) -> list[tuple[str, int]]:
        if node in self._callees:
            return self._callees[node]
        found: list[tuple[str, int]] = []
        self._callees[node] = found
        if node not in self.graph:
            return found
        for target in self.graph.successors(node):
            for line in self._lines(node, target):
                found.append((target, line))
                init = f"{target}.__init__"
                if init in self.program.definitions:
                    found.append((init, line))
        return found

    def callers(self, node: str) -> list[tuple[str, int]]:
        if node in self._callers:
            return self._callers[node]
        found: list[tuple[str, int]] = []
        self._callers[node] = found
        targets = [node]
        if node.endswith(".__init__"):
            targets.append(node[: -len(".__init__")])
        for target in targets:
            if target not in self.graph:
                continue
            for source in self.graph.predecessors(target):
                if is_test_path(_split(source)[0]):
                    continue
                for line in self._lines(source, target):
                    found.append((source, line))
        return found

    # -- what a call always seeds ------------------------------------------------------------------
    def always(self, node: str) -> frozenset[str]:
        """Libraries seeded whenever ``node`` runs (its setters and those of everything it calls)."""
        if node in self._always:
            return self._always[node]
        if node in self._busy_always or not self.seeded_anywhere:
            return frozenset()
        self._busy_always.add(node)
        libs = set()
        for _, seeded in self.direct.get(node, []):
            libs |= seeded
        for callee, _ in self.callees(node):
            libs |= self.always(callee)
        self._busy_always.discard(node)
        self._always[node] = frozenset(libs)
        return self._always[node]

    def before(self, node: str, line: int) -> frozenset[str]:
        """Libraries seeded on every path before ``line`` of ``node`` runs."""
        libs = set(self.entry(node))
        for setter_line, seeded in self.direct.get(node, []):
            if setter_line < line:
                libs |= seeded
        for callee, call_line in self.callees(node):
            if call_line < line:
                libs |= self.always(callee)
        path, scope = _split(node)
        if scope:  # module-level code (setters, imports) runs before any of its functions
            libs |= self.module_level(path)
        return frozenset(libs)

    def module_level(self, path: str) -> frozenset[str]:
        libs = set()
        for _, seeded in self.direct.get(path, []):
            libs |= seeded
        if path in self.graph:
            for target in self.graph.successors(path):
                if self.graph.edges[path, target].get("kind") == "import" and "::" not in target:
                    libs |= self.always(target)
        return frozenset(libs)

    def entry(self, node: str) -> frozenset[str]:
        """Libraries seeded on entry to ``node``, on every path from the program's entry points."""
        if node in self._entry:
            return self._entry[node]
        if node in self._busy_entry:
            return self.everything  # recursion: the greatest fixed point; never reports wrongly
        if not self.seeded_anywhere or node in self.entries:
            return frozenset()
        callers = self.callers(node)
        if not callers:
            self._entry[node] = frozenset()
            return self._entry[node]
        self._busy_entry.add(node)
        result: set[str] | None = None
        for caller, line in callers:
            seeded = self.before(caller, line)
            result = set(seeded) if result is None else result & seeded
            if not result:
                break
        self._busy_entry.discard(node)
        self._entry[node] = frozenset(result or ())
        return self._entry[node]

    def setter_places(self, library: str) -> list[str]:
        """Where ``library`` is seeded, as users see it (``path scope line N`` or ``... cell C line N``)."""
        places = []
        for path, facts in sorted(self.facts.items()):
            if is_test_path(path):
                continue
            for setter in facts.get("setters", []):
                if setter.get("state") != NONE and library in setter.get("libraries", ()):
                    _, shown, cell = setter["where"]
                    at = f"cell {cell} line {shown}" if cell else f"line {shown}"
                    places.append(f"{path} {setter['scope'] or '<module>'} {at}".replace("  ", " "))
        return places

    def unseeded_path(self, node: str, library: str, limit: int = 8) -> tuple[list[str], str]:
        """A chain of callers, innermost first, along which ``library`` is never seeded, and its root."""
        chain = []
        seen = {node}
        while limit > 0:
            limit -= 1
            nxt = None
            for caller, line in self.callers(node):
                if caller not in seen and library not in self.before(caller, line):
                    nxt = (caller, line)
                    break
            if nxt is None:
                break
            chain.append(f"{nxt[0]} (line {nxt[1]})")
            node = nxt[0]
            seen.add(node)
        return chain, node


# ------------------------------------------------------------------------------------------------
# Rules


_SET_SEEDS_HELPER = (
    "import random\nimport numpy as np\n\n"
    "def set_seeds(seed=42):\n    random.seed(seed)\n    np.random.seed(seed)\n"
)


class UnseededRandomDraw(ProjectRule):
    """A random draw that no seed pins: different results on every run.

    A draw is pinned by its own seed argument (``random_state=``, ``seed=``, ``generator=``,
    ``rstate=``, a visible ``**params`` dict with such a key), or, for draws that fall back to a
    library's global RNG, by a seed for that library set earlier on every path that reaches it:
    in the same function, at module level, or in a project helper called earlier by every caller
    (followed across modules). scikit-learn and pandas with ``random_state=None`` use numpy's
    global RandomState, so ``np.random.seed`` pins them; ``np.random.default_rng()``,
    ``random.Random()``, optuna samplers and hyperopt ``fmin`` are pinned only by their own seed.
    Libraries with a fixed default seed (XGBoost, LightGBM, CatBoost, ``TrainingArguments``) are
    not reported. Objects that draw when used rather than built (estimators, splitters,
    ``DataLoader``) are pinned by a seed anywhere in their scope. A function that no project code
    calls (a library API, a framework callback) is left to its callers when the project seeds that
    library somewhere. Tests are not checked.
    """

    id = "ML201"
    name = "unseeded-random-draw"
    category = "unpinned-seed"
    severity = "medium"
    confidence = "high"
    rationale = ("Two runs of the same code on the same data give different splits, initial weights and "
                 "models; a regression cannot be reproduced or bisected, and a metric change cannot be told "
                 "apart from noise. Per-file linters flag draws seeded by a helper in another module; this "
                 "rule follows the calls, so what it reports is really unseeded on some path.")
    remediation = ("Pass an explicit seed (random_state=SEED, seed=SEED, generator=torch.Generator()."
                   "manual_seed(SEED)) or call the project's seed helper (random, numpy, torch, tf) at the "
                   "start of every entry point that reaches this draw, and log the seed with the run.")
    examples = (
        Valid({"src/pkg/__init__.py": "",
               "src/pkg/utils.py": _SET_SEEDS_HELPER,
               "src/pkg/data.py": "import numpy as np\nfrom sklearn.model_selection import train_test_split\n\n"
                                  "def split(df):\n    np.random.shuffle(df)\n    return train_test_split(df)\n",
               "src/pkg/train.py": "from pkg.utils import set_seeds\nfrom pkg.data import split\n\n"
                                   "def main():\n    set_seeds(7)\n    return split([1, 2, 3])\n\n"
                                   "if __name__ == '__main__':\n    main()\n"},
              note="seeds set by a helper in another module, called from the entry point before the draws"),
        Invalid({"src/pkg/__init__.py": "",
                 "src/pkg/utils.py": _SET_SEEDS_HELPER,
                 "src/pkg/data.py": "import numpy as np\n\n"
                                    "def split(df):\n    np.random.shuffle(df)\n    return df\n",
                 "src/pkg/train.py": "from pkg.utils import set_seeds\nfrom pkg.data import split\n\n"
                                     "def main():\n    split([1, 2, 3])\n    set_seeds(7)\n\n"
                                     "if __name__ == '__main__':\n    main()\n"},
                expect=[("src/pkg/data.py", 4)], note="the helper is called only after the draw"),
        Invalid({"src/pkg/__init__.py": "",
                 "src/pkg/utils.py": _SET_SEEDS_HELPER,
                 "src/pkg/data.py": "import random\n\ndef pick(xs):\n    return random.choice(xs)\n",
                 "src/pkg/train.py": "from pkg.utils import set_seeds\nfrom pkg.data import pick\n\n"
                                     "def main():\n    set_seeds(1)\n    return pick([1])\n\n"
                                     "if __name__ == '__main__':\n    main()\n",
                 "src/pkg/serve.py": "from pkg.data import pick\n\n"
                                     "if __name__ == '__main__':\n    print(pick([2]))\n"},
                expect=[("src/pkg/data.py", 4)], note="seeded on one path (train) but not on the other (serve)"),
        Valid("import random\nimport numpy as np\nimport torch\n\nrandom.seed(0)\nnp.random.seed(0)\n"
              "torch.manual_seed(0)\nx = random.random() + np.random.rand() + torch.rand(3).sum()\n"),
        Invalid("import random\nimport numpy as np\nimport torch\n\n"
                "a = random.random()\nb = np.random.randn(3)\nc = torch.randn(3)\nd = torch.randperm(5)\n"
                "random.seed(1)\n",
                expect=[5, 6, 7, 8], note="global draws, no seed (the random seed comes too late)"),
        Valid("import numpy as np\n\ndef train(x: np.ndarray) -> np.ndarray:\n    return x * 2\n",
              note="numpy imported only for type hints draws nothing"),
        Valid("import numpy as np\nimport random\n\nrng = np.random.default_rng(42)\nr = random.Random(3)\n"
              "gen = np.random.RandomState(seed=1)\nx = rng.normal(size=3)\n"),
        Invalid("import numpy as np\nimport random\n\nrng = np.random.default_rng()\nr = random.Random()\n"
                "np.random.seed(0)\ngen = np.random.RandomState()\n",
                expect=[4, 5, 7], note="independent generators ignore the global seed"),
        # scikit-learn
        Valid("from sklearn.model_selection import train_test_split, KFold, GridSearchCV\n"
              "from sklearn.ensemble import RandomForestRegressor\n\n"
              "params = {'n_estimators': 10, 'random_state': 0}\n"
              "def fit(X, y):\n    a, b = train_test_split(X, random_state=1)\n    KFold(5)\n"
              "    KFold(5, shuffle=False)\n    train_test_split(X, shuffle=False)\n"
              "    return RandomForestRegressor(**params).fit(X, y)\n\n"
              "if __name__ == '__main__':\n    fit(1, 2)\n",
              note="explicit random_state, seed through a visible **params dict, unshuffled splitters"),
        Invalid("from sklearn.model_selection import train_test_split, StratifiedKFold, RandomizedSearchCV\n"
                "from sklearn import ensemble\nfrom sklearn.utils import resample, shuffle\n"
                "from sklearn.datasets import make_classification\n\n"
                "params = {'n_estimators': 10}\n"
                "X, y = make_classification()\n"
                "a = train_test_split(X, y, test_size=0.2)\n"
                "cv = StratifiedKFold(5, shuffle=True)\n"
                "model = ensemble.RandomForestClassifier(**params)\n"
                "s = RandomizedSearchCV(model, {}, random_state=None)\n"
                "r = resample(X)\nt = shuffle(X)\n",
                expect=[7, 8, 9, 10, 11, 12, 13]),
        Valid("from sklearn.ensemble import RandomForestRegressor\nRF_PARAMS = ['max_depth', 'random_state']\n\n"
              "def train(params):\n    new_params = {}\n    for p in RF_PARAMS:\n        new_params[p] = int(params[p])\n"
              "    extra = {'n_jobs': 2}\n    extra.update(params)\n"
              "    return RandomForestRegressor(**new_params), RandomForestRegressor(**extra)\n",
              note="dicts filled with keys we cannot read may carry random_state (mlops-zoomcamp register_model.py)"),
        Valid("from sklearn.model_selection import train_test_split\nfrom sklearn.svm import SVC\n\n"
              "def split(X, cfg):\n    SVC()\n    return train_test_split(X, **cfg)\n",
              note="**cfg from elsewhere may carry random_state: not reported; SVC without probability is deterministic"),
        Valid("import numpy as np\nimport pandas as pd\nfrom sklearn.cluster import KMeans\n\n"
              "np.random.seed(3)\ndf = pd.DataFrame({'a': [1, 2]})\ns = df.sample(frac=0.5)\nk = KMeans(2)\n",
              note="sklearn and pandas with random_state=None use numpy's global RandomState"),
        Invalid("import pandas as pd\n\ndf = pd.read_csv('x.csv')\ns = df.sample(frac=0.5)\nt = df.sample(10)\n"
                "u = df.sample(n=3, random_state=1)\n", expect=[4, 5]),
        # PyTorch
        Valid("import torch\nfrom torch.utils.data import DataLoader, random_split\n\n"
              "g = torch.Generator().manual_seed(0)\n"
              "def loaders(ds):\n    a, b = random_split(ds, [0.8, 0.2], generator=g)\n"
              "    return DataLoader(a, shuffle=True, generator=g), DataLoader(b, batch_size=4)\n"),
        Invalid("import torch\nfrom torch import nn\nfrom torch.utils.data import DataLoader\n\n"
                "def build(ds):\n    layer = nn.Linear(4, 2)\n    nn.init.xavier_uniform_(layer.weight)\n"
                "    layer.bias.data.normal_()\n    return DataLoader(ds, shuffle=True, num_workers=4)\n\n"
                "if __name__ == '__main__':\n    build([])\n",
                expect=[6, 7, 8, 9]),
        Valid("import torch\nfrom torch.utils.data import DataLoader\nfrom transformers import set_seed\n\n"
              "def training_function(ds):\n    loader = DataLoader(ds, shuffle=True)\n    set_seed(42)\n"
              "    for batch in loader:\n        pass\n\nif __name__ == '__main__':\n    training_function([])\n",
              note="a DataLoader draws its shuffling seed when iterated: set_seed later in the function pins it "
                   "(accelerate's examples)"),
        Valid("import numpy as np\nfrom sklearn.ensemble import RandomForestClassifier\n\n"
              "model = RandomForestClassifier()\nnp.random.seed(0)\nmodel.fit([[0]], [0])\n",
              note="an estimator reads numpy's global state in fit, after the seed"),
        Valid({"lib/__init__.py": "", "lib/seeding.py": "import torch\n\ndef set_seed(s):\n    torch.manual_seed(s)\n",
               "lib/core.py": "import torch\n\nclass Engine:\n    def prepare(self):\n        return self._make()\n\n"
                              "    def _make(self):\n        return torch.empty(()).random_()\n"},
              note="a library method nobody in the project calls: its users seed torch (accelerate's data_loader.py)"),
        Valid("import torch\nfrom torch import nn\n\nclass Net(nn.Module):\n"
              "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(3, 1)\n\n"
              "def main():\n    torch.manual_seed(0)\n    return Net()\n\nif __name__ == '__main__':\n    main()\n",
              note="layers built in __init__ of a model constructed after torch.manual_seed"),
        # TensorFlow / Keras / JAX
        Valid("import tensorflow as tf\n\ntf.random.set_seed(1)\nx = tf.random.uniform([2])\n"
              "init = tf.keras.initializers.GlorotUniform()\nds = tf.data.Dataset.range(9).shuffle(9)\n"),
        Invalid("import tensorflow as tf\nimport keras\n\nx = tf.random.normal([2])\n"
                "init = keras.initializers.HeNormal()\nds = tf.data.Dataset.range(9).shuffle(9)\n"
                "ok = tf.data.Dataset.range(9).shuffle(9, seed=3)\n",
                expect=[4, 5, 6]),
        Valid("import keras\nimport jax\n\nkeras.utils.set_random_seed(5)\nx = keras.initializers.HeNormal()\n"
              "key = jax.random.PRNGKey(0)\n"),
        # tuning, boosting, Hugging Face, Lightning
        Valid("import optuna\nfrom hyperopt import fmin, tpe\nimport numpy as np\n\n"
              "study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=1))\n"
              "best = fmin(lambda x: x, {}, algo=tpe.suggest, max_evals=5, rstate=np.random.default_rng(1))\n"),
        Invalid("import optuna\nfrom hyperopt import fmin, tpe\n\n"
                "study = optuna.create_study(direction='minimize')\n"
                "other = optuna.create_study(sampler=optuna.samplers.RandomSampler())\n"
                "best = fmin(lambda x: x, {}, algo=tpe.suggest, max_evals=5)\n",
                expect=[4, 5, 6]),
        Invalid("from ray.tune.search.hyperopt import HyperOptSearch\nfrom ray.tune.search.optuna import OptunaSearch\n\n"
                "a = HyperOptSearch(points_to_evaluate=[{}])\nb = HyperOptSearch(random_state_seed=1)\n"
                "c = OptunaSearch(metric='loss')\n",
                expect=[4, 6], note="Ray Tune searchers (Made-With-ML's tune.py)"),
        Valid("import ray\nfrom ray.tune.search.hyperopt import HyperOptSearch\n\n"
              "ds = ray.data.read_csv('x.csv').random_shuffle(seed=1234)\nsearch = HyperOptSearch(random_state_seed=7)\n"),
        Invalid("import ray\n\nds = ray.data.read_csv('x.csv').random_shuffle()\n"
                "train, test = ds.train_test_split(test_size=0.2, shuffle=True)\n", expect=[3, 4]),
        Valid("import xgboost as xgb\nimport lightgbm as lgb\nfrom catboost import CatBoostClassifier\n"
              "from transformers import TrainingArguments, set_seed\n\n"
              "a = xgb.XGBClassifier()\nb = lgb.LGBMRegressor(bagging_seed=3)\nc = CatBoostClassifier()\n"
              "d = TrainingArguments('out')\nset_seed(1)\n",
              note="fixed default seeds are deterministic"),
        Valid("import numpy as np\nimport torch\nimport lightning as L\n\n"
              "L.seed_everything(42)\nx = np.random.rand(2)\ny = torch.randn(2)\n"),
        Invalid("import numpy as np\nimport torch\nfrom transformers import set_seed\n\n"
                "def main():\n    x = torch.randn(2)\n    set_seed(42)\n    return np.random.rand(2)\n\n"
                "if __name__ == '__main__':\n    main()\n",
                expect=[6], note="same function: only the draw before set_seed is unseeded"),
        # notebooks: cells run in order
        Invalid({"explore.ipynb": '{"cells": [{"cell_type": "code", "source": ["import numpy as np\\n",'
                                  ' "idx = np.random.choice(10, size=3)"]},'
                                  ' {"cell_type": "code", "source": ["np.random.seed(0)\\n", "j = np.random.rand()"]}],'
                                  ' "nbformat": 4}'},
                expect=[("explore.ipynb", 2, 1)]),
        Valid({"tests/test_model.py": "import numpy as np\n\ndef test_fit():\n    assert np.random.rand() < 2\n"},
              note="tests are not training code"),
    )

    def check(self, project):
        flow = SeedFlow(project)
        for path, facts in sorted(flow.facts.items()):
            if is_test_path(path):
                continue
            for draw in facts.get("draws", []):
                if draw.get("state") != NONE:
                    continue
                yield from self._judge(flow, path, facts, draw)

    def _judge(self, flow: SeedFlow, path: str, facts: dict, draw: dict):
        line, shown, cell = draw["where"]
        node = _node(path, draw["scope"])
        library = draw["library"]
        spelling = draw["spelling"]
        evidence = {"call": draw["call"], "library": library, "seed_arguments": draw["seed_args"],
                    "scope": draw["scope"] or "<module>"}
        if library is None:
            args = "a seed" if draw.get("positional") or not draw["seed_args"] else \
                " or ".join(f"{a}=" for a in draw["seed_args"])
            message = f"{spelling}() without {args}: it is seeded from OS entropy on every run"
            confidence = "high"
        else:
            # a lazy draw (estimator, DataLoader) is used after it is built: any seed in its scope counts
            if library in flow.before(node, 10**9 if draw.get("lazy") else line):
                return
            path_text, root = flow.unseeded_path(node, library)
            # Known only when the unseeded path starts where execution starts (a module's top level or
            # an entry point); a function nobody in the project calls is run by a framework or a user.
            known = "::" not in root or root in flow.entries
            seeded_somewhere = library in flow.seeded_anywhere
            if not known and seeded_somewhere:
                return  # run by a caller we cannot see, probably after the seeding
            if path_text:
                evidence["unseeded_path"] = path_text
            if seeded_somewhere:
                evidence["seeded_elsewhere"] = flow.setter_places(library)[:5]
            confidence = ("high" if not seeded_somewhere else "medium") if known else "medium"
            args = " or ".join(f"{a}=" for a in draw["seed_args"])
            root = path_text[-1].split(" (")[0].replace("::", " ") if path_text else ""
            where = f" on the path from {root}" if root else ""
            message = (f"{spelling}() draws from {library}'s global RNG with no {library} seed set before it{where}"
                       + (f"; pass {args} or seed {library} first" if args else f"; seed {library} first"))
        yield self.finding(path, shown, message, cell=cell, confidence=confidence, symbol=None,
                           anchor=f"{draw['scope']}:{facts.get('lines', {}).get(str(line), spelling)}",
                           evidence=evidence)


class NonReproducibleSeed(ProjectRule):
    """A seed taken from the clock, OS entropy, a UUID or the process id: a new seed every run.

    ``random_state=int(time.time())`` or ``np.random.seed(os.urandom(4))`` look seeded but are not
    pins. A seed drawn from another unseeded draw (``random_state=np.random.randint(100)``) is
    reported where that draw is (ML201). A fallback (``args.seed or time.time()``) is reported at
    low confidence.
    """

    id = "ML202"
    name = "non-reproducible-seed"
    category = "unpinned-seed"
    severity = "medium"
    confidence = "high"
    rationale = ("A clock- or entropy-derived seed changes every run, so the run cannot be repeated; unless it "
                 "is logged, nobody can even recover it afterwards to reproduce a bad model.")
    remediation = "Use a fixed seed from the run's config or CLI (logged with the run) instead of time or entropy."
    examples = (
        Valid("import numpy as np\nimport random\nSEED = 3\nnp.random.seed(SEED)\nrandom.seed(int('7'))\n"),
        Invalid("import time, os, uuid\nimport numpy as np\nfrom sklearn.ensemble import RandomForestClassifier\n\n"
                "np.random.seed(int(time.time()))\n"
                "m = RandomForestClassifier(random_state=os.getpid())\n"
                "seed = uuid.uuid4().int % 1000\nrng = np.random.default_rng(seed)\n",
                expect=[5, 6, 8]),
        Invalid("import random\nimport numpy as np\n\nrandom.seed()\nnp.random.seed(None)\nnp.random.seed(0)\n",
                expect=[4, 5], note="a setter without a seed reseeds from entropy"),
        Invalid("import time\nimport xgboost as xgb\nimport jax\n\n"
                "a = xgb.XGBClassifier(random_state=int(time.time()))\nk = jax.random.PRNGKey(time.time_ns())\n",
                expect=[5, 6], note="fixed-default libraries are still reported for a non-pin value"),
        Invalid("import os, time\nimport lightgbm as lgb\nfrom catboost import CatBoostClassifier\n"
                "from transformers import TrainingArguments\nimport lightning as L\n\n"
                "a = lgb.LGBMClassifier(feature_fraction_seed=os.getpid())\nb = CatBoostClassifier(random_seed=time.time_ns())\n"
                "c = TrainingArguments('out', data_seed=int(time.time()))\nL.seed_everything(int(time.time()))\n",
                expect=[7, 8, 9, 10]),
        Invalid("import time, argparse\nimport torch\n\ndef main(args):\n    torch.manual_seed(args.seed or int(time.time()))\n",
                expect=[5], note="a fallback to the clock: low confidence"),
        Valid("import numpy as np\nfrom sklearn.ensemble import RandomForestClassifier\n\n"
              "m = RandomForestClassifier(random_state=np.random.randint(1000))\n",
              note="a seed drawn from numpy's global RNG is that draw's problem (ML201), not this rule's"),
    )

    def check(self, project):
        for path, facts in sorted(project.fact("seeds").items()):
            if is_test_path(path):
                continue
            for item in [*facts.get("draws", []), *facts.get("setters", [])]:
                if item.get("state") == NONE and "libraries" in item:  # random.seed(), np.random.seed(None)
                    line, shown, cell = item["where"]
                    yield self.finding(path, shown, f"{item['spelling']}() without a seed reseeds from OS entropy: "
                                       "a new seed every run", cell=cell,
                                       anchor=f"{item['scope']}:{facts.get('lines', {}).get(str(line), '')}",
                                       evidence={"call": item["call"], "source": "OS entropy"})
                    continue
                if item.get("state") != NON_PIN:
                    continue
                line, shown, cell = item["where"]
                fallback = item.get("fallback")
                message = (f"{item['spelling']}() is seeded from {item['detail']}(): a new seed every run"
                           + (" when no seed is given" if fallback else ""))
                yield self.finding(path, shown, message, cell=cell, confidence="low" if fallback else None,
                                   anchor=f"{item['scope']}:{facts.get('lines', {}).get(str(line), '')}",
                                   evidence={"call": item["call"], "source": item["detail"]})


class NondeterministicGpuKernels(ProjectRule):
    """``cudnn.benchmark = True`` in training code with no deterministic-algorithms switch in the project.

    cuDNN then picks the fastest convolution algorithm per run, and several are nondeterministic:
    seeds alone no longer make training repeatable. Not reported when the project also turns on
    ``torch.use_deterministic_algorithms(True)``, ``cudnn.deterministic = True``, TF op
    determinism or Lightning ``Trainer(deterministic=True)``.
    """

    id = "ML203"
    name = "nondeterministic-gpu-kernels"
    category = "unpinned-seed"
    severity = "low"
    confidence = "medium"
    rationale = ("With benchmark mode on and no deterministic algorithms, two runs with identical seeds give "
                 "different weights on GPU; a metric drift cannot be traced to code, data or chance.")
    remediation = ("Set torch.backends.cudnn.benchmark = False and torch.use_deterministic_algorithms(True) "
                   "(or cudnn.deterministic = True) in training; keep benchmark mode for inference only.")
    examples = (
        Valid("import torch\ntorch.backends.cudnn.benchmark = True\ntorch.backends.cudnn.deterministic = True\n"),
        Valid({"train.py": "import torch\ntorch.backends.cudnn.benchmark = True\n",
               "repro.py": "import torch\ntorch.use_deterministic_algorithms(True)\n"}),
        Invalid("import torch\nfrom torch.backends import cudnn\n\ndef setup():\n    cudnn.benchmark = True\n",
                expect=[5]),
        Invalid("import lightning as L\ntrainer = L.Trainer(benchmark=True)\n", expect=[2]),
        Valid({"src/serve.py": "import torch\ntorch.backends.cudnn.benchmark = True\n"}, note="inference code"),
    )

    def check(self, project):
        facts = {p: f for p, f in project.fact("seeds").items() if not is_test_path(p)}
        if any(f.get("deterministic") for f in facts.values()):
            return
        for path, f in sorted(facts.items()):
            if _SERVING.search(PurePosixPath(path).stem):
                continue  # benchmark mode is the right choice for inference
            for line, shown, cell in f.get("benchmark", []):
                yield self.finding(path, shown, "cudnn benchmark mode on without deterministic algorithms: "
                                   "GPU results vary between runs with the same seed", cell=cell,
                                   anchor=f.get("lines", {}).get(str(line), "benchmark"),
                                   evidence={"switch": "benchmark", "deterministic_anywhere": False})


class UnrecordedSeed(ProjectRule):
    """A seed set from a run-time value (CLI argument, parameter) that is never logged or tracked.

    A literal seed is recorded by version control. A seed from ``args.seed`` or a function
    parameter is not, unless the project logs something named seed (logger, print, mlflow,
    wandb, Lightning ``save_hyperparameters``) or hands a whole config to an experiment tracker.
    Reported once per project, at the first such setter.
    """

    id = "ML204"
    name = "unrecorded-seed"
    category = "unpinned-seed"
    severity = "low"
    confidence = "medium"
    rationale = ("The code is pinned, but nobody can tell which seed produced a given model: a bad model cannot "
                 "be reproduced for debugging, and the run is not traceable.")
    remediation = "Log the seed with the run (mlflow.log_param('seed', seed), wandb.config, the run's log)."
    examples = (
        Valid("import random, logging\nlog = logging.getLogger()\n\ndef set_seeds(seed):\n"
              "    random.seed(seed)\n    log.info('seed=%d', seed)\n"),
        Valid("import random\nrandom.seed(42)\n", note="a literal seed is recorded by version control"),
        Valid("import random\nimport numpy as np\n\ndef set_seeds(seed: int = 42):\n    np.random.seed(seed)\n"
              "    random.seed(seed)\n", note="a parameter with a literal default (Made-With-ML's set_seeds)"),
        Valid("import random, mlflow\n\ndef main(args):\n    random.seed(args.seed)\n    mlflow.log_params(vars(args))\n",
              note="a whole config handed to a tracker"),
        Valid("import random, yaml\n\ndef main():\n    params = yaml.safe_load(open('params.yaml'))['prepare']\n"
              "    random.seed(params['seed'])\n", note="read from a config by key (example-get-started's prepare.py)"),
        Valid({"train.py": "import sys, random\nrandom.seed(int(sys.argv[1]))\n", "params.yaml": "train:\n  seed: 7\n"},
              note="a seed kept in a tracked config file"),
        Invalid({"src/utils.py": "import random\nimport numpy as np\n\ndef set_seeds(seed):\n"
                                 "    random.seed(seed)\n    np.random.seed(seed)\n",
                 "src/train.py": "import sys\nfrom utils import set_seeds\n\nset_seeds(int(sys.argv[1]))\n"},
                expect=[("src/utils.py", 5)]),
    )

    def check(self, project):
        facts = {p: f for p, f in project.fact("seeds").items() if not is_test_path(p)}
        if any(f.get("records_seed") or f.get("tracks_opaque") for f in facts.values()):
            return
        if any(_has_seed_key(f.data) for f in project.files.values() if f.kind == CONFIG):
            return  # a seed in a tracked config file (params.yaml, config.json, ...) is recorded by it
        for path, f in sorted(facts.items()):
            for setter in f.get("setters", []):
                if setter.get("state") == PIN and not setter.get("constant") and not setter.get("from_config") \
                        and setter["call"] not in SETTERS_WITHOUT_ARGUMENT:
                    line, shown, cell = setter["where"]
                    yield self.finding(path, shown, f"{setter['spelling']}() sets a seed that is never logged or "
                                       "tracked with the run", cell=cell,
                                       anchor=f.get("lines", {}).get(str(line), "seed"),
                                       evidence={"call": setter["call"]})
                    return
