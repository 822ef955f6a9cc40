"""The program graph releases the facts only it reads, and can still be made again after a scan."""

from auditor.analysis.program import GRAPH_INPUTS, ProgramGraph
from auditor.analysis.symbols import SYMBOL_USES
from auditor.testing import make_repo, scan_repo

FILES = {
    "pkg/__init__.py": "from pkg.calls import Callable\nfrom pkg.core import run\n",
    "pkg/core.py": "class Base:\n    def hook(self):\n        return 1\n\n\nclass Model(Base):\n    x = 1\n\n"
                   "    def hook(self):\n        return self.helper()\n\n    def helper(self):\n        return 2\n\n\n"
                   "def run():\n    return Model().hook()\n",
    # a class body naming its own method: that reference becomes the method's member edge
    "pkg/calls.py": "class Callable:\n    def __call__(self):\n        return 3\n\n    alias = __call__\n",
    "main.py": "from pkg import run\n\nif __name__ == '__main__':\n    run()\n",
}


def _edges(graph):
    return [(source, list(graph.successors(source)), [graph.edge(source, t) for t in graph.successors(source)])
            for source in sorted(graph._succ)], {t: list(graph.predecessors(t)) for t in sorted(graph._pred)}


def test_building_the_projects_graph_releases_the_facts_only_the_graph_reads(tmp_path):
    project = scan_repo(make_repo(tmp_path / "repo", FILES)).project
    assert "pkg/core.py::Model.helper" in project.program.definitions
    for facts in project.fact("symbols").values():
        assert not set(GRAPH_INPUTS) & set(facts)
        assert "imports" in facts and "names" in facts  # later rules read these
    assert project.program.last_lines["pkg/core.py"] == 17


def test_the_uses_the_graph_alone_reads_are_a_fact_kind_of_their_own(tmp_path):
    """Each scope's calls, references and locals are kept apart from the symbols facts every
    rule decodes: only the graph reads them, module by module."""
    project = _project_without_graph(make_repo(tmp_path / "repo", FILES))
    uses = project.fact(SYMBOL_USES)["pkg/core.py"]
    assert uses == {"calls": {"Model.hook": [["self:helper", 10]], "run": [["local:Model", 17]]},
                    "refs": {"": ["Base"], "Model.hook": ["self"], "run": ["Model"]},
                    "locals": {"Base.hook": ["self"], "Model.hook": ["self"], "Model.helper": ["self"]}}
    assert not {"calls", "refs", "locals"} & set(project.fact("symbols")["pkg/core.py"])
    assert project.program.edge("pkg/core.py::Model.hook", "pkg/core.py::Model.helper") == ("call", 10)


def test_a_graph_made_again_after_a_scan_is_the_graph_as_built(tmp_path):
    root = make_repo(tmp_path / "repo", FILES)
    scanned = scan_repo(root).project  # the dead-code rules hung members off classes in its graph
    assert any(kind == "member" for source in scanned.program._succ
               for kind, _ in (scanned.program.edge(source, t) for t in scanned.program.successors(source)))
    assert ("pkg/calls.py::Callable", "pkg/calls.py::Callable.__call__") in scanned.program._replaced
    fresh = _project_without_graph(root)
    assert _edges(ProgramGraph(scanned)) == _edges(ProgramGraph(fresh))


def _project_without_graph(root):
    """A scanned project whose graph no rule built (its facts are all there)."""
    project = scan_repo(root, {"select": ["ML471"]}).project
    assert "program" not in vars(project)
    return project


# A small project with a readiness score worth comparing: a training script that tracks, a
# notebook, a suppression, an unused function and an unseeded draw.
SCORED = {
    **FILES,
    "train.py": "import random\n\nimport mlflow\n\n\ndef unused():\n    return 1\n\n\n"
                "if __name__ == '__main__':\n    mlflow.log_params({'lr': random.random()})  # mlaudit: ignore[ML201] demo\n",
    "explore.ipynb": '{"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": ["import random\\n", '
                     '"x = random.random()"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
    "requirements.txt": "mlflow\n",
}


def _report(result):
    return ([f.to_json() for f in result.findings], [f.to_json() for f in result.suppressed], result.readiness,
            result.errors)


def test_releasing_what_only_the_project_rules_read_changes_nothing_in_the_report(tmp_path, monkeypatch):
    """A CLI scan releases the graph, the dead-code analysis and most facts once the project rules
    are done; the steps after them (post-processing, readiness, gathered here as on a large tree)
    must not have needed any of it: a released kind asked for raises, it never reads as empty."""
    import pytest

    from auditor.scan import readiness_step

    monkeypatch.setattr(readiness_step, "FORK_GATHER_MAX_LINES", 0)  # readiness gathered in this process, after the release
    root = make_repo(tmp_path / "repo", SCORED)
    kept = scan_repo(root, now=1_800_000_000.0)
    released = scan_repo(root, now=1_800_000_000.0, keep_analyses=False)
    assert released.readiness and not released.errors
    assert _report(released) == _report(kept)
    assert "program" not in released.project.__dict__
    with pytest.raises(RuntimeError, match="released"):
        released.project.fact("symbols")
