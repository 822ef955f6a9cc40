"""The scan: discover, build the repository model, run the per-file phase (in parallel when it
pays), then the file and project rules, then attach owners and fingerprints."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from auditor import __version__, registry
from auditor.analysis.artifacts import find_artifacts
from auditor.analysis.entrypoints import project_kind
from auditor.config import Config
from auditor.finding import SEVERITIES, Finding, assign_fingerprints, confidence_rank, severity_rank
from auditor.ml.models import read_header as read_artifact_header
from auditor.model.codeowners import LOCATIONS, CodeOwners, parse_codeowners
from auditor.model.discover import discover, unread_paths
from auditor.model.excerpt import fill_missing as fill_missing_excerpts
from auditor.model.factstore import FactStore
from auditor.model.gitinfo import GitHistory, read_history
from auditor.model.project import ARTIFACT, CONFIG, LOCK, NOTEBOOK, OTHER, PYTHON, TEXT_KINDS, Project, RepoFile, classify
from auditor.model.sources import NotText, decode_text, parse_notebook
from auditor.model.units import detect_units
from auditor.rule import FileRule, ProjectRule
from auditor.scan import incremental, readiness_step
from auditor.scan.blame import Blamer, attach_ages, hack_lines
from auditor.scan.cache import ResultCache, code_digest, settings_digest
from auditor.scan.incremental import digest_text
from auditor.scan.suppress import FACT as SUPPRESSION_FACTS
from auditor.scan.suppress import apply as apply_suppressions

if TYPE_CHECKING:
    from auditor.analysis.program import EdgeStore, ProgramGraph

from auditor.model.sources import NOTEBOOK_CELLS, to_cell
from auditor.pathnames import posix_path
from auditor.scan.project_phase import project_findings, stored_rows
from auditor.scan.worker import SourceJob, SourceResult, analyse_batch, init_worker, paused_collector

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
    lines_by_path: dict[str, int] = field(default_factory=dict)  # lines of Python per file: weighs units
    skipped: list[tuple[str, str]] = field(default_factory=list)
    degraded: list[tuple[str, str]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    rules: list[type] | None = None  # the selected rules; see selected_rules()
    git: GitHistory = field(default_factory=GitHistory)
    started: float = 0.0
    duration: float = 0.0
    version: str = __version__
    project: Project | None = None  # the repository model, for reporters that need more than findings
    cache: dict[str, Any] = field(default_factory=dict)  # cache use: enabled, hits, analysed, directory
    readiness: dict[str, Any] | None = None  # the operational-readiness score (auditor/readiness)
    suppressed: list[Finding] = field(default_factory=list)  # hidden by reasoned suppressions (auditor/suppress)
    below_min_confidence: int = 0  # findings left out because they are less certain than `min-confidence`
    below_min_severity: int = 0  # and because they are below `min-severity`
    # ("application" | "library", why): how the dead-code analysis treats the package's public names
    kind: tuple[str, str] | None = None
    # The repository-relative files and folders whose findings are reported (`mlaudit scan FILE...`);
    # None: the whole repository, with its readiness score
    scope: list[str] | None = None
    repository: str | None = None  # the name given with --name (the history and team report use it)
    # Only-new-debt comparisons (auditor/ci/baseline.py, auditor/ci/since.py): what was compared and how
    # many findings it hid; ``findings`` then holds only the new ones.
    baseline: dict[str, Any] | None = None
    since: dict[str, Any] | None = None
    exit_zero: bool = False  # --exit-zero: report the gate, never fail the build on it
    # fingerprint -> the fix as it would be made now (auditor/fix/run.py planned_edits), attached by
    # the command line only for a SARIF report, whose ``fixes`` carry the replacement text
    fix_edits: dict[str, dict] = field(default_factory=dict)

    def selected_rules(self) -> list[type]:
        """The rules the configuration selects, loaded on first use: a scan answered from the
        cache loads them only for a report that lists them (SARIF, HTML)."""
        if self.rules is None:
            self.rules = registry.select_rules(self.config.select, self.config.ignore)
        return self.rules

    def failing(self, fail_on: str | None = None) -> list[Finding]:
        level = fail_on or self.config.fail_on
        if level not in SEVERITIES:  # "none": the severity condition is off
            return []
        threshold = severity_rank(level)
        return [f for f in self.findings if severity_rank(f.severity) >= threshold]



def _build_program(project: Project, edges: "EdgeStore | None" = None, release_inputs: bool = True) -> "ProgramGraph":
    from auditor.analysis.program import ProgramGraph  # here: a scan answered from the cache builds no graph

    return ProgramGraph(project, release_inputs=release_inputs, edges=edges)


# What the project model derives on first use, handed to it here (see Project.builders).
ANALYSIS_BUILDERS = {"program": _build_program, "artifacts": find_artifacts}


def module_name_for(path: str, python_paths: set[str]) -> str:
    """Dotted module name from the package structure (``__init__.py`` chain), best effort."""
    p = posix_path(path)
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
    from concurrent.futures import ProcessPoolExecutor  # here: a scan that analyses nothing starts no pool

    results = []
    pool = ProcessPoolExecutor(max_workers=workers, initializer=init_worker)
    try:
        futures = [pool.submit(analyse_batch, batch) for batch in batches if batch]
        for future in futures:
            results.extend(future.result())
            if progress:
                progress(len(results), total)
    except BaseException:
        # Ctrl-C or SIGTERM (the workers ignore both): stop now, not after every batch has run. The
        # pool fails its pending batches itself once its workers are gone (not cancelled here:
        # Python 3.11's pool then raises in its own thread, a traceback after the one-line message).
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
        pool.shutdown(wait=False)
        raise
    pool.shutdown()
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
    try:
        data = (project.root / path).read_bytes()
        if file.kind == NOTEBOOK:
            notebook = parse_notebook(data)
            return notebook.code.splitlines(), notebook.line_map
        return decode_text(data, python=True).text.splitlines(), None
    except (OSError, NotText):  # changed or unreadable since it was analysed: no excerpt
        return None


def _in_cell(finding: Finding, cells: dict[str, list[list[int]]]) -> Finding:
    """A project rule's finding in a notebook names a line of the joined code: say which cell and
    line that is, as module rules do (``cells``: each notebook's cell starts)."""
    starts = cells.get(finding.path)
    if not starts or finding.cell is not None or finding.line is None:
        return finding
    where = to_cell(starts, finding.line)
    end = to_cell(starts, finding.end_line) if finding.end_line else None
    if where is None:
        return finding
    return finding.with_changes(cell=where[0], line=where[1],
                                end_line=end[1] if end and end[0] == where[0] else None)


def _refined(finding: Finding, project: Project) -> Finding:
    """A module rule's finding in the light of the whole repository (``ModuleRule.in_project``)."""
    rule = registry.get_rule(finding.rule)
    return rule.in_project(finding, project) if getattr(rule, "refines_in_project", False) else finding


def _post_process(findings: list[Finding], project: Project, config: Config, ran: list[str] | None = None,
                  blamer: Blamer | None = None) -> tuple[list[Finding], list[Finding], int, int]:
    """Findings to report, findings hidden by suppressions, and how many were less certain than
    ``min-confidence`` or below ``min-severity``; ``ran`` are the rule ids that ran. ``findings`` is
    emptied: each step makes its findings anew, and holding every step's at once was most of the
    memory of a scan with 400,000 findings."""
    findings, given = list(findings), findings
    given.clear()
    overrides = {}
    for key, severity in config.severity.items():
        rule = registry.get_rule(key)
        if rule is not None:
            overrides[rule.id] = severity
    floor = confidence_rank(config.min_confidence)
    least_severity, below_severity = severity_rank(config.min_severity), 0
    cells = project.fact(NOTEBOOK_CELLS)
    findings = [_refined(_in_cell(f, cells), project) for f in findings]
    certain = [f for f in findings if confidence_rank(f.confidence) >= floor]
    below = len(findings) - len(certain)
    # Ages of undocumented hacks (git blame on their lines) before severity overrides, so that an
    # explicit override wins over the age-based escalation.
    del findings
    findings = attach_ages(certain, project, config, blamer=blamer)
    del certain
    if blamer is not None:
        blamer.close()  # every age is attached: the blames' memory goes before the findings are made anew
    # kept in place: each finding is dropped from the list as its copy is written over the kept
    # ones, so the two are never all held at once
    kept = 0
    for index, finding in enumerate(findings):
        findings[index] = None
        if confidence_rank(finding.confidence) < floor:
            below += 1
            continue
        changes: dict[str, Any] = {"owners": project.owners_of(finding.path), "unit": project.units.of(finding.path)}
        rule = registry.get_rule(finding.rule)
        if rule is not None:
            changes["fix"] = rule.fix_for(finding)
        if finding.rule in overrides:
            changes["severity"] = overrides[finding.rule]
        if severity_rank(changes.get("severity", finding.severity)) < least_severity:
            below_severity += 1
            continue
        findings[kept] = finding.with_changes(**changes)
        kept += 1
    del findings[kept:]
    fill_missing_excerpts(findings, lambda path: _source_lines(project, path))
    outcome = apply_suppressions(findings, project, ran or [])
    del findings
    # Suppressed findings are fingerprinted with the rest, so adding or removing a suppression
    # never renumbers the identities of the findings around it.
    everything = outcome.kept + outcome.suppressed
    del outcome
    assign_fingerprints(everything)
    reported = [f for f in everything if "suppressed_by" not in f.evidence]
    hidden = [f for f in everything if "suppressed_by" in f.evidence]
    return sorted(reported, key=Finding.sort_key), sorted(hidden, key=Finding.sort_key), below, below_severity


def _content_hashes(root: Path, paths: list[str]) -> dict[str, str]:
    """Each Python file's and notebook's content hash (a file that cannot be read has none: its
    worker reports why)."""
    hashes: dict[str, str] = {}
    for path in paths:
        try:
            hashes[path] = hashlib.sha256((root / path).read_bytes()).hexdigest()
        except OSError:
            continue
    return hashes


def _source_keys(jobs: list[SourceJob], settings: str, contents: dict[str, str]) -> dict[str, str]:
    """Each Python file's cache key: its content with everything that shapes its analysis."""
    return {job.path: hashlib.sha256(f"{settings}\0{job.path}\0{job.module_name}\0{job.notebook}\0"
                                     f"{contents[job.path]}".encode()).hexdigest()
            for job in jobs if job.path in contents}


# Facts that post-processing reads on every scan (notebook cells for project findings, suppression
# directives). The per-file entry keeps them beside the findings, so a scan whose project phase is
# reused never loads the rest of the facts, which are most of the cache's bytes.
_LIGHT_FACTS = (NOTEBOOK_CELLS, SUPPRESSION_FACTS)


def _cached_results(jobs: list[SourceJob], cache: ResultCache | None, keys: dict[str, str],
                    ) -> tuple[list[SourceResult], list[SourceJob]]:
    """Split jobs into results found in the cache (with the light facts only: the other kinds stay
    in the cache until a rule asks for them) and jobs to run."""
    if cache is None or not cache.usable:
        return [], jobs
    hits: list[SourceResult] = []
    to_run: list[SourceJob] = []
    for job in jobs:
        cached = cache.get("source", keys[job.path]) if job.path in keys else None
        result = SourceResult.from_json(cached, job.path) if cached is not None else None
        if result is None or not result.facts_digest:
            to_run.append(job)
        else:
            # made objects now, module by module: the JSON of every cached module's findings held at
            # once, then converted, was a twentieth of the peak of an edited scan with 440,000 findings
            result.findings = [Finding.from_json(f) for f in result.findings]
            hits.append(result)
    return hits, to_run


def _store(cache: ResultCache, key: str, result: SourceResult) -> None:
    """A fresh result into the cache: each fact kind in its own entry, the rest in one."""
    if result.errors:
        return  # a rule error is retried next time
    for name, text in result.fact_texts.items():
        cache.put_encoded("facts", f"{key}:{name}", text)
    cache.put("source", key, result.cache_entry(_LIGHT_FACTS))


def _fact_loader(cache: ResultCache, key: str) -> Callable[[str], Any]:
    def load(name: str) -> Any:
        text = cache.get_encoded("facts", f"{key}:{name}")
        try:
            if text is not None:
                return json.loads(text)
        except ValueError:
            pass
        raise KeyError(name)  # damaged or gone: the store has the module analysed again

    return load


def _fact_store(hits: list[SourceResult], fresh: list[SourceResult], jobs: list[SourceJob],
                cache: ResultCache | None, cache_keys: dict[str, str], project_files: dict[str, RepoFile],
                config: Config, memo: dict[tuple[str, str], tuple[str, Any]] | None = None) -> FactStore:
    """Every analysed module's facts: fresh ones as the workers' text, cached ones left in the
    cache (but for the light kinds) until a rule asks for their kind. ``memo``: a session's values
    decoded by its earlier scans (``ScanSession.facts``)."""
    by_path = {job.path: job for job in jobs}

    def reanalyse(path: str) -> dict[str, str]:
        [res] = _analyse([by_path[path]], project_files, config, None)
        if cache is not None and path in cache_keys:
            _store(cache, cache_keys[path], res)
        return res.fact_texts

    def load_many(name: str, paths: list[str]) -> Iterator[tuple[str, Any]]:
        by_key = {f"{cache_keys[path]}:{name}": path for path in paths if path in cache_keys}
        for key, text in cache.get_many_encoded("facts", list(by_key)) if cache is not None else ():
            try:
                yield by_key[key], json.loads(text)
            except ValueError:
                continue  # damaged: the module's own loader fails too, and it is analysed again

    store = FactStore(reanalyse, load_many, memo)
    # In the repository's file order, whichever modules came from the cache: rules that take the
    # first of several places must give the same answer on a cold scan and a warm one.
    cached = {res.path: res for res in hits}
    analysed = {res.path: res for res in fresh}
    for job in jobs:
        if job.path in analysed and not analysed[job.path].skipped:
            store.add(job.path, analysed[job.path].fact_texts, digests=analysed[job.path].kind_digests)
        elif job.path in cached and not cached[job.path].skipped:
            res = cached[job.path]
            store.add(job.path, values=res.facts, names=res.fact_names,
                      loader=_fact_loader(cache, cache_keys[job.path]), digests=res.kind_digests)
            if cache is not None:  # every kind is the module's current state, asked for this time or not
                cache.keep_under("facts", f"{cache_keys[job.path]}:")
    store.forget_others()
    return store


def _inventory(root: Path, only: str | None, config: Config, result: ScanResult) -> dict[str, RepoFile]:
    """Every file the scan considers, classified; what cannot be listed is recorded as skipped."""
    found = discover(root, config.exclude)
    result.skipped.extend(found.skipped)
    # mlaudit's own baseline is not part of the project: its messages name files and would feed rules.
    own = {config.baseline.strip("/") if config.baseline else None}
    files: dict[str, RepoFile] = {}
    for rel in found.paths:
        if (only is not None and rel != only) or rel in own or posix_path(rel).name == ".mlaudit-baseline.json":
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
                  result: ScanResult) -> tuple[list[SourceResult], list[SourceResult]]:
    """Python modules and notebooks: from the cache where unchanged, else in worker processes.
    Returns (cached, fresh) results; the module findings and counts go into ``result``."""
    hits, to_run = _cached_results(jobs, cache, cache_keys)
    fresh = _analyse(to_run, files, config, progress)
    for res in fresh:
        if cache is not None and res.path in cache_keys:
            _store(cache, cache_keys[res.path], res)
    result.cache = {"enabled": cache is not None and cache.usable, "hits": len(hits), "analysed": len(fresh),
                    "directory": str(cache.directory) if cache is not None else None}
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
        result.lines_by_path[res.path] = res.lines
        result.errors.extend(res.errors)
    return hits, fresh


