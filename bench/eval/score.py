"""Score mlaudit's findings against the labels of the evaluation set (bench/eval/labels.csv).

    python bench/eval/score.py [--trees DIR] [--scan-json DIR] [--repo NAME] [--record]

For each repository of bench/eval/repos.toml whose tree is present (default: /work/trees/NAME, or
--trees DIR/NAME) at its pinned commit, the scorer runs `mlaudit scan --no-cache --format json`
(or reads DIR/NAME.json with --scan-json) and matches each finding to a label by repository,
path, rule and line (within 2 lines). It prints, per rule and per severity: labelled true, labelled
false, unlabelled, and precision (true / labelled); then every labelled-false finding still
reported, and every label no finding matched (fixed, or moved). A missing tree is reported with
how to fetch it (bench/eval/README.md), not an error. Standard library only; deterministic output.

With --record (all repositories present, no --repo), the per-rule, per-severity counts are written
to auditor/cli/measured_precision.json, which each rule's documentation page quotes
(`python -m auditor.cli.docs` regenerates the pages).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
RECORD = HERE.parents[1] / "auditor" / "cli" / "measured_precision.json"
LINE_SLACK = 2


@dataclass(frozen=True)
class Label:
    repo: str
    path: str
    line: int | None
    rule: str
    category: str
    verdict: bool
    why: str


def read_labels(path: Path) -> list[Label]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [Label(row["repo"], row["path"], int(row["line"]) if row["line"] else None, row["rule"],
                      row["category"], row["verdict"].strip().lower() == "true", row["why"])
                for row in csv.DictReader(handle)]


def match(findings: list[dict], labels: list[Label]) -> tuple[dict[int, Label], set[int]]:
    """Finding index -> its label; and the indexes of labels no finding matched."""
    matched: dict[int, Label] = {}
    used: set[int] = set()
    for index, finding in enumerate(findings):
        for number, label in enumerate(labels):
            if number in used or label.path != finding.get("path") or label.rule != finding.get("rule"):
                continue
            line = finding.get("line")
            if label.line is None or line is None or abs(label.line - line) <= LINE_SLACK:
                matched[index] = label
                used.add(number)
                break
    return matched, set(range(len(labels))) - used


def tally(findings: list[dict], matched: dict[int, Label], key) -> dict[str, list[int]]:
    """key(finding) -> [true, false, unlabelled]."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for index, finding in enumerate(findings):
        row = counts[key(finding)]
        label = matched.get(index)
        row[2 if label is None else (0 if label.verdict else 1)] += 1
    return dict(counts)


def precision(true: int, false: int) -> str:
    return f"{true / (true + false):.2f}" if true + false else "-"


def table(title: str, counts: dict[str, list[int]]) -> list[str]:
    lines = [f"{title:<22} true  false  unlabelled  precision"]
    for name in sorted(counts):
        true, false, unlabelled = counts[name]
        lines.append(f"{name:<22} {true:>4}  {false:>5}  {unlabelled:>10}  {precision(true, false):>9}")
    return lines


def by_rule_and_severity(findings: list[dict], matched: dict[int, Label]) -> dict[str, dict[str, dict[str, int]]]:
    """rule -> severity -> {"true", "false", "reported"}: what a rule's documentation page quotes."""
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for index, finding in enumerate(findings):
        row = counts.setdefault(finding["rule"], {}).setdefault(finding["severity"],
                                                                {"true": 0, "false": 0, "reported": 0})
        row["reported"] += 1
        label = matched.get(index)
        if label is not None:
            row["true" if label.verdict else "false"] += 1
    return {rule: dict(sorted(severities.items())) for rule, severities in sorted(counts.items())}


def record(path: Path, repos: list[dict], findings: list[dict], matched: dict[int, Label]) -> None:
    payload = {"evaluation_set": "bench/eval",
               "repositories": {repo["name"]: repo["commit"] for repo in repos},
               "rules": by_rule_and_severity(findings, matched)}
    path.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")


