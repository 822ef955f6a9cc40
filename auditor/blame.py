"""How old an undocumented hack is, and who wrote it: ``git blame`` on the reported lines only.

Runs in the main process after the rules, only on files that have undocumented-hack findings,
one ``git blame --line-porcelain`` per file restricted to the reported lines (``-L n,n``; a
notebook is blamed whole, since its cell lines are lines of JSON), two at a time, within a total
time budget.
Each finding's evidence gets ``age_days``, ``author`` and ``commit`` of its line; when that cannot
be known (no git, file not committed, budget spent) ``age_days`` is None and ``age_note`` says why.
Past a rule's ``escalate-after-days`` the severity rises one step: an old hack is a settled one.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.finding import SEVERITIES, Finding, normalise_anchor

if TYPE_CHECKING:
    from auditor.config import Config
    from auditor.project import Project

CATEGORY = "undocumented-hack"
BUDGET_SECONDS = 30.0  # for all files together
BLAME_PROCESSES = 2
# Age raises a hack to medium at most: it makes old debt stand out in reports without making a
# debt marker fail the default CI gate (fail-on high) on its own.
ESCALATION_CAP = "medium"
_HEADER = re.compile(r"^([0-9a-f]{40}) (\d+) (\d+)")
_UNCOMMITTED = "0" * 40
IGNORE_REVS_FILE = ".git-blame-ignore-revs"


@dataclass
class LineBlame:
    commit: str
    author: str
    author_time: int
    boundary: bool  # the commit is at the edge of the history walked (a shallow clone's graft)
    content: str

    @property
    def uncommitted(self) -> bool:
        return self.commit == _UNCOMMITTED


def parse_line_porcelain(output: str) -> dict[int, LineBlame]:
    """final line number -> blame, from ``git blame --line-porcelain``."""
    result: dict[int, LineBlame] = {}
    current: dict[str, Any] | None = None
    for raw in output.split("\n"):
        if current is None:
            match = _HEADER.match(raw)
            if match:
                current = {"commit": match.group(1), "line": int(match.group(3)), "author": "", "time": 0,
                           "boundary": False}
            continue
        if raw.startswith("\t"):
            result[current["line"]] = LineBlame(current["commit"], current["author"], current["time"],
                                                current["boundary"], raw[1:])
            current = None
        elif raw.startswith("author "):
            current["author"] = raw[7:]
        elif raw.startswith("author-time "):
            try:
                current["time"] = int(raw[12:])
            except ValueError:
                pass
        elif raw == "boundary":
            current["boundary"] = True
    return result


def blame_file(root: Path, path: str, lines: list[int] | None, timeout: float,
               ignore_revs: bool = False) -> dict[int, LineBlame] | str:
    """Blame of some lines (all when ``lines`` is None), or the reason it failed."""
    args = ["git", "-c", "core.quotepath=off", "-C", str(root), "blame", "--line-porcelain", "-w", "--root"]
    if ignore_revs:
        args += ["--ignore-revs-file", IGNORE_REVS_FILE]
    for line in sorted(set(lines or ())):
        args += ["-L", f"{line},{line}"]
    args += ["--", path]
    try:
        done = subprocess.run(args, capture_output=True, timeout=max(timeout, 0.1))
    except subprocess.TimeoutExpired:
        return "git blame ran out of its time budget"
    except OSError as exc:
        return f"git could not run: {exc}"
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        return f"git blame failed: {message[-1] if message else 'exit ' + str(done.returncode)}"
    return parse_line_porcelain(done.stdout.decode("utf-8", errors="replace"))


def _notebook_line(blamed: dict[int, LineBlame], anchor: str, used: set[int]) -> int | None:
    """The JSON line of a notebook whose source string is the finding's (normalised) line."""
    for number in sorted(blamed):
        if number in used:
            continue
        text = blamed[number].content.strip().rstrip(",")
        if not text.startswith('"'):
            continue
        try:
            value = json.loads(text)
        except ValueError:
            continue
        if isinstance(value, str) and normalise_anchor(value) == anchor:
            used.add(number)
            return number
    return None