def _analyse(jobs: list[SourceJob], files: dict[str, RepoFile], config: Config,
             progress: Progress | None) -> list[SourceResult]:
    # Never more workers than cores: the work is CPU-bound, and a repository's own configuration
    # (`jobs = 100000`) must not make a scan fork thousands of processes.
    cores = os.cpu_count() or 1
    workers = min(config.jobs, cores) if config.jobs else cores
    if not config.jobs and sum(files[j.path].size for j in jobs) < PARALLEL_MIN_BYTES:
        workers = 1
    return _run_jobs(jobs, workers, progress)


# --- what a later scan reuses (auditor/scan/incremental.py) ----------------------------------------

_COUNTS = ("python_files", "notebooks", "python_lines", "below_min_confidence", "below_min_severity")


def _store_result(cache: ResultCache, key: str, result: ScanResult,
                  later: Callable[[Callable[[], None]], None] | None = None) -> None:
    """The whole result into the cache, as it is now; with ``later`` (a session's), written when
    the session is next settled, after the editor has the findings."""
    head = {"readiness": result.readiness, "skipped": list(result.skipped), "degraded": list(result.degraded),
            "counts": [getattr(result, name) for name in _COUNTS], "errors": list(result.errors)}
    findings, suppressed = list(result.findings), list(result.suppressed)

    def write() -> None:
        cache.put_in_parts("scan", key, head, {"findings": stored_rows(findings), "suppressed": stored_rows(suppressed)})

    write() if later is None else later(write)


