"""How old an undocumented hack is, and who wrote it: ``git blame`` on the reported lines only.

Runs in the main process, only on files that have undocumented-hack findings, one
``git blame --line-porcelain`` per file restricted to the reported lines (``-L n,n``; a notebook is
blamed whole, since its cell lines are lines of JSON), two at a time, within a total time budget;
the module rules' lines are blamed while the project rules run (``Blamer``), and a blame is cached
for as long as the file and the newest commit that touched it stay the same. When many files are
blamed, git first gets a commit-graph of HEAD's history with changed-path filters, written in a
temporary folder (``CommitGraph``): each blame then skips the commits that did not touch its file
without reading their trees.
Each finding's evidence gets ``age_days``, ``author`` and ``commit`` of its line; when that cannot
be known (no git, file not committed, budget spent) ``age_days`` is None and ``age_note`` says why.
Past a rule's ``escalate-after-days`` the severity rises one step: an old hack is a settled one.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.finding import SEVERITIES, Finding, normalise_anchor
from auditor.ml.paths import runs_in_production
from auditor.model.gitsafe import git_output, run_git

if TYPE_CHECKING:
    from auditor.config import Config
    from auditor.model.project import Project

CATEGORY = "undocumented-hack"
BUDGET_SECONDS = 30.0  # for all files together
BLAME_PROCESSES = 2
# A commit-graph costs about as much to write as ten blames save with it (both grow with the
# history): below this many files to blame, git walks the history as it is.
GRAPH_MIN_FILES = 12
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


class CommitGraph:
    """A commit-graph of HEAD's history with changed-path (Bloom) filters, written into a temporary
    object folder that has the repository's objects as its alternate, never into the repository.

    ``git blame`` walks the history for the commits that touched its file; without such filters it
    reads the trees of every commit to find them (0.1 s a file in a repository of 7,000 commits,
    half of that with them). The folder goes with ``close``."""

    def __init__(self, root: Path, head: str) -> None:
        self.root, self.head = root, head
        self.folder: Path | None = None

    def write(self, timeout: float) -> dict[str, str] | None:
        """The environment under which git reads the graph, or None (git then walks as usual)."""
        objects = git_output(self.root, "rev-parse", "--path-format=absolute", "--git-path", "objects")
        if not objects or not Path(objects).is_absolute() or any(c in objects for c in ':";\n'):
            return None  # the variable lists folders separated by colons: a name holding one is left alone
        try:  # a full or read-only temporary folder: blame as usual
            self.folder = Path(tempfile.mkdtemp(prefix="mlaudit-commit-graph-"))
            (self.folder / "info").mkdir()
            (self.folder / "pack").mkdir()
        except OSError:
            return None
        env = {"GIT_OBJECT_DIRECTORY": str(self.folder), "GIT_ALTERNATE_OBJECT_DIRECTORIES": objects}
        try:
            done = run_git(self.root, "commit-graph", "write", "--stdin-commits", "--changed-paths",
                           "--no-progress", timeout=max(timeout, 0.1), extra_env=env, input=f"{self.head}\n".encode())
        except (OSError, subprocess.SubprocessError):
            return None
        return env if done.returncode == 0 and (self.folder / "info" / "commit-graph").is_file() else None

    def close(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


# Read a commit-graph and its filters whatever the repository's configuration says of them.
_GRAPH_SETTINGS = ("-c", "core.commitGraph=true", "-c", "commitGraph.readChangedPaths=true")


def blame_file(root: Path, path: str, lines: list[int] | None, timeout: float,
               ignore_revs: bool = False, graph_env: dict[str, str] | None = None) -> dict[int, LineBlame] | str:
    """Blame of some lines (all when ``lines`` is None), or the reason it failed. ``graph_env``:
    the environment of a ``CommitGraph``."""
    args = [*(_GRAPH_SETTINGS if graph_env else ()), "blame", "--no-textconv", "--line-porcelain", "-w", "--root"]
    if ignore_revs:
        args += ["--ignore-revs-file", IGNORE_REVS_FILE]
    for line in sorted(set(lines or ())):
        args += ["-L", f"{line},{line}"]
    args += ["--", path]
    try:
        done = run_git(root, *args, timeout=max(timeout, 0.1), quote_paths=False, extra_env=graph_env)
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

    rule = registry.get_rule(rule_id)
    if rule is None:
        return 0
    option = rule.options.get("escalate-after-days")
    value = registry.rule_options(config, rule_id).get("escalate-after-days", option.default if option else 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _escalate(severity: str) -> str:
    rank = SEVERITIES.index(severity)
    cap = SEVERITIES.index(ESCALATION_CAP)
    return SEVERITIES[min(rank + 1, cap)] if rank < cap else severity


class Blamer:
    """The ``git blame`` runs of one scan. Each starts as soon as its lines are known: the engine
    asks for the module findings' lines before the project rules run, so blame overlaps them.
    Two run at a time, within one time budget; a file unchanged since the same last commit is answered
    from the cache (``content_id(path)`` identifies the file's content, or is None: not cached)."""

    def __init__(self, project: "Project", cache=None, content_id=None, budget: float = BUDGET_SECONDS) -> None:
        self.project = project
        self.cache = cache if cache is not None and getattr(cache, "usable", False) else None
        self.content_id = content_id or (lambda path: None)
        self.budget = budget
        self.deadline: float | None = None  # set when the first run starts
        self.ignore_revs = IGNORE_REVS_FILE in project.files
        self._pool = None  # a ThreadPoolExecutor once a run starts
        # path -> [(lines asked for, None for the whole file; the run's future; its cache key)]
        self._runs: dict[str, list[tuple[set[int] | None, Any, str | None]]] = {}  # Any: a Future
        self._graph: CommitGraph | None = None
        self._graph_env: Any = None  # a Future of the graph's environment, once one is written

    def request_all(self, jobs: dict[str, list[int] | None]) -> None:
        """``request`` for many files: when at least ``GRAPH_MIN_FILES`` of them have no stored
        blame, a ``CommitGraph`` is written first."""
        planned = [plan for plan in (self._plan(path, lines) for path, lines in jobs.items()) if plan is not None]
        if self._graph is None and sum(1 for *_, stored in planned if stored is None) >= GRAPH_MIN_FILES \
                and self.project.git.head and not self.project.git.shallow:  # a shallow clone's git reads no graph
            self._graph = CommitGraph(self.project.root, self.project.git.head)
            self._graph_env = self._start().submit(self._write_graph)
        for plan in planned:
            self._add_run(*plan)

    def request(self, path: str, lines: list[int] | None) -> None:
        """Start blaming ``lines`` of ``path`` (None: the whole file) that no run covers yet."""
        plan = self._plan(path, lines)
        if plan is not None:
            self._add_run(*plan)

    def _plan(self, path: str, lines: list[int] | None) -> tuple[str, set[int] | None, str | None, Any] | None:
        """(path, the lines no run covers yet (None: the whole file), their cache key, their stored
        blame or None), or None when runs cover every line asked for."""
        runs = self._runs.get(path, [])
        if any(asked is None for asked, _, _ in runs):
            return None
        needed = None if lines is None else set(lines).difference(*(asked for asked, _, _ in runs))
        if needed is not None and not needed:
            return None
        key = self._key(path, needed)
        return path, needed, key, _from_json(self.cache.get("blame", key)) if key else None

    def _add_run(self, path: str, needed: set[int] | None, key: str | None, stored: Any) -> None:
        runs = self._runs.setdefault(path, [])
        if stored is not None:
            from concurrent.futures import Future

            future = Future()
            future.set_result(stored)
            runs.append((needed, future, None))
            return
        runs.append((needed, self._start().submit(self._run, path, None if needed is None else sorted(needed)), key))

    def _start(self):
        """The pool of runs, started with the time budget on first use."""
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor  # here: most scans blame nothing

            self._pool = ThreadPoolExecutor(max_workers=BLAME_PROCESSES)
            self.deadline = time.monotonic() + self.budget
        return self._pool

    def _write_graph(self) -> dict[str, str] | None:
        """The graph's environment; at most a third of the time budget goes to it, so that a
        history too long to index in time still leaves the blames theirs."""
        assert self._graph is not None
        return self._graph.write(min((self.deadline or 0) - time.monotonic(), self.budget / 3))

    def lines_of(self, path: str, lines: list[int] | None) -> dict[int, LineBlame] | str:
        """The blame of those lines, or why there is none."""
        self.request(path, lines)
        merged: dict[int, LineBlame] = {}
        for _, future, key in self._runs[path]:
            outcome = future.result()
            if isinstance(outcome, str):
                return outcome
            if key and self.cache is not None:  # stored from this thread: SQLite connections stay in theirs
                self.cache.put("blame", key, _to_json(outcome, keep_content=path.endswith(".ipynb")))
            merged.update(outcome)
        self._runs[path] = [(asked, future, None) for asked, future, _ in self._runs[path]]
        return merged

    def close(self) -> None:
        """Wait for the runs under way, and forget every answer and the commit-graph (closing twice
        is harmless)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        if self._graph is not None:
            self._graph.close()
        self._runs.clear()

    def _key(self, path: str, lines: set[int] | None) -> str | None:
        """The file's content and the newest commit that touched it decide its blame: a commit
        elsewhere (every other commit of a busy repository) leaves it cached. Without that commit's
        time (a history walk cut short), HEAD decides, as before."""
        content = self.content_id(path)
        if self.cache is None or content is None or not self.project.git.head:
            return None
        ignore = self.content_id(IGNORE_REVS_FILE) if self.ignore_revs else ""
        touched = self.project.git.last_commit_time(path)
        history = ["touched", touched] if touched is not None else ["head", self.project.git.head]
        return json.dumps([history, path, content, sorted(lines) if lines is not None else None, ignore])

    def _run(self, path: str, lines: list[int] | None) -> dict[int, LineBlame] | str:
        remaining = (self.deadline or 0) - time.monotonic()
        if remaining <= 0:
            return f"the git blame time budget ({self.budget:g} s) ran out"
        graph_env = self._graph_env.result() if self._graph_env is not None else None
        remaining = (self.deadline or 0) - time.monotonic()
        return blame_file(self.project.root, path, lines, remaining, self.ignore_revs, graph_env)



def _to_json(blamed: dict[int, LineBlame], keep_content: bool) -> dict[str, list]:
    """A blame as the cache keeps it. Only notebooks need each line's text (to find a cell's
    line among the JSON), and of that only the lines that can be source strings."""
    return {str(number): [b.commit, b.author, b.author_time, b.boundary,
                          b.content if keep_content and b.content.lstrip().startswith('"') else ""]
            for number, b in blamed.items()}


def _from_json(value: Any) -> dict[int, LineBlame] | None:
    if not isinstance(value, dict):
        return None
    try:
        return {int(number): LineBlame(str(c), str(a), int(t), bool(b), str(text))
                for number, (c, a, t, b, text) in value.items()}
    except (TypeError, ValueError):
        return None  # damaged or foreign: blame again


def needs_age(finding: Finding) -> bool:
    """An undocumented hack whose age says something: not a course's exercise placeholder."""
    return finding.category == CATEGORY and not finding.evidence.get("placeholder")


