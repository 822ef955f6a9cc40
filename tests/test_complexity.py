"""Complexity: the maintainability index from the already-parsed tree matches radon's own."""

from pathlib import Path

import pytest
from radon.metrics import h_visit_ast, mi_visit

from auditor.analysis.pymodule import ParsedModule, parse_python
from auditor.rules import complexity
from auditor.testing import make_repo, scan_repo

SOURCES = [
    Path(complexity.__file__).read_text(encoding="utf-8"),
    Path(__file__).read_text(encoding="utf-8"),
    '"""Doc.\n\nMore doc.\n"""\nimport os\n\n\ndef f(a, b):  # add\n    """One line."""\n'
    "    if a and b:\n        return a + b\n    else:\n        return a - b\n\n"
    "try:\n    x = 1 / 0\nexcept ZeroDivisionError:\n    x = 0\nfinally:\n    y = 2\n",
]


@pytest.mark.parametrize("text", SOURCES)
def test_index_matches_radon_mi_visit(text):
    module = ParsedModule("m.py", "m", text, parse_python(text))
    metrics = complexity.metrics_of(module)
    volume = complexity._halstead_volume(module, metrics)
    mine = complexity.mi_compute(volume, metrics.total_complexity, metrics.lloc, metrics.comment_percent)
    assert mine == pytest.approx(mi_visit(text, True), abs=2.0)


def test_radon_runs_only_for_the_reported_function(tmp_path, monkeypatch):
    calls = []
    original = complexity.ComplexityVisitor.from_ast

    def counting(tree, **kwargs):
        calls.append(tree)
        return original(tree, **kwargs)

    monkeypatch.setattr(complexity.ComplexityVisitor, "from_ast", counting)
    text = "def f(a):\n" + "".join(f"    if a == {i} or a > {i * 2}:\n        return {i}\n" for i in range(12))
    module = ParsedModule("m.py", "m", text, parse_python(text))
    found = list(complexity.ComplexFunction().check(module))
    found += list(complexity.LowMaintainabilityModule({"min-maintainability": 100}).check(module))
    assert len(calls) == 1
    assert [f.rule for f in found] == ["ML471", "ML472"]
    function, index = found
    assert function.evidence == {"complexity": 25, "rank": "D", "lines": 25, "asserts_not_counted": 0}
    assert function.symbol == "f" and function.end_line == 25
    assert set(index.evidence) >= {"maintainability_index", "rank", "halstead_volume", "total_complexity",
                                   "logical_lines", "comment_percent"}


def test_min_rank_option(tmp_path):
    body = "".join(f"    if a == {i}:\n        return {i}\n" for i in range(7))
    root = make_repo(tmp_path / "repo", {"a.py": "def f(a):\n" + body})
    assert scan_repo(root, {"select": ["ML471"]}).findings == []
    found = scan_repo(root, {"select": ["ML471"], "rules": {"ML471": {"min-rank": "B"}}}).findings
    assert [(f.line, f.evidence["rank"]) for f in found] == [(1, "B")]


def test_simple_modules_skip_radon_entirely(monkeypatch):
    calls = []
    monkeypatch.setattr(complexity.ComplexityVisitor, "from_ast", lambda tree, **kw: calls.append(tree))
    text = "import os\n\ndef f(a):\n    if a:\n        return os.sep + a\n    return a\n"
    module = ParsedModule("m.py", "m", text, parse_python(text))
    assert list(complexity.ComplexFunction().check(module)) == []
    assert list(complexity.LowMaintainabilityModule().check(module)) == []
    assert calls == []


CODE_HERE = sorted(Path(complexity.__file__).parent.glob("*.py")) + sorted(
    p for p in Path(complexity.__file__).parents[1].joinpath("auditor").rglob("*.py") if "demo" not in p.parts)


def _every_block(blocks):
    for block in blocks:  # functions, methods and closures at any depth (a class is not a function)
        if not hasattr(block, "methods"):
            yield block
        yield from _every_block([*getattr(block, "methods", ()), *getattr(block, "closures", ())])


@pytest.mark.parametrize("path", CODE_HERE, ids=lambda p: p.name)
def test_cheap_bounds_never_undercut_radon(path):
    text = path.read_text(encoding="utf-8")
    tree = parse_python(text)
    module = ParsedModule(path.name, "m", text, tree)
    decisions, blocks, length = complexity._bounds(module)
    visitor = complexity.ComplexityVisitor.from_ast(tree)
    halstead = h_visit_ast(tree).total
    assert visitor.total_complexity <= 1 + decisions + blocks
    assert all(f.complexity <= 1 + decisions for f in _every_block(visitor.blocks))
    assert halstead.N1 + halstead.N2 <= length


def test_a_complex_method_is_reported_once(tmp_path):
    # radon lists methods inside their class and again at top level; the rule must not double them
    from auditor.testing import make_repo, scan_repo

    body = "".join(f"        if a == {i} and b:\n            return {i}\n" for i in range(12))
    root = make_repo(tmp_path / "r", {"m.py": f"class Router:\n    def route(self, a, b):\n{body}        return -1\n"})
    found = [f for f in scan_repo(root, {"select": ["ML471"]}).findings]
    assert [(f.line, f.symbol) for f in found] == [(2, "Router.route")]