def _restore_result(state: Any, result: ScanResult) -> bool:
    """``state``: what ``_store_result`` stored, its findings made ``Finding`` objects again."""
    try:
        findings, suppressed = list(state["findings"]), list(state["suppressed"])
        if not all(isinstance(f, Finding) for f in findings + suppressed):
            return False
        counts = [int(n) for n in state["counts"]]
        skipped = [(str(p), str(r)) for p, r in state["skipped"]]
        degraded = [(str(p), str(r)) for p, r in state["degraded"]]
        errors = [{"rule": str(e["rule"]), "path": str(e["path"]), "error": str(e["error"])}
                  for e in state.get("errors", [])]
    except (KeyError, TypeError, ValueError, AttributeError):
        return False  # a damaged or foreign entry: scan normally
    result.findings, result.suppressed, result.readiness = findings, suppressed, state.get("readiness")
    result.skipped, result.degraded, result.errors = skipped, degraded, errors
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
            if file.caveats:
                result.degraded.append((rel, file.caveats))
            file.parses = file.kind in (CONFIG, LOCK) or file.name.lower() == "pipfile"
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


class ScanSession:
    """Scans of one repository by a long-lived process (the language server, ``scan --watch``): the
    result cache stays open between them, and the program graph's stored edges stay decoded in
    memory (those of the last scan only), so a re-check after a save neither reopens the cache nor
    decodes every module's edges again. Its scans run one at a time, on one thread."""

    def __init__(self, cache_dir: Path | None) -> None:
        self.cache_dir = cache_dir
        self._cache: ResultCache | None = None
        self.edges: dict[str, Any] = {}  # edge entries by key (incremental.StoredEdges)
        # each module's facts as the last scans decoded them, by kind and digest (FactStore's memo):
        # a re-check decodes only the edited modules' facts
        self.facts: dict[tuple[str, str], tuple[str, Any]] = {}
        # what a scan leaves for after its findings are out (storing its whole result, marking what
        # it used in the cache): done by ``settle``, which the next scan and ``close`` call first
        self._after: list[Callable[[], None]] = []

    def later(self, step: Callable[[], None]) -> None:
        self._after.append(step)

    def settle(self) -> None:
        """Finish what the last scan left (on the thread that scans: the cache is its)."""
        steps, self._after = self._after, []
        for step in steps:
            step()

    @property
    def cache(self) -> ResultCache | None:
        if self._cache is None and self.cache_dir is not None:
            self._cache = ResultCache(self.cache_dir)
        return self._cache

    def close(self) -> None:
        self.settle()
        if self._cache is not None:
            self._cache.close()
            self._cache = None