def hack_lines(findings: list[Finding]) -> dict[str, list[int] | None]:
    """What to blame for these findings: their lines per path (a notebook whole, since its cell
    lines are lines of JSON)."""
    wanted: dict[str, list[int] | None] = {}
    for finding in findings:
        if not needs_age(finding):
            continue
        if finding.path.endswith(".ipynb"):
            wanted[finding.path] = None
        elif finding.line:
            wanted.setdefault(finding.path, []).append(finding.line)  # type: ignore[union-attr]
    return wanted


def _no_age(finding: Finding, note: str) -> Finding:
    return finding.with_changes(evidence={**finding.evidence, "age_days": None, "author": None, "age_note": note})


def attach_ages(findings: list[Finding], project: "Project", config: "Config",
                budget: float = BUDGET_SECONDS, blamer: Blamer | None = None) -> list[Finding]:
    """Give every undocumented-hack finding the age and author of its line (an exercise
    placeholder needs none: it is never escalated, and blaming a course's notebooks is slow).
    ``findings`` is updated in place and returned: each old finding goes as its aged copy is
    made (a copy of the list held every finding twice, with 160,000 hacks among 440,000 findings)."""
    targets = [i for i, f in enumerate(findings) if needs_age(f)]
    if not targets:
        return findings
    result = findings
    git = project.git
    if not git.available:
        for i in targets:
            result[i] = _no_age(result[i], f"no age: {git.reason or 'not a git repository'}")
        return result
    by_path: dict[str, list[int]] = {}
    for i in targets:
        by_path.setdefault(findings[i].path, []).append(i)
    jobs = _blame_jobs(findings, by_path, git.paths, result)
    own = blamer is None
    blamer = blamer or Blamer(project, budget=budget)
    try:
        blamer.request_all(jobs)
        outcomes = {path: blamer.lines_of(path, lines) for path, lines in jobs.items()}
    finally:
        if own:
            blamer.close()
    thresholds: dict[str, int] = {}
    for path, blamed in outcomes.items():
        used: set[int] = set()  # a notebook's JSON lines already matched to a finding
        for i in by_path[path]:
            result[i] = _aged(findings[i], blamed, project, config, thresholds, used)
    return result


