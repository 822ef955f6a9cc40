"""Complexity hot spots: functions with a high cyclomatic complexity and modules with a low
maintainability index, from radon.

radon's own ``mi_visit`` re-parses and re-tokenises the source. Here every figure comes from the
tree the worker already parsed: one ``ComplexityVisitor`` pass gives both the per-function blocks
and the module's total complexity, one Halstead pass gives the volume, and the line counts that the
index needs (logical lines, comment percentage) are taken from the module's lines and comments.
The result is computed once per module and shared by both rules through ``module.memo``.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass

from radon.complexity import cc_rank
from radon.metrics import h_visit_ast, mi_compute, mi_rank
from radon.visitors import ComplexityVisitor

from auditor.rule import Invalid, ModuleRule, Option, Valid

RANKS = "ABCDEF"
_RANK_FLOOR = {"A": 1, "B": 6, "C": 11, "D": 21, "E": 31, "F": 41}


@dataclass
class ModuleMetrics:
    blocks: list  # radon Function / Class blocks
    total_complexity: int
    halstead_volume: float | None  # None: not computed yet
    lloc: int
    sloc: int
    comment_lines: int

    @property
    def comment_percent(self) -> float:
        return self.comment_lines * 100.0 / self.sloc if self.sloc else 0.0


def _line_counts(module) -> tuple[int, int, int]:
    found = module.memo.get("line-counts")
    if found is None:
        found = module.memo["line-counts"] = _count_lines(module)
    return found


def _count_lines(module) -> tuple[int, int, int]:
    """(lloc, sloc, comment lines) as radon's raw pass counts them, from what the module has.

    Logical lines are statements (plus ``except``/decorator lines, which radon counts too);
    comment lines are lines holding a comment plus lines of multi-line docstrings (radon's
    ``mi_visit(multi=True)``); source lines are non-blank lines that are not comment-only or
    docstring lines.
    """
    docstring_lines, single_docstrings = _docstring_lines(module)
    lloc = _logical_lines(module)
    blank = sum(1 for line in module.lines if not line.strip())
    comment_only = sum(1 for c in module.comments if not module.line_text(c.line)[:c.col].strip())
    sloc = max(len(module.lines) - blank - comment_only - docstring_lines - single_docstrings, 0)
    comments = len(module.comments) + docstring_lines
    return lloc, sloc, comments


def _docstring_lines(module) -> tuple[int, int]:
    """(non-blank lines of multi-line docstrings, single-line docstrings)."""
    docstring_lines = 0
    single_docstrings = 0
    for node in module.nodes(ast.Expr):
        value = node.value
        if not (isinstance(value, ast.Constant) and isinstance(value.value, str)):
            continue
        end = node.end_lineno or node.lineno
        if end > node.lineno:  # blank lines inside a docstring are blank lines, as for radon
            docstring_lines += sum(1 for line in module.lines[node.lineno - 1:end] if line.strip())
        else:
            single_docstrings += 1
    return docstring_lines, single_docstrings


def _logical_lines(module) -> int:
    by_type = module.nodes  # statements are every ast.stmt subclass: count them from the shared index
    lloc = sum(len(by_type(kind)) for kind in _STATEMENT_TYPES)
    lloc += len(by_type(ast.ExceptHandler))
    for kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
        lloc += sum(len(node.decorator_list) for node in by_type(kind))
    for kind in _ELSE_TYPES:
        for node in by_type(kind):  # `else:` and `finally:` lines (an `elif` is already an If)
            lloc += _has_else_line(module, kind, node) + bool(getattr(node, "finalbody", None))
    return lloc


def _has_else_line(module, kind, node) -> bool:
    orelse = node.orelse
    if not orelse:
        return False
    is_elif = kind is ast.If and isinstance(orelse[0], ast.If) and \
        module.line_text(orelse[0].lineno).lstrip().startswith("elif")
    return not is_elif


_ELSE_TYPES = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())
_STATEMENT_TYPES = tuple(
    cls for cls in vars(ast).values() if isinstance(cls, type) and issubclass(cls, ast.stmt) and cls is not ast.stmt
)


def metrics_of(module) -> ModuleMetrics:
    found = module.memo.get("radon")
    if found is None:
        visitor = ComplexityVisitor.from_ast(module.tree)
        lloc, sloc, comments = _line_counts(module)
        found = module.memo["radon"] = ModuleMetrics(visitor.blocks, visitor.total_complexity, None, lloc, sloc,
                                                     comments)
    return found


def _bounds(module) -> tuple[int, int, int]:
    """Cheap upper bounds from the shared node index, so radon runs only where it can matter:
    (decision points in the module, function and class blocks, Halstead operators + operands).

    No function's complexity exceeds 1 + the module's decision points; the module's total
    complexity does not exceed that plus one per block; and the Halstead length N bounds the
    volume N*log2(vocabulary) by N*log2(N). Checked against radon on real repositories.
    """
    found = module.memo.get("radon-bounds")
    if found is not None:
        return found
    n = module.nodes
    decisions = sum(len(t.handlers) + bool(t.orelse) for kind in _TRY_TYPES for t in n(kind))
    decisions += sum(len(b.values) - 1 for b in n(ast.BoolOp))
    decisions += len(n(ast.If)) + len(n(ast.IfExp)) + len(n(ast.Assert))
    decisions += sum(len(m.cases) for m in n(_MATCH)) if _MATCH else 0
    decisions += sum(1 + bool(x.orelse) for kind in (ast.For, ast.AsyncFor, ast.While) for x in n(kind))
    decisions += sum(1 + len(c.ifs) for c in n(ast.comprehension))
    blocks = len(n(ast.FunctionDef)) + len(n(ast.AsyncFunctionDef)) + len(n(ast.ClassDef))
    length = 3 * len(n(ast.BinOp)) + 2 * len(n(ast.UnaryOp)) + 3 * len(n(ast.AugAssign))
    length += sum(1 + len(b.values) for b in n(ast.BoolOp)) + sum(2 * len(c.ops) + 1 for c in n(ast.Compare))
    found = module.memo["radon-bounds"] = (decisions, blocks, length)
    return found


_TRY_TYPES = (ast.Try,) + ((ast.TryStar,) if hasattr(ast, "TryStar") else ())
_MATCH = getattr(ast, "Match", None)


def _halstead_volume(module, metrics: ModuleMetrics) -> float:
    if metrics.halstead_volume is None:
        metrics.halstead_volume = h_visit_ast(module.tree).total.volume
    return metrics.halstead_volume


def _rank_option(value: str) -> str:
    value = (value or "D").strip().upper()[:1]
    return value if value in RANKS else "D"


class ComplexFunction(ModuleRule):
    """A function or method whose cyclomatic complexity is at or past a rank (default D, 21+).

    radon's ranks: A 1-5, B 6-10, C 11-20, D 21-30, E 31-40, F 41+. `assert` statements are not
    counted as branches (radon counts them), so long tests are not reported for their checks.
    Classes are not reported as a whole; their methods are. Notebooks are included: a function is
    a function.
    """

    id = "ML471"
    name = "complex-function"
    category = "complexity"
    severity = "low"
    confidence = "high"
    options = {
        "min-rank": Option(str, "D", "report functions of this radon rank or worse (A-F)"),
    }
    rationale = ("Every branch is a path that needs a test; a function with dozens of them is where "
                 "training/serving skew and untested edge cases hide, and nobody dares to change it.")
    remediation = ("Split it: move each branch family into its own function or a lookup table, and cover "
                   "the branches with tests before refactoring.")
    examples = (
        Valid("def simple(x):\n    if x:\n        return 1\n    return 0\n"),
        Valid("def f(a):\n" + "".join(f"    if a == {i}:\n        return {i}\n" for i in range(12)) + "    return -1\n",
              note="rank C (13) is under the default D"),
        Invalid("def plan(a, b):\n" + "".join(f"    if a == {i} and b:\n        return {i}\n" for i in range(11))
                + "    return -1\n", expect=[1]),
        Valid("def test_all(r):\n" + "".join(f"    assert r[{i}] == {i}\n" for i in range(30)),
              note="thirty asserts are thirty checks, not thirty paths"),
        Invalid("class Router:\n    def route(self, a):\n"
                + "".join(f"        if a == {i}:\n            return {i}\n" for i in range(12)) + "        return -1\n",
                expect=[2], config={"rules": {"ML471": {"min-rank": "C"}}}),
        Invalid({"nb.ipynb": '{"cells": [{"cell_type": "code", "source": ["x = 1"]}, {"cell_type": "code", '
                             '"source": ["def f(a):\\n", '
                             + ", ".join(f'"    if a == {i} or a < -{i}:\\n", "        return {i}\\n"' for i in range(11))
                             + ']}], "nbformat": 4}'}, expect=[("nb.ipynb", 1, 2)]),
    )

    def check(self, module):
        floor = _RANK_FLOOR[_rank_option(self.settings["min-rank"])]
        if 1 + _bounds(module)[0] < floor:
            return  # no function here can reach the floor: radon need not run
        definitions = None
        for block in _functions(metrics_of(module).blocks):
            if block.complexity < floor:
                continue
            if definitions is None:
                definitions = {(n.lineno, n.name): n for n in module.nodes(ast.FunctionDef, ast.AsyncFunctionDef)}
            node = definitions.get((block.lineno, block.name))
            # radon counts each `assert` as a branch: a test with thirty asserts is long, not
            # complex. Only the few functions over the floor are walked again to discount them.
            asserts = _own_asserts(node) if node is not None else 0
            complexity = block.complexity - asserts
            if complexity < floor:
                continue
            rank = cc_rank(complexity)
            name = block.fullname
            end = getattr(node, "end_lineno", None) or block.endline
            yield module.finding(
                self, block.lineno, f"{name} has cyclomatic complexity {complexity} (rank {rank})",
                end_line=end, symbol=name, severity="medium" if rank in "EF" else None,
                evidence={"complexity": complexity, "rank": rank, "lines": end - block.lineno + 1 if end else None,
                          "asserts_not_counted": asserts},
            )


def _own_asserts(function) -> int:
    count = 0
    stack = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue  # radon scores nested definitions separately
        count += isinstance(node, ast.Assert)
        stack.extend(ast.iter_child_nodes(node))
    return count


def _functions(blocks):
    """Functions, methods and closures at any depth, each once (classes are scored through their
    methods). radon lists a class's methods both inside the class and again at top level."""
    seen: set[tuple[int, str]] = set()

    def walk(items):
        for block in items:
            if hasattr(block, "methods"):
                yield from walk(block.methods)
            elif (block.lineno, block.name) not in seen:
                seen.add((block.lineno, block.name))
                yield block
                yield from walk(getattr(block, "closures", ()))

    return walk(blocks)