def scan(target: Path, config: Config, *, now: float | None = None, progress: Progress | None = None,
         display_root: str | None = None, cache_dir: Path | None = None,
         history: GitHistory | None = None, keep_analyses: bool = True,
         session: ScanSession | None = None) -> ScanResult:
    """Scan ``target``. ``cache_dir`` enables the per-file result cache (the CLI passes the
    user's cache directory by default; the library API caches only when asked). ``history``
    replaces reading git at ``target``: scans of past commits exported to a temporary directory
    pass the repository's history as of that commit. Without ``keep_analyses`` what only the
    project rules read (the program graph, the dead-code analysis, most facts) is released as soon
    as they are done, so ``result.project`` can no longer answer them: a CLI scan, whose findings
    are all it reports. ``session``: the cache of a long-lived process's scans (``cache_dir`` is
    then the session's)."""
    started = time.time()
    if not target.exists():
        raise ScanError(f"path does not exist: {target}")
    root, only = (target.parent, target.name) if target.is_file() else (target, None)
    result = ScanResult(root=display_root or str(target), config=config, findings=[], rules=None, started=started)
    files = _inventory(root, only, config, result)
    result.files = len(files)
    if session is not None:
        cache = session.cache
    else:
        cache = ResultCache(cache_dir) if cache_dir is not None else None
    computed = False
    if session is not None:
        session.settle()  # what the last scan left for after its findings were out
    try:
        _run(result, root, only, files, cache, progress, history, now if now is not None else started, keep_analyses,
             session)
        result.git.settle()  # the log read beside the scan: finished, and stored while the cache is open
        computed = not result.cache.get("whole_scan_reused", False)
    finally:
        if cache is not None and session is None:
            cache.end_scan(computed)  # what this scan used is marked; what no recent scan used goes
            cache.close()
        elif cache is not None:
            cache.flush()  # written through: another process sees this scan's entries
            session.later(functools.partial(cache.end_scan, computed))
    result.duration = time.time() - started
    return result


