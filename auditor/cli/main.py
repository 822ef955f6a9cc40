"""The ``mlaudit`` command line. Exit codes: 0 clean (or the gate passed), 1 the gate failed
(auditor/ci/gate.py), 2 usage or configuration error, 3 internal error."""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

import click

from auditor import __version__, registry
from auditor.ci.baseline import BaselineError
from auditor.ci.gate import exit_code as gate_exit_code
from auditor.ci.gate import only_new
from auditor.ci.since import SinceError
from auditor.cli.history import history_group, record_scan, report_command
from auditor.cli.settings import load_config
from auditor.config import ConfigError, check_patterns
from auditor.finding import CATEGORIES, CONFIDENCES, SEVERITIES
from auditor.report import FORMATS
from auditor.scan.cache import default_cache_dir
from auditor.scan.engine import ScanError, scan


def _split(values: tuple[str, ...]) -> list[str] | None:
    items = [item.strip() for value in values for item in value.split(",") if item.strip()]
    return items or None


class _Progress:
    """A progress bar on stderr, drawn only on a terminal and only once a scan passes a second."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.monotonic()
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or time.monotonic() - self.start < 1.0:
            return
        width = 30
        filled = int(width * done / max(total, 1))
        sys.stderr.write(f"\rscanning [{'#' * filled}{'.' * (width - filled)}] {done}/{total} files")
        sys.stderr.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\r" + " " * 70 + "\r")
            sys.stderr.flush()


def _internal_error() -> None:
    import traceback  # only when something broke

    click.echo(traceback.format_exc(), err=True)
    _fail("internal error; please report it with the traceback above", 3)


def _fail(message: str, code: int) -> None:
    click.echo(f"mlaudit: error: {message}", err=True)
    sys.exit(code)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C but with its own exit code."""


def _on_sigterm(signum, frame) -> None:  # noqa: ARG001 -- the signal module's handler signature
    raise _Terminated()


class _Interruptible(click.Group):
    """Ctrl-C ends with exit code 130 and SIGTERM with 143 (the shells' 128 + signal number), with a
    one-line message and no traceback; reports are written whole or not at all (write_atomically)."""

    def invoke(self, ctx: click.Context):
        previous = signal.signal(signal.SIGTERM, _on_sigterm) if threading.current_thread() is threading.main_thread() \
            else None
        try:
            return super().invoke(ctx)
        except _Terminated:
            click.echo("mlaudit: terminated", err=True)
            ctx.exit(143)
        except KeyboardInterrupt:
            click.echo("mlaudit: interrupted", err=True)
            ctx.exit(130)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)


@click.group(cls=_Interruptible, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlaudit")
def main() -> None:
    """Audit a machine-learning repository for technical debt and operational readiness."""


def _scan_config(root: Path, config_path: Path | None, select: tuple[str, ...], ignore: tuple[str, ...],
                 exclude: tuple[str, ...], source_url_template: str | None, **overrides):
    """The configuration file's settings with the command line's on top; exits 2 on a mistake."""
    from auditor.report.links import template_problem

    try:
        config = load_config(root, config_path, **overrides)
        if select:
            config.select = _split(select)
        if ignore:
            config.ignore = config.ignore + (_split(ignore) or [])
        if exclude:
            check_patterns(list(exclude), "--exclude")
            config.exclude = config.exclude + list(exclude)
        registry.check_config(config, "command line")
        if source_url_template is not None:
            problem = template_problem(source_url_template)
            if problem:
                raise ConfigError(f"--source-url-template {problem}")
            config.source_url_template = source_url_template
    except ConfigError as exc:
        _fail(str(exc), 2)
    return config


def _write_reports(plan, result, *, verbose: bool, quiet: bool, color: str = "auto") -> None:
    from auditor.report import outputs as report_outputs

    for output in plan:
        text = report_outputs.render(result, output, verbose=verbose, quiet=quiet, color=color)
        if output.path is None:
            for piece in [text] if isinstance(text, str) else text:
                click.echo(piece, nl=False, color=True)  # render() decided; click would strip codes off a pipe
            continue
        try:
            report_outputs.write(output, text)
        except report_outputs.OutputError as exc:
            _fail(str(exc), 2)
        if not quiet:
            click.echo(f"mlaudit: wrote {output.fmt} report to {output.path} "
                       f"({len(result.findings)} findings)", err=True)


@main.command("scan")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)),
              help="Output format (default: text, or what the -o file name implies).")
