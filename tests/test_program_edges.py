"""Module-granular edges: a graph that replays the stored edges of the modules whose facts and
answers are as they were is the graph built from nothing, edge for edge and in the same order."""

from __future__ import annotations

from auditor.analysis.program import ProgramGraph
from auditor.analysis.symbols import SYMBOL_USES
from auditor.testing import make_repo, scan_repo

FILES = {
    "pkg/__init__.py": "from pkg.core import run\n",
    "pkg/core.py": "from pkg import util\n\n\ndef run():\n    return util.helper() + util.other()\n\n\n"
                   "class Model:\n    def fit(self):\n        return self.step()\n\n    def step(self):\n        return 1\n",
    "pkg/util.py": "def helper():\n    return 1\n\n\ndef other():\n    return 2\n",
    "pkg/late.py": "from pkg.util import later\n\n\ndef use():\n    return later()\n",
    "pkg/star.py": "from pkg.util import *\n\n\ndef go():\n    return helper()\n",
    "main.py": "from pkg import run\n\nif __name__ == '__main__':\n    run()\n",
}


class DictStore:
    """An edge store in memory, counting what it was asked."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], dict] = {}
        self.digests: dict[str, str] = {}

    def get(self, path):
        return self.entries.get((path, self.digests.get(path, "")))

    def put(self, path, entry):
        self.entries[(path, self.digests.get(path, ""))] = entry


def _project(root):
    """A scanned project whose graph no rule built (its facts are all there)."""
    project = scan_repo(root, {"select": ["ML471"]}).project
    assert "program" not in vars(project)
    return project


def _shape(graph):
    """Everything the rules read of a graph, in order."""
    return ([(source, list(targets.items())) for source, targets in graph._succ.items()],
            list(graph._pred.items()), list(graph._modules), list(graph.definitions))


def _graph(root, store=None):
    project = _project(root)
    if store is not None:  # a module's key: its facts, as the engine's store has it
        store.digests = {path: repr(facts) for path, facts in project.fact("symbols").items()}
    return ProgramGraph(project, edges=store)


def test_replayed_edges_make_the_graph_built_from_nothing(tmp_path):
    root = make_repo(tmp_path / "repo", FILES)
    store = DictStore()
    first = _graph(root, store)
    assert first.edges_resolved == 6 and first.edges_reused == 0
    again = _graph(root, store)
    assert again.edges_reused == 6 and again.edges_resolved == 0
    assert _shape(again) == _shape(first) == _shape(_graph(root))
    assert again.edge("pkg/core.py::run", "pkg/util.py::helper") == ("call", 5)


def test_a_function_added_resolves_only_its_own_module(tmp_path):
    root = make_repo(tmp_path / "repo", FILES)
    store = DictStore()
    _graph(root, store)
    (root / "pkg/util.py").write_text("def helper():\n    return 1\n\n\ndef added():\n    return 3\n\n\n"
                                      "def other():\n    return 2\n")
    edited = _graph(root, store)
    assert (edited.edges_resolved, edited.edges_reused) == (1, 5)
    assert _shape(edited) == _shape(_graph(root))


def test_a_name_newly_defined_re_resolves_the_module_that_imported_it(tmp_path):
    """pkg/late.py imports ``later`` before it exists: its answer changes when it is added, so its
    edges are resolved again, and it now calls the new function."""
    root = make_repo(tmp_path / "repo", FILES)
    store = DictStore()
    before = _graph(root, store)
    assert "pkg/util.py::later" not in before.successors("pkg/late.py::use")
    (root / "pkg/util.py").write_text("def helper():\n    return 1\n\n\ndef other():\n    return 2\n\n\n"
                                      "def later():\n    return 3\n")
    edited = _graph(root, store)
    assert edited.edges_resolved == 2  # util itself, and late, whose question has a new answer
    # (star is replayed: the names it looked up through ``*`` are answered as before)
    assert "pkg/util.py::later" in edited.successors("pkg/late.py::use")
    assert _shape(edited) == _shape(_graph(root))


def test_a_module_moved_changes_the_answers_that_named_it(tmp_path):
    root = make_repo(tmp_path / "repo", FILES)
    store = DictStore()
    _graph(root, store)
    (root / "pkg/tools").mkdir()
    (root / "pkg/tools/__init__.py").write_text("")
    (root / "pkg/util.py").rename(root / "pkg/tools/util.py")
    moved = _graph(root, store)
    assert _shape(moved) == _shape(_graph(root))
    assert "pkg/tools/util.py::helper" not in moved.successors("pkg/core.py::run")  # `from pkg import util` names nothing now


def test_a_name_a_star_import_brings_in_is_followed_when_it_appears(tmp_path):
    """pkg/star.py calls ``extra()``, which no module defines: once pkg/util.py (imported with ``*``)
    defines it, the stored answer for ``*extra`` differs, and star's edges are resolved again."""
    files = {**FILES, "pkg/star.py": "from pkg.util import *\n\n\ndef go():\n    return helper() + extra()\n"}
    root = make_repo(tmp_path / "repo", files)
    store = DictStore()
    before = _graph(root, store)
    assert "pkg/util.py::helper" in before.successors("pkg/star.py::go")
    (root / "pkg/util.py").write_text("def helper():\n    return 1\n\n\ndef other():\n    return 2\n\n\n"
                                      "def extra():\n    return 3\n")
    edited = _graph(root, store)
    assert edited.edges_resolved == 2  # util, and star
    assert "pkg/util.py::extra" in edited.successors("pkg/star.py::go")
    assert _shape(edited) == _shape(_graph(root))
    (root / "pkg/util.py").write_text("def helper():\n    return 1\n\n\ndef other():\n    return 2\n\n\n"
                                      "def extra():\n    return 3\n\n\ndef _private():\n    return 4\n")
    assert _graph(root, store).edges_resolved == 1  # a private name is never brought in by ``*``


def test_a_graph_of_replayed_edges_depends_on_the_uses_it_did_not_read(tmp_path):
    """The rule that builds the graph is cached by the fact kinds it read. A module whose edges are
    replayed has its uses read by no one, yet its edges were made from them: the kind must count
    as read, or a call changed on its own line would leave the rule's cached findings in place."""
    root = make_repo(tmp_path / "repo", FILES)
    store = DictStore()
    _graph(root, store)
    project = _project(root)
    store.digests = {path: repr(facts) for path, facts in project.fact("symbols").items()}
    with project.facts.recording() as (reads, _touched):
        again = ProgramGraph(project, edges=store)
    assert again.edges_reused == 6 and again.edges_resolved == 0
    assert SYMBOL_USES in reads


def test_an_edited_scan_reads_the_uses_of_the_edited_module_alone(tmp_path, monkeypatch):
    from auditor.model.factstore import FactStore

    root = make_repo(tmp_path / "repo", FILES)
    cache = tmp_path / "cache"
    scan_repo(root, cache_dir=cache)
    (root / "pkg/util.py").write_text("def helper():\n    return 1\n\n\ndef added():\n    return 3\n\n\n"
                                      "def other():\n    return 2\n")
    read, read_module = [], FactStore.read_module
    monkeypatch.setattr(FactStore, "read_module", lambda self, path, name: read.append(path) or read_module(self, path, name))
    edited = scan_repo(root, cache_dir=cache)
    assert read == ["pkg/util.py"]
    monkeypatch.undo()
    scratch = scan_repo(root)
    assert [f.to_json() for f in edited.findings] == [f.to_json() for f in scratch.findings]
    assert any(f.rule == "ML101" and "added" in f.message for f in edited.findings)
