"""Score the readiness evidence of saved scans against a reviewer's labels (issue 18).

Each piece of evidence of a check that reads the repository (not the findings checks R-REPRO-05,
R-REL-05, R-REL-06, R-OWN-05, R-OWN-06 and R-OWN-07, whose evidence is findings, scored by ../score.py) is looked up in
labels.csv by repository, check, path, cell and line. The labels were written by opening each file:
`true` when the place shows what the check asks, `false` otherwise, with why.

    mlaudit scan /work/trees/NAME --no-cache --format json --output DIR/NAME.json   # for each repository
    python bench/eval/readiness/score_evidence.py DIR

prints the share of labelled evidence that is true per repository, every piece labelled false, and
the pieces no label covers (label them before quoting a figure).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
FINDINGS_CHECKS = {"R-REPRO-05", "R-REL-05", "R-REL-06", "R-OWN-05", "R-OWN-06", "R-OWN-07"}


def _key(repo: str, check: str, path: str, cell, line) -> tuple:
    return repo, check, path, str(cell or ""), str(line or "")


def load_labels() -> dict[tuple, tuple[str, str]]:
    with open(HERE / "labels.csv", newline="") as handle:
        return {_key(r["repo"], r["check"], r["path"], r["cell"], r["line"]): (r["verdict"], r["why"])
                for r in csv.DictReader(handle)}


def evidence_of(scan: dict) -> list[tuple[str, dict]]:
    readiness = scan.get("readiness") or {}
    return [(check["id"], item) for dimension in (readiness.get("dimensions") or {}).values()
            for check in dimension["checks"] if check["id"] not in FINDINGS_CHECKS for item in check["evidence"]]


def main(scan_dir: str) -> int:
    labels = load_labels()
    total_true = total = 0
    for scan_file in sorted(Path(scan_dir).glob("*.json")):
        repo = scan_file.stem
        counts = {"true": 0, "false": 0, "unlabelled": 0}
        for check, item in evidence_of(json.loads(scan_file.read_text())):
            verdict, why = labels.get(_key(repo, check, item["path"], item.get("cell"), item.get("line")), ("unlabelled", ""))
            counts[verdict] += 1
            if verdict != "true":
                where = item["path"] + (f" cell {item['cell']}" if item.get("cell") else "") + f":{item.get('line')}"
                print(f"  {verdict:<10} {repo} {check} {where}  {why}")
        labelled = counts["true"] + counts["false"]
        share = f"{100 * counts['true'] / labelled:.1f}%" if labelled else "-"
        print(f"{repo}: {counts['true']} true, {counts['false']} false, {counts['unlabelled']} unlabelled ({share} true)")
        total_true += counts["true"]
        total += labelled
    if total:
        print(f"all: {total_true} of {total} labelled pieces of evidence true ({100 * total_true / total:.1f}%)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
