"""The baseline: a committed JSON file of known findings, so a gate can fail on new debt only.

Entries are keyed by fingerprint (rule, path and anchor: never a line number) with a count for
findings that repeat with the same anchor (two identical TODO lines in one file). A scan with a
baseline reports a finding as known while its group has no more members than the baseline
counted; the extra members are new. Updating never adds findings silently: ``update`` only
lowers counts and drops fixed entries, and adding needs ``add_new``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.finding import Finding, identity_key, make_fingerprint

DEFAULT_FILE = ".mlaudit-baseline.json"
SCHEMA_VERSION = 1
ALGORITHM = "mlaudit/v1"


class BaselineError(Exception):
    """The baseline file is missing, unreadable or not a baseline; the CLI exits with code 2."""


@dataclass
class Baseline:
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)  # fingerprint -> entry

    @property
    def total(self) -> int:
        return sum(e["count"] for e in self.entries.values())


def _groups(findings: list[Finding]) -> dict[str, list[Finding]]:
    """Findings grouped by identity, each group in position order, keyed by its entry fingerprint
    (the fingerprint of the group's first occurrence, i.e. the finding's own one when unique)."""
    groups: dict[str, list[Finding]] = {}
    for finding in sorted(findings, key=Finding.sort_key):
        groups.setdefault(make_fingerprint(identity_key(finding)), []).append(finding)
    return groups


def _entry(fingerprint: str, members: list[Finding], count: int) -> dict[str, Any]:
    first = members[0]
    entry = {"fingerprint": fingerprint, "rule": first.rule, "name": first.name, "category": first.category,
             "severity": first.severity, "path": first.path}
    if first.symbol:
        entry["symbol"] = first.symbol
    entry["count"] = count
    entry["message"] = first.message
    return entry


def from_findings(findings: list[Finding]) -> Baseline:
    return Baseline({fp: _entry(fp, members, len(members)) for fp, members in _groups(findings).items()})


def load(path: Path) -> Baseline:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"baseline file {path} does not exist (create it with: mlaudit baseline)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"baseline {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise BaselineError(f"{path} is not an mlaudit baseline (no 'entries' list)")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise BaselineError(f"baseline {path} has schema_version {data.get('schema_version')!r}; "
                            f"this mlaudit reads {SCHEMA_VERSION}")
    baseline = Baseline()
    for index, entry in enumerate(data["entries"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise BaselineError(f"baseline {path}: entry {index} has no fingerprint")
        count = entry.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise BaselineError(f"baseline {path}: entry {index} has an invalid count {count!r}")
        previous = baseline.entries.get(entry["fingerprint"])
        if previous is not None:  # a hand-merged file: the counts add up
            previous["count"] += count
        else:
            baseline.entries[entry["fingerprint"]] = {**entry, "count": count}
    return baseline


def dumps(baseline: Baseline, version: str) -> str:
    """Sorted, stable and free of line numbers and dates, so the file diffs cleanly in review."""
    entries = sorted(baseline.entries.values(), key=lambda e: (e.get("path", ""), e.get("rule", ""), e["fingerprint"]))
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": "mlaudit",
        "created_with": version,
        "fingerprint_algorithm": ALGORITHM,
        "about": "Known findings: a scan with --baseline reports and gates only findings not listed here. "
                 "Regenerate with `mlaudit baseline --update` (drops fixed entries); new findings are added "
                 "only with --add-new.",
        "total": baseline.total,
        "entries": entries,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


@dataclass
class Comparison:
    new: list[Finding]
    known: list[Finding]
    fixed: int  # baselined findings that are gone
    fixed_entries: list[dict[str, Any]]  # entries whose findings are all gone

    def info(self, source: str, baseline: Baseline) -> dict[str, Any]:
        return {"source": source, "entries": len(baseline.entries), "total": baseline.total,
                "known": len(self.known), "new": len(self.new), "fixed": self.fixed,
                "fixed_entries": len(self.fixed_entries)}


def compare(findings: list[Finding], baseline: Baseline) -> Comparison:
    """Which findings are new: per identity, the members past the baseline's count (the last ones
    in the file, since new code is usually added below old code)."""
    new: list[Finding] = []
    known: list[Finding] = []
    groups = _groups(findings)
    for fingerprint, members in groups.items():
        allowed = baseline.entries.get(fingerprint, {}).get("count", 0)
        known.extend(members[:allowed])
        new.extend(members[allowed:])
    fixed = 0
    fixed_entries = []
    for fingerprint, entry in baseline.entries.items():
        present = len(groups.get(fingerprint, ()))
        if present < entry["count"]:
            fixed += entry["count"] - present
            if present == 0:
                fixed_entries.append(entry)
    return Comparison(sorted(new, key=Finding.sort_key), sorted(known, key=Finding.sort_key), fixed, fixed_entries)


@dataclass
class Update:
    baseline: Baseline
    kept: int  # findings still listed
    removed: int  # findings dropped because they are fixed
    added: int  # findings added (only with add_new)
    not_added: int  # new findings left out because add_new was not given


def update(previous: Baseline, findings: list[Finding], add_new: bool = False) -> Update:
    comparison = compare(findings, previous)
    groups = _groups(findings)
    entries: dict[str, dict[str, Any]] = {}
    for fingerprint, members in groups.items():
        allowed = previous.entries.get(fingerprint, {}).get("count", 0)
        count = len(members) if add_new else min(len(members), allowed)
        if count:
            entries[fingerprint] = _entry(fingerprint, members, count)
    added = len(comparison.new) if add_new else 0
    return Update(Baseline(entries), len(comparison.known), comparison.fixed, added,
                  0 if add_new else len(comparison.new))


def apply(result, baseline: Baseline, source: str) -> None:
    """Leave only new findings in ``result`` and record what the baseline hid."""
    comparison = compare(result.findings, baseline)
    result.findings = comparison.new
    result.baseline = comparison.info(source, baseline)
