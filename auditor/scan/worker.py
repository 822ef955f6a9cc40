"""The per-file phase for Python modules and notebooks.

Runs in worker processes: it receives a small job, reads and parses one file, runs the module
rules and extractors, and returns plain data (facts, findings, notes). No syntax tree leaves it,
and everything it returns is JSON-serialisable so a later cache can store it safely.
"""

from __future__ import annotations

import gc
import json
import re
import signal
import sys
import threading
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

from auditor import registry
from auditor.analysis.pymodule import ParsedModule, parse_python, unparsed_module
from auditor.analysis.symbols import RECOVERED_IMPORTS, WRITTEN_MODULES, recover_imports, written_modules
from auditor.finding import Finding
from auditor.ml.teaching import exercise_blank
from auditor.model.excerpt import attach as attach_excerpts
from auditor.model.factstore import digest as facts_digest
from auditor.model.factstore import encode_facts, kind_digests
from auditor.model.sources import NOTEBOOK_CELLS, NotText, cell_starts, decode_text, parse_notebook
from auditor.rule import ModuleRule


@dataclass
class SourceJob:
    path: str
    abs_path: str
    notebook: bool
    module_name: str
    rule_ids: list[str]
    rule_options: dict[str, dict[str, Any]]
    max_size: int


@dataclass
class SourceResult:
    path: str
    lines: int = 0
    facts: dict[str, Any] = field(default_factory=dict)
    findings: list[Any] = field(default_factory=list)  # JSON from a worker; Finding objects once read back from the cache
    skipped: str | None = None  # reason the file was not analysed at all
    note: str | None = None  # reason the analysis was degraded (decoding, broken cells)
    errors: list[dict[str, str]] = field(default_factory=list)  # internal rule errors
    facts_digest: str = ""  # of the facts' JSON: what the graph's edge store and readiness see of the module
    kind_digests: dict[str, str] = field(default_factory=dict)  # each kind's: what a project rule's key sees
    # Set by ``analyse_batch``: each fact kind as JSON text (what the main process keeps until a rule
    # asks for that kind, and what the cache stores), ``facts`` then emptied; and the kinds' names.
    fact_texts: dict[str, str] = field(default_factory=dict)
    fact_names: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def cache_entry(self, light: tuple[str, ...]) -> dict[str, Any]:
        """The per-file cache entry: everything but the fact texts (stored one entry per kind), with
        the ``light`` kinds decoded in it, which every scan's post-processing reads."""
        entry = {k: v for k, v in self.to_json().items() if k != "fact_texts"}
        entry["facts"] = {name: json.loads(self.fact_texts[name]) for name in light if name in self.fact_texts}
        return entry

    @classmethod
    def from_json(cls, data: Any, path: str) -> "SourceResult | None":
        """A cached result, or None when the entry is not one of ours for this path."""
        try:
            if not isinstance(data, dict) or data.get("path") != path:
                return None
            result = cls(**data)
            if not isinstance(result.facts, dict) or not isinstance(result.findings, list):
                return None
            return result
        except TypeError:
            return None


def format_error() -> str:
    """The exception being handled, as an internal error records it (a rule or extractor that broke)."""
    import traceback  # only when a rule or extractor breaks

    return traceback.format_exc(limit=3)


PARSE_ERROR_RULE = "ML001"


# Source that is a template for another tool to fill in (cookiecutter, Jinja), not Python yet.
_TEMPLATE_PATH = re.compile(r"\{\{.*\}\}")
_TEMPLATE_TEXT = re.compile(r"\{\{[^{}\n]*\}\}|\{%-?\s*(?:if|for|set|block|include|raw|macro|else|end\w*)\b")
# Syntax that newer Pythons accept (PEP 695 type aliases and generics, 3.12): on an older
# interpreter the file is fine, the analysis just cannot read it.
_NEWER_SYNTAX = re.compile(r"^\s*(?:type\s+\w+\s*(?:\[[^\]]*\])?\s*=|(?:async\s+)?def\s+\w+\s*\[|class\s+\w+\s*\[)")


def _intended_error(path: str, message: str, text: str, previous: str, error_shown: bool) -> tuple[str, str | None]:
    """The message and severity of a syntax error: ``info`` when it is not the author's problem
    (syntax of a newer Python, a blank an exercise leaves for the reader, an error a tutorial
    notebook shows on purpose), else the rule's own severity (None)."""
    if _NEWER_SYNTAX.match(text):
        return (f"{message} (valid on a newer Python: type aliases and generic syntax need 3.12, "
                f"mlaudit runs on {sys.version_info.major}.{sys.version_info.minor})"), "info"
    if exercise_blank(text, previous, path):
        return f"{message} (a blank left for the reader to fill in: course or template material)", "info"
    if error_shown:
        return f"{message} (the notebook's saved output shows this error: it is demonstrated on purpose)", "info"
    return message, None


