"""A fix run: scan, make each offered fix, write the files, and scan again until nothing is left.

Each round scans (with the cache, so a round after the first re-analyses only the files it changed),
plans every finding's fix on the file as it is now, checks each plan's edits against the span of
its finding, merges the plans of a file (plans whose edits overlap wait for the next round, made
against the new text), checks that the file still parses, and writes it. A fix can uncover another
(deleting an unused function leaves its import unused), so rounds go on until a scan offers nothing
new, at most ``MAX_ROUNDS``: running ``mlaudit fix`` a second time then changes nothing.

A file that changed on disk since the round's scan started, or between reading and writing it, is
left alone with a message. With ``diff``, the rounds run on a copy of the repository's files and the
repository is never written.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import hashlib
import json
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from auditor.fix.edits import Edit, Plan, merge
from auditor.fix.fixers import FIXERS, Change, Context, Skip, Source
from auditor.fix.targets import CannotFix, FixTarget, parses, read_target
from auditor.ml.requirements import normalise
from auditor.ml.versions import pinned_text

MAX_ROUNDS = 10
COPY_LIMIT = 20 * 1024 * 1024  # a file larger than this (a model) is not copied for --diff: no fix reads it


@dataclass
class FixOptions:
    unsafe: bool = False  # --unsafe-fixes
    pins: dict[str, str] | None = None  # --pin-from: normalised package -> installed version


@dataclass
class FixOutcome:
    fixed: list[Plan] = field(default_factory=list)
    not_fixed: list[Plan] = field(default_factory=list)  # offered, but could not be made here (why)
    needs_unsafe: int = 0  # findings whose fix is unsafe, left for --unsafe-fixes
    left_alone: dict[str, str] = field(default_factory=dict)  # file -> why it was not written
    before: dict[str, bytes] = field(default_factory=dict)  # each changed file as it was
    after: dict[str, bytes | None] = field(default_factory=dict)  # ... and as it is now (None: deleted)
    rounds: int = 0
    unfinished: bool = False  # MAX_ROUNDS reached with fixes still offered
    final: object = None  # the last scan's result: what is left

    def counts(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for plan in self.fixed:
            totals[plan.kind] = totals.get(plan.kind, 0) + 1
        return dict(sorted(totals.items()))

    def diff(self) -> str:
        """A unified diff of every changed file, as ``ruff --diff`` prints one."""
        out = []
        for path in sorted(self.after):
            old = self.before[path].decode("utf-8", "replace").splitlines(keepends=True)
            new_bytes = self.after[path]
            new = new_bytes.decode("utf-8", "replace").splitlines(keepends=True) if new_bytes is not None else []
            out.extend(difflib.unified_diff(old, new, f"a/{path}", f"b/{path}" if new_bytes is not None else "/dev/null"))
            if out and not out[-1].endswith("\n"):
                out[-1] += "\n\\ No newline at end of file\n"
        return "".join(out)


def fix_repository(root: Path, scan: Callable[[Path], object], options: FixOptions, *,
                   write: bool = True) -> FixOutcome:
    """Fix the repository at ``root``; ``scan(path)`` scans a tree with the user's settings. With
    ``write=False`` the rounds run on a copy and ``root`` is not touched (``--diff``)."""
    outcome = FixOutcome()
    first = scan(root)
    if write:
        _rounds(root, scan, options, outcome, first)
        return outcome
    with tempfile.TemporaryDirectory(prefix="mlaudit-fix-") as scratch:
        copy = Path(scratch) / "repo"
        _copy_tree(root, copy, first)
        _rounds(copy, scan, options, outcome, None)
    return outcome


def _copy_tree(root: Path, copy: Path, result) -> None:
    """The files the scan saw (git's list, minus what is excluded), for a scan of the copy to see the
    same repository."""
    copy.mkdir(parents=True)
    for path in getattr(result.project, "files", {}):
        source = root / path
        with contextlib.suppress(OSError):
            info = source.lstat()
            if not stat.S_ISREG(info.st_mode) or info.st_size > COPY_LIMIT:
                continue
            target = copy / path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def _rounds(root: Path, scan, options: FixOptions, outcome: FixOutcome, result) -> None:
    attempted: set[tuple[str, str, str]] = set()  # findings whose fix failed: not tried again
    for number in range(1, MAX_ROUNDS + 1):
        result = result if result is not None else scan(root)
        plans, needs_unsafe = _plans(result, options, attempted)
        outcome.needs_unsafe = needs_unsafe
        outcome.final = result
        if not plans:
            return
        outcome.rounds = number
        changed = 0
        for path, file_plans in sorted(_by_path(plans).items()):
            changed += _fix_file(root, path, file_plans, result, outcome, attempted, options)
        if not changed:
            return
        result = None
    outcome.unfinished = True
    outcome.final = scan(root)


def _key(finding) -> tuple[str, str, str]:
    return finding.path, finding.rule, finding.fingerprint or f"{finding.line}"


def _plans(result, options: FixOptions, attempted) -> tuple[list[Plan], int]:
    plans, needs_unsafe = [], 0
    for finding in result.findings:
        offer = finding.fix
        if offer is None and finding.rule == "ML210" and options.pins and \
                normalise(str(finding.evidence.get("package", ""))) in options.pins:
            offer = {"applicability": "safe", "description": "pin to the version installed in the given environment"}
        if offer is None or not finding.path or _key(finding) in attempted:
            continue
        if offer["applicability"] == "unsafe" and not options.unsafe:
            needs_unsafe += 1
            continue
        plans.append(Plan(finding, finding.path, offer["applicability"], offer["description"]))
    return plans, needs_unsafe


def planned_edits(root: Path, result, cache_dir: Path | None = None) -> dict[str, dict]:
    """Each fixable finding's fix as it would be made now, without writing anything: fingerprint ->
    {"description", "applicability", "edits"}, for SARIF's ``fixes``. Notebooks are left out (SARIF
    regions in a notebook are cell lines, not lines of its JSON), and so are dead modules. With a
    cache directory, a file's plans are kept by its content and its findings: libcst's parse is
    the cost, and an unchanged file is not parsed again."""
    plans, _ = _plans(result, FixOptions(unsafe=True), set())
    planned: dict[str, dict] = {}
    for path, file_plans in _by_path(plans).items():
        file_plans = [p for p in file_plans if p.finding.rule != "ML105"]
        if path.endswith(".ipynb") or not file_plans:
            continue
        try:
            target = read_target(root, path)
        except CannotFix:
            continue
        stored = _plan_store(cache_dir, target, file_plans)
        cached = _read_json(stored)
        if cached is None:
            _make_edits(root, target, file_plans, result, FixOptions())
            cached = {p.finding.fingerprint: {"description": p.description, "applicability": p.applicability,
                                              "edits": [e.to_json() for e in p.edits]}
                      for p in file_plans if p.edits and p.finding.fingerprint}
            _write_json(stored, cached)
        planned.update(cached)
    return planned


def _plan_store(cache_dir: Path | None, target: FixTarget, plans: list[Plan]) -> Path | None:
    if cache_dir is None:
        return None
    from auditor.scan.cache import code_digest

    key = hashlib.sha256(code_digest().encode() + target.raw)
    for plan in sorted(plans, key=lambda p: p.finding.fingerprint):
        f = plan.finding
        key.update(json.dumps([f.fingerprint, f.rule, f.line, f.end_line, f.evidence, f.fix], sort_keys=True,
                              default=str).encode())
    return cache_dir / "fixes" / f"{key.hexdigest()[:32]}.json"


def _read_json(path: Path | None) -> dict | None:
    if path is None:
        return None
    with contextlib.suppress(OSError, ValueError):
        return json.loads(path.read_text(encoding="utf-8"))
    return None


def _write_json(path: Path | None, data: dict) -> None:
    if path is None:
        return
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(data), encoding="utf-8")
        os.replace(temporary, path)


def _by_path(plans: list[Plan]) -> dict[str, list[Plan]]:
    grouped: dict[str, list[Plan]] = {}
    for plan in plans:
        grouped.setdefault(plan.path, []).append(plan)
    return grouped


def _fix_file(root: Path, path: str, plans: list[Plan], result, outcome: FixOutcome, attempted,
              options: FixOptions) -> int:
    """Plan, merge, check and write one file's fixes; the number of fixes written."""
    try:
        target = read_target(root, path)
    except CannotFix as exc:
        return _give_up(plans, str(exc), outcome, attempted)
    if _changed_since(root / path, result):
        outcome.left_alone[path] = "it changed on disk during the run"
        return _give_up(plans, "the file changed on disk during the run", outcome, attempted)
    deletion = next((p for p in plans if p.finding.rule == "ML105"), None)
    if deletion is not None:
        return _delete(root, target, deletion, outcome, attempted)
    _make_edits(root, target, plans, result, options)
    ready = [p for p in plans if p.skipped is None and p.edits]
    for plan in plans:
        if plan.skipped is not None:
            _give_up([plan], plan.skipped, outcome, attempted)
    accepted, _deferred = merge(ready)
    if not accepted:
        return 0
    new = target.render([e for plan in accepted for e in plan.edits])
    broken = parses(target, new) if path.endswith((".py", ".ipynb")) and parses(target, target.raw) is None else None
    if broken:
        return _give_up(accepted, f"the fixed file would not parse ({broken}); please report it", outcome, attempted)
    if not _write(root / path, target, new, outcome):
        return _give_up(accepted, outcome.left_alone[path], outcome, attempted)
    outcome.fixed.extend(accepted)
    return len(accepted)


