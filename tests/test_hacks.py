"""Undocumented hacks beyond what rule examples express: ages and authors from git blame,
age-based escalation, and what happens without git."""

import json
import time

import pytest

from auditor.scan.blame import attach_ages, parse_line_porcelain
from auditor.testing import DAY, git, make_repo, scan_repo

NOW = time.time()


def _by_rule(result, rule):
    return sorted((f for f in result.findings if f.rule == rule), key=lambda f: f.line or 0)


def test_age_and_author_of_each_line_come_from_blame(tmp_path):
    root = tmp_path / "repo"
    make_repo(root, {"train.py": "x = 1\n# TODO: tune the threshold\n"}, ages={"train.py": 400}, now=NOW,
              authors={"train.py": "Alice Moreau <alice@example.com>"})
    (root / "train.py").write_text("x = 1\n# TODO: tune the threshold\n# HACK: skip bad rows\n")
    git(root, "commit", "-q", "-am", "hack", when=NOW - 10 * DAY, author="Bob Okafor <bob@example.com>")
    result = scan_repo(root, {"select": ["ML401"]}, now=NOW)
    old, new = _by_rule(result, "ML401")
    assert (old.line, old.evidence["author"], round(old.evidence["age_days"])) == (2, "Alice Moreau", 400)
    assert (new.line, new.evidence["author"], round(new.evidence["age_days"])) == (3, "Bob Okafor", 10)
    assert len(old.evidence["commit"]) == 12 and old.evidence["commit"] != new.evidence["commit"]
    # Past the default 365 days the explained marker rises one step; the recent one does not.
    assert (old.severity, old.evidence["escalated_from"]) == ("medium", "low")
    assert new.severity == "low" and "escalated_from" not in new.evidence


def test_escalation_threshold_is_configurable_and_capped(tmp_path):
    root = make_repo(tmp_path / "repo", {"a.py": "# FIXME\nimport sys\nsys.path.append('..')\n"},
                     ages={"a.py": 100}, now=NOW)
    lowered = scan_repo(root, {"select": ["ML401", "ML405"],
                               "rules": {"ML401": {"escalate-after-days": 30}}}, now=NOW)
    marker, path_edit = _by_rule(lowered, "ML401")[0], _by_rule(lowered, "ML405")[0]
    assert marker.severity == "medium"  # bare marker is medium already; the cap keeps it there
    assert "escalated_from" not in marker.evidence
    assert path_edit.severity == "medium" and round(path_edit.evidence["age_days"]) == 100
    root2 = make_repo(tmp_path / "repo2", {"b.py": "try:\n    f()\nexcept Exception:\n    pass\n"},
                      ages={"b.py": 100}, now=NOW)
    raised = scan_repo(root2, {"select": ["ML403"], "rules": {"ML403": {"escalate-after-days": 90}}}, now=NOW)
    kept = scan_repo(root2, {"select": ["ML403"], "rules": {"ML403": {"escalate-after-days": 0}}}, now=NOW)
    assert raised.findings[0].severity == "medium" and kept.findings[0].severity == "low"


def test_explicit_severity_override_wins_over_escalation(tmp_path):
    root = make_repo(tmp_path / "repo", {"a.py": "# TODO: later\n"}, ages={"a.py": 900}, now=NOW)
    result = scan_repo(root, {"select": ["ML401"], "severity": {"ML401": "info"}}, now=NOW)
    assert result.findings[0].severity == "info"
    assert round(result.findings[0].evidence["age_days"]) == 900


def test_without_git_the_evidence_says_there_is_no_age(tmp_path):
    root = make_repo(tmp_path / "plain", {"a.py": "# HACK: retry twice\n"})
    finding = scan_repo(root, {"select": ["ML401"]}).findings[0]
    assert finding.evidence["age_days"] is None and finding.evidence["author"] is None
    assert finding.evidence["age_note"].startswith("no age: not a git repository")
    assert finding.severity == "low"


def test_uncommitted_lines_and_files(tmp_path):
    root = make_repo(tmp_path / "repo", {"a.py": "x = 1\n"}, ages={"a.py": 50}, now=NOW)
    (root / "a.py").write_text("x = 1  # noqa\n")
    (root / "new.py").write_text("# XXX\n")
    result = scan_repo(root, {"select": ["ML401", "ML402"]}, now=NOW)
    edited = _by_rule(result, "ML402")[0]
    assert edited.evidence["age_days"] == 0.0 and edited.evidence["age_note"] == "the line is not committed yet"
    untracked = _by_rule(result, "ML401")[0]
    assert untracked.path == "new.py" and untracked.evidence["age_note"] == "no age: the file is not committed"


