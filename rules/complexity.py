"""Complexity hot spots: functions with a high cyclomatic complexity and modules with a low
maintainability index, from radon.

radon's own ``mi_visit`` re-parses and re-tokenises the source. Here every figure comes from the
tree the worker already parsed: the cyclomatic complexities of functions and the module's total are
counted from the shared node index as radon's ``ComplexityVisitor`` counts them, one Halstead pass
gives the volume, and the line counts that the index needs (logical lines, comment percentage) are
taken from the module's lines and comments. The results are computed once per module and shared by
both rules through ``module.memo``.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass

from radon.complexity import cc_rank
from radon.metrics import mi_compute, mi_rank
from radon.visitors import ComplexityVisitor

from auditor.ml.paths import is_test_path
from auditor.rule import Invalid, ModuleRule, Option, Valid

RANKS = "ABCDEF"
_RANK_FLOOR = {"A": 1, "B": 6, "C": 11, "D": 21, "E": 31, "F": 41}


@dataclass
class ModuleMetrics:
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
        lloc, sloc, comments = _line_counts(module)
        found = module.memo["radon"] = ModuleMetrics(cyclomatic(module).total, None, lloc, sloc, comments)
    return found


# -- radon's cyclomatic complexity, counted from the shared node index ---------------------------
#
# radon's ComplexityVisitor is an ast.NodeVisitor over the whole module: the slowest rule of the
# per-file phase. Its figures are sums of per-node weights, so they are counted here from the
# index instead: each decision point is charged to the block radon charges it to, found by going
# up the parents. tests/test_radon_counts.py checks the result equals radon's on real code (the
# whole standard library when it is run on it), and radon still computes the complexity of every
# function that is reported.

@dataclass
class Cyclomatic:
    functions: list  # (node, radon's full name, complexity) in the order ML471 reports them
    total: int  # radon's total_complexity of the module
    asserts: dict  # id(function) -> its own assert statements (radon counts each as a branch)


_SCOPE_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_NOT_COUNTED = object()  # a decision point radon never visits (decorators, defaults, inside an assert)


def cyclomatic(module) -> Cyclomatic:
    found = module.memo.get("cyclomatic")
    if found is None:
        found = module.memo["cyclomatic"] = _count_cyclomatic(module)
    return found


def _decision_points(module):
    """(node, weight) for every node radon's ComplexityVisitor adds to a complexity (it matches
    node class names, so ``TryStar`` adds nothing; a ``match`` does not count its ``case _``)."""
    n = module.nodes
    for kind in (ast.If, ast.IfExp, ast.Assert):
        for node in n(kind):
            yield node, 1
    for node in n(ast.Try):
        yield node, len(node.handlers) + bool(node.orelse)
    for node in n(ast.BoolOp):
        yield node, len(node.values) - 1
    for kind in (ast.For, ast.AsyncFor, ast.While):
        for node in n(kind):
            yield node, 1 + bool(node.orelse)
    for node in n(ast.comprehension):
        yield node, 1 + len(node.ifs)
    for node in n(_MATCH) if _MATCH else ():
        wildcard = any(getattr(case.pattern, "pattern", False) is None for case in node.cases)
        yield node, max(0, len(node.cases) - wildcard)


def _charged_to(module, node):
    """The function or class whose radon block counts ``node`` (None: the module level).

    radon enters a definition only through its body (statements), and does not look inside an
    ``assert``, so anything reached through another field or through an assert is not counted."""
    for parent, child in _ancestry(module, node):
        kind = type(parent)
        if kind is ast.Assert:
            return _NOT_COUNTED
        if kind in _SCOPE_TYPES:
            return parent if isinstance(child, ast.stmt) else _NOT_COUNTED
    return None


def _ancestry(module, node):
    """(parent, child) pairs from ``node`` up to the module."""
    parent_of = module.parent
    child = node
    while (parent := parent_of(child)) is not None:
        yield parent, child
        child = parent


def _enclosing_scope(module, node):
    """The innermost function or class a definition sits in, None at module level."""
    parent = module.parent(node)
    while parent is not None and type(parent) not in _SCOPE_TYPES:
        parent = module.parent(parent)
    return parent


def _count_cyclomatic(module) -> Cyclomatic:
    own: dict[int | None, int] = {}  # id(function or class), or None for the module: its decision weights
    asserts: dict[int | None, int] = {}
    for node, weight in _decision_points(module):
        owner = _charged_to(module, node)
        if owner is not _NOT_COUNTED:
            key = None if owner is None else id(owner)
            own[key] = own.get(key, 0) + weight
            if type(node) is ast.Assert:
                asserts[key] = asserts.get(key, 0) + 1
    inside: dict[int | None, list] = {}  # definitions directly in each scope, in source order
    for node in module.nodes(*_SCOPE_TYPES):
        scope = _enclosing_scope(module, node)
        inside.setdefault(None if scope is None else id(scope), []).append(node)
    for nodes in inside.values():
        nodes.sort(key=lambda d: (d.lineno, d.col_offset))

    functions: list = []

    def add(function, name: str) -> int:
        return _add_block(function, name, own, inside, functions)

    top = inside.get(None, [])
    total = 1 + own.get(None, 0)
    for node in top:  # radon lists module functions first, then each class's methods
        if type(node) is not ast.ClassDef:
            total += add(node, node.name) - 1
    for node in top:
        if type(node) is ast.ClassDef:  # nested classes are not radon blocks, nor their methods
            total += own.get(id(node), 0)
            for method in inside.get(id(node), ()):
                if type(method) is not ast.ClassDef:
                    total += add(method, f"{node.name}.{method.name}")
    return Cyclomatic(functions, total, asserts)


def _add_block(function, name: str, own: dict, inside: dict, functions: list) -> int:
    """Record a function block and, recursively, its closures. A module-level function rather than a
    recursive closure: a closure that calls itself is a reference cycle holding the syntax tree
    until the collector runs (tests/test_memory_cycles.py)."""
    complexity = 1 + own.get(id(function), 0)
    functions.append((function, name, complexity))
    for closure in inside.get(id(function), ()):  # radon names closures without their class
        if type(closure) is not ast.ClassDef:  # classes in functions are not radon blocks
            _add_block(closure, closure.name, own, inside, functions)
    return complexity


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
        metrics.halstead_volume = _count_halstead_volume(module)
    return metrics.halstead_volume


# -- radon's Halstead volume, counted from the shared node index ---------------------------------
#
# radon's HalsteadVisitor (``h_visit_ast``, the reference tests/test_radon_counts.py checks this
# against) counts the operators and operands of five kinds of node. An operand is told apart by
# its name, attribute or constant value, or else is the node itself, and by the function it is
# in; a function is entered only through its body, so its decorators, defaults and annotations
# are not counted.

# node kind -> its operands (the operators are its ``op``, or its ``ops`` for a comparison)
_HALSTEAD_OPERANDS = {
    ast.BinOp: lambda node: (node.left, node.right),
    ast.UnaryOp: lambda node: (node.operand,),
    ast.BoolOp: lambda node: node.values,
    ast.AugAssign: lambda node: (node.target, node.value),
    ast.Compare: lambda node: [*node.comparators, node.left],
}
_OPERAND_KEYS = {ast.Name: "id", ast.Attribute: "attr", ast.Constant: "value"}


def _halstead_context(module, node):
    """The name of the function whose body holds ``node`` (None: module level), or
    ``_NOT_COUNTED`` when radon does not visit it (a function's decorators, defaults, annotations)."""
    for parent, child in _ancestry(module, node):
        if type(parent) in (ast.FunctionDef, ast.AsyncFunctionDef):
            return parent.name if isinstance(child, ast.stmt) else _NOT_COUNTED
    return None


def _count_halstead_volume(module) -> float:
    operators: set[str] = set()
    operands: set = set()
    count = 0  # operators and operands, with repeats
    for kind, operands_of in _HALSTEAD_OPERANDS.items():
        for node in module.nodes(kind):
            context = _halstead_context(module, node)
            if context is _NOT_COUNTED:
                continue
            ops = node.ops if kind is ast.Compare else (node.op,)
            operators.update(type(op).__name__ for op in ops)
            parts = operands_of(node)
            count += len(ops) + len(parts)
            for part in parts:
                key = _OPERAND_KEYS.get(type(part))
                operands.add((context, getattr(part, key) if key else part))
    vocabulary = len(operators) + len(operands)
    return count * math.log(vocabulary, 2) if vocabulary != 0 else 0  # radon's formula, to the last bit


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
            return  # no function here can reach the floor: no need to count
        definitions = None
        seen: set[tuple[int, str]] = set()
        counts = cyclomatic(module)
        for function, name, complexity in counts.functions:
            key = (function.lineno, function.name)
            if key in seen:  # the first of two same-named definitions on one line, as radon's list
                continue
            seen.add(key)
            if complexity < floor:
                continue
            if definitions is None:
                definitions = {(n.lineno, n.name): n for n in module.nodes(ast.FunctionDef, ast.AsyncFunctionDef)}
            node = definitions[key]
            # radon counts each `assert` as a branch: a test with thirty asserts is long, not complex
            asserts = counts.asserts.get(id(node), 0)
            complexity = _radon_complexity(function) - asserts
            if complexity < floor:
                continue
            rank = cc_rank(complexity)
            end = node.end_lineno
            yield module.finding(
                self, function.lineno, f"{name} has cyclomatic complexity {complexity} (rank {rank})",
                end_line=end, symbol=name, severity="medium" if rank in "EF" else None,
                evidence={"complexity": complexity, "rank": rank, "lines": end - function.lineno + 1,
                          "asserts_not_counted": asserts},
            )


def _radon_complexity(function) -> int:
    """radon's own figure for one function (the count above decides only which ones to ask)."""
    return ComplexityVisitor.from_ast(function).functions[0].complexity


class LowMaintainabilityModule(ModuleRule):
    """A module whose maintainability index is under a floor (default 10, radon's rank C).

    The index combines Halstead volume, total cyclomatic complexity, logical lines and the share
    of comment lines (radon's formula, comments counting docstrings). Notebooks are not scored:
    their cells are an exploration log, not a module anyone imports and maintains; nor are tests,
    whose index falls with their number of small tests.
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
        Valid({"tests/test_ops.py": "def test_f(a=1, b=2, c=3):\n    if a and b or c:\n        assert a * b - c / (a + 1)\n"},
              config={"rules": {"ML472": {"min-maintainability": 90}}}, note="nor are tests"),
        Invalid("def f(a, b, c):\n    if a and b or c:\n        return a * b - c / (a + 1)\n    return a ** b % c\n",
                expect=[1], config={"rules": {"ML472": {"min-maintainability": 90}}}),
    )

    def check(self, module):
        if module.is_notebook or is_test_path(module.path):
            return  # a test suite is long because it has many small tests: its index measures its length
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
