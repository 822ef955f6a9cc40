"""History, backfill, the period report and the fleet view, end to end on repositories with
back-dated history built in the test."""

import json
import multiprocessing
import sqlite3

import pytest
from click.testing import CliRunner

from auditor.cli.main import main
from auditor.config import build_config
from auditor.history.backfill import backfill, parse_duration, pick_commits
from auditor.history.store import SCHEMA_VERSION, History, HistoryError, ScanRecord, repo_identity
from auditor.history.team import build_report, render_team_html, summarise_repo
from auditor.testing import DAY, git, make_repo

CONFIG = build_config({"select": ["ML401", "ML001"]}, "test", {})


def record(t, fingerprints, score=50.0, repo="org/repo", **extra):
    findings = [{"fingerprint": fp, "rule": "ML401", "category": "undocumented-hack", "severity": "low",
                 "path": path, "line": 1, "message": f"TODO {fp}", "owners": owners, "evidence": extra.get(fp, {})}
                for fp, path, owners in fingerprints]
    return ScanRecord(repo=repo, scanned_at=t, commit_sha=f"c{t}", branch="main", tool_version="0", source="scan",
                      score=score, grade="D", rollback_minutes=30, python_lines=100,
                      dimensions={"traceability": score}, findings=findings)


def test_record_and_read_back(tmp_path):
    with History(tmp_path / "h.sqlite") as history:
        history.record(record(1000.0, [("a", "x.py", ["@team"]), ("b", "y.py", [])]))
        (back,) = history.scans()
    assert back.score == 50.0 and back.dimensions == {"traceability": 50.0}
    assert {f["fingerprint"] for f in back.findings} == {"a", "b"}
    assert back.counts("owner") == {"@team": 1, "(no owner)": 1}
    meta = sqlite3.connect(tmp_path / "h.sqlite").execute("SELECT value FROM meta").fetchone()
    assert meta == (str(SCHEMA_VERSION),)


def test_damaged_file_is_reported_and_left_untouched(tmp_path):
    path = tmp_path / "h.sqlite"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    before = path.read_bytes()
    with pytest.raises(HistoryError, match="left untouched"):
        History(path)
    assert path.read_bytes() == before


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "h.sqlite"
    History(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value='99' WHERE name='schema_version'")
    db.commit()
    db.close()
    with pytest.raises(HistoryError, match="newer mlaudit"):
        History(path)


def _writer(args):
    path, offset = args
    with History(path) as history:
        for i in range(15):
            history.record(record(offset + i, [(f"{offset}-{i}", "x.py", [])]))


def test_concurrent_writers_do_not_corrupt_the_file(tmp_path):
    path = tmp_path / "h.sqlite"
    History(path).close()
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        pool.map(_writer, [(path, 0), (path, 1000), (path, 2000)])
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("SELECT count(*) FROM scans").fetchone() == (45,)
    assert db.execute("SELECT count(*) FROM scan_findings").fetchone() == (45,)


def test_repo_identity_agrees_for_https_and_ssh(tmp_path):
    assert repo_identity("https://github.com/org/repo.git", tmp_path) == \
        repo_identity("git@github.com:org/repo.git", tmp_path) == "github.com/org/repo"
    assert repo_identity("https://user:token@gitlab.com/a/b", tmp_path) == "gitlab.com/a/b"
    assert repo_identity(None, tmp_path / "named") == "named"
    assert repo_identity("/srv/mirrors/org+repo/repo", tmp_path / "checkout") == "checkout"
    assert repo_identity("file:///srv/x.git", tmp_path / "checkout") == "checkout"


def test_period_summary_new_fixed_owners_and_growth():
    t0 = 100 * DAY
    records = [record(t0 - 40 * DAY, [("old", "a.py", ["@a"]), ("gone", "b.py", ["@b"])], score=40),
               record(t0 - 10 * DAY, [("old", "a.py", ["@a"]), ("gone", "b.py", ["@b"]), ("mid", "a.py", ["@a"])]),
               record(t0, [("old", "a.py", ["@a"]), ("mid", "a.py", ["@a"]), ("new", "a.py", ["@a"])], score=55,
                      old={"age_days": 300.0, "author": "Ann"})]
    summary = summarise_repo(records, t0 - 30 * DAY, t0)
    # compared with the last scan before the period: the one 40 days ago
    assert {f["fingerprint"] for f in summary["new"]} == {"mid", "new"}
    assert {f["fingerprint"] for f in summary["fixed"]} == {"gone"}
    assert summary["score_delta"] == 15
    assert summary["owners"][0] == {"owner": "@a", "now": 3, "delta": 2}
    assert summary["files_grew"][0] == ("a.py", 2, 3)
    assert summary["oldest_hacks"][0]["fingerprint"] == "old"
    assert [p["findings"] for p in summary["series"]] == [2, 3, 3]


def test_html_report_is_self_contained_and_escaped():
    t0 = 100 * DAY
    bad = record(t0, [("x", "<script>alert(1)</script>.py", ["@team"])])
    bad.findings[0]["message"] = "<script>alert('owned')</script>"
    html = render_team_html(build_report({"org/repo": [record(t0 - 5 * DAY, []), bad]}, t0 - 30 * DAY, t0, "T"))
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "<script" not in html  # the team report needs no script at all
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "") and "https://" not in html
    assert "<svg" in html and "polyline" in html