def test_notebook_finding_gets_the_age_of_its_source_line(tmp_path):
    cells = [{"cell_type": "code", "source": ["x = 1\n"], "outputs": [{"text": ["# HACK: output\n"]}]},
             {"cell_type": "code", "source": ["df = load()\n", "# HACK: drop weird accounts\n", "y = 2"],
              "outputs": []}]
    notebook = json.dumps({"cells": cells, "nbformat": 4}, indent=1)
    root = make_repo(tmp_path / "repo", {"nb.ipynb": notebook}, ages={"nb.ipynb": 300}, now=NOW,
                     authors={"nb.ipynb": "Carol Lindqvist <carol@example.com>"})
    finding = scan_repo(root, {"select": ["ML401"]}, now=NOW).findings[0]
    assert (finding.cell, finding.line) == (2, 2)
    assert round(finding.evidence["age_days"]) == 300 and finding.evidence["author"] == "Carol Lindqvist"


def test_time_budget_is_respected(tmp_path):
    root = make_repo(tmp_path / "repo", {"a.py": "# TODO: x\n", "b.py": "# TODO: y\n"},
                     ages={"a.py": 10, "b.py": 10}, now=NOW)
    result = scan_repo(root, {"select": ["ML401"]}, now=NOW)
    stripped = [f.with_changes(evidence={}) for f in result.findings]
    project = result.project
    aged = attach_ages(stripped, project, result.config, budget=0)
    assert all(f.evidence["age_days"] is None and "budget" in f.evidence["age_note"] for f in aged)


def test_other_categories_are_not_blamed(tmp_path):
    root = make_repo(tmp_path / "repo", {"a.py": "import pickle\nm = pickle.load(open('m.pkl', 'rb'))\n"},
                     ages={"a.py": 10}, now=NOW)
    finding = scan_repo(root, {"select": ["ML451"]}, now=NOW).findings[0]
    assert "age_days" not in finding.evidence


def test_parse_line_porcelain():
    sha = "a" * 40
    output = (f"{sha} 3 7 1\nauthor Dana Ruiz\nauthor-mail <d@x>\nauthor-time 1700000000\nauthor-tz +0000\n"
              f"summary s\nboundary\nfilename a.py\n\t# TODO: x\n"
              f"{'0' * 40} 9 9 1\nauthor Not Committed Yet\nauthor-time 1800000000\nfilename a.py\n\tnew line\n")
    parsed = parse_line_porcelain(output)
    assert parsed[7].author == "Dana Ruiz" and parsed[7].author_time == 1700000000 and parsed[7].boundary
    assert parsed[7].content == "# TODO: x" and parsed[9].uncommitted and not parsed[7].uncommitted


def test_marker_message_owner_and_bare_severity(tmp_path):
    root = make_repo(tmp_path / "repo", {"a.py": "# TODO(alice): tune the threshold\n# TODO(bob):\n# FIXME\n"})
    first, second, third = _by_rule(scan_repo(root, {"select": ["ML401"]}), "ML401")
    assert first.message == "TODO without a ticket: tune the threshold" and first.severity == "low"
    assert first.evidence["owner"] == "alice"
    assert second.evidence["bare"] and second.severity == "medium" and second.evidence["owner"] == "bob"
    assert third.message == "FIXME with no explanation and no ticket" and third.severity == "medium"


def test_suppression_scopes_and_severities(tmp_path):
    code = ("# flake8: noqa\nimport os  # noqa\nx = 1  # fmt: skip\n# fmt: off\nGRID = [1,0,\n 0,1]\n# fmt: on\n"
            "# fmt: off\nTAIL = [1]\n")
    root = make_repo(tmp_path / "repo", {"a.py": code})
    found = {f.line: f for f in scan_repo(root, {"select": ["ML402"]}).findings}
    assert {line: f.severity for line, f in found.items()} == {1: "medium", 2: "low", 4: "info", 8: "info"}
    assert found[1].evidence["scope"] == "file" and found[2].evidence["scope"] == "line"
    assert found[4].evidence["region_end_line"] == 7 and found[8].evidence["region_end_line"] is None


EXERCISES = [
    "# TODO 5: Your code goes here\n",
    "# TODO(step 6): Uncomment here to add Transform to the pipeline.\n",
    "#TODO: Set your environment resource settings here for ENDPOINT.\n",
    "# TODO: complete this function\n",
    "def split(df):\n    # TODO: split the data frame\n    pass\n",
    "def score(x):\n    # TODO\n    ...\n",
    "# !gcloud ai-platform jobs submit training $JOB \\\n#   --region=# TODO \\\n",  # a blank to fill in
    "# TODO: write the gcloud command that submits the training job\n",  # any marker in a lab
]