@dataclass
class _Scan:
    """One scan's inputs between its phases (``cache`` only when it is usable)."""

    result: ScanResult
    root: Path
    only: str | None
    files: dict[str, RepoFile]
    cache: ResultCache | None
    progress: Progress | None
    now: float
    sources: list[str] = field(default_factory=list)  # Python modules and notebooks
    module_names: dict[str, str] = field(default_factory=dict)
    contents: dict[str, str] = field(default_factory=dict)  # their content hashes, when caching


def _run(result: ScanResult, root: Path, only: str | None, files: dict[str, RepoFile], cache: ResultCache | None,
         progress: Progress | None, history: GitHistory | None, now: float, keep_analyses: bool = True,
         session: ScanSession | None = None) -> None:
    """Everything after the inventory, reusing what the cache allows: the whole result of an
    unchanged repository (without loading a rule); else each unchanged file's results, the
    project phase when every module's facts are as they were, and what readiness gathers."""
    scan = _Scan(result, root, only, files, cache if cache is not None and cache.usable else None, progress, now)
    project = _model(scan, history)
    result.kind = project_kind(project)
    whole_key = _whole_scan_key(scan) if scan.cache else None
    if whole_key and _restore_whole_scan(scan, whole_key):
        return
    rules = result.selected_rules()
    options = {rule.id: registry.rule_options(result.config, rule.id) for rule in rules}
    jobs = [SourceJob(rel, str(root / rel), files[rel].kind == NOTEBOOK, scan.module_names[rel],
                      [rule.id for rule in rules], options, result.config.max_file_size) for rel in scan.sources]
    settings = settings_digest([rule.id for rule in rules], options, result.config.max_file_size)
    source_keys = _source_keys(jobs, settings, scan.contents) if scan.cache else {}
    # From here the main process decodes millions of small objects (cached results, facts) that live
    # to the end of the scan, and makes few reference cycles: the collector's full passes over them
    # cost more than the work itself on large trees (whole stdlib: 2.9 -> 1.6 s for the project phase;
    # storing 4,600 findings after an edit at 1M lines: 1.0 -> 0.1 s), so it waits until the scan is stored.
    with paused_collector():
        _analyse_and_store(scan, project, rules, options, jobs, settings, source_keys, whole_key, keep_analyses,
                           session)