def test_fleet_view_from_a_directory_of_json_results(tmp_path):
    results = tmp_path / "results"
    for name, count in (("alpha", 1), ("beta", 3)):
        repo = make_repo(tmp_path / name, {f"f{i}.py": f"# TODO {i}\n" for i in range(count)}, ages={"f0.py": 1})
        git(repo, "remote", "add", "origin", f"https://github.com/org/{name}.git")
        out = results / f"{name}.json"
        CliRunner().invoke(main, ["scan", str(repo), "--select", "ML401", "--no-cache", "-o", f"json:{out}"])
        assert json.loads(out.read_text())["findings"]
    md = tmp_path / "digest.md"
    html = tmp_path / "fleet.html"
    done = CliRunner().invoke(main, ["report", str(tmp_path), "--results", str(results), "-o", str(html),
                                     "--markdown", str(md)])
    assert done.exit_code == 0, done.output
    digest = md.read_text()
    assert "| github.com/org/alpha |" in digest and "| github.com/org/beta |" in digest
    assert "Fleet" in html.read_text()


def test_backfill_reads_git_objects_reuses_results_and_skips_recorded_commits(tmp_path):
    now = 1_800_000_000.0
    root = make_repo(tmp_path / "r", {"a.py": "# TODO: one\n", "b.py": "x = 1\n"}, ages={"a.py": 60, "b.py": 60},
                     now=now)
    for age, text in ((40, "# TODO: one\n# FIXME: two\n"), (20, "# TODO: one\n# FIXME: two\n# XXX three\n")):
        (root / "a.py").write_text(text)
        git(root, "commit", "-qam", f"edit {age}", when=now - age * DAY)
    (root / "a.py").write_text("work in progress, not committed # TODO\n")
    status_before = git(root, "status", "--porcelain")
    picked = pick_commits(root, 90 * DAY, 14 * DAY, now=now)
    assert len(picked) == 3 and picked == sorted(picked, key=lambda c: c.time)
    with History(tmp_path / "h.sqlite") as history:
        first = backfill(root, CONFIG, history, "r", since=90 * DAY, every=14 * DAY, cache_dir=tmp_path / "c",
                         now=now)
        again = backfill(root, CONFIG, history, "r", since=90 * DAY, every=14 * DAY, cache_dir=tmp_path / "c",
                         now=now)
        scans = history.scans()
    assert again == []
    assert [len(s.findings) for s in scans] == [1, 2, 3]
    assert [use["analysed"] for _, use in first] == [2, 1, 1]  # b.py never changed: analysed once
    assert git(root, "status", "--porcelain") == status_before  # the work tree was never touched
    assert "not committed" in (root / "a.py").read_text()


def test_cli_scan_record_list_and_report(tmp_path):
    root = make_repo(tmp_path / "r", {"a.py": "# TODO: one\n"}, ages={"a.py": 3})
    runner = CliRunner()
    result = runner.invoke(main, ["scan", str(root), "--select", "ML401", "--no-cache", "--record"])
    assert result.exit_code == 0, result.output
    assert (root / ".mlaudit" / "history.sqlite").is_file()
    listing = runner.invoke(main, ["history", "list", str(root)])
    assert listing.exit_code == 0 and "scan" in listing.output
    report = runner.invoke(main, ["report", str(root), "-o", str(tmp_path / "t.html"), "--markdown", "-"])
    assert report.exit_code == 0, report.output
    assert "1 findings (" in report.output and (tmp_path / "t.html").is_file()


def test_cli_errors_are_clear(tmp_path):
    runner = CliRunner()
    bad = tmp_path / "h.sqlite"
    bad.write_bytes(b"garbage" * 100)
    result = runner.invoke(main, ["history", "list", str(tmp_path), "--history", str(bad)])
    assert result.exit_code == 2 and "left untouched" in result.output
    assert runner.invoke(main, ["history", "backfill", str(tmp_path), "--since", "soon"]).exit_code == 2
    assert "no history" in runner.invoke(main, ["history", "list", str(tmp_path)]).output