@pytest.mark.parametrize("code", EXERCISES)
def test_exercise_placeholders_are_info_not_debt(tmp_path, code):
    root = make_repo(tmp_path / "repo", {"labs/lab1/task.py": code})
    findings = scan_repo(root, {"select": ["ML401"]}).findings
    assert [(f.severity, f.evidence["placeholder"]) for f in findings] == [("info", True)]


def test_real_debt_next_to_exercises_is_still_reported(tmp_path):
    root = make_repo(tmp_path / "repo", {"src/clean.py": "def clean(df):\n    # TODO: handle missing values properly\n"
                                                         "    return df.dropna()\n"})
    findings = scan_repo(root, {"select": ["ML401"]}).findings
    assert [(f.severity, f.evidence["placeholder"]) for f in findings] == [("low", False)]


def test_age_raises_debt_only_in_production_code(tmp_path):
    todo = "x = 1  # TODO: replace the heuristic with the trained ranker\n"
    files = {"src/rank.py": todo, "examples/rank.py": todo, "tests/test_rank.py": todo}
    root = make_repo(tmp_path / "repo", files, ages={path: 800 for path in files})
    severities = {f.path: f.severity for f in scan_repo(root, {"select": ["ML401"]}).findings}
    assert severities == {"src/rank.py": "medium", "examples/rank.py": "low", "tests/test_rank.py": "low"}


def test_a_marker_standing_for_a_value_is_a_blank_to_fill_in(tmp_path):
    root = make_repo(tmp_path / "repo", {"deploy/submit.py": "# gcloud ai-platform models create --region=# TODO\n"
                                                             "x = 1  # TODO\n"})
    found = {(f.line, f.severity) for f in scan_repo(root, {"select": ["ML401"]}).findings}
    assert found == {(1, "info"), (2, "medium")}  # a bare marker after code is still unexplained debt


def test_blanket_type_ignores_are_one_finding_per_file_that_age_keeps_low(tmp_path):
    code = "".join(f"x{i} = f{i}()  # type: ignore\n" for i in range(5)) + "import os  # noqa\n"
    root = make_repo(tmp_path / "repo", {"src/io.py": code}, ages={"src/io.py": 1200})
    found = [(f.line, f.severity, f.evidence.get("count")) for f in scan_repo(root, {"select": ["ML402"]}).findings]
    assert found == [(1, "low", 5), (6, "low", None)]


def test_implement_is_an_exercise_in_a_lab_and_debt_in_a_library(tmp_path):
    from auditor.testing import make_repo, scan_repo

    root = make_repo(tmp_path / "r", {
        "src/augment.py": "# TODO: implement AugMix in albumentations\nx = 1\n",
        "labs/week2/augment.py": "# TODO: implement AugMix in albumentations\nx = 1\n",
        "src/loss.py": "# TODO: implement your own loss here\nx = 1\n"})
    got = {f.path: f.severity for f in scan_repo(root, {"select": ["ML401"]}).findings}
    assert got == {"src/augment.py": "low", "labs/week2/augment.py": "info", "src/loss.py": "info"}


def test_a_bare_except_is_medium_in_production_code_and_low_in_a_notebook_or_lab(tmp_path):
    import json

    from auditor.testing import make_repo, scan_repo

    code = "def load():\n    try:\n        return open('x').read()\n    except:\n        pass\n"
    notebook = json.dumps({"cells": [{"cell_type": "code", "source": code}], "nbformat": 4})
    root = make_repo(tmp_path / "r", {"src/io.py": code, "labs/week1/io.py": code, "explore.ipynb": notebook})
    got = {f.path: f.severity for f in scan_repo(root, {"select": ["ML403"]}).findings}
    assert got == {"src/io.py": "medium", "labs/week1/io.py": "low", "explore.ipynb": "low"}


def _ages(result):
    return [(f.path, f.line, f.evidence["author"], round(f.evidence["age_days"]), f.evidence["commit"], f.severity)
            for f in sorted(result.findings, key=lambda f: (f.path, f.line or 0))]