@click.option("-o", "--output", "outputs", multiple=True, metavar="[FORMAT:]FILE",
              help="Write a report to FILE; repeat for several (-o html:report.html -o sarif:mlaudit.sarif). "
                   "Without FORMAT: --format, else the file's extension.")
@click.option("--source-url-template", metavar="URL",
              help="Links to the code in reports, with {path}, {line}, {commit}, {branch} "
                   "(default: from a GitHub or GitLab remote).")
@click.option("--select", multiple=True, help="Only these rules: ids, id prefixes (ML2), names or categories.")
@click.option("--ignore", multiple=True, help="Skip these rules: ids, id prefixes, names or categories.")
@click.option("--exclude", multiple=True, help="Skip paths matching this gitignore-style pattern.")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Read configuration from FILE instead of the scanned repository's pyproject.toml.")
@click.option("--fail-on", type=click.Choice([*SEVERITIES, "none"]),
              help="Gate: fail (exit 1) when a finding has this severity or higher (default high; none: off).")
@click.option("--fail-under", type=click.FloatRange(0, 100), metavar="SCORE",
              help="Gate: fail when the readiness score (0-100) is below SCORE.")
@click.option("--fail-on-category", multiple=True, type=click.Choice(CATEGORIES), metavar="CATEGORY",
              help="Gate: fail on any finding in CATEGORY (repeatable).")
@click.option("--min-severity", type=click.Choice(SEVERITIES),
              help="Leave out findings below this severity (default: info, or min-severity in the configuration).")
@click.option("--min-confidence", type=click.Choice(CONFIDENCES),
              help="Hide findings less certain than this (default: medium, or min-confidence in the configuration).")
@click.option("--exit-zero", is_flag=True, help="Report the gate but exit 0 when it fails (errors still exit 2/3).")
@click.option("--baseline", "baseline_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Report and gate only findings not in this baseline file (see `mlaudit baseline`).")
@click.option("--no-baseline", is_flag=True, help="Ignore the baseline named in the configuration.")
@click.option("--since", metavar="REF",
              help="Report and gate only findings not present at git REF (its merge base with HEAD); "
                   "'auto' takes the pull/merge-request base from GitHub Actions or GitLab CI.")
@click.option("--record", is_flag=True,
              help="Store this scan in the history for trends (see `mlaudit report`).")
@click.option("--name", "repository", metavar="NAME",
              help="The repository's name in the history and team report (default: its git remote, else its folder).")
@click.option("--history", "history_file", type=click.Path(path_type=Path, dir_okay=False),
              help="History file for --record (default: .mlaudit/history.sqlite in the scanned repository).")
