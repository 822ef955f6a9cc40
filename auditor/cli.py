"""The ``mlaudit`` command line. Exit codes: 0 clean, 1 findings at or above --fail-on,
2 usage or configuration error, 3 internal error."""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

import click

from auditor import __version__, registry
from auditor.config import ConfigError, load_config
from auditor.engine import ScanError, scan
from auditor.finding import SEVERITIES
from auditor.report import FORMATS


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


def _fail(message: str, code: int) -> None:
    click.echo(f"mlaudit: error: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mlaudit")
def main() -> None:
    """Audit a machine-learning repository for technical debt and operational readiness."""


@main.command("scan")
@click.argument("path", default=".", type=click.Path(path_type=Path))
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
@click.option("--fail-on", type=click.Choice(SEVERITIES), help="Exit 1 when a finding has this severity or higher.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), help="Worker processes (0: decide from the repository's size).")
@click.option("-q", "--quiet", is_flag=True, help="Only the summary.")
@click.option("-v", "--verbose", is_flag=True, help="Evidence of each finding and every skipped file.")
def scan_command(path: Path, fmt: str | None, outputs: tuple[str, ...], source_url_template: str | None,
                 select: tuple[str, ...], ignore: tuple[str, ...],
                 exclude: tuple[str, ...], config_path: Path | None, fail_on: str | None, jobs: int | None,
                 quiet: bool, verbose: bool) -> None:
    """Scan PATH (default: the current directory) and report findings."""
    root = path if path.is_dir() or not path.exists() else path.parent
    try:
        config = load_config(root, config_path, fail_on=fail_on, jobs=jobs)
        if select:
            config.select = _split(select)
        if ignore:
            config.ignore = config.ignore + (_split(ignore) or [])
        if exclude:
            config.exclude = config.exclude + list(exclude)
        from auditor.config import validate_rule_references

        validate_rule_references(config, "command line")
        if source_url_template is not None:
            from auditor.report.links import template_problem

            problem = template_problem(source_url_template)
            if problem:
                raise ConfigError(f"--source-url-template {problem}")
            config.source_url_template = source_url_template
    except ConfigError as exc:
        _fail(str(exc), 2)
    from auditor.report import outputs as report_outputs

    try:
        plan = report_outputs.plan_outputs(
            fmt, outputs, warn=lambda message: click.echo(f"mlaudit: warning: {message}", err=True))
    except report_outputs.OutputError as exc:
        _fail(str(exc), 2)
    progress = _Progress(enabled=sys.stderr.isatty() and not quiet)
    try:
        result = scan(path, config, progress=progress, display_root=str(path))
    except ScanError as exc:
        progress.close()
        _fail(str(exc), 2)
    except Exception:  # the last line of defence: say what broke, exit 3
        progress.close()
        click.echo(traceback.format_exc(), err=True)
        _fail("internal error; please report it with the traceback above", 3)
    progress.close()
    for output in plan:
        text = report_outputs.render(result, output, verbose=verbose, quiet=quiet)
        if output.path is None:
            click.echo(text, nl=False)
            continue
        try:
            report_outputs.write(output, text)
        except report_outputs.OutputError as exc:
            _fail(str(exc), 2)
        if not quiet:
            click.echo(f"mlaudit: wrote {output.fmt} report to {output.path} "
                       f"({len(result.findings)} findings)", err=True)
    sys.exit(result.exit_code())


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
def rules_command(fmt: str) -> None:
    """List every rule with its id, category, severity and summary."""
    rules = registry.all_rules().values()
    if fmt == "markdown":
        click.echo("| id | name | category | severity | confidence | what it finds |")
        click.echo("|---|---|---|---|---|---|")
        for rule in rules:
            click.echo(f"| {rule.id} | {rule.name} | {rule.category} | {rule.severity} | {rule.confidence} "
                       f"| {rule.summary()} |")
        return
    for rule in rules:
        click.echo(f"{rule.id}  {rule.name:<34} {rule.category:<20} {rule.severity:<8} {rule.summary()}")


@main.command("explain")
@click.argument("rule_id")
def explain_command(rule_id: str) -> None:
    """Print everything about one rule: what, why, how to fix, options and examples."""
    rule = registry.get_rule(rule_id)
    if rule is None:
        _fail(f"unknown rule '{rule_id}' (see `mlaudit rules`)", 2)
    click.echo(f"{rule.id} {rule.name}\n")
    click.echo(f"Category: {rule.category}    Severity: {rule.severity}    Confidence: {rule.confidence}"
               f"    Scope: {rule.kind()}\n")
    click.echo("What it does\n  " + (rule.__doc__ or "").strip().replace("\n    ", "\n  ") + "\n")
    click.echo("Why it hurts in production\n  " + rule.rationale + "\n")
    click.echo("How to fix\n  " + rule.remediation + "\n")
    if rule.options:
        click.echo("Options ([tool.mlaudit.rules." + rule.id + "])")
        for key, option in rule.options.items():
            click.echo(f"  {key} ({option.type.__name__}, default {option.default!r}): {option.help}")
        click.echo("")
    for label, valid in (("Example that is reported", False), ("Example that is fine", True)):
        example = next((e for e in rule.examples if e.valid == valid), None)
        if example is None:
            continue
        click.echo(label)
        for name, content in example.files.items():
            shown = content if isinstance(content, str) else f"<{len(content)} bytes>"
            click.echo(f"  # {name}")
            click.echo("\n".join("  " + line for line in shown.splitlines()[:20]))
        click.echo("")


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
