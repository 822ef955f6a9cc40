"""Draw a labelling sample: unlabelled findings of each rule and severity, with their code.

    python bench/eval/sample.py --scan-json DIR [--per-stratum 8] [--rule ML101 ...] > sheet.md

Reads saved scans (DIR/NAME.json, from `mlaudit scan TREE --format json`) of the repositories of
repos.toml, leaves out findings that labels.csv already labels, and picks up to --per-stratum
findings of each (rule, severity) pair, spread over the repositories. The pick is a hash of the
finding's place, so the same scans give the same sample on every machine. Each finding is printed
with its message and the lines around it (from the tree, --trees DIR/NAME), and a CSV row to
complete: the verdict (true/false) and why, in a few words, for labels.csv.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import sys
from collections import defaultdict
from pathlib import Path

from score import HERE, match, read_labels, tomllib

CONTEXT = 6


def _stable_key(repo: str, finding: dict) -> str:
    place = f"{repo}:{finding['path']}:{finding.get('line')}:{finding.get('cell')}:{finding['rule']}"
    return hashlib.sha1(place.encode()).hexdigest()


def pick(findings_by_repo: dict[str, list[dict]], per_stratum: int) -> list[tuple[str, dict]]:
    """Up to ``per_stratum`` findings of each (rule, severity), taking repositories in turn."""
    strata: dict[tuple[str, str], dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for repo, findings in findings_by_repo.items():
        for finding in findings:
            strata[(finding["rule"], finding["severity"])][repo].append(finding)
    chosen: list[tuple[str, dict]] = []
    for stratum in sorted(strata):
        queues = {repo: sorted(found, key=lambda f, r=repo: _stable_key(r, f))
                  for repo, found in sorted(strata[stratum].items())}
        taken = 0
        while taken < per_stratum and any(queues.values()):
            for repo, queue in queues.items():
                if queue and taken < per_stratum:
                    chosen.append((repo, queue.pop(0)))
                    taken += 1
    return chosen


def _code(tree: Path, finding: dict) -> str:
    """The lines around the finding, from its file (a notebook's cell for notebooks)."""
    path = tree / finding["path"]
    line = finding.get("line")
    try:
        if path.suffix == ".ipynb" and finding.get("cell") is not None:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            source = cells[finding["cell"] - 1]["source"]  # mlaudit counts cells from 1
            lines = "".join(source).splitlines() if isinstance(source, list) else source.splitlines()
        else:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except (OSError, ValueError, KeyError, IndexError):
        return "(file not readable here)"
    if line is None:
        return "\n".join(f"{n:>5}  {text}" for n, text in enumerate(lines[:2 * CONTEXT], 1))
    start = max(1, line - CONTEXT)
    return "\n".join(f"{n:>5}{'>' if n == line else ' '} {text}"
                     for n, text in enumerate(lines[start - 1:line + CONTEXT], start))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scan-json", type=Path, required=True, help="folder of NAME.json scan results")
    parser.add_argument("--trees", type=Path, default=Path("/work/trees"), help="folder holding one tree per repository")
    parser.add_argument("--labels", type=Path, default=HERE / "labels.csv")
    parser.add_argument("--per-stratum", type=int, default=8, help="findings per (rule, severity) pair")
    parser.add_argument("--rule", action="append", help="only this rule (repeatable)")
    args = parser.parse_args(argv)
    repos = [repo["name"] for repo in tomllib.loads((HERE / "repos.toml").read_text(encoding="utf-8"))["repo"]]
    labels = read_labels(args.labels)
    unlabelled: dict[str, list[dict]] = {}
    for repo in repos:
        source = args.scan_json / f"{repo}.json"
        if not source.is_file():
            print(f"<!-- {repo}: no {source}; skipped -->")
            continue
        findings = [f for f in json.loads(source.read_text(encoding="utf-8"))["findings"]
                    if not args.rule or f["rule"] in args.rule]
        matched, _ = match(findings, [label for label in labels if label.repo == repo])
        unlabelled[repo] = [f for index, f in enumerate(findings) if index not in matched]
    for number, (repo, finding) in enumerate(pick(unlabelled, args.per_stratum), 1):
        row = io.StringIO()
        csv.writer(row, lineterminator="").writerow(
            [repo, finding["path"], finding.get("line") or "", finding["rule"], finding["category"], "?", "?"])
        cell = f" (cell {finding['cell']})" if finding.get("cell") is not None else ""
        print(f"## {number}. {finding['rule']} [{finding['severity']}] {repo} {finding['path']}:{finding.get('line')}{cell}\n\n"
              f"{finding['message']}\n\n```\n{_code(args.trees / repo, finding)}\n```\n\n    {row.getvalue()}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
