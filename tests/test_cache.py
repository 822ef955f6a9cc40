"""The per-file cache: re-scans reuse results by content, never trust a bad entry, never write
into the scanned repository."""

import json
import os
import sqlite3

from click.testing import CliRunner

from auditor.cli.main import main
from auditor.scan.cache import ResultCache, default_cache_dir
from auditor.testing import make_repo
from auditor.testing import scan_repo as scan_all


def scan_repo(root, config=None, **kwargs):
    return scan_all(root, {"select": ["ML001", "ML401"], **(config or {})}, **kwargs)

FILES = {"a.py": "# TODO: a\n", "b.py": "x = 1  # FIXME: b\n", "c.py": "def broken(:\n"}


def findings(result):
    return sorted((f.path, f.line, f.rule, f.fingerprint) for f in result.findings)


def test_warm_scan_reuses_everything_and_gives_the_same_findings(tmp_path):
    root = make_repo(tmp_path / "r", FILES)
    cache = tmp_path / "cache"
    cold = scan_repo(root, cache_dir=cache)
    warm = scan_repo(root, cache_dir=cache)
    assert cold.cache["analysed"] == 3 and cold.cache["hits"] == 0
    assert warm.cache["analysed"] == 0 and warm.cache["hits"] == 3
    assert findings(warm) == findings(cold)
    assert warm.python_lines == cold.python_lines


def test_a_changed_file_is_analysed_again(tmp_path):
    root = make_repo(tmp_path / "r", FILES)
    cache = tmp_path / "cache"
    scan_repo(root, cache_dir=cache)
    (root / "b.py").write_text("x = 1  # FIXME: now with more text\n")
    again = scan_repo(root, cache_dir=cache)
    assert again.cache == {"enabled": True, "hits": 2, "analysed": 1, "directory": str(cache),
                           "whole_scan_reused": False, "project_phase_reused": True,
                           "project_rules": 0, "project_rules_reused": 0}  # ML001 and ML401 are module rules
    assert any("now with more text" in f.message for f in again.findings)


def test_configuration_that_changes_per_file_work_is_part_of_the_key(tmp_path):
    root = make_repo(tmp_path / "r", FILES)
    cache = tmp_path / "cache"
    scan_repo(root, cache_dir=cache)
    narrowed = scan_repo(root, {"select": ["ML001"]}, cache_dir=cache)
    assert narrowed.cache["hits"] == 0
    assert {f.rule for f in narrowed.findings} == {"ML001"}


def test_corrupt_cache_file_is_rebuilt(tmp_path):
    root = make_repo(tmp_path / "r", FILES)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "cache.sqlite").write_bytes(b"this is not a database" * 100)
    result = scan_repo(root, cache_dir=cache)
    assert result.cache["enabled"] and len(result.findings) == 3
    assert scan_repo(root, cache_dir=cache).cache["hits"] == 3


def test_foreign_or_damaged_entries_are_ignored(tmp_path):
    root = make_repo(tmp_path / "r", FILES)
    cache = tmp_path / "cache"
    cold = scan_repo(root, cache_dir=cache)
    db = sqlite3.connect(cache / "cache.sqlite")
    keys = [k for (k,) in db.execute("SELECT key FROM entries WHERE kind='source'")]
    db.execute("UPDATE entries SET value=? WHERE key=?", ("{not json", keys[0]))
    db.execute("UPDATE entries SET value=? WHERE key=?", (json.dumps({"path": "elsewhere.py"}), keys[1]))
    db.execute("UPDATE entries SET value=? WHERE key=?", (json.dumps({"path": "x", "evil": 1}), keys[2]))
    db.execute("UPDATE entries SET value=? WHERE kind='scan'", (json.dumps({"findings": "not a list"}),))
    db.commit()
    db.close()
    warm = scan_repo(root, cache_dir=cache)
    assert warm.cache["hits"] == 0 and warm.cache["analysed"] == 3
    assert findings(warm) == findings(cold)


def test_cache_stores_json_never_pickle(tmp_path):
    root = make_repo(tmp_path / "r", FILES)
    scan_repo(root, cache_dir=tmp_path / "cache")
    db = sqlite3.connect(tmp_path / "cache" / "cache.sqlite")
    for (value,) in db.execute("SELECT value FROM entries"):
        json.loads(value)


def test_git_log_is_cached_per_head(tmp_path):
    root = make_repo(tmp_path / "r", FILES, ages={"a.py": 30, "b.py": 3})
    cache = ResultCache(tmp_path / "cache")
    scan_repo(root, cache_dir=tmp_path / "cache")
    assert any(kind == "git-log" for (kind,) in sqlite3.connect(cache.path).execute("SELECT kind FROM entries"))
    cache.close()
    warm = scan_repo(root, cache_dir=tmp_path / "cache")
    assert warm.git.last_commit_time("a.py") < warm.git.last_commit_time("b.py")