class LowMaintainabilityModule(ModuleRule):
    """A module whose maintainability index is under a floor (default 10, radon's rank C).

    The index combines Halstead volume, total cyclomatic complexity, logical lines and the share
    of comment lines (radon's formula, comments counting docstrings). Notebooks are not scored:
    their cells are an exploration log, not a module anyone imports and maintains.
    """

    id = "ML472"
    name = "low-maintainability-module"
    category = "complexity"
    severity = "low"
    confidence = "medium"
    options = {
        "min-maintainability": Option(int, 10, "report modules whose maintainability index (0-100) is "
                                                   "below this"),
    }
    rationale = ("A module that is long, branchy and dense with operators and barely commented costs the most "
                 "to change safely; it is where the next incident's fix takes a week.")
    remediation = ("Split the module by responsibility, move the branchiest functions out first, and document "
                   "the parts that must stay intricate.")
    examples = (
        Valid("def add(a, b):\n    return a + b\n"),
        Valid({"nb.ipynb": '{"cells": [{"cell_type": "code", "source": ['
                           + ", ".join(f'"x{i} = (a{i} + b{i} * c{i} - d{i}) / (e{i} or {i} + f{i}) if g{i} else h{i}\\n"'
                                       for i in range(40)) + ']}], "nbformat": 4}'},
              config={"rules": {"ML472": {"min-maintainability": 90}}}, note="notebooks are not scored"),
        Invalid("def f(a, b, c):\n    if a and b or c:\n        return a * b - c / (a + 1)\n    return a ** b % c\n",
                expect=[1], config={"rules": {"ML472": {"min-maintainability": 90}}}),
    )

    def check(self, module):
        if module.is_notebook:
            return
        floor = self.settings["min-maintainability"]
        decisions, blocks, length = _bounds(module)
        lloc, sloc, comments = _line_counts(module)
        if lloc == 0:
            return
        percent = comments * 100.0 / sloc if sloc else 0.0
        volume_bound = length * math.log2(length) if length > 1 else 0.0
        if mi_compute(volume_bound, 1 + decisions + blocks, lloc, percent) >= floor:
            return  # even the worst case for this module is above the floor: radon need not run
        metrics = metrics_of(module)
        if metrics.lloc == 0:
            return
        volume = _halstead_volume(module, metrics)
        index = mi_compute(volume, metrics.total_complexity, metrics.lloc, metrics.comment_percent)
        if index >= floor:
            return
        yield module.finding(
            self, 1, f"maintainability index {index:.1f} (rank {mi_rank(index)}) is under {floor:g}",
            anchor=f"maintainability of {module.module_name}",
            evidence={"maintainability_index": round(index, 1), "rank": mi_rank(index),
                      "halstead_volume": round(volume, 1), "total_complexity": metrics.total_complexity,
                      "logical_lines": metrics.lloc, "source_lines": metrics.sloc,
                      "comment_percent": round(metrics.comment_percent, 1)},
        )
