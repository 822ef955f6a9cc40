"""Compare what two builds of mlaudit write on the same trees, in every output format.

    python bench/compare_outputs.py --before VENV_A --after VENV_B TREE [TREE ...]

Each VENV is a virtual environment with mlaudit installed (for example one made from an older
commit: `git worktree add /tmp/old REV && python -m venv /tmp/venv-old && /tmp/venv-old/bin/pip
install /tmp/old`). Both builds scan each tree with `--no-cache -v` in text, json, sarif, html,
markdown, junit, gitlab and github, one build right after the other, and their outputs and exit
codes are compared after masking what changes with the clock: durations, timestamps and ages in
days. A refactoring that claims "no behaviour change" should print `identical` for every tree.

Exit code 0 when everything is identical, 1 otherwise (the first differing lines are printed).
"""

from __future__ import annotations

import argparse
import difflib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

FORMATS = ("text", "json", "sarif", "html", "markdown", "junit", "gitlab", "github")
_CLOCK = [
    (re.compile(r"in [0-9]+\.[0-9]+ ?s\b"), "in Xs"),
    (re.compile(r'time="[0-9.]+"'), 'time="X"'),
    (re.compile(r'timestamp="[^"]*"'), 'timestamp="X"'),
    (re.compile(r'"(duration|elapsed)[a-z_]*": ?[0-9.e-]+'), r'"\1": X'),
    (re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|\+00:00)?"), "TIME"),
    (re.compile(r"[0-9]+\.[0-9]+ ?s<"), "Xs<"),
    (re.compile(r'age_days"?(</dt><dd>|[=:] ?)[0-9.]+'), "age_days=A"),
    (re.compile(r"[0-9,]+ d<"), "N d<"),
]


def masked(text: str) -> list[str]:
    for pattern, replacement in _CLOCK:
        text = pattern.sub(replacement, text)
    return text.splitlines()


def run(venv: Path, tree: Path, fmt: str, cwd: Path) -> tuple[int, str]:
    done = subprocess.run([str(venv / "bin" / "mlaudit"), "scan", str(tree), "--no-cache", "-v", "--format", fmt],
                          capture_output=True, text=True, cwd=cwd)
    if done.returncode not in (0, 1) or not done.stdout:  # a broken build must not pass for "identical"
        raise SystemExit(f"{venv}: mlaudit failed on {tree} ({fmt}, exit {done.returncode}):\n{done.stderr[-1500:]}")
    return done.returncode, done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="virtual environment of the old build")
    parser.add_argument("--after", type=Path, required=True, help="virtual environment of the new build")
    parser.add_argument("--ignore", action="append", default=[],
                        help="drop lines matching this regular expression before comparing (an intended change)")
    parser.add_argument("trees", nargs="+", type=Path)
    args = parser.parse_args(argv)
    ignored = [re.compile(p) for p in args.ignore]
    different = 0
    with tempfile.TemporaryDirectory() as scratch:  # a neutral working directory for both builds
        for tree in args.trees:
            changed = []
            for fmt in FORMATS:
                (code_a, out_a), (code_b, out_b) = run(args.before, tree, fmt, Path(scratch)), \
                    run(args.after, tree, fmt, Path(scratch))
                lines_a = [line for line in masked(out_a) if not any(p.search(line) for p in ignored)]
                lines_b = [line for line in masked(out_b) if not any(p.search(line) for p in ignored)]
                if code_a != code_b:
                    changed.append(f"  {fmt}: exit {code_a} -> {code_b}")
                if lines_a != lines_b:
                    diff = list(difflib.unified_diff(lines_a, lines_b, "before", "after", n=0, lineterm=""))
                    changed.append(f"  {fmt}: {sum(1 for d in diff if d[:1] in '+-') - 2} line(s) differ")
                    changed += [f"    {line[:200]}" for line in diff[2:10]]
            print(f"{tree}: " + ("identical" if not changed else "DIFFERENT"))
            print("\n".join(changed)) if changed else None
            different += bool(changed)
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