def _analyse_and_store(scan: _Scan, project: Project, rules: list[type], options: dict[str, dict[str, Any]],
                       jobs: list[SourceJob], settings: str, source_keys: dict[str, str], whole_key: str | None,
                       keep_analyses: bool, session: ScanSession | None) -> None:
    result, files, progress = scan.result, scan.files, scan.progress
    hits, fresh = _source_phase(files, jobs, result.config, scan.cache, source_keys, progress, result)
    project.facts = _fact_store(hits, fresh, jobs, scan.cache, source_keys, files, result.config,
                                memo=session.facts if session is not None else None)
    project_rules = [rule for rule in rules if issubclass(rule, (FileRule, ProjectRule))]
    keys = _project_keys(scan, project, settings, hits + fresh) if scan.cache else None
    # each module's resolved edges are kept, and replayed by the next graph that can
    edges = incremental.StoredEdges(scan.cache, code_digest(), {r.path: r.facts_digest for r in hits + fresh},
                                    memory=session.edges if session is not None else None) if scan.cache else None
    if scan.cache and edges is not None:  # the current state's entries, whether this scan reads them or not
        edges.keep_all()
        incremental.StoredDocuments(scan.cache, code_digest()).keep_all(files)
    # a session's facts are kept for its next scan (ScanSession.facts): the graph must not drop them
    project.builders = {**project.builders, "program": functools.partial(_build_program, edges=edges,
                                                                         release_inputs=session is None)}
    readiness_facts = {r.path: incremental.readiness_identity(r.kind_digests) for r in hits + fresh}
    _analyse_project(scan, project, project_rules, keys, options, _module_findings(hits + fresh), source_keys,
                     keep_analyses, readiness_facts)
    result.skipped.sort()
    result.degraded.sort()
    if whole_key:  # with its internal errors, which the same inputs would raise again
        _store_result(scan.cache, whole_key, result, later=session.later if session is not None else None)
    result.cache["whole_scan_reused"] = False


