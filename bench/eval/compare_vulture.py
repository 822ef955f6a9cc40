"""Set vulture's dead-code findings beside mlaudit's on the same tree.

    vulture TREE > vulture.txt      # in a venv of its own: pip install vulture
    mlaudit scan TREE --select dead-code --min-confidence low --format json > mlaudit.json
    python bench/eval/compare_vulture.py vulture.txt mlaudit.json [--sample N] [--labels labels.csv --repo NAME]

A vulture finding is *confirmed* when mlaudit reports dead code on the same file within a line of
it; otherwise mlaudit *does not report* it, rightly (a framework calls it, a config names it, an
interface dictates it) or not (a miss). --sample prints that many of the unreported ones, chosen by
a hash of their place, as CSV rows to label (verdict: is vulture right?); with --labels, labelled
ones are counted: vulture right (a miss of mlaudit's) or vulture wrong (mlaudit rightly rejects).
Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from collections import Counter
from pathlib import Path

_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+): (?P<message>unused (?P<kind>[\w ]+?) '(?P<name>[^']+)'|"
                   r"(?P<other>.+?)) \((?P<confidence>\d+)% confidence")


def read_vulture(text: str) -> list[dict]:
    found = []
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if match:
            found.append({"path": match["path"].removeprefix("./"), "line": int(match["line"]),
                          "kind": match["kind"] or match["other"].split("'")[0].strip(), "name": match["name"] or "",
                          "confidence": int(match["confidence"])})
    return found


def confirmed(item: dict, places: dict[str, list[tuple[int, int]]]) -> bool:
    """mlaudit reports dead code on the same file at (or spanning) the line, give or take one."""
    return any(start - 1 <= item["line"] <= end + 1 for start, end in places.get(item["path"], ()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vulture", type=Path)
    parser.add_argument("mlaudit", type=Path)
    parser.add_argument("--sample", type=int, default=0)
    parser.add_argument("--labels", type=Path)
    parser.add_argument("--repo")
    args = parser.parse_args(argv)
    items = read_vulture(args.vulture.read_text(encoding="utf-8"))
    places: dict[str, list[tuple[int, int]]] = {}
    for finding in json.loads(args.mlaudit.read_text(encoding="utf-8"))["findings"]:
        if finding.get("category") == "dead-code" and finding.get("line"):
            places.setdefault(finding["path"], []).append((finding["line"], finding.get("end_line") or finding["line"]))
    unreported = [item for item in items if not confirmed(item, places)]
    print(f"vulture: {len(items)} findings; mlaudit confirms {len(items) - len(unreported)}, does not report "
          f"{len(unreported)}")
    print("  not reported, by kind: " + ", ".join(f"{k} {n}" for k, n in Counter(i["kind"] for i in unreported).most_common()))
    if args.labels and args.repo:
        with open(args.labels, newline="", encoding="utf-8") as handle:
            labels = {(row["path"], int(row["line"])): row["verdict"] == "true"
                      for row in csv.DictReader(handle) if row["repo"] == args.repo and row["rule"] == "vulture"}
        verdicts = [labels[(i["path"], i["line"])] for i in unreported if (i["path"], i["line"]) in labels]
        print(f"  labelled {len(verdicts)} of them: vulture right (mlaudit misses) {sum(verdicts)}, "
              f"vulture wrong (mlaudit rightly rejects) {len(verdicts) - sum(verdicts)}")
    if args.sample:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        chosen = sorted(unreported, key=lambda i: hashlib.sha1(f"{i['path']}:{i['line']}".encode()).hexdigest())
        for item in chosen[:args.sample]:
            writer.writerow([args.repo or "", item["path"], item["line"], "vulture", "dead-code", "?",
                             f"vulture: unused {item['kind']} '{item['name']}' ({item['confidence']}%)"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
