"""Check `mlaudit fix` on the evaluation set's repositories, each on a throwaway copy.

    python bench/eval/fix_check.py [--trees DIR] [--repo NAME] [--work DIR]

For each repository of bench/eval/repos.toml whose tree is present (default /work/trees/NAME), the
tree is copied into a scratch folder (the tree itself is never written) and, first with the safe
fixes and then with --unsafe-fixes:

- `mlaudit fix` runs, and its fixes are counted by kind;
- every Python file and notebook that parsed before still parses;
- a second `mlaudit fix` changes nothing;
- a rescan no longer reports a fixable finding, except those the run said it could not fix.

It prints one block per repository and exits 1 when a check fails. Standard library and mlaudit's
own API; the repositories' code is never run. A missing tree is reported with how to fetch it.
"""

from __future__ import annotations

import argparse
import ast
import json
import shutil
import sys
import tempfile
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).resolve().parent


def load_repos() -> list[dict]:
    return tomllib.loads((HERE / "repos.toml").read_text(encoding="utf-8"))["repo"]


def _parse_failures(root: Path) -> set[str]:
    """Python files and notebooks that do not parse."""
    from auditor.model.sources import NotText, parse_notebook

    broken = set()
    for path in root.rglob("*"):
        if ".git" in path.parts or not path.is_file():
            continue
        relative = path.relative_to(root).as_posix()
        try:
            if path.suffix == ".py":
                ast.parse(path.read_bytes())
            elif path.suffix == ".ipynb":
                cells = parse_notebook(path.read_bytes()).broken_cells
                broken.update(f"{relative} cell {c.cell}" for c in cells)
        except (SyntaxError, ValueError, NotText):
            broken.add(relative)
    return broken


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and ".git" not in p.parts}


def check(tree: Path, work: Path, unsafe: bool) -> tuple[list[str], dict]:
    """(problems, figures) of one fix run on a copy of ``tree``."""
    from auditor.fix.run import FixOptions, fix_repository
    from auditor.testing import scan_repo

    copy = work / ("unsafe" if unsafe else "safe")
    # the work tree as it is, with its git history (some trees lack large blobs: a clone would fail)
    shutil.copytree(tree, copy, symlinks=True)
    broken_before = _parse_failures(copy)

    def scan(root: Path):
        return scan_repo(root, {})

    outcome = fix_repository(copy, scan, FixOptions(unsafe=unsafe))
    problems = []
    newly_broken = _parse_failures(copy) - broken_before
    if newly_broken:
        problems.append(f"no longer parse: {sorted(newly_broken)[:5]}")
    after_first = _snapshot(copy)
    again = fix_repository(copy, scan, FixOptions(unsafe=unsafe))
    if _snapshot(copy) != after_first:
        problems.append(f"a second run changed {sorted(again.after)[:5]}")
    not_fixed = {p.finding.fingerprint for p in outcome.not_fixed} | {p.finding.fingerprint for p in again.not_fixed}
    left = [f for f in scan(copy).findings if f.fix and (unsafe or f.fix["applicability"] == "safe")
            and f.fingerprint not in not_fixed]
    if left:
        problems.append(f"{len(left)} fixable finding(s) still reported: "
                        + ", ".join(f"{f.rule} {f.path}:{f.line}" for f in left[:5]))
    figures = {"fixed": len(outcome.fixed), "by_kind": outcome.counts(), "files": len(outcome.after),
               "not_fixed": len(outcome.not_fixed), "rounds": outcome.rounds,
               "why_not": sorted({p.skipped for p in outcome.not_fixed if p.skipped})[:8]}
    return problems, figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trees", type=Path, default=Path("/work/trees"))
    parser.add_argument("--repo", action="append")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    failed = False
    figures_all = {}
    for repo in load_repos():
        name = repo["name"]
        if args.repo and name not in args.repo:
            continue
        tree = args.trees / name
        if not (tree / ".git").exists():
            print(f"{name}: tree not present (bench/eval/README.md says how to fetch it)")
            continue
        for unsafe in (False, True):
            with tempfile.TemporaryDirectory(prefix="mlaudit-fixcheck-") as scratch:
                problems, figures = check(tree, Path(scratch), unsafe)
            label = "unsafe" if unsafe else "safe"
            figures_all[f"{name} {label}"] = figures
            status = "ok" if not problems else "FAILED"
            kinds = ", ".join(f"{k} {n}" for k, n in figures["by_kind"].items()) or "none"
            print(f"{name} [{label}]: {status}: {figures['fixed']} fixed in {figures['files']} files, "
                  f"{figures['rounds']} round(s); {figures['not_fixed']} not fixable here; {kinds}")
            for reason in figures["why_not"]:
                print(f"    not fixed: {reason}")
            for problem in problems:
                print(f"    PROBLEM: {problem}")
            failed = failed or bool(problems)
    if args.json:
        args.json.write_text(json.dumps(figures_all, indent=1) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