def _module_findings(results: list[SourceResult]) -> list[Finding]:
    """The module rules' findings, each result's own list dropped once read: the results live to the
    end of the scan, and a second copy of every finding would be most of a large report's memory.
    A fresh result's findings are JSON (from a worker); a cached one's are objects already."""
    findings = []
    for res in results:
        if not res.skipped:
            findings += [f if isinstance(f, Finding) else Finding.from_json(f) for f in res.findings]
        res.findings = []
    return findings


def _model(scan: _Scan, history: GitHistory | None) -> Project:
    """The repository model, facts still to come: text files read, configs marked for parsing,
    git's history being read in the background."""
    result, files = scan.result, scan.files
    python_paths = {p for p, f in files.items() if f.kind == PYTHON}
    scan.sources = [rel for rel, f in files.items() if f.kind in (PYTHON, NOTEBOOK)]
    scan.module_names = {rel: module_name_for(rel, python_paths) for rel in scan.sources}
    scan.contents = _content_hashes(scan.root, scan.sources) if scan.cache else {}
    _load_other_files(scan.root, files, result.config, result)
    result.git = history if history is not None else read_history(scan.root, scan.cache)
    result.project = Project(root=scan.root, config=result.config, files=files, facts=FactStore(),
                             module_names=scan.module_names, git=result.git, codeowners=_codeowners(files),
                             units=detect_units(files, result.config.units), now=scan.now, builders=ANALYSIS_BUILDERS,
                             **unread_paths(result.skipped))
    return result.project


