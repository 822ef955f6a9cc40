"""Incremental equals scratch: after random edits, a scan that reuses the cache reports exactly
what a scan from nothing reports (findings, suppressed findings, readiness, errors).

    python bench/incremental_check.py TREE [TREE ...] [--edits 12] [--seed 0] [--session]

Each tree is copied to a temporary directory (the original is never written), scanned once to
fill a cache, then edited at random, one edit at a time: a function added in the middle of a
module, a function removed, a function renamed (its definition only, so its callers now name
nothing), an import added, a module moved into a new folder, a function that logs a metric to
MLflow added (what readiness checks ask about). After each edit the copy is scanned
twice, with the cache and with --no-cache, and the two results must be equal. Exit 1 on the first
difference, with the edit that caused it.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

EDITS = ("add function", "remove function", "rename function", "add import", "move module", "add tracking call")


def _modules(tree: Path) -> list[Path]:
    return sorted(p for p in tree.rglob("*.py") if p.is_file() and not p.is_symlink() and ".git" not in p.parts)


def _top_level_functions(text: str) -> list[ast.FunctionDef]:
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    return [n for n in module.body if isinstance(n, ast.FunctionDef) and not n.decorator_list]


def edit(tree: Path, rng: random.Random, kind: str) -> str:
    """Make one edit of ``kind`` to a module of ``tree`` picked by ``rng``; say what was done
    (an empty string when no module allowed it)."""
    modules = _modules(tree)
    rng.shuffle(modules)
    for path in modules:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        lines = text.splitlines(keepends=True)
        functions = _top_level_functions(text)
        where = path.relative_to(tree)
        if kind == "add function" and functions:
            at = rng.choice(functions).end_lineno
            name = f"_added_{rng.randrange(10**6)}"
            lines.insert(at, f"\n\ndef {name}(value):\n    return [value] * 2\n")
            done = f"added {name} after line {at} of {where}"
        elif kind == "remove function" and functions:
            gone = rng.choice(functions)
            del lines[gone.lineno - 1:gone.end_lineno]
            done = f"removed {gone.name} (lines {gone.lineno}-{gone.end_lineno}) of {where}"
        elif kind == "rename function" and functions:
            renamed = rng.choice(functions)
            lines[renamed.lineno - 1] = lines[renamed.lineno - 1].replace(f"def {renamed.name}(",
                                                                          f"def {renamed.name}_renamed(", 1)
            done = f"renamed {renamed.name} of {where}"
        elif kind == "add tracking call" and functions:  # what readiness checks ask about
            at = rng.choice(functions).end_lineno
            lines.insert(at, "\n\ndef _log_loss(value):\n    import mlflow\n    mlflow.log_metric('loss', value)\n")
            done = f"added a call of mlflow.log_metric after line {at} of {where}"
        elif kind == "add import":
            lines.insert(0, "import json\n")
            done = f"imported json in {where}"
        elif kind == "move module" and path.name != "__init__.py":
            target = path.parent / "moved" / path.name
            target.parent.mkdir(exist_ok=True)
            path.rename(target)
            return f"moved {where} to {target.relative_to(tree)}"
        else:
            continue
        path.write_text("".join(lines), encoding="utf-8", errors="surrogateescape")
        return done
    return ""


def report(result) -> dict:
    """What a user reads of a scan: every finding, suppressed finding, the readiness and the errors."""
    return json.loads(json.dumps({"findings": [f.to_json() for f in result.findings],
                                  "suppressed": [f.to_json() for f in result.suppressed],
                                  "readiness": result.readiness,
                                  "errors": [{k: e[k] for k in ("rule", "path")} for e in result.errors]},
                                 default=str))


def check(tree: Path, edits: int, seed: int, cache: Path, log=print, session: bool = False) -> str | None:
    """Edit ``tree`` ``edits`` times; None when every cached scan equals its scan from nothing, else
    what differed. With ``session`` the cached scans are the language server's: one ``ScanSession``
    (the cache kept open, the last scan's graph edges kept decoded), the analyses released."""
    from auditor.config import load_config
    from auditor.scan.engine import ScanSession, scan

    rng = random.Random(seed)
    now = 1_800_000_000.0  # one day for every scan: ages are in days
    scans = ScanSession(cache) if session else None

    def cached_scan():
        if scans is not None:
            return scan(tree, load_config(tree), now=now, session=scans, keep_analyses=False)
        return scan(tree, load_config(tree), cache_dir=cache, now=now)

    cached_scan()
    for number in range(edits):
        kind = EDITS[number % len(EDITS)] if number < len(EDITS) else rng.choice(EDITS)
        done = edit(tree, rng, kind)
        if not done:
            continue
        cached = report(cached_scan())
        scratch = report(scan(tree, load_config(tree), now=now))
        log(f"  {done}: {len(scratch['findings'])} findings, {'same' if cached == scratch else 'DIFFERENT'}")
        if cached != scratch:
            for key in cached:
                if cached[key] != scratch[key]:
                    return f"after '{done}': {key} differ"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--edits", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--session", action="store_true", help="cached scans as the language server makes them")
    args = parser.parse_args()
    failed = False
    for source in args.trees:
        with tempfile.TemporaryDirectory(prefix="mlaudit-incremental-") as tmp:
            tree = Path(tmp) / source.name
            shutil.copytree(source, tree, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
            print(f"{source}:", file=sys.stderr)
            problem = check(tree, args.edits, args.seed, Path(tmp) / "cache",
                            log=lambda line: print(line, file=sys.stderr), session=args.session)
            print(f"{source}: {problem or 'incremental equals scratch'}")
            failed = failed or problem is not None
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