def _tree_bytes(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_commit_graph_written_aside_gives_every_line_the_age_git_walking_the_history_gives(
        tmp_path, monkeypatch):
    """Enough files to blame that git first gets a commit-graph with changed-path filters: written
    outside the repository, which stays byte for byte as it was, and gone after the scan. The ages
    are those of blame without it, through a rename (blame follows the file into its old name)
    and a branch merged with a change of its own."""
    from auditor.scan import blame

    root = tmp_path / "repo"
    files = {f"pkg/step{i}.py": f"x = {i}\n# TODO: tune step {i}\n" for i in range(blame.GRAPH_MIN_FILES)}
    make_repo(root, {**files, "old_name.py": "# HACK: fixed seed\n", "serve.py": "y = 2\n"},
              ages={**{path: 400 for path in files}, "old_name.py": 300, "serve.py": 300}, now=NOW,
              authors={path: "Alice Moreau <alice@example.com>" for path in files})
    (root / "serve.py").write_text("y = 3\n")  # the commit before the rename is not where its line began
    git(root, "commit", "-q", "-am", "serve", when=NOW - 250 * DAY)
    git(root, "mv", "old_name.py", "renamed.py")
    git(root, "commit", "-q", "-m", "rename", when=NOW - 200 * DAY)
    git(root, "checkout", "-q", "-b", "side")
    (root / "serve.py").write_text("y = 3\n# FIXME: retry the request\n")
    git(root, "commit", "-q", "-am", "side", when=NOW - 50 * DAY, author="Bob Okafor <bob@example.com>")
    git(root, "checkout", "-q", "main")
    (root / "pkg/step0.py").write_text("x = 0\n# TODO: tune step 0\n# HACK: skip bad rows\n")
    git(root, "commit", "-q", "-am", "hack", when=NOW - 10 * DAY, author="Bob Okafor <bob@example.com>")
    git(root, "merge", "-q", "--no-ff", "-m", "merge side", "side", when=NOW - 5 * DAY)
    written = []
    write = blame.CommitGraph.write
    monkeypatch.setattr(blame.CommitGraph, "write", lambda self, timeout: written.append(self) or write(self, timeout))
    before = _tree_bytes(root / ".git")
    config = {"select": ["ML401", "ML402"]}
    with_graph = scan_repo(root, config, now=NOW)
    assert len(written) == 1 and written[0].folder is None  # written, then removed
    assert _tree_bytes(root / ".git") == before
    monkeypatch.setattr(blame, "GRAPH_MIN_FILES", 10_000)
    without = scan_repo(root, config, now=NOW)
    assert len(written) == 1
    assert _ages(with_graph) == _ages(without)
    assert [(path, line, author, age) for path, line, author, age, _, _ in _ages(with_graph)
            if not path.startswith("pkg/step") or path == "pkg/step0.py"] == [
        ("pkg/step0.py", 2, "Alice Moreau", 400), ("pkg/step0.py", 3, "Bob Okafor", 10),
        ("renamed.py", 1, "Dana Demo", 300), ("serve.py", 2, "Bob Okafor", 50)]


def test_the_commit_graph_is_read_by_blame(tmp_path):
    """Without its filters a blame reads every commit's tree; git says how many it checked."""
    from auditor.model.gitsafe import run_git
    from auditor.scan.blame import CommitGraph

    root = make_repo(tmp_path / "repo", {"a.py": "# TODO: one\n", "b.py": "x = 1\n"}, ages={"a.py": 30, "b.py": 20},
                     now=NOW)
    head = git(root, "rev-parse", "HEAD").strip()
    graph = CommitGraph(root, head)
    env = graph.write(30)
    assert env is not None and (graph.folder / "info" / "commit-graph").is_file()
    done = run_git(root, "-c", "core.commitGraph=true", "-c", "commitGraph.readChangedPaths=true",
                   "rev-list", "--count", "HEAD", "--", "a.py", extra_env=env | {"GIT_TRACE2_PERF": str(tmp_path / "perf")})
    assert done.stdout.strip() == b"1"
    assert "bloom" in (tmp_path / "perf").read_text()
    folder = graph.folder
    graph.close()
    assert not folder.exists()


def test_without_a_temporary_folder_for_the_commit_graph_blame_runs_as_usual(tmp_path, monkeypatch):
    import tempfile as temporary

    from auditor.scan import blame

    def refused(*args, **kwargs):
        raise OSError(28, "No space left on device")

    root = make_repo(tmp_path / "repo", {f"step{i}.py": f"# TODO: tune step {i}\n" for i in range(blame.GRAPH_MIN_FILES)},
                     ages={f"step{i}.py": 30 for i in range(blame.GRAPH_MIN_FILES)}, now=NOW)
    monkeypatch.setattr(temporary, "mkdtemp", refused)
    result = scan_repo(root, {"select": ["ML401"]}, now=NOW)
    assert not result.errors and len(result.findings) == blame.GRAPH_MIN_FILES
    assert all(round(f.evidence["age_days"]) == 30 for f in result.findings)
