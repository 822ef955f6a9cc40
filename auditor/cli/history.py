"""``mlaudit history`` and ``mlaudit report``: record scans, backfill past commits, render the
periodic team report for one repository or a fleet."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

DEFAULT_HISTORY = Path(".mlaudit") / "history.sqlite"


def _fail(message: str) -> None:
    click.echo(f"mlaudit: error: {message}", err=True)
    sys.exit(2)


def history_path(root: Path, explicit: Path | None) -> Path:
    """``--history PATH``, else ``.mlaudit/history.sqlite`` in the scanned repository."""
    if explicit is not None:
        return explicit
    base = root if root.is_dir() else root.parent
    return base / DEFAULT_HISTORY


def record_scan(result, root: Path, explicit: Path | None) -> Path:
    """Store a finished scan in the history (``mlaudit scan --record``)."""
    from auditor.history.store import History, HistoryError, record_from_json, repo_identity
    from auditor.report.json_report import result_to_dict

    path = history_path(root, explicit)
    try:
        with History(path) as history:
            record = record_from_json(result_to_dict(result),
                                      repo=result.repository or repo_identity(result.git.remote_url, root),
                                      scanned_at=result.started, source="scan")
            history.record(record)
    except HistoryError as exc:
        _fail(str(exc))
    return path


@click.group("history")
def history_group() -> None:
    """Recorded scans: list them, or backfill past commits."""


@history_group.command("backfill")
@click.argument("path", default=".", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--since", "since_text", default="180d", show_default=True, help="How far back: 30d, 12w, 6m, 1y.")
@click.option("--every", "every_text", default="1w", show_default=True, help="One commit per interval: 1d, 1w, 1m.")
@click.option("--history", "explicit", type=click.Path(path_type=Path, dir_okay=False),
              help="History file (default: .mlaudit/history.sqlite in PATH).")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False))
def backfill_command(path: Path, since_text: str, every_text: str, explicit: Path | None,
                     config_path: Path | None, cache_dir: Path | None) -> None:
    """Scan past commits of PATH from git's objects (the work tree is never touched) and record
    them. Commits already recorded are skipped; unchanged files are reused from the cache."""
    from auditor.cli.settings import load_config
    from auditor.config import ConfigError
    from auditor.history.backfill import BackfillError, backfill, parse_duration
    from auditor.history.store import History, HistoryError, repo_identity
    from auditor.model.gitinfo import read_history
    from auditor.scan.cache import default_cache_dir

    try:
        since, every = parse_duration(since_text), parse_duration(every_text)
        config = load_config(path, config_path)
    except (ValueError, ConfigError) as exc:
        _fail(str(exc))
    repo_name = repo_identity(read_history(path).remote_url, path)
    started = time.perf_counter()
    try:
        with History(history_path(path, explicit)) as history:
            recorded = backfill(path, config, history, repo_name, since=since, every=every,
                                cache_dir=cache_dir or default_cache_dir(path),
                                progress=lambda line: click.echo(line, err=True))
    except (BackfillError, HistoryError) as exc:
        _fail(str(exc))
    click.echo(f"mlaudit: recorded {len(recorded)} past scan(s) of {repo_name} in "
               f"{time.perf_counter() - started:.1f}s", err=True)


@history_group.command("list")
@click.argument("path", default=".", type=click.Path(path_type=Path, exists=True))
@click.option("--history", "explicit", type=click.Path(path_type=Path, dir_okay=False))
def list_command(path: Path, explicit: Path | None) -> None:
    """Print the recorded scans, oldest first."""
    from auditor.history.store import History, HistoryError

    try:
        with History(history_path(path, explicit), create=False) as history:
            records = history.scans(with_findings=False)
    except HistoryError as exc:
        _fail(str(exc))
    for r in records:
        day = time.strftime("%Y-%m-%d %H:%M", time.gmtime(r.scanned_at))
        score = f"{r.score:5.1f} {r.grade}" if r.score is not None else "    -  "
        click.echo(f"{day}  {r.repo:<40} {(r.commit_sha or '-')[:10]:<10}  {score}  {r.source}")


def _load_sources(histories: tuple[Path, ...], results: tuple[Path, ...]) -> dict[str, list]:
    from auditor.history.store import History, HistoryError, record_from_json

    by_repo: dict[str, list] = {}
    for path in histories:
        with History(path, create=False) as history:
            for record in history.scans():
                by_repo.setdefault(record.repo, []).append(record)
    for directory in results:
        files = sorted(directory.rglob("*.json")) if directory.is_dir() else [directory]
        for file in files:
            try:
                data = json.loads(file.read_text(encoding="utf-8"))
                record = record_from_json(data, scanned_at=data.get("scanned_at_epoch") or file.stat().st_mtime,
                                          fallback_name=file.stem)
            except (OSError, ValueError, HistoryError) as exc:
                click.echo(f"mlaudit: skipped {file}: {exc}", err=True)
                continue
            by_repo.setdefault(record.repo, []).append(record)
    return by_repo


@click.command("report")
@click.argument("path", default=".", type=click.Path(path_type=Path, exists=True))
@click.option("--period", default="30d", show_default=True, help="The period the report covers, ending now.")
@click.option("--history", "histories", multiple=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="History file(s); several make a fleet view. Default: PATH's .mlaudit/history.sqlite.")
@click.option("--results", multiple=True, type=click.Path(path_type=Path, exists=True),
              help="A directory of JSON scan results (e.g. collected from many repositories' CI runs).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default="mlaudit-report.html",
              show_default=True, help="The HTML report.")
@click.option("--markdown", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write a Markdown digest (use '-' for standard output).")
@click.option("--title", default=None, help="Report title.")
def report_command(path: Path, period: str, histories: tuple[Path, ...], results: tuple[Path, ...], output: Path,
                   markdown: Path | None, title: str | None) -> None:
    """Render the periodic team report: trends, new and fixed debt, debt by owner."""
    from auditor.history.backfill import parse_duration
    from auditor.history.store import HistoryError
    from auditor.history.team import build_report, render_team_html, render_team_markdown
    from auditor.report.outputs import write_atomically

    try:
        span = parse_duration(period)
    except ValueError as exc:
        _fail(str(exc))
    if not histories and not results:
        histories = (history_path(path, None),)
    try:
        by_repo = _load_sources(histories, results)
    except HistoryError as exc:
        _fail(str(exc))
    if not by_repo:
        _fail("no recorded scans found (record some with `mlaudit scan --record` or `mlaudit history backfill`)")
    end = time.time()
    report = build_report(by_repo, end - span, end,
                          title or ("mlaudit fleet report" if len(by_repo) > 1 else f"mlaudit report: {next(iter(by_repo))}"))
    write_atomically(output, render_team_html(report))
    click.echo(f"mlaudit: wrote {output} ({len(by_repo)} repositor{'y' if len(by_repo) == 1 else 'ies'})", err=True)
    if markdown is not None:
        text = render_team_markdown(report)
        if str(markdown) == "-":
            click.echo(text, nl=False)
        else:
            write_atomically(markdown, text)