def _give_up(plans: list[Plan], why: str, outcome: FixOutcome, attempted) -> int:
    for plan in plans:
        plan.skipped = plan.skipped or why
        attempted.add(_key(plan.finding))
        outcome.not_fixed.append(plan)
    return 0


def _changed_since(path: Path, result) -> bool:
    started = getattr(result, "started", 0.0) or 0.0
    with contextlib.suppress(OSError):
        return path.stat().st_mtime > started
    return False


def _make_edits(root: Path, target: FixTarget, plans: list[Plan], result, options: FixOptions) -> None:
    """Each plan's edits (or why it has none), checked against its finding's span."""
    parsed: list = []  # the file's libcst view and context, made once, on the first fixer's demand

    def view() -> tuple[Source, Context]:
        if not parsed:
            parsed.extend([Source(target.text()), _context(root, target, result)])
        return parsed[0], parsed[1]

    for plan in plans:
        finding = _in_analysed_lines(target, plan.finding)
        if finding is None:
            plan.skipped = "its line is not in a code cell"
            continue
        try:
            change = _pin(target, finding, options.pins or {}) if finding.rule == "ML210" else \
                _fixer(finding.rule)(*view()[:1], finding, view()[1])
            plan.edits = _checked_edits(target, finding, change)
        except (Skip, CannotFix) as exc:
            plan.skipped = str(exc)
            continue
        plan.kind = change.kind