@click.option("--jobs", "-j", type=click.IntRange(min=0), help="Worker processes (0: decide from the repository's size).")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Per-file result cache location (default: the user's cache directory, one folder per repository).")
@click.option("--no-cache", is_flag=True, help="Analyse every file afresh and store nothing.")
@click.option("--color", "color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Colour the text report: auto colours a terminal, honouring NO_COLOR and FORCE_COLOR.")
@click.option("--fix", "apply_fixes", is_flag=True, help="Apply the safe fixes first (mlaudit fix), then scan.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix: the unsafe fixes too.")
@click.option("-q", "--quiet", is_flag=True, help="Only the summary.")
@click.option("-v", "--verbose", is_flag=True, help="Evidence of each finding and every skipped file.")
@click.option("--watch", is_flag=True,
              help="Scan, then scan again whenever a file changes and print only what changed in the findings (Ctrl-C stops).")
@click.option("--watch-cycles", type=click.IntRange(min=1), hidden=True, help="With --watch: stop after N polls (tests).")
@click.option("--explain-dead", "explain_dead", multiple=True, metavar="NAME",
              help="Instead of the report, say why the dead-code analysis thinks NAME (a function, Class.method, "
                   "module or path.py::name) is used or unused: the roots it tried and the references it found.")
def scan_command(paths: tuple[Path, ...], fmt: str | None, outputs: tuple[str, ...], source_url_template: str | None,
                 select: tuple[str, ...], ignore: tuple[str, ...],
                 exclude: tuple[str, ...], config_path: Path | None, fail_on: str | None, fail_under: float | None,
                 fail_on_category: tuple[str, ...], min_severity: str | None, min_confidence: str | None,
                 exit_zero: bool,
                 baseline_file: Path | None, no_baseline: bool, since: str | None, record: bool, repository: str | None,
                 history_file: Path | None, jobs: int | None, cache_dir: Path | None, no_cache: bool, color: str,
                 apply_fixes: bool, unsafe_fixes: bool, quiet: bool, verbose: bool, watch: bool = False,
                 watch_cycles: int | None = None, explain_dead: tuple[str, ...] = ()) -> None:
    """Scan PATHS (default: the current directory) and report findings.

    A repository's root scans the repository. Files or folders inside a git repository are analysed
    with the whole repository (what is used, seeded or owned is a whole-program question) and only
    their findings are reported, without a readiness score: what pre-commit and editors pass.
    """

    if apply_fixes:
        run_fixes(paths, select, ignore, exclude, config_path, diff=False, unsafe=unsafe_fixes, add_ignore=None,
                  pin_from=None, cache_dir=cache_dir, no_cache=no_cache, verbose=False)
    path, scope = _scan_target(paths or (Path("."),))
    root = path if path.is_dir() or not path.exists() else path.parent
    config = _scan_config(root, config_path, select, ignore, exclude, source_url_template, fail_on=fail_on,
                          jobs=jobs, fail_under=fail_under, fail_on_category=list(fail_on_category) or None,
                          min_confidence=min_confidence, min_severity=min_severity)
    plan = _plan_outputs(fmt, outputs)
    # the explanation needs the whole program, not a scan answered from the cache
    cache_dir = _cache_dir(path, root, cache_dir, off=no_cache or bool(explain_dead))
    if baseline_file is not None and not no_baseline:
        _exclude_baseline(config, baseline_file, root)
    if watch:
        _watch(path, scope, config, cache_dir, plan, cycles=watch_cycles, verbose=verbose, quiet=quiet, color=color)
    progress = _Progress(enabled=sys.stderr.isatty() and not quiet)
    try:
        result = scan(path, config, progress=progress, display_root=str(path), cache_dir=cache_dir,
                      keep_analyses=bool(explain_dead))
        result.exit_zero = exit_zero
        result.repository = repository
        if record:  # the whole state, before any baseline or --since narrows the findings shown
            recorded = record_scan(result, root, history_file)
            if not quiet:
                click.echo(f"mlaudit: recorded this scan in {recorded}", err=True)
        baseline = None if no_baseline else (str(baseline_file) if baseline_file else
                                             str(root / config.baseline) if config.baseline else None)
        for note in only_new(result, root, baseline=baseline, since=since, cache_dir=cache_dir):
            click.echo(f"mlaudit: {note}", err=True)
    except (ScanError, BaselineError, SinceError) as exc:
        progress.close()
        _fail(str(exc), 2)
    except Exception:  # the last line of defence: say what broke, exit 3
        progress.close()
        _internal_error()
    progress.close()
    if explain_dead:
        _explain_dead(result, explain_dead)
        return
    _narrow(result, scope)
    _attach_planned_fixes(plan, result, root, cache_dir)
    _write_reports(plan, result, verbose=verbose, quiet=quiet, color=color)
    sys.exit(gate_exit_code(result))


def _watch(path: Path, scope: list[str] | None, config, cache_dir: Path | None, plan, *, cycles: int | None,
           verbose: bool, quiet: bool, color: str) -> None:
    """``scan --watch``: the first scan's report, then what changed in the findings after each
    change; Ctrl-C ends it with exit code 0 (stopping is how a watch ends)."""
    from auditor.scan.engine import ScanSession
    from auditor.server.watch import stamp, watch

    session = ScanSession(cache_dir)  # the cache stays open between the scans

    def scan_once():
        try:
            result = scan(path, config, display_root=str(path), keep_analyses=False, session=session)
        except ScanError as exc:
            raise ValueError(str(exc)) from None
        _narrow(result, scope)
        return result

    root = path if path.is_dir() else path.parent
    first: list = []

    def scan_and_report():
        result = scan_once()
        if not first:  # the first scan in full, as without --watch
            first.append(result)
            _write_reports(plan, result, verbose=verbose, quiet=quiet, color=color)
            click.echo(f"mlaudit: watching {path} for changes (Ctrl-C stops)", err=True)
        return result

    try:
        def poll():
            session.settle()  # the last scan's cache writes, once its findings are out
            return stamp(root, config.exclude)

        watch(scan_and_report, poll, click.echo, cycles=cycles, interval=0.5)
    except ValueError as exc:  # the first scan could not run
        _fail(str(exc), 2)
    except _Terminated:
        raise  # SIGTERM still ends with 143
    except KeyboardInterrupt:
        pass
    finally:
        session.close()
    sys.exit(0)


def _attach_planned_fixes(plan, result, root: Path, cache_dir: Path | None) -> None:
    """SARIF's ``fixes`` carry the replacement text: for a SARIF report, plan each fix now, writing nothing."""
    if not root.is_dir() or not any(output.fmt == "sarif" for output in plan):
        return
    from auditor.fix.run import planned_edits

    try:
        result.fix_edits = planned_edits(root, result, cache_dir)
    except Exception as exc:  # a fix that cannot be planned costs SARIF its fixes, never the report
        click.echo(f"mlaudit: warning: SARIF fixes left out: {type(exc).__name__}: {exc}", err=True)


def _plan_outputs(fmt: str | None, outputs: tuple[str, ...]):
    """The reports to write (exit 2 on a mistake), after saying which plugins were skipped."""
    from auditor.report import outputs as report_outputs

    for name, dist, why in registry.PLUGIN_PROBLEMS:
        click.echo(f"mlaudit: warning: plugin {name} ({dist}) skipped: {why}", err=True)
    try:
        return report_outputs.plan_outputs(
            fmt, outputs, warn=lambda message: click.echo(f"mlaudit: warning: {message}", err=True))
    except report_outputs.OutputError as exc:
        _fail(str(exc), 2)


def _exclude_baseline(config, baseline_file: Path, root: Path) -> None:
    """A baseline file inside the scanned tree is not part of the project."""
    try:
        config.exclude = config.exclude + ["/" + baseline_file.resolve().relative_to(root.resolve()).as_posix()]
    except ValueError:
        pass


def _enclosing_repository(path: Path) -> Path | None:
    """The root of the git work tree holding ``path`` (a ``.git`` folder or file), read from the
    file system: git itself is never asked about a folder it would take orders from."""
    for folder in [path, *path.parents] if path.is_dir() else list(path.parents):
        if (folder / ".git").exists():
            return folder
    return None


def _scan_target(paths: tuple[Path, ...]) -> tuple[Path, list[str] | None]:
    """What to analyse, and the repository-relative paths whose findings are reported (None: all)."""
    missing = [p for p in paths if not p.exists()]
    if missing:
        _fail(f"path does not exist: {missing[0]}", 2)
    repository = _enclosing_repository(paths[0].resolve())
    if repository is None:
        if len(paths) > 1:
            _fail("several paths are scanned together only inside one git repository", 2)
        click.echo(f"mlaudit: {paths[0]} is not inside a git repository: analysed on its own", err=True) \
            if paths[0].is_file() else None
        return paths[0], None
    if len(paths) == 1 and paths[0].is_dir() and paths[0].resolve() == repository:
        return paths[0], None
    scope = []
    for path in paths:
        try:
            scope.append(path.resolve().relative_to(repository).as_posix())
        except ValueError:
            _fail(f"{path} is not inside the repository at {repository}", 2)
    return repository, scope


def _narrow(result, scope: list[str] | None) -> None:
    """Keep the findings in the given files and folders (None: the whole repository, all kept); a
    part of a repository has no readiness score."""
    if scope is None:
        return
    def inside(path: str) -> bool:
        return any(item in (".", "") or path == item or path.startswith(item.rstrip("/") + "/") for item in scope)

    result.findings = [f for f in result.findings if inside(f.path)]
    result.suppressed = [f for f in result.suppressed if inside(f.path)]
    result.readiness = None
    result.scope = scope


def _cache_dir(path: Path, root: Path, given: Path | None, off: bool) -> Path | None:
    if off:
        return None
    return given if given is not None or not path.exists() else default_cache_dir(root)


def _explain_dead(result, names: tuple[str, ...]) -> None:
    """Why the dead-code analysis thinks each name is used or unused (``--explain-dead``)."""
    from auditor.analysis.liveness import analyse

    if result.project is None:
        _fail("the dead-code analysis needs a directory to scan", 2)
    analysis = analyse(result.project)
    for name in names:
        click.echo("\n".join(analysis.explain(name)).rstrip() + "\n")


@main.command("fix")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--select", multiple=True, help="Only these rules' findings: ids, id prefixes, names or categories.")
@click.option("--ignore", multiple=True, help="Not these rules' findings.")
@click.option("--exclude", multiple=True, help="Skip paths matching this gitignore-style pattern.")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Read configuration from FILE instead of the repository's pyproject.toml.")
@click.option("--diff", is_flag=True, help="Print the changes as a unified diff and write nothing; exit 1 when there are any.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply the fixes that can change behaviour.")
@click.option("--add-ignore", "add_ignore", metavar="REASON",
              help="Apply no fix: write '# mlaudit: ignore[ID] -- REASON' above every finding instead.")
@click.option("--pin-from", metavar="PYTHON",
              help="Pin unpinned requirements to the versions installed in this interpreter's environment.")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), help="Result cache directory.")