def _parse_error(job: SourceJob, line: int | None, cell: int | None, message: str, text: str,
                 severity: str | None = None) -> dict:
    rule = registry.all_rules()[PARSE_ERROR_RULE]
    return Finding(
        rule=rule.id, name=rule.name, category=rule.category, severity=severity or rule.severity,
        confidence=rule.confidence, path=job.path, line=line, cell=cell,
        message=f"cannot parse: {message}; " + ("the cell is left out of the analysis" if cell is not None
                                                 else "the file is not analysed further"),
        anchor=message, evidence={"error": message, "text": text[:200]},
    ).to_json() | {"anchor": message}


# Notebooks carry their outputs (plots, tables) in the file: the size limit applies to the code
# of their cells, and the file itself may be this many times larger.
NOTEBOOK_FILE_FACTOR = 20


def _read_source(job: SourceJob, result: SourceResult):
    """(text, notebook or None), or None with ``result.skipped`` saying why."""
    try:
        data = Path(job.abs_path).read_bytes()
    except OSError as exc:
        result.skipped = f"unreadable: {exc.strerror or exc}"
        return None
    limit = job.max_size * NOTEBOOK_FILE_FACTOR if job.notebook else job.max_size
    if len(data) > limit:
        result.skipped = f"larger than max-file-size ({len(data):,} > {limit:,} bytes)"
        return None
    try:
        if not job.notebook:
            decoded = decode_text(data, python=True)
            result.note = decoded.note
            return decoded.text, None
        notebook = parse_notebook(data)
    except NotText as exc:
        result.skipped = str(exc)
        return None
    if len(notebook.code) > job.max_size:
        result.skipped = f"code cells larger than max-file-size ({len(notebook.code):,} > {job.max_size:,} bytes)"
        return None
    if notebook.broken_cells:
        result.note = f"{len(notebook.broken_cells)} cell(s) could not be parsed and were left out"
    return notebook.code, notebook


def _parse(job: SourceJob, text: str, notebook, result: SourceResult, selected: set[str]):
    """The syntax tree, or None when the file does not parse (reported as ML001 when selected)."""
    line_map = notebook.line_map if notebook else None
    if notebook is not None and PARSE_ERROR_RULE in selected:
        for broken in notebook.broken_cells:
            message, severity = _intended_error(job.path, broken.message, broken.text, broken.previous,
                                                broken.error_shown)
            result.findings.append(_parse_error(job, broken.line, broken.cell, message, broken.text, severity))
    try:
        return parse_python(text, notebook=job.notebook)
    except SyntaxError as exc:
        if not job.notebook and (_TEMPLATE_PATH.search(job.path) or _TEMPLATE_TEXT.search(text)):
            result.skipped = "template: cookiecutter or Jinja placeholders, Python only once rendered"
            return None
        if not job.notebook:  # what it imports is still used (auditor/analysis/symbols.py)
            result.facts[RECOVERED_IMPORTS] = recover_imports(text, job.module_name, job.path.endswith("__init__.py"))
            _run_comment_rules(job, text, result)  # its debt markers and suppressions are still there
        if PARSE_ERROR_RULE in selected:
            lines = text.splitlines()
            failing = lines[exc.lineno - 1] if exc.lineno and 0 < exc.lineno <= len(lines) else exc.text or ""
            previous = lines[exc.lineno - 2] if exc.lineno and 1 < exc.lineno <= len(lines) + 1 else ""
            message, severity = _intended_error(job.path, exc.msg or "invalid syntax", failing, previous, False)
            result.findings.append(_parse_error(job, exc.lineno, None, message, exc.text or "", severity))
            attach_excerpts(result.findings, text.splitlines(), line_map)
        else:
            result.note = f"not analysed: syntax error at line {exc.lineno}: {exc.msg}"
    except (ValueError, RecursionError, MemoryError) as exc:
        result.skipped = f"cannot be parsed: {type(exc).__name__}: {exc}"
    return None


def _run_comment_rules(job: SourceJob, text: str, result: SourceResult) -> None:
    """The module rules that read only comments (``reads_comments_only``), on a file that does not
    parse, with its comments from the tokenizer."""
    _run_module_rules(job, unparsed_module(job.path, job.module_name, text), result,
                      lambda rule_cls: getattr(rule_cls, "reads_comments_only", False))


def _run_module_rules(job: SourceJob, module: ParsedModule, result: SourceResult, wanted) -> None:
    """The selected module rules that ``wanted`` accepts; a bug in one is an internal error for
    this file and the others still run."""
    rules = registry.all_rules()
    for rule_id in job.rule_ids:
        rule_cls = rules[rule_id]
        if not issubclass(rule_cls, ModuleRule) or not wanted(rule_cls):  # file, project and pass rules run elsewhere
            continue
        try:
            for finding in rule_cls(job.rule_options.get(rule_id)).check(module):
                result.findings.append(finding.to_json() | {"anchor": finding.anchor})
        except Exception:
            result.errors.append({"rule": rule_id, "path": job.path, "error": format_error()})


