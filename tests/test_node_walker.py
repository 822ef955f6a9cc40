"""The shared node index and ``NodeWalker`` see the tree exactly as ``ast.NodeVisitor`` does
(minus expression contexts and operators), so extractors built on them keep their facts."""

import ast
from pathlib import Path

import pytest

from auditor.analysis import pymodule
from auditor.analysis.pymodule import NodeWalker, ParsedModule, parse_python

REPOSITORY = Path(__file__).parents[1]
SOURCES = sorted(REPOSITORY.joinpath("auditor").rglob("*.py"))[:40] + [Path(__file__)]
SINGLETONS = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)


class _Order(ast.NodeVisitor):
    def __init__(self):
        self.seen = []
        self.parents = {}

    def generic_visit(self, node):
        if not isinstance(node, SINGLETONS):
            self.seen.append(node)
        for child in ast.iter_child_nodes(node):
            self.parents[id(child)] = node
        super().generic_visit(node)


class _Walk(NodeWalker):
    def __init__(self):
        self.seen = []

    def generic_visit(self, node):
        self.seen.append(node)
        super().generic_visit(node)


for _leaf in pymodule._LEAVES:  # leaves are not visited unless the walker has a method for them
    setattr(_Walk, "visit_" + _leaf.__name__, _Walk.generic_visit)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_walker_and_index_follow_node_visitor_order(path):
    text = path.read_text(encoding="utf-8")
    tree = parse_python(text)
    expected = _Order()
    expected.visit(tree)
    walked = _Walk()
    walked.visit(tree)
    assert walked.seen == expected.seen

    module = ParsedModule(path.name, "m", text, tree)
    for kind in {type(node) for node in expected.seen}:
        assert module.nodes(kind) == [node for node in expected.seen if type(node) is kind]
    assert all(module.parent(node) is expected.parents.get(id(node)) for node in expected.seen)
    assert module.nodes(ast.Load) == []


def test_visit_methods_are_found_per_class():
    class Names(NodeWalker):
        def __init__(self):
            self.names = []

        def visit_Name(self, node):
            self.names.append(node.id)

        def visit_Lambda(self, node):  # not descended into: its names are not seen
            pass

    walker = Names()
    walker.visit(ast.parse("f(a, b=lambda: c)[d]"))
    assert walker.names == ["f", "a", "d"]