@click.option("--no-cache", is_flag=True, help="Analyse every file afresh and store nothing.")
@click.option("-v", "--verbose", is_flag=True, help="List every fix made.")
def fix_command(paths: tuple[Path, ...], select: tuple[str, ...], ignore: tuple[str, ...], exclude: tuple[str, ...],
                config_path: Path | None, diff: bool, unsafe_fixes: bool, add_ignore: str | None,
                pin_from: str | None, cache_dir: Path | None, no_cache: bool, verbose: bool) -> None:
    """Fix the findings that can be fixed in PATHS (default: the current directory).

    Safe fixes keep behaviour (an unused import, yaml.load without a loader, code after a return);
    unsafe ones may change it and need --unsafe-fixes. The only command that writes into the
    scanned repository, and only into files with findings. Files of a repository fix only their
    own findings, with the whole repository analysed."""
    changed = run_fixes(paths, select, ignore, exclude, config_path, diff=diff, unsafe=unsafe_fixes,
                        add_ignore=add_ignore, pin_from=pin_from, cache_dir=cache_dir, no_cache=no_cache,
                        verbose=verbose)
    sys.exit(1 if diff and changed else 0)


def run_fixes(paths, select, ignore, exclude, config_path, *, diff: bool, unsafe: bool, add_ignore: str | None,
              pin_from: str | None, cache_dir: Path | None, no_cache: bool, verbose: bool) -> bool:
    """Run ``mlaudit fix`` (also for ``scan --fix``); True when files changed (or would, with diff)."""
    from auditor.cli import fixing
    from auditor.fix.pins import PinSourceError, installed_versions
    from auditor.fix.run import FixOptions, fix_repository

    path, scope = _scan_target(paths or (Path("."),))
    if not path.is_dir():
        _fail("mlaudit fix needs a directory or files inside a git repository", 2)
    config = _scan_config(path, config_path, select, ignore, exclude, None)
    cache = _cache_dir(path, path, cache_dir, off=no_cache)

    def scan_tree(tree: Path):
        result = scan(tree, config, display_root=str(tree), cache_dir=cache)
        if scope is not None:
            _narrow(result, scope)
        return result

    try:
        if add_ignore is not None:
            return _add_ignores(path, scan_tree(path), add_ignore, diff=diff)
        pins = installed_versions(pin_from) if pin_from else None
        outcome = fix_repository(path, scan_tree, FixOptions(unsafe=unsafe, pins=pins), write=not diff)
    except (ScanError, PinSourceError) as exc:
        _fail(str(exc), 2)
    except Exception:
        _internal_error()
    if diff:
        click.echo(outcome.diff(), nl=False)
    for line in fixing.summary(outcome, diff=diff, verbose=verbose):
        click.echo(line, err=True)
    return bool(outcome.after)