def _in_analysed_lines(target: FixTarget, finding):
    """The finding with its lines in the analysed text (a notebook's cells joined), or None."""
    if not target.is_notebook:
        return finding
    line = target.analysed_line(finding.line, finding.cell)
    end = target.analysed_line(finding.end_line, finding.cell) if finding.end_line else None
    return None if line is None else finding.with_changes(line=line, end_line=end, cell=None)


def _fixer(rule_id: str):
    fixer = FIXERS.get(rule_id)
    if fixer is None:
        raise Skip("no fixer for this rule in this version")
    return fixer


def _checked_edits(target: FixTarget, finding, change: Change) -> list:
    """The change as one edit of its span (plus the lines it adds apart); Skip when it changes
    nothing or anything outside the span. The span is taken as given, widened over blank lines,
    rather than found by a diff, which could pair a line of the span with a like line outside it."""
    old = target.lines
    new = change.text.split("\n")
    if change.text.endswith("\n"):
        new.pop()
    first, last = _with_blank_neighbours(old, change.first, change.last)
    kept_above, kept_below = first - 1, len(old) - last
    if finding.line is not None and not change.first <= finding.line <= change.last or \
            len(new) < kept_above + kept_below or new[:kept_above] != old[:kept_above] or \
            new[len(new) - kept_below:] != old[last:]:
        raise Skip("the fix would change lines outside its finding; please report it")
    span_old, span_new = old[first - 1:last], new[kept_above:len(new) - kept_below]
    while span_old and span_new and span_old[0] == span_new[0]:  # the smallest edit: trim what is unchanged
        span_old, span_new, first = span_old[1:], span_new[1:], first + 1
    while span_old and span_new and span_old[-1] == span_new[-1]:
        span_old, span_new = span_old[:-1], span_new[:-1]
    edits = ([Edit(first, first + len(span_old) - 1, tuple(span_new))] if span_old or span_new else []) + change.support
    if not edits:
        raise Skip("nothing to change")
    for edit in edits if target.is_notebook else ():
        target.cell_of(edit)  # CannotFix when an edit spans cells or rewrites a magic
    return edits