def test_durations():
    assert parse_duration("2w") == 14 * DAY and parse_duration("12h") == 12 * 3600
    with pytest.raises(ValueError):
        parse_duration("3 fortnights")


def test_a_version_1_history_migrates_forward_keeping_its_records(tmp_path):
    from auditor.history.store import MIGRATIONS

    path = tmp_path / "h.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT)")
    for statement in MIGRATIONS[1]:
        db.execute(statement)
    db.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    db.execute("INSERT INTO scans (repo, scanned_at, recorded_at, source, findings, python_lines)"
               " VALUES ('org/repo', 1.0, 1.0, 'scan', 1, 10)")
    db.execute("INSERT INTO scan_findings (scan_id, fingerprint, rule, path) VALUES (1, 'fp', 'ML401', 'a.py')")
    db.commit()
    db.close()
    with History(path) as history:
        (old,) = history.scans()
        assert old.findings[0]["fingerprint"] == "fp" and old.findings[0]["cell"] is None
        nb = record(2.0, [("nb", "x.ipynb", [])])
        nb.findings[0]["cell"] = 4
        history.record(nb)
        assert history.scans()[-1].findings[0]["cell"] == 4
    assert sqlite3.connect(path).execute("SELECT value FROM meta").fetchone() == (str(SCHEMA_VERSION),)


def test_a_missing_model_is_not_listed_among_the_stalest_models():
    t0 = 1_700_000_000.0
    latest = record(t0, [])
    latest.findings.extend([
        {"fingerprint": "stale", "rule": "ML301", "category": "stale-model", "severity": "medium", "path": "m.pkl",
         "line": None, "message": "old", "owners": [], "evidence": {"age_days": 400}},
        {"fingerprint": "missing", "rule": "ML303", "category": "stale-model", "severity": "high", "path": "serve.py",
         "line": 3, "message": "loads models/x.pkl, which is not there", "owners": [], "evidence": {}}])
    summary = summarise_repo([latest], t0 - 30 * DAY, t0)
    assert [f["fingerprint"] for f in summary["stale_models"]] == ["stale"]


def test_the_same_commit_and_configuration_recorded_twice_is_one_row(tmp_path):
    with History(tmp_path / "h.sqlite") as history:
        first = record(1000.0, [("a", "x.py", [])])
        first.settings = "cfg1"
        history.record(first)
        again = record(2000.0, [("a", "x.py", []), ("b", "y.py", [])])
        again.commit_sha, again.settings = first.commit_sha, "cfg1"
        history.record(again)
        other = record(3000.0, [("a", "x.py", [])])
        other.commit_sha, other.settings = first.commit_sha, "cfg2"  # another configuration: its own row
        history.record(other)
        rows = history.scans()
    assert [(r.scanned_at, len(r.findings)) for r in rows] == [(2000.0, 2), (3000.0, 1)]


def test_a_results_files_repository_is_named_never_by_the_folder_the_report_runs_in(tmp_path, monkeypatch):
    from auditor.history.store import record_from_json

    data = {"tool": {"name": "mlaudit", "version": "0"}, "root": ".", "findings": [], "git": {}}
    monkeypatch.chdir(tmp_path)
    assert record_from_json(data, fallback_name="churn-service").repo == "churn-service"
    assert record_from_json({**data, "git": {"remote_url": "git@github.com:org/churn.git"}},
                            fallback_name="x").repo == "github.com/org/churn"
    assert record_from_json({**data, "repository": "team/churn"}, fallback_name="x").repo == "team/churn"


def test_trend_charts_label_five_dates_and_tell_lines_apart_by_shape():
    from auditor.history.team import MARKERS, line_chart

    series = [{"t": 1_700_000_000 + day * 86400, "day": f"d{day}", "by_category": {"dead-code": day, "unpinned-seed": 2}}
              for day in range(0, 30, 3)]
    chart = line_chart(series, ["dead-code", "unpinned-seed"], lambda p, k: p["by_category"].get(k, 0))
    assert len(chart["x_ticks"]) == 5 and chart["x_ticks"][0]["label"] == "2023-11-14"
    assert [tick["anchor"] for tick in chart["x_ticks"]] == ["start", "middle", "middle", "middle", "end"]
    assert [line["marker"] for line in chart["lines"]] == list(MARKERS[:2])  # shapes, not only colours
