"""The cyclomatic complexity and Halstead volume counted from the node index equal radon's
(ComplexityVisitor, HalsteadVisitor).

ML471 and ML472 trust the index counts to decide what to report, so they must agree with radon on
every function and on every module's total, including the corners of radon's rules."""

from pathlib import Path

import pytest
from radon.metrics import h_visit_ast
from radon.visitors import ComplexityVisitor

from auditor.analysis.pymodule import ParsedModule, parse_python
from auditor.rules import complexity

CORNERS = {
    "decorators-and-defaults": "@d(a if b else c)\ndef f(x=[i for i in y if i], *, k=a or b) -> (1 if x else 2):\n"
                               "    return x if x else (lambda q: q and r)(x)\n",
    "asserts": "def f(a):\n    assert a and b, [x for x in a if x]\n    assert a\n    if a:\n        assert b\n",
    "match": "def f(x):\n    match x:\n        case 1 if x > 2:\n            pass\n        case [a, *_]:\n"
             "            pass\n        case _:\n            pass\n    match x:\n        case y:\n            pass\n",
    "loops": "async def f(a):\n    for i in a:\n        pass\n    else:\n        pass\n    while a:\n        break\n"
             "    else:\n        pass\n    async for j in a:\n        pass\n    return {k: v for k, v in a if k if v}\n",
    "try": "def f():\n    try:\n        pass\n    except A:\n        pass\n    except B:\n        pass\n    else:\n"
           "        pass\n    finally:\n        pass\n    try:\n        pass\n    except* C:\n        if x:\n            pass\n",
    "closures": "def outer(a):\n    if a:\n        def inner(b):\n            def deepest(c):\n                return c or d\n"
                "            return b and c\n    class Local:\n        def method(self):\n            if x:\n"
                "                return 1\n    return inner\n",
    "classes": "class A(Base if x else Other):\n    if flag:\n        def m(self):\n            return a or b\n"
               "    x = 1 if y else 2\n    class Inner:\n        def n(self):\n            if z:\n                pass\n"
               "    def closure_host(self):\n        def helper():\n            return p and q\n        return helper\n"
               "if module_level:\n    def g():\n        pass\nclass B:\n    pass\n",
    "same-line": "def f(): return a or b\ndef g(): return 1; \nif x: \n    def f(): return c\n",
    "operators": "@d(a + b)\ndef f(x: a | b = -1, *, y=not c) -> a @ b:\n    x += 1\n    y = x < 2 <= z != 1.0\n"
                 "    return (lambda q: q ** 2)(x) or not y and True\nclass C(A + B):\n    z = ~1 if a in b else -2\n"
                 "    def f(self):\n        return self.a - C.a - 1 * True\ndef f():\n    return a % b\n",
    "no-operators": "import os\n",
}


def radon_functions(blocks):
    """radon's functions, methods and closures at any depth, each once, in the order ML471 reports
    them (the reference the index count is tested against). radon lists a class's methods both
    inside the class and again at top level."""
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


def _radon(tree):
    visitor = ComplexityVisitor.from_ast(tree)
    functions = [(b.lineno, b.fullname, b.complexity) for b in radon_functions(visitor.blocks)]
    return functions, visitor.total_complexity


def _ours(text):
    module = ParsedModule("m.py", "m", text, parse_python(text))
    counts = complexity.cyclomatic(module)
    seen, functions = set(), []
    for node, name, value in counts.functions:  # ML471 skips a second definition with the same line and name
        if (node.lineno, node.name) not in seen:
            seen.add((node.lineno, node.name))
            functions.append((node.lineno, name, value))
    return functions, counts.total


REPOSITORY = Path(complexity.__file__).parents[1]
CODE_HERE = sorted(REPOSITORY.joinpath("rules").glob("*.py")) + sorted(REPOSITORY.joinpath("auditor").rglob("*.py"))


def _volumes(text):
    module = ParsedModule("m.py", "m", text, parse_python(text))
    return complexity._count_halstead_volume(module), h_visit_ast(parse_python(text)).total.volume


@pytest.mark.parametrize("name", sorted(CORNERS))
def test_corners_match_radon(name):
    text = CORNERS[name]
    assert _ours(text) == _radon(parse_python(text))
    ours, radons = _volumes(text)
    assert ours == radons and type(ours) is type(radons)


@pytest.mark.parametrize("path", CODE_HERE, ids=lambda p: str(p.relative_to(REPOSITORY)))
def test_this_repository_matches_radon(path):
    text = path.read_text(encoding="utf-8")
    assert _ours(text) == _radon(parse_python(text))
    ours, radons = _volumes(text)
    assert ours == radons


def test_asserts_are_counted_per_function():
    text = "def f(a):\n    assert a\n    def g():\n        assert b\n        assert c\n    assert d\n"
    module = ParsedModule("m.py", "m", text, parse_python(text))
    counts = complexity.cyclomatic(module)
    assert {name: counts.asserts.get(id(node), 0) for node, name, _ in counts.functions} == {"f": 2, "g": 2}
