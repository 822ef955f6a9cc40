"""Score the data-leakage rules (ML601-ML603) on the labelled notebooks and scripts of files.csv.

Scans each repository of files.csv (the tree NAME, or OWNER+NAME for a GitHub OWNER/NAME, in the
first of the --trees folders that has it; default /work/trees) with the rules
alone, keeps the findings in the listed files, and matches each to a label of labels.csv by path,
cell and line (the fit where the leak enters). Prints precision and recall at the default
min-confidence (medium) and at low: recall over the `headline` leaks (a fit that saw the rows a
model is scored on) and, at low, over all of them (`minor`: an unsupervised step fitted on a whole
training set before cross-validation on it). A finding in a listed file that no label matches is
printed: label it. Exit 1 when one is unlabelled.

    python bench/eval/leakage/score.py [--trees DIR ...] [--scan-json DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RULES = "ML601,ML602,ML603"
CONFIDENCE = {"low": 0, "medium": 1, "high": 2}


def read_csv(name: str) -> list[dict]:
    with open(HERE / name, newline="") as handle:
        return list(csv.DictReader(handle))


def scan(tree: Path, saved: Path | None, repo: str) -> list[dict]:
    """The tree's data-leakage findings (from a saved JSON report when given)."""
    if saved is not None:
        return json.loads((saved / f"{repo}.json").read_text())["findings"]
    with tempfile.TemporaryDirectory() as out:
        report = Path(out) / "report.json"
        subprocess.run([sys.executable, "-m", "auditor", "scan", str(tree), "--select", RULES, "--min-confidence", "low",
                        "--no-cache", "--exit-zero", "-q", "-o", f"json:{report}"], check=True, capture_output=True)
        return json.loads(report.read_text())["findings"]


def tree_of(repo: str, folders: list[Path]) -> Path:
    """A repository's tree: NAME (the evaluation set's trees) or OWNER+NAME (a GitHub repository)."""
    name = repo.replace("/", "+")
    found = next((folder / name for folder in folders if (folder / name).is_dir()), None)
    if found is None:
        raise SystemExit(f"{name}: no tree in {', '.join(map(str, folders))} (see README.md)")
    return found


def key(repo: str, path: str, cell, line) -> tuple:
    return repo, path, int(cell) if cell not in (None, "") else None, int(line)


def figures(found: dict, labels: dict, threshold: str, materiality: set[str]) -> dict:
    """Precision over the findings at or above ``threshold``; recall over the true labels of ``materiality``."""
    shown = {k: f for k, f in found.items() if CONFIDENCE[f["confidence"]] >= CONFIDENCE[threshold]}
    true_found = [k for k in shown if k in labels and labels[k]["verdict"] == "true"]
    false_found = [k for k in shown if k in labels and labels[k]["verdict"] == "false"]
    wanted = [k for k, label in labels.items() if label["verdict"] == "true" and label["materiality"] in materiality]
    caught = [k for k in wanted if k in shown]
    return {"findings": len(shown), "true": len(true_found), "false": len(false_found),
            "precision": ratio(len(true_found), len(true_found) + len(false_found)),
            "leaks": len(wanted), "caught": len(caught), "recall": ratio(len(caught), len(wanted)),
            "missed": [k for k in wanted if k not in shown]}


def ratio(part: int, whole: int) -> str:
    return f"{part / whole:.2f}" if whole else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", type=Path, action="append", help="folders holding the trees (repeatable)")
    parser.add_argument("--scan-json", type=Path, help="saved `mlaudit scan --format json` reports, DIR/NAME.json")
    args = parser.parse_args()
    folders = args.trees or [Path("/work/trees")]
    files = read_csv("files.csv")
    labels = {key(r["repo"], r["path"], r["cell"], r["line"]): r for r in read_csv("labels.csv")}
    found: dict[tuple, dict] = {}
    for repo in sorted({f["repo"] for f in files}):
        listed = {f["path"] for f in files if f["repo"] == repo}
        for finding in scan(tree_of(repo, folders), args.scan_json, repo.replace("/", "+")):
            if finding["path"] in listed:
                found[key(repo, finding["path"], finding.get("cell"), finding["line"])] = finding
    print(f"{len(files)} notebooks and scripts, {len(labels)} labelled leaks, {len(found)} findings (all confidences)\n")
    print("| min-confidence | leaks counted | findings | true | false | precision | caught | recall |")
    print("|---|---|---|---|---|---|---|---|")
    for threshold, materiality in (("medium", {"headline"}), ("low", {"headline", "minor"})):
        fig = figures(found, labels, threshold, materiality)
        print(f"| {threshold} | {'/'.join(sorted(materiality))} ({fig['leaks']}) | {fig['findings']} | {fig['true']} | "
              f"{fig['false']} | {fig['precision']} | {fig['caught']} | {fig['recall']} |")
        for missed in fig["missed"]:
            print(f"    missed at {threshold}: {missed[0]} {missed[1]} cell {missed[2]} line {missed[3]}: "
                  f"{labels[missed]['why']}")
    unlabelled = [k for k in found if k not in labels]
    for k in unlabelled:
        print(f"UNLABELLED {found[k]['rule']} {found[k]['confidence']} {k}: {found[k]['message']}")
    return 1 if unlabelled else 0


if __name__ == "__main__":
    sys.exit(main())
