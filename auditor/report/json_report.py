"""The JSON contract (schema_version 1). Keys are only ever added, never renamed."""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any, Iterator

from auditor.ci.gate import evaluate
from auditor.finding import CATEGORIES, SEVERITIES

SCHEMA_VERSION = 1


def result_to_dict(result, *, as_json=lambda findings: [f.to_json() for f in findings], **_: Any) -> dict[str, Any]:
    """The report as data; ``as_json`` turns a list of findings into what the report holds."""
    findings = result.findings
    by_category = Counter(f.category for f in findings)
    by_severity = Counter(f.severity for f in findings)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "mlaudit", "version": result.version},
        "root": result.root,
        "repository": getattr(result, "repository", None),
        "settings": result.config.digest(),
        "scanned": {
            "files": result.files,
            "python_files": result.python_files,
            "notebooks": result.notebooks,
            "python_lines": result.python_lines,
            "skipped": [{"path": p, "reason": r} for p, r in result.skipped],
            "degraded": [{"path": p, "reason": r} for p, r in result.degraded],
        },
        "git": result.git.as_metadata(),
        "findings": as_json(findings),
        "summary": {
            "by_category": {c: by_category[c] for c in CATEGORIES if by_category[c]},
            "by_severity": {s: by_severity[s] for s in reversed(SEVERITIES) if by_severity[s]},
            "total": len(findings),
            "below_min_confidence": getattr(result, "below_min_confidence", 0),
            "below_min_severity": getattr(result, "below_min_severity", 0),
            "kind": dict(zip(("kind", "why"), result.kind)) if getattr(result, "kind", None) else None,
            "fail_on": result.config.fail_on,
            "failing": len(result.failing()),
        },
        "errors": list(result.errors),
        "readiness": getattr(result, "readiness", None),
        # The CI gate and what only-new-debt mode left out (auditor/ci/gate.py, baseline.py, since.py).
        "gate": evaluate(result).to_json(result.exit_zero),
        "baseline": result.baseline,
        "since": result.since,
        "suppressed": as_json(result.suppressed),
        "scope": getattr(result, "scope", None),
    }


def render_json(result, **options: Any) -> str:
    return layout(result_to_dict(result, as_json=_Findings))


def stream_json(result) -> Iterator[str]:
    """``render_json``'s text in pieces (``layout_pieces``), for a file or standard output."""
    return layout_pieces(result_to_dict(result, as_json=_Findings))


class _Findings(list):
    """Findings left as they are until ``layout`` writes them, one to a line: their JSON dicts
    are made one at a time, not all at once (80 MiB for a million-line repository's)."""


def _finite(value: Any) -> Any:
    """The value with every NaN or infinite number made null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _dumps(value: Any, indent: int | None = None) -> str:
    """Strict JSON: never NaN or Infinity, which JSON does not have and most readers refuse (a value
    that holds one is written with nulls there; the fast path costs nothing when none does)."""
    try:
        return json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(value), indent=indent, ensure_ascii=False, allow_nan=False)


def layout(data: dict[str, Any]) -> str:
    """Indented for reading, each finding on one line: easy to grep and diff, and encoded by the
    C encoder (indenting is pure Python, which took 0.3 s for the whole stdlib's findings)."""
    return "".join(layout_pieces(data))


_NEXT = ",\n"  # between two members of an object or array


def layout_pieces(data: dict[str, Any]) -> Iterator[str]:
    """``layout``'s text in pieces, a finding's line at a time, for writing as they come: a report
    of 400,000 findings is 250 MiB of text, which a joined string would hold twice (the pieces,
    then the text) and its encoding a third time."""
    yield "{\n"
    for index, (key, value) in enumerate(data.items()):
        yield f"{_NEXT if index else ''}  {json.dumps(key)}: "
        if value and isinstance(value, _Findings):
            yield "[\n"
            for number, finding in enumerate(value):
                yield f"{_NEXT if number else ''}    {_dumps(finding.to_json())}"
            yield "\n  ]"
        elif key == "readiness" and isinstance(value, dict) and value.get("units"):
            yield _readiness_layout(value).replace("\n", "\n  ")
        else:
            yield _dumps(value, indent=2).replace("\n", "\n  ")
    yield "\n}\n"


def _readiness_layout(readiness: dict[str, Any]) -> str:
    """The readiness object indented, but each unit of a monorepo on one line (a course of sixty
    labs would otherwise be tens of thousands of lines, indented by the slow pure-Python encoder)."""
    head = _dumps({key: value for key, value in readiness.items() if key != "units"}, indent=2)
    units = ",\n    ".join(_dumps(unit) for unit in readiness["units"])
    return f'{head[:-2]},\n  "units": [\n    {units}\n  ]\n}}'