def _run_rules(job: SourceJob, module: ParsedModule, result: SourceResult) -> None:
    """Every extractor, then the selected module rules; a bug in one is an internal error for
    this file and the others still run."""
    for name, extractor_cls in registry.all_extractors().items():
        try:
            facts = extractor_cls().extract(module)
            for part, keys in extractor_cls.parts.items():
                result.facts[part] = {key: facts.pop(key) for key in keys if key in facts}
            result.facts[name] = facts
        except Exception:
            result.errors.append({"rule": f"extractor:{name}", "path": job.path,
                                  "error": format_error()})
    _run_module_rules(job, module, result, lambda rule_cls: True)


def analyse_source(job: SourceJob) -> SourceResult:
    result = SourceResult(job.path)
    source = _read_source(job, result)
    if source is None:
        return result
    text, notebook = source
    result.lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    tree = _parse(job, text, notebook, result, set(job.rule_ids))
    if tree is None:
        return result
    module = ParsedModule(job.path, job.module_name, text, tree, is_notebook=job.notebook,
                          line_map=notebook.line_map if notebook else None)
    if notebook is not None:  # where each cell starts in the joined code, for project-rule findings
        result.facts[NOTEBOOK_CELLS] = cell_starts(notebook.line_map)
        if notebook.written:
            result.facts[WRITTEN_MODULES] = written_modules(job.path, notebook.written)
    _run_rules(job, module, result)
    attach_excerpts(result.findings, module.lines, module.line_map)
    module.memo.clear()  # helpers memoised there hold the module: without them no cycle keeps it alive
    return result


# The budget of one file's analysis. No real file comes near it (the largest take about a second);
# a file crafted to make an analysis slow or hungry is skipped with the reason, and the scan goes on.
FILE_SECONDS = 20.0
WORKER_MEMORY_BYTES = 4 << 30  # address space of one worker process (set in worker processes only)


class _OverBudget(BaseException):
    """Raised by the timer inside a file's analysis; a BaseException, so that no rule's
    ``except Exception`` can swallow it."""


def _on_alarm(signum, frame) -> None:
    raise _OverBudget()


def analyse_within_budget(job: SourceJob) -> SourceResult:
    """``analyse_source`` stopped after ``FILE_SECONDS`` (where a timer can be set: the main thread
    of a process on a system with ``setitimer``) or when it runs out of memory."""
    timed = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if timed:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, FILE_SECONDS)
    try:
        return analyse_source(job)
    except _OverBudget:
        return SourceResult(job.path, skipped=f"its analysis took more than {FILE_SECONDS:g} s: skipped")
    except MemoryError:
        return SourceResult(job.path, skipped="its analysis needed more memory than a file may use: skipped")
    except RecursionError:
        return SourceResult(job.path, skipped="it nests deeper than the analysis can follow: skipped")
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def init_worker() -> None:
    """Initializer of worker processes: a bounded memory, and Ctrl-C or SIGTERM left to the parent,
    which stops the pool and says so in one line (a worker's traceback would bury it)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    limit_worker_memory()


def limit_worker_memory() -> None:
    """Initializer of worker processes: a file that needs more memory than this raises MemoryError
    in its own analysis, instead of taking the machine's memory from everything else."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY or soft > WORKER_MEMORY_BYTES:
            resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY_BYTES, hard))
    except (ImportError, ValueError, OSError):
        pass  # not on this system: the time budget still holds


SWEEP_EVERY = 1000  # files between two sweeps of the youngest generation


@contextmanager
def paused_collector() -> Iterator[None]:
    """The cyclic garbage collector off for a block, then as it was (the blocks nest: a scan that
    analyses files in its own process pauses it around that too)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def analyse_batch(jobs: list[SourceJob]) -> list[SourceResult]:
    # Parsing many files creates millions of short-lived objects; collector passes over them only
    # slow that down. A file's analysis leaves no reference cycle (the module's memo is cleared, and
    # tests/test_memory_cycles.py holds it), so reference counting frees each file's trees as soon as
    # it is done: without the sweep every 20 files, a one-worker scan of the standard library takes
    # 23.8 s instead of 27.3 s at the same 365 MB. A rare sweep stays as insurance against a cycle a
    # plugin's rule might make.
    with paused_collector():
        results = []
        for index, job in enumerate(jobs, start=1):
            result = analyse_within_budget(job)
            # Facts leave the worker as the JSON text the main process keeps and the cache stores.
            result.fact_texts, result.facts = encode_facts(result.facts), {}
            result.fact_names = list(result.fact_texts)
            result.kind_digests = kind_digests(result.fact_texts)
            result.facts_digest = facts_digest(result.kind_digests)
            results.append(result)
            if index % SWEEP_EVERY == 0:
                gc.collect(0)
        return results
