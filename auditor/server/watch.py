"""``mlaudit scan --watch``: scan, then poll the files the scan considers and scan again when one
changes, printing only what changed in the findings.

No dependency beyond the standard library: every ``interval`` seconds the file list is taken again
(git's list, or a walk applying ``.gitignore``, minus ``exclude``: ``auditor.model.discover``) and
each file's modification time and size compared with the last poll's. A re-scan uses the result
cache, so it costs what one changed file costs. Findings are matched by fingerprint, which an edit
above a finding does not change, so a finding that only moved is neither new nor fixed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterable

from auditor.finding import Finding
from auditor.model.discover import discover
from auditor.report.common import location

Stamp = dict[str, tuple[int, int]]


def stamp(root: Path, exclude: list[str]) -> Stamp:
    """Each file's (modification time in ns, size); a file that vanished meanwhile is left out."""
    found: Stamp = {}
    for path in discover(root, exclude).paths:
        try:
            info = (root / path).stat()
        except OSError:
            continue
        found[path] = (info.st_mtime_ns, info.st_size)
    return found


def changed_paths(before: Stamp, after: Stamp) -> list[str]:
    return sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))


def _identity(finding: Finding) -> str:
    return finding.fingerprint or f"{finding.path}:{finding.line}:{finding.rule}:{finding.message}"


def _line(mark: str, finding: Finding) -> str:
    return f"{mark} {location(finding)}  {finding.rule}  {finding.severity}  {finding.message}"


def difference(before: Iterable[Finding], after: Iterable[Finding]) -> list[str]:
    """What changed between two scans' findings: ``+`` new ones, ``-`` fixed ones, in path order."""
    old = {_identity(f): f for f in before}
    new = {_identity(f): f for f in after}
    added = [f for key, f in new.items() if key not in old]
    fixed = [f for key, f in old.items() if key not in new]
    return [_line("+", f) for f in sorted(added, key=Finding.sort_key)] + \
        [_line("-", f) for f in sorted(fixed, key=Finding.sort_key)]


def watch(scan: Callable[[], object], poll: Callable[[], Stamp], emit: Callable[[str], None], *,
          interval: float = 1.0, cycles: int | None = None, sleep: Callable[[float], None] = time.sleep) -> object:
    """Scan once (the caller reports that scan in full), then on each change scan again and emit
    what changed; ``cycles`` polls at most (None: until interrupted). Returns the last result.
    ``scan`` returns a result with ``findings``, or raises ValueError with a message to show and
    keep watching (a file that cannot be scanned right now)."""
    result = scan()
    state = poll()
    done = 0
    while cycles is None or done < cycles:
        sleep(interval)
        done += 1
        current = poll()
        paths = changed_paths(state, current)
        if not paths:
            continue
        state = current
        shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        try:
            latest = scan()
        except ValueError as exc:
            emit(f"mlaudit: changed: {shown}; not scanned: {exc}")
            continue
        lines = difference(result.findings, latest.findings)
        emit(f"mlaudit: changed: {shown}; " + (f"{len(lines)} change(s) in the findings, {len(latest.findings)} in all"
                                               if lines else f"findings unchanged ({len(latest.findings)})"))
        for line in lines:
            emit(line)
        result = latest
    return result
