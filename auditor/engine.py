"""The scan: discover, build the repository model, run the per-file phase (in parallel when it
pays), then the file and project rules, then attach owners and fingerprints."""

from __future__ import annotations

import hashlib
import json
import os
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from auditor import __version__, registry
from auditor.cache import ResultCache, settings_digest
from auditor.artifacts import read_header as read_artifact_header
from auditor.blame import attach_ages
from auditor.codeowners import LOCATIONS, CodeOwners, parse_codeowners
from auditor.config import Config, rule_options
from auditor.discover import discover
from auditor.excerpt import fill_missing as fill_missing_excerpts
from auditor.finding import SEVERITIES, Finding, assign_fingerprints, confidence_rank, severity_rank
from auditor.gitinfo import GitHistory, read_history
from auditor.readiness import compute_readiness
from auditor.project import (ARTIFACT, CONFIG, LOCK, NOTEBOOK, OTHER, PYTHON, TEXT_KINDS, Project, RepoFile,
                             classify, parse_config)
from auditor.suppress import apply as apply_suppressions
from auditor.sources import NotText, decode_text, parse_notebook
from auditor.worker import NOTEBOOK_CELLS, SourceJob, SourceResult, analyse_batch, to_cell

ARTIFACT_HEADER_BYTES = 512
# Below this much Python, starting worker processes costs more than it saves (bench/).
PARALLEL_MIN_BYTES = 800_000

BATCH_FILES = 40

Progress = Callable[[int, int], None]


class ScanError(Exception):
    """The scan cannot start (missing path and the like); the CLI exits with code 2."""