def _blame_jobs(findings: list[Finding], by_path: dict[str, list[int]], committed, result: list[Finding],
                ) -> dict[str, list[int] | None]:
    """The lines to blame per path (None: the whole notebook); findings that cannot have an age
    get their reason in ``result`` instead."""
    jobs: dict[str, list[int] | None] = {}
    for path, indices in sorted(by_path.items()):
        lines = None if path.endswith(".ipynb") else [findings[i].line for i in indices if findings[i].line]
        reason = ("no age: the file is not committed" if path not in committed else
                  "no age: the finding has no line" if lines == [] else None)
        if reason:
            for i in indices:
                result[i] = _no_age(result[i], reason)
        else:
            jobs[path] = lines
    return jobs


def _aged(finding: Finding, blamed: dict[int, LineBlame] | str, project: "Project", config: "Config",
          thresholds: dict[str, int], used: set[int]) -> Finding:
    if isinstance(blamed, str):
        return _no_age(finding, f"no age: {blamed}")
    number = _notebook_line(blamed, finding.anchor, used) if finding.path.endswith(".ipynb") else finding.line
    line = blamed.get(number) if number else None
    if line is None:
        return _no_age(finding, "no age: the line was not found in git blame")
    return _with_age(finding, line, project, config, thresholds)


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
    # Age makes a hack settled only in code that runs in production: an old debt marker in a notebook, a
    # test or a course's lab is no more urgent for it; nor is an exercise placeholder.
    if threshold > 0 and age >= threshold and runs_in_production(finding.path) \
            and not finding.evidence.get("placeholder") and not finding.evidence.get("no_escalation"):
        raised = _escalate(severity)
        if raised != severity:
            evidence["escalated_from"] = severity
            evidence["escalation"] = f"older than {threshold} days"
            severity = raised
    return finding.with_changes(severity=severity, evidence=evidence)