def test_cli_default_cache_is_outside_the_repository(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    root = make_repo(tmp_path / "r", FILES, ages={"a.py": 2})
    before = sorted(p.relative_to(root) for p in root.rglob("*") if ".git" not in p.parts)
    runner = CliRunner()
    assert runner.invoke(main, ["scan", str(root)]).exit_code == 0
    after = sorted(p.relative_to(root) for p in root.rglob("*") if ".git" not in p.parts)
    assert before == after
    assert (default_cache_dir(root) / "cache.sqlite").is_file()
    assert str(default_cache_dir(root)).startswith(str(tmp_path / "xdg" / "mlaudit"))
    no_cache = tmp_path / "xdg2"
    monkeypatch.setenv("XDG_CACHE_HOME", str(no_cache))
    assert runner.invoke(main, ["scan", str(root), "--no-cache"]).exit_code == 0
    assert not no_cache.exists()


def test_an_unchanged_repository_reuses_the_whole_scan_the_same_day(tmp_path):
    root = make_repo(tmp_path / "r", {**FILES, "params.yaml": "lr: 0.1\n"}, ages={"a.py": 3})
    cache = tmp_path / "cache"
    now = 1_800_000_000.0
    cold = scan_repo(root, cache_dir=cache, now=now)
    warm = scan_repo(root, cache_dir=cache, now=now + 3600)
    assert not cold.cache["whole_scan_reused"] and warm.cache["whole_scan_reused"]
    assert [f.to_json() for f in warm.findings] == [f.to_json() for f in cold.findings]
    assert warm.readiness == cold.readiness and warm.skipped == cold.skipped
    # a changed config file, a new day or other settings each make it scan again
    (root / "params.yaml").write_text("lr: 0.2\n")
    assert not scan_repo(root, cache_dir=cache, now=now).cache["whole_scan_reused"]
    assert scan_repo(root, cache_dir=cache, now=now).cache["whole_scan_reused"]
    assert not scan_repo(root, cache_dir=cache, now=now + 86400).cache["whole_scan_reused"]
    assert not scan_repo(root, {"min-confidence": "high"}, cache_dir=cache, now=now).cache["whole_scan_reused"]


# A small project whose project rules have something to say: an unused function (ML101), an
# unseeded draw reached from the entry point (ML201), and a notebook.
PROJECT = {
    "train.py": "import random\n\nfrom helpers import used\n\n\ndef unused_helper():\n    return 1\n\n\n"
                "if __name__ == '__main__':\n    print(used(), random.random())\n",
    "helpers.py": "def used():\n    return 2\n\n\ndef also_unused():\n    return 3\n",
    "requirements.txt": "pandas\n",
}


def everything(result):
    return ([f.to_json() for f in result.findings], [f.to_json() for f in result.suppressed], result.readiness)


def test_an_edit_that_leaves_every_modules_facts_unchanged_reuses_the_project_phase(tmp_path):
    root = make_repo(tmp_path / "r", PROJECT, ages={"train.py": 5, "helpers.py": 5, "requirements.txt": 5})
    cache = tmp_path / "cache"
    now = 1_800_000_000.0
    scan_all(root, cache_dir=cache, now=now)
    with open(root / "helpers.py", "a") as handle:
        handle.write("# TODO: a note at the end\n")  # facts unchanged; a module finding more
    warm = scan_all(root, cache_dir=cache, now=now)
    assert warm.cache["analysed"] == 1 and warm.cache["project_phase_reused"]
    assert not warm.cache["whole_scan_reused"]
    assert everything(warm) == everything(scan_all(root, now=now))
    assert any(f.rule == "ML401" and f.path == "helpers.py" for f in warm.findings)


def test_an_edit_that_changes_facts_runs_the_project_phase_again(tmp_path):
    root = make_repo(tmp_path / "r", PROJECT, ages={"train.py": 5, "helpers.py": 5, "requirements.txt": 5})
    cache = tmp_path / "cache"
    now = 1_800_000_000.0
    cold = scan_all(root, cache_dir=cache, now=now)
    assert {"ML101"} <= {f.rule for f in cold.findings if f.symbol == "also_unused"}
    (root / "train.py").write_text(PROJECT["train.py"].replace("import used", "import used, also_unused")
                                   .replace("print(used()", "print(used(), also_unused()"))
    warm = scan_all(root, cache_dir=cache, now=now)
    assert warm.cache["analysed"] == 1 and not warm.cache["project_phase_reused"]
    assert not any(f.symbol == "also_unused" for f in warm.findings)
    assert everything(warm) == everything(scan_all(root, now=now))


def test_the_graph_reads_the_stored_edges_of_many_modules_in_one_query(tmp_path, monkeypatch):
    """After an edit the program graph replays every other module's stored edges: they are read a
    few hundred modules per query, not one query each. A damaged entry among them is resolved
    again, and the result is the scan from nothing."""
    import auditor.scan.incremental as incremental

    files = {f"pkg/m{i}.py": f"from pkg.m{i + 1} import f{i + 1}\n\n\ndef f{i}():\n    return f{i + 1}()\n"
             for i in range(11)}
    files |= {"pkg/__init__.py": "", "pkg/m11.py": "def f11():\n    return 1\n",
              "main.py": "from pkg.m0 import f0\n\nif __name__ == '__main__':\n    f0()\n"}
    root = make_repo(tmp_path / "r", files)
    cache = tmp_path / "cache"
    now = 1_800_000_000.0
    scan_all(root, cache_dir=cache, now=now)
    db = sqlite3.connect(cache / "cache.sqlite")
    with db:  # one module's stored edges damaged: it must be resolved, not replayed
        db.execute("UPDATE entries SET mac='0' WHERE kind='edges' AND key=(SELECT MIN(key) FROM entries WHERE kind='edges')")
    db.close()
    monkeypatch.setattr(incremental, "KEYS_PER_QUERY", 5)
    queries: list[int] = []  # edge entries asked for, per query
    real_get, real_get_many = ResultCache.get, ResultCache.get_many_encoded
    monkeypatch.setattr(ResultCache, "get", lambda self, kind, key: (
        queries.append(1) if kind == "edges" else None) or real_get(self, kind, key))
    monkeypatch.setattr(ResultCache, "get_many_encoded", lambda self, kind, keys: (
        queries.append(len(keys)) if kind == "edges" else None) or real_get_many(self, kind, keys))
    (root / "pkg/m5.py").write_text(files["pkg/m5.py"] + "\n\ndef added():\n    return 4\n")
    warm = scan_all(root, cache_dir=cache, now=now)
    assert sum(queries) == 14 and len(queries) == 3, queries  # 14 modules, 5 per query
    assert warm.cache["analysed"] == 1 and not warm.cache["project_phase_reused"]
    assert everything(warm) == everything(scan_all(root, now=now))
    assert any(f.rule == "ML101" and f.symbol == "added" for f in warm.findings)


def test_a_missing_or_damaged_facts_entry_has_its_file_analysed_again(tmp_path):
    root = make_repo(tmp_path / "r", PROJECT, ages={"train.py": 5, "helpers.py": 5, "requirements.txt": 5})
    cache = tmp_path / "cache"
    now = 1_800_000_000.0
    cold = scan_all(root, cache_dir=cache, now=now)
    db = sqlite3.connect(cache / "cache.sqlite")
    facts = [k for (k,) in db.execute("SELECT key FROM entries WHERE kind='facts'")]
    db.execute("UPDATE entries SET value=? WHERE key=? AND kind='facts'", ("{not json", facts[0]))
    db.execute("DELETE FROM entries WHERE key=? AND kind='facts'", (facts[1],))
    db.commit()
    db.close()
    (root / "requirements.txt").write_text("pandas\nnumpy\n")  # the project phase must run again
    warm = scan_all(root, cache_dir=cache, now=now)
    assert warm.cache["hits"] == 2 and not warm.cache["project_phase_reused"]
    assert everything(warm) == everything(scan_all(root, now=now))
    assert {f.symbol for f in warm.findings if f.rule == "ML101"} == \
        {f.symbol for f in cold.findings if f.rule == "ML101"}


def test_outside_git_a_touched_module_is_a_new_input_when_the_repository_has_models(tmp_path, monkeypatch):
    """Without git, file times are the clock of model staleness (ML302): training code edited after
    the model it trains must be judged again, even when the edit leaves its facts as they were."""
    from auditor.rules.models import ModelOlderThanTrainingCode as rule
    from auditor.scan import project_phase

    example = next(e for e in rule.examples if not e.valid)
    root = make_repo(tmp_path / "r", example.files)
    cache = tmp_path / "cache"
    old = 1_700_000_000
    for path in example.files:
        os.utime(root / path, (old, old))
    assert not any(f.rule == "ML302" for f in scan_all(root, {"min-confidence": "low"}, cache_dir=cache).findings)
    with open(root / "train.py", "a") as handle:
        handle.write("# retrained\n")
    ran = []
    real = project_phase.run_rules
    monkeypatch.setattr(project_phase, "run_rules", lambda rules, *a: ran.extend(r.id for r in rules) or real(rules, *a))
    warm = scan_all(root, {"min-confidence": "low"}, cache_dir=cache)
    assert not warm.cache["project_phase_reused"]
    assert any(f.rule == "ML302" for f in warm.findings)
    assert ran == ["ML301", "ML302"]  # the rules that read file times, and only they


def test_rules_that_read_file_times_say_so():
    """The file-time rules are run again when a module is touched outside git; a rule that reads
    the clock without declaring it would keep an answer from before the edit."""
    import inspect

    from auditor import registry

    for rule in registry.all_rules().values():
        source = inspect.getsource(rule)
        if "last_change(" in source or "path_time(" in source or ".mtime" in source:
            assert getattr(rule, "reads_file_times", False), f"{rule.id} reads file times: set reads_file_times"


def _blamed_once(tmp_path, monkeypatch):
    """A repository with a hack in a.py, scanned once with a cache; later blames are counted in ``runs``."""
    from auditor.scan import blame

    root = make_repo(tmp_path / "r", {"a.py": "x = 1  # TODO: tidy\n", "b.py": "y = 2\n"},
                     ages={"a.py": 40, "b.py": 40})
    cache = tmp_path / "cache"
    cold = scan_repo(root, cache_dir=cache)
    runs = []
    real = blame.blame_file
    monkeypatch.setattr(blame, "blame_file", lambda *args, **kwargs: runs.append(args[1]) or real(*args, **kwargs))
    return root, cache, cold, runs


def test_a_blame_is_reused_while_its_file_and_head_are_unchanged(tmp_path, monkeypatch):
    root, cache, cold, runs = _blamed_once(tmp_path, monkeypatch)
    (root / "b.py").write_text("y = 3\n")  # the whole scan is not reusable, a.py's blame is
    warm = scan_repo(root, cache_dir=cache)
    assert runs == []
    assert [f.evidence["age_days"] for f in warm.findings] == [f.evidence["age_days"] for f in cold.findings]
    assert cold.findings[0].evidence["age_days"] >= 39
    (root / "a.py").write_text("x = 1  # TODO: tidy\n# TODO: and this\n")
    again = scan_repo(root, cache_dir=cache)
    assert runs == ["a.py"]
    assert sorted(f.evidence["age_note"] for f in again.findings if "age_note" in f.evidence) == \
        ["the line is not committed yet"]


def test_a_blame_survives_commits_that_do_not_touch_its_file(tmp_path, monkeypatch):
    from auditor.testing import git

    root, cache, cold, runs = _blamed_once(tmp_path, monkeypatch)
    (root / "b.py").write_text("y = 3\n")
    git(root, "commit", "-qam", "b changes")  # a new HEAD that leaves a.py as it was
    warm = scan_repo(root, cache_dir=cache)
    assert runs == []
    assert [f.evidence["age_days"] for f in warm.findings] == [f.evidence["age_days"] for f in cold.findings]


def test_the_text_summary_says_what_the_scan_reused(tmp_path):
    root = make_repo(tmp_path / "r", PROJECT)
    runner = CliRunner()
    scan = ["scan", str(root), "--cache-dir", str(tmp_path / "cache"), "-q", "--exit-zero"]
    assert "cache:" not in runner.invoke(main, scan).output
    with open(root / "helpers.py", "a") as handle:
        handle.write("# a comment\n")
    assert "cache: 1 of 2 Python files and notebooks unchanged; the project-wide analysis is reused" in \
        runner.invoke(main, scan).output
    assert "cache: nothing changed since the last scan today" in runner.invoke(main, scan).output


def test_a_scan_answered_from_the_cache_does_not_parse_the_git_log(tmp_path, monkeypatch):
    from auditor.model import gitinfo

    root = make_repo(tmp_path / "r", FILES, ages={"a.py": 30, "b.py": 3})
    cache = tmp_path / "cache"
    cold = scan_repo(root, cache_dir=cache)
    parsed = []
    real = gitinfo.parse_log
    monkeypatch.setattr(gitinfo, "parse_log", lambda *args, **kwargs: parsed.append(1) or real(*args, **kwargs))
    warm = scan_repo(root, cache_dir=cache)
    assert warm.cache["whole_scan_reused"] and parsed == []
    assert warm.git.last_commit_time("a.py") == cold.git.last_commit_time("a.py")  # read when asked
    assert parsed == [1]


def test_a_git_log_cut_short_by_its_time_limit_marks_the_history_partial(tmp_path, monkeypatch):
    import subprocess

    from auditor.model import gitinfo

    root = make_repo(tmp_path / "r", FILES, ages={"a.py": 30, "b.py": 3})
    real = subprocess.run

    def slow_log(command, *args, **kwargs):
        if "--name-only" in command:
            raise subprocess.TimeoutExpired(command, 120, output=b"")
        return real(command, *args, **kwargs)

    monkeypatch.setattr(gitinfo.subprocess, "run", slow_log)
    result = scan_repo(root, cache_dir=tmp_path / "cache")
    assert result.git.partial and "history read for" in result.git.reason
    assert result.git.last_commit_time("a.py") is None


def test_an_edit_that_changes_only_findings_re_weighs_them_without_gathering_again(tmp_path, monkeypatch):
    from auditor.readiness import gathering

    root = make_repo(tmp_path / "r", PROJECT, ages={"train.py": 5, "helpers.py": 5, "requirements.txt": 5})
    cache = tmp_path / "cache"
    now = 1_800_000_000.0
    cold = scan_all(root, cache_dir=cache, now=now)
    gathered = []
    real = gathering.gather
    monkeypatch.setattr(gathering, "gather", lambda *args: gathered.append(1) or real(*args))
    with open(root / "helpers.py", "a") as handle:
        handle.write("# TODO: later\n# FIXME: and this\n")  # more findings and lines, the same facts
    warm = scan_all(root, cache_dir=cache, now=now)
    assert warm.cache["project_phase_reused"] and gathered == []
    assert warm.readiness != cold.readiness  # the debt checks weigh the new findings
    monkeypatch.setattr(gathering, "gather", real)
    assert warm.readiness == scan_all(root, now=now).readiness


TRACKED = {
    "train.py": "import mlflow\n\n\ndef train():\n    mlflow.log_metric('loss', 0.1)\n"
                "    mlflow.sklearn.log_model(None, 'model')\n\n\nif __name__ == '__main__':\n    train()\n",
    "helpers.py": "def used():\n    return 2\n",
    "requirements.txt": "mlflow==2.9.2\n",
}


def _checks_gathered(monkeypatch) -> list[str]:
    """The readiness checks (and rollback estimates) the next scans gather, by group."""
    from auditor.readiness import gathering
    from auditor.readiness.index import Questions

    gathered: list[str] = []

    class Watched(Questions):
        @property
        def group(self):
            return self._group

        @group.setter
        def group(self, value):
            self._group = value
            if value:
                gathered.append(value)

    monkeypatch.setattr(gathering, "Questions", Watched)
    return gathered


def test_a_code_edit_no_readiness_check_asks_about_reuses_what_readiness_gathered(tmp_path, monkeypatch):
    """Lines added above the code of a module no check asks about: its facts change, yet each
    question the checks asked gets from it what it got before (nothing), so no check runs again."""
    root = make_repo(tmp_path / "r", TRACKED)
    cache, now = tmp_path / "cache", 1_800_000_000.0
    scan_all(root, cache_dir=cache, now=now)
    gathered = _checks_gathered(monkeypatch)
    (root / "helpers.py").write_text("def added():\n    return 4\n\n\n" + TRACKED["helpers.py"])
    warm = scan_all(root, cache_dir=cache, now=now)
    assert not warm.cache["project_phase_reused"] and gathered == []
    assert warm.readiness == scan_all(root, now=now).readiness


def test_a_code_edit_runs_again_only_the_readiness_checks_whose_answers_changed(tmp_path, monkeypatch):
    """A function added above the MLflow calls moves them: the checks that cite them run again
    and cite the new lines, the others are kept, and the score is a scratch scan's."""
    root = make_repo(tmp_path / "r", TRACKED)
    cache, now = tmp_path / "cache", 1_800_000_000.0
    scan_all(root, cache_dir=cache, now=now)
    gathered = _checks_gathered(monkeypatch)
    (root / "train.py").write_text(TRACKED["train.py"].replace("def train", "def added():\n    return 4\n\n\ndef train"))
    warm = scan_all(root, cache_dir=cache, now=now)
    scratch = scan_all(root, now=now)
    from auditor.readiness.gathering import all_checks

    assert gathered and ":rollback" in gathered
    assert 0 < len([group for group in gathered if group != ":rollback"]) < len(all_checks())
    assert warm.readiness == scratch.readiness
    # log_metric moved from line 5 to 9
    assert '{"path": "train.py", "line": 9, "cell": null, "why": "calls `mlflow.log_metric`' in json.dumps(warm.readiness)
    gathered.clear()
    assert scan_all(root, cache_dir=cache, now=now + 1).readiness == scratch.readiness  # and stored: a warm scan
    assert gathered == []


def test_a_stored_gathering_whose_questions_cannot_be_asked_is_gathered_again_not_a_crash(tmp_path):
    """A readiness entry is mlaudit's own JSON, but a damaged one (a question that names no
    question of the index, a pattern that does not compile, the wrong shape) must mean "gather
    again", never a scan that fails."""
    from auditor.scan.incremental import reusable_gathering

    root = make_repo(tmp_path / "r", TRACKED)
    project = scan_all(root, now=1_800_000_000.0).project
    facts = {path: "now" for path in ("helpers.py", "train.py")}
    before = {"helpers.py": "then", "train.py": "now"}  # helpers.py changed: its questions are asked again
    for question in (json.dumps(["__class__", [], {}]), json.dumps(["defs", [{"__re__": ["(", 0]}], {}]),
                     json.dumps(["calls", ["mlflow"]]), json.dumps(["calls", ["mlflow"], []]), "not json", 7):
        stored = {"gathered": {"checks": {}}, "questions": {":R-TRACE-02": [question]}, "modules": {},
                  "facts": before}
        assert reusable_gathering(project, stored, facts) is None
    asked = {":R-TRACE-02": [json.dumps(["calls", ["mlflow.log_metric"], {}])]}
    stored = {"gathered": {"checks": {}}, "questions": asked, "modules": {}, "facts": before}
    assert reusable_gathering(project, stored, facts).stale == set()  # helpers.py calls nothing asked about


def test_a_module_outside_a_questions_paths_has_no_part_in_its_answer(tmp_path):
    """A question restricted to some modules (one of the index's groups, by name, or a list the
    check made) records the part of those modules only, and asking it again of one module gives
    the same part: a test module's calls do not tie it to a check of production code."""
    from auditor.readiness.index import Index, Questions, module_answers

    root = make_repo(tmp_path / "r", {**TRACKED, "tests/test_train.py": "import mlflow\n\n\ndef helper():\n"
                                      "    mlflow.log_metric('x', 1)\n"})
    project = scan_all(root, now=1_800_000_000.0).project
    questions = Questions()
    index = Index(project, questions=questions)
    questions.group = ":check"
    assert [ev.path for ev in index.calls("mlflow.log_metric", paths=index.source_paths)] == ["train.py"]
    assert [ev.path for ev in index.calls("mlflow.log_metric", paths=["tests/test_train.py"])] == ["tests/test_train.py"]
    digests = questions.module_digests()
    asked = {group: list(found) for group, found in questions.asked.items()}
    assert '"source_paths"' in asked[":check"][0]  # kept by name, not as the list
    usage, cells = project.fact("usage"), {}
    for path in ("train.py", "tests/test_train.py", "helpers.py"):
        assert module_answers(project, asked, path, usage[path], cells) == digests.get(path, {})
    assert digests.keys() == {"train.py", "tests/test_train.py"}
    moved = {**usage["tests/test_train.py"], "calls": {"mlflow.log_metric": 9}}  # its call moved down
    assert module_answers(project, asked, "tests/test_train.py", moved, cells) != digests["tests/test_train.py"]
    only_named = {":check": asked[":check"][:1]}  # the production check alone: the test module has no part
    assert module_answers(project, only_named, "tests/test_train.py", moved, cells) == {}


def test_a_fact_kind_whose_value_is_null_is_loaded_from_the_cache_not_analysed_again(tmp_path, monkeypatch):
    from auditor.scan import engine

    root = make_repo(tmp_path / "r", PROJECT, ages={"train.py": 5, "helpers.py": 5, "requirements.txt": 5})
    cache = tmp_path / "cache"
    scan_all(root, cache_dir=cache)
    db = sqlite3.connect(cache / "cache.sqlite")
    nulls = db.execute("SELECT count(*) FROM entries WHERE kind='facts' AND value='null'").fetchone()[0]
    db.close()
    assert nulls  # extractors that find nothing in a module (setup_requires) say null
    analysed = []
    real = engine._analyse
    monkeypatch.setattr(engine, "_analyse", lambda jobs, *a: analysed.extend(j.path for j in jobs) or real(jobs, *a))
    (root / "requirements.txt").write_text("pandas\nnumpy\n")  # the project phase runs again
    warm = scan_all(root, cache_dir=cache)
    assert not warm.cache["project_phase_reused"] and analysed == []


def test_a_scan_answered_from_the_cache_loads_no_rule_module(tmp_path):
    """What keeps a warm scan fast: the rules, the readiness checks and YAML are not even imported."""
    import subprocess
    import sys

    root = make_repo(tmp_path / "r", {**FILES, "params.yaml": "lr: 0.1\n"}, ages={"a.py": 3})
    probe = ("import sys\nfrom auditor.cli.main import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.startswith(('auditor.rules.', 'auditor.readiness.', 'yaml'))))")
    command = [sys.executable, "-c", probe, "scan", str(root), "--cache-dir", str(tmp_path / "cache"), "-q",
               "--format", "json", "-o", str(tmp_path / "out.json")]
    cold = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    warm = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    assert "auditor.rules." in cold
    assert warm.strip() == "[]"


def test_modules_enter_the_project_model_in_file_order_whichever_came_from_the_cache(tmp_path):
    """Rules that report the first of several places (an entry point "named in" a module) must
    say the same on a cold scan, where workers return modules in batches, and on a warm one."""
    from auditor.scan.engine import _fact_store
    from auditor.scan.worker import SourceJob, SourceResult

    jobs = [SourceJob(p, p, False, p[:-3], [], {}, 1000) for p in ("a.py", "b.py", "c.py")]
    cached = SourceResult("c.py", facts={"symbols": {}}, fact_names=["symbols"])  # as the cache gives it
    fresh = [SourceResult("b.py", fact_texts={"symbols": "{}"}), SourceResult("a.py", fact_texts={"symbols": "{}"})]
    store = _fact_store([cached], fresh, jobs, ResultCache(tmp_path), {"c.py": "key"}, {}, None)
    assert store.paths() == ["a.py", "b.py", "c.py"]
    assert list(store.kind("symbols")) == ["a.py", "b.py", "c.py"]


def test_a_project_rule_that_raises_keeps_its_error_and_the_cache_of_the_rest(tmp_path, monkeypatch):
    """A rule that raises on these facts raises again on them: its error is stored with the phase's
    findings, so a warm scan reports it (exit 3) without running the project phase again."""
    from auditor import registry
    from auditor.ci.gate import exit_code

    def explode(self, project):
        raise RuntimeError("boom in a project rule")

    monkeypatch.setattr(registry.all_rules()["ML154"], "check", explode)
    root = make_repo(tmp_path / "r", PROJECT, ages={"train.py": 5, "helpers.py": 5, "requirements.txt": 5})
    cache = tmp_path / "cache"
    now = 1_800_000_000.0
    cold = scan_all(root, cache_dir=cache, now=now)
    assert [e["rule"] for e in cold.errors] == ["ML154"] and exit_code(cold) == 3
    whole = scan_all(root, cache_dir=cache, now=now)
    assert whole.cache["whole_scan_reused"] and [e["rule"] for e in whole.errors] == ["ML154"]
    with open(root / "helpers.py", "a") as handle:
        handle.write("# TODO: a note at the end\n")  # facts unchanged: the project phase is reused
    warm = scan_all(root, cache_dir=cache, now=now)
    assert warm.cache["project_phase_reused"] and not warm.cache["whole_scan_reused"]
    assert [e["rule"] for e in warm.errors] == ["ML154"] and exit_code(warm) == 3
    assert [f.to_json() for f in warm.findings if f.path != "helpers.py"] == \
        [f.to_json() for f in cold.findings if f.path != "helpers.py"]


def test_findings_stored_in_parts_come_back_whole_and_a_lost_part_is_a_miss(tmp_path, monkeypatch):
    """A scan's findings are cached a few at a time (a single entry for 400,000 findings held them
    three times over); read back they are the same findings, and one lost part means scanning
    again, never a report with findings missing."""
    import auditor.scan.cache as cache_module

    monkeypatch.setattr(cache_module, "ROWS_PER_PART", 1)
    root = make_repo(tmp_path / "r", PROJECT, ages={"train.py": 5, "helpers.py": 5, "requirements.txt": 5})
    cache = tmp_path / "cache"
    now = 1_800_000_000.0
    cold = scan_all(root, cache_dir=cache, now=now)
    assert len(cold.findings) >= 3
    warm = scan_all(root, cache_dir=cache, now=now)
    assert warm.cache["whole_scan_reused"] and everything(warm) == everything(cold)
    db = sqlite3.connect(cache / "cache.sqlite")
    parts = [k for (k,) in db.execute("SELECT key FROM entries WHERE kind='scan' AND key LIKE '%#findings#%'")]
    assert len(parts) == len(cold.findings)
    db.execute("DELETE FROM entries WHERE kind='scan' AND key=?", (sorted(parts)[1],))
    db.commit()
    db.close()
    again = scan_all(root, cache_dir=cache, now=now)
    assert not again.cache["whole_scan_reused"] and everything(again) == everything(cold)


def test_many_entries_read_together_are_the_entries_read_one_by_one(tmp_path):
    """``get_many_encoded`` (how a scan reads a fact kind of every cached module): more keys than
    one query takes, a missing key left out, an entry edited outside mlaudit refused."""
    cache = ResultCache(tmp_path / "cache")
    keys = [f"module{n}.py" for n in range(1200)]
    for n, key in enumerate(keys):
        cache.put("facts", key, {"n": n})
    cache.close()
    db = sqlite3.connect(tmp_path / "cache" / "cache.sqlite")
    db.execute("UPDATE entries SET value=? WHERE key=?", (json.dumps({"n": -1}), keys[700]))
    db.commit()
    db.close()
    cache = ResultCache(tmp_path / "cache")
    found = dict(cache.get_many_encoded("facts", [*keys, "absent.py"]))
    assert set(found) == set(keys) - {keys[700]}
    assert all(found[key] == cache.get_encoded("facts", key) for key in keys[::97] if key != keys[700])
    assert json.loads(found[keys[1199]]) == {"n": 1199}
    assert cache.forged == 1
    cache.close()


DOCUMENTED = {
    **PROJECT,
    "README.md": "# Project\n\nRun `python train.py --epochs 3`:\n\n```bash\npython train.py --epochs 3\n```\n\n"
                 "| flag | use |\n|---|---|\n| `--epochs` | passes |\n\n![plot](docs/plot.png) and [guide](docs/guide.rst)\n",
    "docs/guide.rst": "Guide\n=====\n\nSee `the readme <../README.md>`_.\n\n.. code-block:: bash\n\n   python helpers.py\n",
}


def test_documents_parsed_once_are_read_back_as_parsed(tmp_path):
    """A document's parse, kept in the cache, is the parse: every part of it comes back."""
    from auditor.model.docs import document_from_json, document_to_json, parse_document
    from auditor.model.rst import parse_rst

    for parsed in (parse_document(DOCUMENTED["README.md"]), parse_rst(DOCUMENTED["docs/guide.rst"])):
        assert parsed.blocks or parsed.links
        assert document_from_json(json.loads(json.dumps(document_to_json(parsed)))) == parsed
    markdown = parse_document(DOCUMENTED["README.md"])
    assert markdown.rows and markdown.headings and markdown.spans and any(link.image for link in markdown.links)


def test_a_code_edit_runs_the_doc_rules_again_without_parsing_a_document_again(tmp_path, monkeypatch):
    import auditor.model.docs as docs
    import auditor.model.project as project_model

    root = make_repo(tmp_path / "r", DOCUMENTED)
    cache = tmp_path / "cache"
    now = 1_800_000_000.0
    parsed: list[str] = []
    real = docs.parse_document

    def counting(text):
        parsed.append(text[:10])
        return real(text)

    monkeypatch.setattr(project_model, "parse_document", counting)
    scan_all(root, cache_dir=cache, now=now)
    assert parsed  # the cold scan parsed the README
    (root / "train.py").write_text(DOCUMENTED["train.py"].replace("def unused_helper", "def renamed_helper"))
    parsed.clear()
    warm = scan_all(root, cache_dir=cache, now=now)
    assert not warm.cache["project_phase_reused"] and parsed == []
    assert everything(warm) == everything(scan_all(root, now=now))
    (root / "README.md").write_text(DOCUMENTED["README.md"].replace("--epochs 3", "--epochs 4"))
    parsed.clear()
    scan_all(root, cache_dir=cache, now=now)
    assert len(parsed) == 1  # the edited document only


def test_a_damaged_document_entry_is_parsed_again(tmp_path):
    root = make_repo(tmp_path / "r", DOCUMENTED)
    cache = tmp_path / "cache"
    now = 1_800_000_000.0
    cold = scan_all(root, cache_dir=cache, now=now)
    db = sqlite3.connect(cache / "cache.sqlite")
    assert db.execute("SELECT count(*) FROM entries WHERE kind='doc'").fetchone()[0] == 2
    db.execute("UPDATE entries SET value=? WHERE kind='doc'", (json.dumps({"blocks": "no"}),))
    db.commit()
    db.close()
    (root / "train.py").write_text(DOCUMENTED["train.py"] + "\n\ndef added():\n    return 4\n")
    warm = scan_all(root, cache_dir=cache, now=now)
    assert everything(warm) == everything(scan_all(root, now=now))
    assert {f.rule for f in warm.findings} >= {f.rule for f in cold.findings if f.rule.startswith("ML70")}


def test_a_code_edit_runs_again_only_the_project_rules_that_read_what_it_changed(tmp_path, monkeypatch):
    """A function added changes its module's symbols, seeds and usage, not its model loads or the
    documents: the dead-code rules run again, the model and stale-doc rules are answered from the
    cache, and the report is the report of a scan from nothing."""
    from auditor.scan import project_phase

    files = {**DOCUMENTED, "serve.py": "import joblib\n\nmodel = joblib.load('models/churn.pkl')\n"}
    root = make_repo(tmp_path / "r", files)
    cache = tmp_path / "cache"
    now = 1_800_000_000.0
    scan_all(root, cache_dir=cache, now=now)
    ran: list[str] = []
    real = project_phase.run_rules
    monkeypatch.setattr(project_phase, "run_rules", lambda rules, *a: ran.extend(r.id for r in rules) or real(rules, *a))
    (root / "helpers.py").write_text(files["helpers.py"].replace("def also_unused", "def added():\n    return 4\n\n\n"
                                                                 "def also_unused"))
    warm = scan_all(root, cache_dir=cache, now=now)
    assert "ML101" in ran and "ML303" not in ran and "ML702" not in ran
    assert {"ML303", "ML702"} <= {f.rule for f in warm.findings} and any(f.symbol == "added" for f in warm.findings)
    assert 0 < warm.cache["project_rules_reused"] == warm.cache["project_rules"] - len(ran)
    from auditor.report.text import _cache_note
    assert f"{warm.cache['project_rules_reused']} of {warm.cache['project_rules']} project-wide rules reused" \
        in _cache_note(warm.cache)
    assert everything(warm) == everything(scan_all(root, now=now))


def test_a_rule_that_uses_a_graph_another_rule_built_depends_on_the_facts_it_was_built_from(tmp_path):
    """ML608 reads the rows passed between modules itself, and uses the program graph that ML101
    built from the symbols: its findings are kept under both kinds."""
    root = make_repo(tmp_path / "r", DOCUMENTED)
    cache = tmp_path / "cache"
    scan_all(root, cache_dir=cache, now=1_800_000_000.0)
    db = sqlite3.connect(cache / "cache.sqlite")
    reads = [json.loads(value) for (value,) in db.execute("SELECT value FROM entries WHERE kind='rule-reads'")]
    db.close()
    assert reads and all(isinstance(kinds, list) for kinds in reads)
    assert any("symbols" in kinds and "rows_passed_on" in kinds for kinds in reads)  # ML608's
    assert any(kinds == [] for kinds in reads)  # a rule that reads no facts (ML702: documents only)


def test_a_scan_session_keeps_the_cache_open_and_its_edges_decoded_between_scans(tmp_path, monkeypatch):
    """The language server's scans: one open cache, written through after each scan (another
    process sees the entries), and the graph's edges of the last scan kept decoded, not read back."""
    from auditor.config import load_config
    from auditor.scan.engine import ScanSession, scan

    root = make_repo(tmp_path / "r", DOCUMENTED)
    session = ScanSession(tmp_path / "cache")
    config = load_config(root)
    now = 1_800_000_000.0
    first = scan(root, config, now=now, session=session, keep_analyses=False)
    assert len(session.edges) == 2  # train.py, helpers.py
    other = ResultCache(tmp_path / "cache")
    assert other.get_encoded("edges", next(iter(session.edges))) is not None
    other.close()
    read: list[str] = []  # the kind of each entry looked up, one at a time or read ahead
    real_get, real_get_many = ResultCache.get, ResultCache.get_many_encoded
    monkeypatch.setattr(ResultCache, "get", lambda self, kind, key: read.append(kind) or real_get(self, kind, key))
    monkeypatch.setattr(ResultCache, "get_many_encoded",
                        lambda self, kind, keys: read.extend([kind] * len(keys)) or real_get_many(self, kind, keys))
    (root / "helpers.py").write_text(DOCUMENTED["helpers.py"] + "\n\ndef added():\n    return 4\n")
    second = scan(root, config, now=now, session=session, keep_analyses=False)
    assert read.count("edges") == 1  # helpers.py's, new, looked up and resolved; train.py's came from memory
    assert session.cache is not None and len(session.edges) == 2
    assert everything(second) == everything(scan_all(root, now=now))
    assert everything(first) != everything(second)
    # the whole result is written once the session settles (after the editor has the findings)
    session.settle()
    again = scan_all(root, cache_dir=tmp_path / "cache", now=now)
    assert again.cache["whole_scan_reused"] and everything(again) == everything(second)
    session.close()


def test_a_scan_session_decodes_only_the_facts_of_the_modules_that_changed(tmp_path):
    """The language server's re-check takes every unchanged module's facts as its last scan decoded
    them. They are shared between scans, so no rule or analysis may change them: each kept value
    still encodes to the digest it was kept under after every rule of the demo ran twice."""
    from auditor.config import load_config
    from auditor.demo import build_demo
    from auditor.model.factstore import encode_facts, kind_digests
    from auditor.scan.engine import _LIGHT_FACTS, ScanSession, scan

    root = tmp_path / "demo"
    build_demo(root, now=1_799_000_000.0)
    session = ScanSession(tmp_path / "cache")
    config = load_config(root)
    now = 1_800_000_000.0
    scan(root, config, now=now, session=session, keep_analyses=False)
    first = dict(session.facts)
    edited = "src/churn/features.py"
    assert (edited, "symbols") in first and len({path for path, _ in first}) > 3
    with (root / edited).open("a") as module:
        module.write("\n\ndef added_later(frame):\n    return frame\n")
    second = scan(root, config, now=now, session=session, keep_analyses=False)
    assert everything(second) == everything(scan_all(root, now=now))
    assert session.facts[(edited, "symbols")][0] != first[(edited, "symbols")][0]
    unchanged = [key for key in first if key[0] != edited]
    # (the light kinds come decoded with each cached module's findings, not from the memo)
    unchanged = [(path, kind) for path, kind in unchanged if kind not in _LIGHT_FACTS]
    assert unchanged and all(session.facts[key][1] is first[key][1] for key in unchanged)
    for (path, kind), (digest, value) in session.facts.items():
        assert kind_digests(encode_facts({kind: value}))[kind] == digest, (path, kind)
    (root / edited).unlink()
    scan(root, config, now=now, session=session, keep_analyses=False)
    assert not any(path == edited for path, _ in session.facts)
    session.close()


def test_a_folder_the_scan_lists_but_does_not_read_is_part_of_every_key(tmp_path):
    """A link to a folder added, no file changed: the README's link into it is no longer broken,
    and a cached scan must say so (it kept the old ML702 finding when unread paths were in no key)."""
    files = {"README.md": "# P\n\nSee [the notes](data/sub/notes.md).\n", "a.py": "x = 1\n"}
    root = make_repo(tmp_path / "r", files)
    cache = tmp_path / "cache"
    now = 1_800_000_000.0
    assert [f.rule for f in scan_all(root, cache_dir=cache, now=now).findings if f.rule == "ML702"] == ["ML702"]
    (tmp_path / "outside" / "sub").mkdir(parents=True)
    (root / "data").symlink_to(tmp_path / "outside", target_is_directory=True)
    warm = scan_all(root, cache_dir=cache, now=now)
    assert "data" in warm.project.unlisted
    assert everything(warm) == everything(scan_all(root, now=now))
    assert not any(f.rule == "ML702" for f in warm.findings)


def _entries(cache_dir):
    db = sqlite3.connect(cache_dir / "cache.sqlite")
    rows = db.execute("SELECT kind, key, value FROM entries").fetchall()
    assert db.execute("SELECT count(*) FROM used").fetchone()[0] == len(rows)  # one mark per entry
    generation = db.execute("SELECT value FROM meta WHERE name='generation'").fetchone()
    db.close()
    return rows, int(generation[0]) if generation else 0


def test_entries_no_recent_scan_used_are_deleted_and_the_current_state_is_kept(tmp_path, monkeypatch):
    """Edit after edit, the cache keeps the current state of every module (all its kinds of facts,
    its edges, the documents' parses), whether a scan read them or not, and loses the versions and
    whole results of states more than KEEP_GENERATIONS computing scans old (KEEP_WHOLE_RESULTS for
    whole results); warm scans that only read a whole result back do not count as a generation."""
    import auditor.scan.cache as cache_module

    monkeypatch.setattr(cache_module, "KEEP_GENERATIONS", 4)
    monkeypatch.setattr(cache_module, "KEEP_WHOLE_RESULTS", 2)
    root = make_repo(tmp_path / "r", DOCUMENTED)
    cache = tmp_path / "cache"
    now = 1_800_000_000.0
    scan_all(root, cache_dir=cache, now=now)
    for number in range(8):
        with open(root / "train.py", "a") as handle:
            if number % 2:
                handle.write(f"\n\ndef added_{number}(value):\n    return value\n")  # the graph and dead code again
            else:
                handle.write(f"# note {number}\n")  # the project phase reused: no edges or facts read
        scan_all(root, cache_dir=cache, now=now)
    rows, generation = _entries(cache)
    assert generation == 9
    db = sqlite3.connect(cache / "cache.sqlite")
    free, pages = db.execute("PRAGMA freelist_count").fetchone()[0], db.execute("PRAGMA page_count").fetchone()[0]
    assert free * 4 <= pages  # swept pages are reused, and given back once they are a quarter of the file
    db.close()
    versions = [key for kind, key, value in rows if kind == "source" and json.loads(value)["path"] == "train.py"]
    assert len(versions) == 5  # written by generations 5 to 9: the older ones are gone
    assert len([1 for kind, key, _ in rows if kind == "scan" and "#" not in key]) == 3  # generations 7 to 9
    [(helpers_key, helpers)] = [(key, json.loads(value)) for kind, key, value in rows
                                if kind == "source" and json.loads(value)["path"] == "helpers.py"]
    kept_kinds = {key.split(":", 1)[1] for kind, key, _ in rows if kind == "facts" and key.startswith(helpers_key)}
    assert kept_kinds == set(helpers["fact_names"]) and len(kept_kinds) > 5
    assert any(kind == "doc" for kind, _, _ in rows)
    for _ in range(6):  # nothing changed: a whole result read back, no new generation
        assert scan_all(root, cache_dir=cache, now=now).cache["whole_scan_reused"]
    assert _entries(cache)[1] == 9
    with open(root / "train.py", "a") as handle:
        handle.write("\n\ndef added_last(value):\n    return value\n")
    edited = scan_all(root, cache_dir=cache, now=now)
    assert edited.cache["analysed"] == 1 and edited.cache["hits"] == 1
    assert edited.cache["project_rules_reused"] > 0
    assert everything(edited) == everything(scan_all(root, now=now))


def test_a_sweep_that_frees_much_of_the_file_gives_the_space_back(tmp_path):
    """Entries of an older mlaudit (no scan uses them again) are swept, and once a quarter of the
    file is free it shrinks; a marked entry survives every sweep."""
    import auditor.scan.cache as cache_module

    cache = ResultCache(tmp_path)
    for number in range(300):
        cache.put("facts", f"old{number}", "x" * 4000)
    cache.put("facts", "current", "kept")
    cache.end_scan(computed=True)

    def pages():
        db = sqlite3.connect(tmp_path / "cache.sqlite")
        found = db.execute("PRAGMA page_count").fetchone()[0], db.execute("PRAGMA freelist_count").fetchone()[0]
        db.close()
        return found

    full, _ = pages()
    for _ in range(cache_module.KEEP_GENERATIONS + 1):
        assert cache.get("facts", "current") == "kept"  # read: marked by this generation
        cache.end_scan(computed=True)
    assert cache.get("facts", "old0") is None
    size, free = pages()
    assert free == 0 and size * 10 < full
    cache.close()