def _add_ignores(root: Path, result, reason: str, *, diff: bool) -> bool:
    import difflib

    from auditor.cli import fixing
    from auditor.fix.ignores import plan_annotations
    from auditor.fix.run import write_file
    from auditor.fix.targets import read_target

    if not reason.strip():
        _fail("--add-ignore needs a reason: it is written into every directive", 2)
    annotations, refused = plan_annotations(result.findings, lambda path: read_target(root, path))
    written: dict[str, int] = {}
    for path, annotation in sorted(annotations.items()):
        new = annotation.target.render(annotation.edits(" ".join(reason.split())))
        if diff:
            old_text = annotation.target.raw.decode("utf-8", "replace").splitlines(keepends=True)
            click.echo("".join(difflib.unified_diff(old_text, new.decode("utf-8", "replace").splitlines(keepends=True),
                                                    f"a/{path}", f"b/{path}")), nl=False)
        else:
            why = write_file(root / path, annotation.target, new)
            if why is not None:
                click.echo(f"mlaudit: left alone: {path}: {why}", err=True)
                continue
        written[path] = len(annotation.lines)
    for line in fixing.ignore_summary(written, refused, diff=diff):
        click.echo(line, err=True)
    return bool(written)


@main.command("baseline")
@click.argument("path", default=".", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Baseline file (default: `baseline` from the configuration, else PATH/.mlaudit-baseline.json).")
@click.option("--update", is_flag=True, help="Rewrite an existing baseline, dropping fixed findings only.")
@click.option("--add-new", is_flag=True, help="Also add findings that are not in the baseline yet (implies --update).")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Read configuration from FILE instead of PATH's pyproject.toml.")
@click.option("--no-cache", is_flag=True, help="Analyse every file afresh and store nothing.")
def baseline_command(path: Path, output: Path | None, update: bool, add_new: bool, config_path: Path | None,
                     no_cache: bool) -> None:
    """Record the current findings of PATH in a baseline file to commit.

    `mlaudit scan --baseline FILE` (or `baseline = "FILE"` in the configuration) then reports and
    gates only findings that are not in it. An existing baseline is only rewritten with --update,
    which drops fixed findings and never adds new ones unless --add-new is given."""
    from auditor.ci import baseline as baselines

    try:
        config = load_config(path, config_path)
    except ConfigError as exc:
        _fail(str(exc), 2)
    target = output or (path / (config.baseline or baselines.DEFAULT_FILE))
    try:  # the baseline itself is not part of the project (its messages name files)
        config.exclude = config.exclude + ["/" + target.resolve().relative_to(path.resolve()).as_posix()]
    except ValueError:
        pass
    previous = None
    if target.exists():
        if not (update or add_new):
            _fail(f"{target} exists; use --update to drop fixed findings from it, "
                  "or --add-new to also accept the new ones", 2)
        try:
            previous = baselines.load(target)
        except BaselineError as exc:
            _fail(str(exc), 2)
    try:
        result = scan(path, config, display_root=str(path), cache_dir=None if no_cache else default_cache_dir(path))
    except ScanError as exc:
        _fail(str(exc), 2)
    except Exception:
        _internal_error()
    if result.errors:
        click.echo(f"mlaudit: warning: {len(result.errors)} internal rule error(s); findings of those rules are "
                   "missing from the baseline and may show up as new later", err=True)
    if previous is None:
        written = baselines.from_findings(result.findings)
        message = f"recorded {written.total} finding(s) in {len(written.entries)} entries"
    else:
        change = baselines.update(previous, result.findings, add_new=add_new)
        written = change.baseline
        message = f"kept {change.kept}, removed {change.removed} fixed"
        message += f", added {change.added} new" if add_new else ""
        if change.not_added:
            message += f"; {change.not_added} new finding(s) NOT added (use --add-new to accept them)"
    try:
        from auditor.report.outputs import write_atomically

        write_atomically(target, baselines.dumps(written, result.version))
    except OSError as exc:
        _fail(f"cannot write {target}: {exc}", 2)
    click.echo(f"mlaudit: {target}: {message}", err=True)
    if previous is None:
        click.echo(f"mlaudit: commit it, then gate on new debt with: mlaudit scan --baseline {target}", err=True)
        ignored_by = _git_ignore_rule(path, target)
        if ignored_by:
            click.echo(f"mlaudit: note: git ignores {target} ({ignored_by}): add it with git add -f, or the "
                       "gate will not find it on a fresh clone", err=True)


def _git_ignore_rule(root: Path, target: Path) -> str | None:
    """The .gitignore rule that keeps ``target`` out of git ("file:line pattern"), or None."""
    from auditor.model.gitsafe import git_output

    try:
        relative = target.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None  # written outside the repository: not git's business here
    found = git_output(root, "check-ignore", "-v", "--", relative, timeout=10)
    if not found:
        return None
    source, _, _ = found.partition("\t")  # "source:line:pattern<TAB>path"
    file, line, pattern = (source.split(":", 2) + ["", ""])[:3]
    return f"{file} line {line}: {pattern}" if pattern else source


@main.command("schema")
@click.argument("which", type=click.Choice(["report", "config"]))
def schema_command(which: str) -> None:
    """Print the JSON Schema of the JSON report or of the configuration (also in docs/schemas/)."""
    import json

    from auditor.report.schema import SCHEMAS

    click.echo(json.dumps(SCHEMAS[which](), indent=2))


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
def rules_command(fmt: str) -> None:
    """List every rule with its id, category, severity, fix (safe or unsafe, when `mlaudit fix` can
    repair its findings) and summary."""
    rules = registry.all_rules().values()
    if fmt == "markdown":
        from auditor.cli.docs import rules_table  # here: `python -m auditor.cli.docs` runs it as __main__

        click.echo(rules_table(rules), nl=False)
        return
    for rule in rules:
        plugin = f"  (plugin: {rule.provided_by})" if getattr(rule, "provided_by", None) else ""
        fix = rule.fix.applicability if rule.fix is not None else ""  # what `mlaudit fix` can do for it
        click.echo(f"{rule.id:<6} {rule.name:<34} {rule.category:<20} {rule.severity:<8} {fix:<7}"
                   f"{rule.summary()}{plugin}")
    for name, dist, why in registry.PLUGIN_PROBLEMS:
        click.echo(f"mlaudit: warning: plugin {name} ({dist}) skipped: {why}", err=True)


@main.command("explain")
@click.argument("rule_id")
def explain_command(rule_id: str) -> None:
    """Print everything about one rule (what, why, how to fix, options, examples) or one readiness
    check (what it looks at, its pass/partial/fail ladder): the text of its page, docs/rules/ID.md
    or docs/checks/ID.md."""
    if rule_id.upper().startswith("R-"):
        from auditor.readiness.explain import check_text
        from auditor.readiness.gathering import all_checks

        check = all_checks().get(rule_id.upper())
        if check is None:
            _fail(f"unknown readiness check '{rule_id}' (see docs/checks/README.md, or `mlaudit scan -v`)", 2)
        click.echo(check_text(check), nl=False)
        return
    rule = registry.get_rule(rule_id)
    if rule is None:
        _fail(f"unknown rule '{rule_id}' (see `mlaudit rules`; readiness checks are R-XXX-NN)", 2)
    from auditor.cli.docs import rule_text

    click.echo(rule_text(rule), nl=False)


@main.command("server")
@click.option("--stdio", is_flag=True, hidden=True, help="Accepted for clients that pass it: stdio is the only transport.")
@click.option("--no-cache", is_flag=True, help="Analyse every file afresh on each check and store nothing.")
def server_command(stdio: bool, no_cache: bool) -> None:  # noqa: ARG001 -- --stdio is the default anyway
    """Run the language server over stdin and stdout, for an editor (docs/editor.md).

    Diagnostics for open files on open and on save, quick fixes from `mlaudit fix`, hover text from
    `mlaudit explain`. Needs the server extra: pip install "mlaudit[server]"."""
    try:
        from auditor.server.lsp import Commands, serve
    except ImportError as exc:
        if exc.name not in ("pygls", "lsprotocol") and not str(exc.name or "").startswith(("pygls.", "lsprotocol.")):
            raise
        _fail(f"the language server needs the server extra ({exc.name} is missing): pip install \"mlaudit[server]\"", 2)
    from auditor.cli.docs import rule_text

    serve(Commands(load_config=load_config, rule_text=rule_text, repository_of=_enclosing_repository), cache=not no_cache)


@main.command("demo")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option("--force", is_flag=True, help="Replace DIRECTORY if it already exists.")
def demo_command(directory: Path, force: bool) -> None:
    """Write the bundled demo ML project to DIRECTORY as a git repository with back-dated history."""
    from auditor.demo import DemoError, build_demo

    try:
        build_demo(directory, force=force)
    except DemoError as exc:
        _fail(str(exc), 2)
    click.echo(f"mlaudit: demo repository written to {directory}; scan it with: mlaudit scan {directory}", err=True)


main.add_command(history_group)
main.add_command(report_command)