def _with_blank_neighbours(lines: list[str], first: int, last: int) -> tuple[int, int]:
    """The span widened over the blank lines around it: a diff of a deletion between blank lines
    may name either of them."""
    while first > 1 and not lines[first - 2].strip():
        first -= 1
    while last < len(lines) and not lines[last].strip():
        last += 1
    return first, last


def _pin(target: FixTarget, finding, pins: dict[str, str]) -> Change:
    """The requirement on the finding's line pinned to its locked version, else to the version
    installed in the environment given with --pin-from; extras, markers and comments kept."""
    evidence = finding.evidence
    locked = evidence.get("locked")
    version = locked["version"] if locked else pins.get(normalise(str(evidence.get("package", ""))))
    if not version:
        raise Skip("no version to pin it to")
    requirement = str(evidence.get("requirement", ""))
    pinned = pinned_text(requirement, version)
    line = finding.line or 0
    if pinned is None or not 1 <= line <= len(target.lines) or requirement not in target.lines[line - 1]:
        raise Skip(f"{requirement} cannot be pinned to {version} on its line")
    lines = list(target.lines)
    lines[line - 1] = lines[line - 1].replace(requirement, pinned, 1)
    source = "locked" if locked else "installed"
    return Change("\n".join(lines), line, line, kind=f"requirement pinned ({source} version)")


def _context(root: Path, target: FixTarget, result) -> Context:
    aliases: dict[str, str] = {}
    with contextlib.suppress(SyntaxError, ValueError):
        for node in ast.walk(ast.parse(target.text())):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else \
                        alias.name.split(".")[0]
    project = getattr(result, "project", None)
    by_module = {name: path for path, name in (getattr(project, "module_names", None) or {}).items()}

    def imports_run_code(_importer: str, target_name: str) -> bool:
        parts = target_name.split(".")
        for size in range(len(parts), 0, -1):
            path = by_module.get(".".join(parts[:size]))
            if path is not None:
                return _runs_code(root / path)
        return False

    return Context(aliases, imports_run_code)


def _runs_code(path: Path) -> bool:
    """A module whose top level does more than define and import: importing it has effects."""
    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return True  # unknown: assume it does
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and all(isinstance(t, ast.Name) for t in targets) and \
                isinstance(node.value, (ast.Constant, ast.Name, ast.Tuple, ast.List, ast.Dict, ast.Set)):
            continue  # NAME = literal: a definition, not an action
        if isinstance(node, ast.If) and "__name__" in ast.unparse(node.test):
            continue
        return True
    return False


def _delete(root: Path, target: FixTarget, plan: Plan, outcome: FixOutcome, attempted) -> int:
    path = root / plan.path
    if path.read_bytes() != target.raw:
        outcome.left_alone[plan.path] = "it changed on disk during the run"
        return _give_up([plan], outcome.left_alone[plan.path], outcome, attempted)
    outcome.before.setdefault(plan.path, target.raw)
    path.unlink()
    outcome.after[plan.path] = None
    plan.kind = "dead module deleted"
    outcome.fixed.append(plan)
    return 1  # the file's other fixes went with it


def _write(path: Path, target: FixTarget, new: bytes, outcome: FixOutcome) -> bool:
    why = write_file(path, target, new)
    if why is not None:
        outcome.left_alone[target.path] = why
        return False
    outcome.before.setdefault(target.path, target.raw)
    outcome.after[target.path] = new
    return True


def write_file(path: Path, target: FixTarget, new: bytes) -> str | None:
    """Write ``new`` over the file, whole or not at all and keeping its mode, unless it changed since
    it was read; None when written, otherwise why not."""
    from auditor.report.outputs import write_atomically

    try:
        if path.read_bytes() != target.raw:
            return "it changed on disk during the run"
        write_atomically(path, new)
    except OSError as exc:
        return f"cannot be written: {exc.strerror or exc}"
    return None
