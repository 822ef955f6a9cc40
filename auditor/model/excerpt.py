"""Short code excerpts attached to findings during the scan, so that reports can show the code
without reading the scanned repository again.

An excerpt is ``{"start": N, "lines": [...]}``: the lines around the finding, ``start`` being the
number of the first one as users see it (for notebooks: the line within the cell). Excerpts are
capped in height and width so that a report of 100,000 findings stays small.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

CONTEXT = 2  # lines shown before and after the finding
MAX_SPAN = 5  # at most this many lines of the finding itself
MAX_WIDTH = 200  # characters per line


def _clip(line: str) -> str:
    line = line.rstrip("\r\n")
    return line if len(line) <= MAX_WIDTH else line[:MAX_WIDTH - 1] + "…"


def excerpt(lines: Sequence[str], line: int | None, end_line: int | None = None,
            *, lower: int = 1, upper: int | None = None, offset: int = 0) -> dict[str, Any] | None:
    """The excerpt around 1-based ``line`` of ``lines``, kept within ``lower``..``upper``.

    ``offset`` is subtracted from the shown numbers (a notebook cell starts at ``offset + 1``).
    """
    upper = len(lines) if upper is None else min(upper, len(lines))
    if line is None or not lower <= line <= upper:
        return None
    last = min(max(end_line or line, line), line + MAX_SPAN - 1)
    start = max(lower, line - CONTEXT)
    stop = min(upper, last + CONTEXT)
    return {"start": start - offset, "lines": [_clip(lines[i - 1]) for i in range(start, stop + 1)]}


def cell_spans(line_map: Sequence[tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """cell number -> (first line, last line) in the joined notebook text."""
    spans: dict[int, tuple[int, int]] = {}
    for index, (cell, _) in enumerate(line_map, start=1):
        first = spans[cell][0] if cell in spans else index
        spans[cell] = (first, index)
    return spans


def attach(findings: list[dict[str, Any]], lines: Sequence[str],
           line_map: Sequence[tuple[int, int]] | None = None) -> None:
    """Add an ``excerpt`` to each finding dict (as the worker ships them) that has none.

    With ``line_map`` (a notebook), findings carry (cell, line within the cell) and the excerpt
    stays within that cell.
    """
    spans = cell_spans(line_map) if line_map else {}
    for finding in findings:
        if finding.get("excerpt") is not None:
            continue
        line, end_line, cell = finding.get("line"), finding.get("end_line"), finding.get("cell")
        if cell is not None:
            if cell not in spans or line is None:
                continue
            first, last = spans[cell]
            offset = first - 1
            finding["excerpt"] = excerpt(lines, line + offset, (end_line + offset) if end_line else None,
                                         lower=first, upper=last, offset=offset)
        else:
            finding["excerpt"] = excerpt(lines, line, end_line)


Source = tuple[Sequence[str], "Sequence[tuple[int, int]] | None"]


def fill_missing(findings: list, source_of: Callable[[str], Source | None]) -> list:
    """Findings (``Finding`` objects) with an excerpt added where they lack one, updated in place
    (each old finding goes as its copy with an excerpt is made) and returned.

    ``source_of(path)`` gives (lines, notebook line map or None), or None when the text is not
    available; it is called once per path, only for paths whose findings need it.
    """
    missing: dict[str, list[int]] = {}
    for index, finding in enumerate(findings):
        if finding.excerpt is None and finding.line is not None:
            missing.setdefault(finding.path, []).append(index)
    if not missing:
        return findings
    for path, indexes in missing.items():
        try:
            source = source_of(path)
        except Exception:  # an excerpt is decoration: never let it break the scan
            source = None
        if source is None:
            continue
        lines, line_map = source
        dicts = [{"line": findings[i].line, "end_line": findings[i].end_line, "cell": findings[i].cell}
                 for i in indexes]
        attach(dicts, lines, line_map)
        for i, data in zip(indexes, dicts):
            if data.get("excerpt"):
                findings[i] = findings[i].with_changes(excerpt=data["excerpt"])
    return findings