@dataclass
class ScanResult:
    root: str
    config: Config
    findings: list[Finding]
    files: int = 0
    python_files: int = 0
    notebooks: int = 0
    python_lines: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    degraded: list[tuple[str, str]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    rules: list[type] = field(default_factory=list)
    git: GitHistory = field(default_factory=GitHistory)
    started: float = 0.0
    duration: float = 0.0
    version: str = __version__
    project: Project | None = None  # the repository model, for reporters that need more than findings
    cache: dict[str, Any] = field(default_factory=dict)  # cache use: enabled, hits, analysed, directory
    readiness: dict[str, Any] | None = None  # the operational-readiness score (auditor/readiness)
    suppressed: list[Finding] = field(default_factory=list)  # hidden by reasoned suppressions (auditor/suppress)
    # Only-new-debt comparisons (auditor/baseline.py, auditor/since.py): what was compared and how
    # many findings it hid; ``findings`` then holds only the new ones.
    baseline: dict[str, Any] | None = None
    since: dict[str, Any] | None = None
    exit_zero: bool = False  # --exit-zero: report the gate, never fail the build on it

    def failing(self, fail_on: str | None = None) -> list[Finding]:
        level = fail_on or self.config.fail_on
        if level not in SEVERITIES:  # "none": the severity condition is off
            return []
        threshold = severity_rank(level)
        return [f for f in self.findings if severity_rank(f.severity) >= threshold]

    def gate(self):
        """The quality gate on the current findings (auditor/gate.py): which conditions failed."""
        from auditor.gate import evaluate

        return evaluate(self)

    def exit_code(self, fail_on: str | None = None) -> int:
        if self.errors:
            return 3
        if fail_on is not None:
            return 1 if self.failing(fail_on) else 0
        return self.gate().exit_code(self.exit_zero)


def module_name_for(path: str, python_paths: set[str]) -> str:
    """Dotted module name from the package structure (``__init__.py`` chain), best effort."""
    p = PurePosixPath(path)
    if p.suffix == ".ipynb":
        return p.stem
    parts = [p.stem] if p.stem != "__init__" else []
    parent = p.parent
    while parent.parts and f"{parent.as_posix()}/__init__.py" in python_paths:
        parts.insert(0, parent.name)
        parent = parent.parent
    return ".".join(parts) or p.parent.name


def _read_text_file(root: Path, file: RepoFile, max_size: int) -> str | None:
    """Load a non-Python text file into the model; returns a skip reason or None."""
    if file.size > max_size:
        return f"larger than max-file-size ({file.size:,} > {max_size:,} bytes)"
    try:
        data = (root / file.path).read_bytes()
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    try:
        decoded = decode_text(data)
    except NotText as exc:
        if file.kind in (CONFIG, LOCK):
            return str(exc)
        file.kind = "other"  # e.g. a binary file with a .txt name: nothing to analyse
        return None
    file.text, file.note = decoded.text, decoded.note
    return None


def _run_jobs(jobs: list[SourceJob], workers: int, progress: Progress | None) -> list[SourceResult]:
    total = len(jobs)
    if workers <= 1 or total < 2:
        results = []
        for i in range(0, total, 25):
            results.extend(analyse_batch(jobs[i:i + 25]))
            if progress:
                progress(len(results), total)
        return results
    # Balanced batches by size, so one process does not get all the big files; small enough (about
    # BATCH_FILES files) that a worker does not hold many files' results at once, which keeps its
    # memory low on large repositories.
    batches: list[list[SourceJob]] = [[] for _ in range(max(workers * 4, total // BATCH_FILES, 1))]
    loads = [0] * len(batches)
    sizes = {job.path: os.path.getsize(job.abs_path) if os.path.exists(job.abs_path) else 0 for job in jobs}
    for job in sorted(jobs, key=lambda j: -sizes[j.path]):
        i = loads.index(min(loads))
        batches[i].append(job)
        loads[i] += sizes[job.path] + 2000
    results = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for batch_result in pool.map(analyse_batch, [b for b in batches if b]):
            results.extend(batch_result)
            if progress:
                progress(len(results), total)
    return results


def _source_lines(project: Project, path: str):
    """Lines of a file for excerpts of findings made outside the worker (file and project rules):
    text files are already in the model; a Python file or notebook is read again, only when one
    of these findings points into it."""
    file = project.files.get(path)
    if file is None:
        return None
    if file.text is not None:
        return file.text.splitlines(), None
    if file.kind not in (PYTHON, NOTEBOOK) or file.size > project.config.max_file_size:
        return None
    data = (project.root / path).read_bytes()
    if file.kind == NOTEBOOK:
        notebook = parse_notebook(data)
        return notebook.code.splitlines(), notebook.line_map
    return decode_text(data, python=True).text.splitlines(), None


def _in_cell(finding: Finding, project: Project) -> Finding:
    """A project rule's finding in a notebook names a line of the joined code: say which cell and
    line that is, as module rules do."""
    starts = project.facts.get(finding.path, {}).get(NOTEBOOK_CELLS)
    if not starts or finding.cell is not None or finding.line is None:
        return finding
    where = to_cell(starts, finding.line)
    end = to_cell(starts, finding.end_line) if finding.end_line else None
    if where is None:
        return finding
    return finding.with_changes(cell=where[0], line=where[1],
                                end_line=end[1] if end and end[0] == where[0] else None)


def _post_process(findings: list[Finding], project: Project, config: Config,
                  ran: list[str] | None = None) -> tuple[list[Finding], list[Finding]]:
    """Findings to report and findings hidden by suppressions; ``ran`` are the rule ids that ran."""
    overrides = {}
    for key, severity in config.severity.items():
        rule = registry.get_rule(key)
        if rule is not None:
            overrides[rule.id] = severity
    floor = confidence_rank(config.min_confidence)
    findings = [_in_cell(f, project) for f in findings]
    # Ages of undocumented hacks (git blame on their lines) before severity overrides, so that an
    # explicit override wins over the age-based escalation.
    findings = attach_ages([f for f in findings if confidence_rank(f.confidence) >= floor], project, config)
    kept = []
    for finding in findings:
        if confidence_rank(finding.confidence) < floor:
            continue
        changes: dict[str, Any] = {"owners": project.owners_of(finding.path)}
        if finding.rule in overrides:
            changes["severity"] = overrides[finding.rule]
        kept.append(finding.with_changes(**changes))
    kept = fill_missing_excerpts(kept, lambda path: _source_lines(project, path))
    outcome = apply_suppressions(kept, project, ran or [])
    # Suppressed findings are fingerprinted with the rest, so adding or removing a suppression
    # never renumbers the identities of the findings around it.
    everything = assign_fingerprints(outcome.kept + outcome.suppressed)
    reported = [f for f in everything if "suppressed_by" not in f.evidence]
    hidden = [f for f in everything if "suppressed_by" in f.evidence]
    return sorted(reported, key=Finding.sort_key), sorted(hidden, key=Finding.sort_key)


def _source_keys(jobs: list[SourceJob], settings: str) -> dict[str, str]:
    """Each Python file's cache key: its content with everything that shapes its analysis."""
    keys: dict[str, str] = {}
    for job in jobs:
        try:
            data = Path(job.abs_path).read_bytes()
        except OSError:
            continue  # the worker reports why it cannot read the file
        content = hashlib.sha256(data).hexdigest()
        keys[job.path] = hashlib.sha256(
            f"{settings}\0{job.path}\0{job.module_name}\0{job.notebook}\0{content}".encode()).hexdigest()
    return keys


def _cached_results(jobs: list[SourceJob], cache: ResultCache | None, keys: dict[str, str],
                    ) -> tuple[list[SourceResult], list[SourceJob]]:
    """Split jobs into results found in the cache and jobs to run."""
    if cache is None or not cache.usable:
        return [], jobs
    hits: list[SourceResult] = []
    to_run: list[SourceJob] = []
    for job in jobs:
        cached = cache.get("source", keys[job.path]) if job.path in keys else None
        result = SourceResult.from_json(cached, job.path) if cached is not None else None
        if result is None:
            to_run.append(job)
        else:
            hits.append(result)
    return hits, to_run


def _inventory(root: Path, only: str | None, config: Config, result: ScanResult) -> dict[str, RepoFile]:
    """Every file the scan considers, classified; what cannot be listed is recorded as skipped."""
    found = discover(root, config.exclude)
    result.skipped.extend(found.skipped)
    # mlaudit's own baseline is not part of the project: its messages name files and would feed rules.
    own = {config.baseline.strip("/") if config.baseline else None}
    files: dict[str, RepoFile] = {}
    for rel in found.paths:
        if (only is not None and rel != only) or rel in own or PurePosixPath(rel).name == ".mlaudit-baseline.json":
            continue
        try:
            stat = (root / rel).stat()
        except OSError as exc:
            result.skipped.append((rel, f"unreadable: {exc.strerror or exc}"))
            continue
        files[rel] = RepoFile(rel, classify(rel), stat.st_size, mtime=stat.st_mtime)
    return files


def _source_phase(files: dict[str, RepoFile], jobs: list[SourceJob], config: Config,
                  cache: ResultCache | None, cache_keys: dict[str, str], progress: Progress | None,
                  result: ScanResult) -> tuple[dict[str, dict[str, Any]], list[Finding]]:
    """Python modules and notebooks: from the cache where unchanged, else in worker processes."""
    hits, to_run = _cached_results(jobs, cache, cache_keys)
    workers = config.jobs or (os.cpu_count() or 1)
    if not config.jobs and sum(files[j.path].size for j in to_run) < PARALLEL_MIN_BYTES:
        workers = 1
    fresh = _run_jobs(to_run, workers, progress)
    if cache is not None:
        for res in fresh:
            if res.path in cache_keys and not res.errors:  # a rule error is retried next time
                cache.put("source", cache_keys[res.path], res.to_json())
    result.cache = {"enabled": cache is not None and cache.usable, "hits": len(hits), "analysed": len(fresh),
                    "directory": str(cache.directory) if cache is not None else None}
    facts: dict[str, dict[str, Any]] = {}
    findings: list[Finding] = []
    for res in hits + fresh:
        if res.skipped:
            result.skipped.append((res.path, res.skipped))
            continue
        if res.note:
            result.degraded.append((res.path, res.note))
        is_notebook = files[res.path].kind == NOTEBOOK
        result.notebooks += is_notebook
        result.python_files += not is_notebook
        result.python_lines += res.lines
        facts[res.path] = res.facts
        findings.extend(Finding.from_json(f) for f in res.findings)
        result.errors.extend(res.errors)
    return facts, findings


# --- the whole-scan cache: an unchanged repository on the same day gives the same result --------

def _scan_key(settings: str, config: Config, files: dict[str, RepoFile], source_keys: dict[str, str],
              git: GitHistory, only: str | None, now: float) -> str:
    """Everything a scan's result depends on: mlaudit's code and settings, the configuration,
    each file's content (Python by its per-file key, text by its text, binaries by size and
    time), git's HEAD, and the day (ages in messages are in days)."""
    digest = hashlib.sha256()
    config_state = {k: v for k, v in vars(config).items() if k != "source"}
    digest.update(json.dumps([settings, config_state, git.head, git.available, git.shallow, only,
                              int(now // 86400)], sort_keys=True, default=str).encode())
    for path in sorted(files):
        file = files[path]
        if path in source_keys:
            identity = source_keys[path]
        elif file.text is not None:
            identity = hashlib.sha256(file.text.encode("utf-8", "surrogatepass")).hexdigest()
        else:
            identity = f"{file.size}:{file.mtime}:{hashlib.sha256(file.header).hexdigest()}"
        digest.update(f"\0{path}\0{file.kind}\0{identity}".encode())
    return digest.hexdigest()


_COUNTS = ("python_files", "notebooks", "python_lines")


def _result_state(result: ScanResult) -> dict[str, Any]:
    return {"findings": [f.to_json() | {"anchor": f.anchor} for f in result.findings],
            "suppressed": [f.to_json() | {"anchor": f.anchor} for f in result.suppressed],
            "readiness": result.readiness, "skipped": result.skipped, "degraded": result.degraded,
            "counts": [getattr(result, name) for name in _COUNTS]}


def _restore_result(state: Any, result: ScanResult) -> bool:
    try:
        findings = [Finding.from_json(f) for f in state["findings"]]
        suppressed = [Finding.from_json(f) for f in state["suppressed"]]
        counts = [int(n) for n in state["counts"]]
        skipped = [(str(p), str(r)) for p, r in state["skipped"]]
        degraded = [(str(p), str(r)) for p, r in state["degraded"]]
    except (KeyError, TypeError, ValueError, AttributeError):
        return False  # a damaged or foreign entry: scan normally
    result.findings, result.suppressed, result.readiness = findings, suppressed, state.get("readiness")
    result.skipped, result.degraded = skipped, degraded
    for name, value in zip(_COUNTS, counts):
        setattr(result, name, value)
    return True


def _load_other_files(root: Path, files: dict[str, RepoFile], config: Config, result: ScanResult) -> None:
    """Read the text kinds into the model, parse configs, and sniff artifacts' first bytes."""
    for rel, file in files.items():
        if file.kind in TEXT_KINDS:
            reason = _read_text_file(root, file, config.max_file_size)
            if reason:
                result.skipped.append((rel, reason))
                continue
            if file.note:
                result.degraded.append((rel, file.note))
            if file.kind in (CONFIG, LOCK) or file.name.lower() == "pipfile":
                parse_config(file)
        elif file.kind == ARTIFACT or (file.kind == OTHER and not file.suffix and file.size):
            # Extensionless files are sniffed too: a model saved as "model" has magic bytes.
            try:
                with open(root / rel, "rb") as handle:
                    file.header = read_artifact_header(handle, rel)
            except OSError as exc:
                result.skipped.append((rel, f"unreadable: {exc.strerror or exc}"))


def _codeowners(files: dict[str, RepoFile]) -> CodeOwners:
    for location in LOCATIONS:  # GitHub's and GitLab's order: the first one found wins
        if location in files and files[location].text is not None:
            return parse_codeowners(files[location].text or "", location)
    return CodeOwners()


def _project_phase(rules: list[type], options: dict[str, dict[str, Any]], project: Project,
                   result: ScanResult) -> list[Finding]:
    """File rules on each file of their kinds, then project rules; a rule that raises is an
    internal error for that rule and file, and the others go on."""
    findings: list[Finding] = []
    for rule_cls in rules:
        kind = rule_cls.kind()
        if kind == "module":
            continue
        rule = rule_cls(options.get(rule_cls.id))
        targets = [f for f in project.files.values() if f.kind in rule_cls.kinds] if kind == "file" else [None]
        for target_file in targets:
            try:
                findings.extend(rule.check(target_file, project) if kind == "file" else rule.check(project))
            except Exception:
                result.errors.append({"rule": rule_cls.id, "path": target_file.path if target_file else "",
                                      "error": traceback.format_exc(limit=3)})
    return findings


def scan(target: Path, config: Config, *, now: float | None = None, progress: Progress | None = None,
         display_root: str | None = None, cache_dir: Path | None = None,
         history: GitHistory | None = None) -> ScanResult:
    """Scan ``target``. ``cache_dir`` enables the per-file result cache (the CLI passes the
    user's cache directory by default; the library API caches only when asked). ``history``
    replaces reading git at ``target``: scans of past commits exported to a temporary directory
    pass the repository's history as of that commit."""
    started = time.time()
    if not target.exists():
        raise ScanError(f"path does not exist: {target}")
    root, only = (target.parent, target.name) if target.is_file() else (target, None)
    rules = registry.select_rules(config.select, config.ignore)
    result = ScanResult(root=display_root or str(target), config=config, findings=[], rules=rules, started=started)
    files = _inventory(root, only, config, result)
    result.files = len(files)
    python_paths = {p for p, f in files.items() if f.kind == PYTHON}
    options = {rule.id: rule_options(config, rule.id) for rule in rules}
    jobs = [SourceJob(rel, str(root / rel), f.kind == NOTEBOOK, module_name_for(rel, python_paths),
                      [rule.id for rule in rules], options, config.max_file_size)
            for rel, f in files.items() if f.kind in (PYTHON, NOTEBOOK)]
    cache = ResultCache(cache_dir) if cache_dir is not None else None
    try:
        _run(result, root, only, files, jobs, options, cache, progress, history, now if now is not None else started)
    finally:
        if cache is not None:
            cache.close()
    result.duration = time.time() - started
    return result


def _run(result: ScanResult, root: Path, only: str | None, files: dict[str, RepoFile], jobs: list[SourceJob],
         options: dict[str, dict[str, Any]], cache: ResultCache | None, progress: Progress | None,
         history: GitHistory | None, now: float) -> None:
    """Everything after the inventory. An unchanged repository the same day has its whole result
    in the cache: then not even the per-file facts are loaded."""
    config, rules = result.config, result.rules
    caching = cache is not None and cache.usable
    settings = settings_digest([rule.id for rule in rules], options, config.max_file_size)
    source_keys = _source_keys(jobs, settings) if caching else {}
    _load_other_files(root, files, config, result)
    result.git = history if history is not None else read_history(root, cache)
    scan_key = _scan_key(settings, config, files, source_keys, result.git, only, now) if caching else None
    stored = cache.get("scan", scan_key) if scan_key else None
    reused = stored is not None and _restore_result(stored, result)
    facts: dict[str, dict[str, Any]] = {}
    findings: list[Finding] = []
    if reused:
        result.cache = {"enabled": True, "hits": len(jobs), "analysed": 0, "directory": str(cache.directory)}
    else:
        facts, findings = _source_phase(files, jobs, config, cache, source_keys, progress, result)
    result.project = Project(root=root, config=config, files=files, facts=facts,
                             module_names={j.path: j.module_name for j in jobs}, git=result.git,
                             codeowners=_codeowners(files), now=now)
    if not reused:
        _analyse_project(rules, options, result.project, findings, result)
        if scan_key and not result.errors:
            cache.put("scan", scan_key, _result_state(result))
    result.cache["whole_scan_reused"] = reused


def _analyse_project(rules: list[type], options: dict[str, dict[str, Any]], project: Project,
                     findings: list[Finding], result: ScanResult) -> None:
    """File and project rules, suppressions, owners and fingerprints, then the readiness score."""
    findings = findings + _project_phase(rules, options, project, result)
    result.findings, result.suppressed = _post_process(findings, project, project.config, [r.id for r in rules])
    try:  # after the findings, which feed the score
        result.readiness = compute_readiness(project, result.findings, result.python_lines,
                                             project.config.readiness, {rule.category for rule in rules})
    except Exception:
        result.errors.append({"rule": "readiness", "path": "", "error": traceback.format_exc(limit=3)})
    result.skipped.sort()
    result.degraded.sort()