def _whole_scan_key(scan: _Scan) -> str:
    # mlaudit's code and the configuration decide which rules run and how, so they stand for the
    # rules here, and a scan answered from the cache never loads one.
    identities = {rel: f"{scan.module_names[rel]}\0{scan.files[rel].kind}\0{scan.contents[rel]}"
                  for rel in scan.contents}
    project = scan.result.project
    return incremental.scan_key(code_digest(), scan.result.config, scan.files, identities, scan.result.git,
                                scan.only, scan.now, (project.unlisted, project.absent))


def _restore_whole_scan(scan: _Scan, key: str) -> bool:
    stored = scan.cache.get_in_parts("scan", key, Finding.from_json)
    if stored is None or not _restore_result(stored, scan.result):
        return False
    scan.result.cache = {"enabled": True, "hits": len(scan.sources), "analysed": 0,
                         "directory": str(scan.cache.directory), "whole_scan_reused": True,
                         "project_phase_reused": True}
    return True


def _project_keys(scan: _Scan, project: Project, settings: str, results: list[SourceResult]) -> incremental.ProjectKeys:
    # outside git, file times are the artifacts' clock, and the rules that read them must look again
    file_times = not scan.result.git.available and bool(project.artifacts)
    return incremental.ProjectKeys(settings, scan.result.config, scan.files, {r.path: r.kind_digests for r in results},
                                   {r.path: r.facts_digest for r in results}, scan.module_names, scan.result.git,
                                   scan.only, scan.now, file_times, (project.unlisted, project.absent))


def _analyse_project(scan: _Scan, project: Project, rules: list[type], keys: incremental.ProjectKeys | None,
                     options: dict[str, dict[str, Any]], module_findings: list[Finding],
                     source_keys: dict[str, str], keep_analyses: bool = True,
                     readiness_facts: dict[str, str] | None = None) -> None:
    """The project rules (or their stored findings), post-processing and the readiness score."""
    result = scan.result
    key = keys.readiness if keys is not None else None
    stored = scan.cache.get("readiness", key) if scan.cache is not None and key else None
    reusable = incremental.reusable_gathering(project, stored, readiness_facts or {})
    gathering = None if reusable is not None else readiness_step.start_gathering(project, result.python_lines)  # before blame
    blamer = _start_blame(project, module_findings, scan.cache, source_keys)
    try:
        found = project_findings(result, scan.cache, project, rules, keys, options)
        if not keep_analyses:
            _release_project_analyses(project)
        module_findings += found  # one list, which post-processing empties as it goes
        del found
        result.findings, result.suppressed, result.below_min_confidence, result.below_min_severity = _post_process(
            module_findings, project, result.config, [r.id for r in result.rules], blamer)
        result.readiness = readiness_step.readiness_score(project, result, scan.cache, key, reusable, gathering,
                                                          readiness_facts or {})
    finally:
        blamer.close()


# The fact kinds read after the project rules: by post-processing (notebook cells, suppression
# directives) and by readiness (``auditor/readiness/index.py``: usage and notebook cells).
FACTS_READ_AFTER_PROJECT_RULES = (NOTEBOOK_CELLS, SUPPRESSION_FACTS, "usage")


def _release_project_analyses(project: Project) -> None:
    """Drop what only the project rules read, now that they are done: the program graph, the
    dead-code analysis and the other facts (1.3 of 2.6 GiB on a tree with 440,000 findings, where
    post-processing and writing the reports come next)."""
    from auditor.analysis import liveness  # here: a scan answered from the cache never imports it

    project.__dict__.pop("program", None)
    liveness.release()
    project.facts.release(keep=FACTS_READ_AFTER_PROJECT_RULES)


def _start_blame(project: Project, module_findings: list[Finding], cache: ResultCache | None,
                 source_keys: dict[str, str]) -> Blamer:
    """Blame the module findings' hack lines now, in the background, while the project rules run."""

    def content_id(path: str) -> str | None:
        file = project.files.get(path)
        if path in source_keys:
            return source_keys[path]
        return digest_text(file.text) if file is not None and file.text is not None else None

    blamer = Blamer(project, cache, content_id)
    if project.git.available:
        blamer.request_all({path: lines for path, lines in hack_lines(module_findings).items()
                            if path in project.git.paths})
    return blamer