def _threshold(rule_id: str, config: "Config") -> int:
    from auditor import registry
    from auditor.config import rule_options

    rule = registry.get_rule(rule_id)
    if rule is None:
        return 0
    option = rule.options.get("escalate-after-days")
    value = rule_options(config, rule_id).get("escalate-after-days", option.default if option else 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _escalate(severity: str) -> str:
    rank = SEVERITIES.index(severity)
    cap = SEVERITIES.index(ESCALATION_CAP)
    return SEVERITIES[min(rank + 1, cap)] if rank < cap else severity


def attach_ages(findings: list[Finding], project: "Project", config: "Config",
                budget: float = BUDGET_SECONDS) -> list[Finding]:
    """Give every undocumented-hack finding the age and author of its line."""
    targets = [i for i, f in enumerate(findings) if f.category == CATEGORY]
    if not targets:
        return findings
    result = list(findings)
    git = project.git

    def note_all(indices, note: str) -> None:
        for i in indices:
            result[i] = result[i].with_changes(evidence={**result[i].evidence, "age_days": None, "author": None,
                                                         "age_note": note})

    if not git.available:
        note_all(targets, f"no age: {git.reason or 'not a git repository'}")
        return result
    by_path: dict[str, list[int]] = {}
    for i in targets:
        by_path.setdefault(findings[i].path, []).append(i)
    deadline = time.monotonic() + budget
    ignore_revs = IGNORE_REVS_FILE in project.files
    thresholds: dict[str, int] = {}
    jobs: dict[str, list[int] | None] = {}
    for path, indices in sorted(by_path.items()):
        if path not in git.paths:
            note_all(indices, "no age: the file is not committed")
            continue
        notebook = path.endswith(".ipynb")
        lines = None if notebook else [findings[i].line for i in indices if findings[i].line]
        if lines == []:
            note_all(indices, "no age: the finding has no line")
            continue
        jobs[path] = lines

    def run(path: str):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return f"the git blame time budget ({budget:g} s) ran out"
        return blame_file(project.root, path, jobs[path], remaining, ignore_revs)

    # git blame is one process per file; two at a time keep both cores busy on big repositories.
    with ThreadPoolExecutor(max_workers=BLAME_PROCESSES) as pool:
        outcomes = dict(zip(jobs, pool.map(run, jobs)))
    for path, blamed in outcomes.items():
        indices = by_path[path]
        if isinstance(blamed, str):
            note_all(indices, f"no age: {blamed}")
            continue
        used: set[int] = set()
        for i in indices:
            finding = findings[i]
            number = _notebook_line(blamed, finding.anchor, used) if path.endswith(".ipynb") else finding.line
            line = blamed.get(number) if number else None
            if line is None:
                note_all([i], "no age: the line was not found in git blame")
                continue
            result[i] = _with_age(finding, line, project, config, thresholds)
    return result


def _with_age(finding: Finding, line: LineBlame, project: "Project", config: "Config",
              thresholds: dict[str, int]) -> Finding:
    evidence = dict(finding.evidence)
    if line.uncommitted:
        evidence.update(age_days=0.0, author=None, commit=None, age_note="the line is not committed yet")
        return finding.with_changes(evidence=evidence)
    age = max(0.0, (project.now - line.author_time) / 86400)
    evidence.update(age_days=round(age, 1), author=line.author or None, commit=line.commit[:12])
    if line.boundary or project.git.shallow:
        evidence["age_note"] = "shallow history: the line may be older"
    if finding.rule not in thresholds:
        thresholds[finding.rule] = _threshold(finding.rule, config)
    threshold = thresholds[finding.rule]
    severity = finding.severity
    if threshold > 0 and age >= threshold:
        raised = _escalate(severity)
        if raised != severity:
            evidence["escalated_from"] = severity
            evidence["escalation"] = f"older than {threshold} days"
            severity = raised
    return finding.with_changes(severity=severity, evidence=evidence)