def scan(tree: Path) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "auditor", "scan", str(tree), "--no-cache", "--format", "json",
                           "--exit-zero"], capture_output=True, text=True, cwd=HERE)
    if done.returncode not in (0, 1):
        raise SystemExit(f"mlaudit failed on {tree}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)["findings"]


def tree_commit(tree: Path) -> str | None:
    done = subprocess.run(["git", "-C", str(tree), "rev-parse", "HEAD"], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def findings_of(repo: dict, args: argparse.Namespace, out: list[str]) -> list[dict] | None:
    """The repository's findings, from its saved scan or by scanning its tree; None (and why, in
    ``out``) when neither is here."""
    name = repo["name"]
    if args.scan_json:
        source = args.scan_json / f"{name}.json"
        if not source.is_file():
            out.append(f"{name}: no {source}; skipped")
            return None
        return json.loads(source.read_text(encoding="utf-8"))["findings"]
    tree = args.trees / name
    if not tree.is_dir():
        out.append(f"{name}: no tree at {tree}; fetch it at {repo['commit'][:12]} (bench/eval/README.md)")
        return None
    commit = tree_commit(tree)
    if commit != repo["commit"]:
        out.append(f"{name}: {tree} is at {commit}, not the pinned {repo['commit']}; labels may not match")
    return scan(tree)


def compare(name: str, findings: list[dict], labels: list[Label], out: list[str]) -> dict[int, Label]:
    """Match one repository's findings to its labels, and list what is still false and what no
    finding matches any more."""
    matched, unmatched = match(findings, labels)
    out.append(f"{name}: {len(findings)} findings, {len(matched)} labelled "
               f"({sum(label.verdict for label in matched.values())} true)")
    for index in sorted(i for i, label in matched.items() if not label.verdict):
        finding = findings[index]
        out.append(f"  still false: {finding['rule']} {finding['path']}:{finding.get('line')} [{finding['severity']}] "
                   f"- {matched[index].why}")
    for number in sorted(unmatched):
        label = labels[number]
        out.append(f"  not reported now: {label.rule} {label.path}:{label.line} "
                   f"(labelled {'true' if label.verdict else 'false'})")
    return matched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trees", type=Path, default=Path("/work/trees"), help="folder holding one tree per repository")
    parser.add_argument("--scan-json", type=Path, help="read NAME.json scan results from this folder instead of scanning")
    parser.add_argument("--repo", action="append", help="only this repository (repeatable)")
    parser.add_argument("--labels", type=Path, default=HERE / "labels.csv")
    parser.add_argument("--record", nargs="?", type=Path, const=RECORD, default=None,
                        help=f"write the per-rule figures for the rules' pages (default {RECORD.relative_to(HERE.parents[1])})")
    args = parser.parse_args(argv)
    if args.record and args.repo:
        parser.error("--record needs every repository: leave out --repo")
    repos = tomllib.loads((HERE / "repos.toml").read_text(encoding="utf-8"))["repo"]
    labels = read_labels(args.labels)
    out: list[str] = []
    all_findings: list[dict] = []
    all_matched: dict[int, Label] = {}
    scanned: list[str] = []
    for repo in repos:
        name = repo["name"]
        findings = None if args.repo and name not in args.repo else findings_of(repo, args, out)
        if findings is None:
            continue
        scanned.append(name)
        matched = compare(name, findings, [label for label in labels if label.repo == name], out)
        offset = len(all_findings)
        all_findings += [dict(f, repo=name) for f in findings]
        all_matched.update({offset + i: label for i, label in matched.items()})
    if args.record:
        missing = [repo["name"] for repo in repos if repo["name"] not in scanned]
        if missing:
            raise SystemExit(f"--record needs every repository; missing: {', '.join(missing)}")
        record(args.record, repos, all_findings, all_matched)
        out.append(f"recorded {args.record}")
    out.append("")
    out += table("rule", tally(all_findings, all_matched, lambda f: f["rule"]))
    out.append("")
    out += table("severity", tally(all_findings, all_matched, lambda f: f["severity"]))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
