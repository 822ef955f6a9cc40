"""Benchmark mlaudit against the peers on the same trees, in the same run.

    python bench/run.py                       # stdlib subset (~100k lines) and the whole stdlib
    python bench/run.py --tree /path/to/repo  # plus any other tree, e.g. a real ML repository
    python bench/run.py --quick               # only the subset (a smoke run)

For each tree: `mlaudit scan` cold (empty cache), warm (nothing changed) and warm after one file
changed; `vulture` followed by `radon cc`. Wall time and peak memory (resident set of the whole
process tree, sampled) of each, and the ratios the targets are stated in. Results are printed as
Markdown and, with --write, saved to bench/RESULTS.md with the machine's description.
Trees are copied to a temporary directory first, so no repository is ever modified.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _tree_memory(pid: int) -> tuple[int, int]:
    """(resident set, proportional set) of a process and its descendants, in bytes. Workers forked
    from one parent share its pages: the resident sets count those once per process, the
    proportional sets split them between the sharers (the machine's real use)."""
    rss = pss = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
        except OSError:
            continue
        stack.extend(_children(current))
    return rss, pss


def measure(command: list[str], cwd: Path | None = None) -> tuple[float, int, int, int]:
    """(wall seconds, peak resident bytes of the process tree, exit code, peak proportional bytes)."""
    peak = peak_pss = 0
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss
        while not done.is_set():
            rss, pss = _tree_memory(proc.pid)
            peak, peak_pss = max(peak, rss), max(peak_pss, pss)
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = proc.wait()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    return wall, peak, code, peak_pss


def count_lines(root: Path) -> tuple[int, int]:
    files = lines = 0
    for path in root.rglob("*.py"):
        if path.is_file() and not path.is_symlink():
            files += 1
            with open(path, "rb") as handle:
                lines += handle.read().count(b"\n")
    return files, lines


def stdlib_trees(workdir: Path, quick: bool) -> list[tuple[str, Path]]:
    lib = Path(sysconfig.get_paths()["stdlib"])
    whole = workdir / "stdlib"
    shutil.copytree(lib, whole, ignore=shutil.ignore_patterns("site-packages", "__pycache__", "*.pyc"),
                    symlinks=True)
    subset = workdir / "stdlib-100k"
    subset.mkdir()
    total = 0
    # Whole top-level modules and packages in name order until about 100,000 lines: real code
    # written elsewhere, with its tests left out so the subset is mostly library code.
    for entry in sorted(whole.iterdir()):
        if entry.name in ("test", "idlelib", "lib2to3", "tkinter", "turtledemo"):
            continue
        if entry.suffix == ".py":
            lines = entry.read_bytes().count(b"\n")
            shutil.copy2(entry, subset / entry.name)
        elif entry.is_dir() and (entry / "__init__.py").exists():
            shutil.copytree(entry, subset / entry.name, symlinks=True)
            lines = count_lines(subset / entry.name)[1]
        else:
            continue
        total += lines
        if total >= 100_000:
            break
    trees = [("stdlib subset", subset)]
    if not quick:
        trees.append(("whole stdlib", whole))
    return trees


def copy_tree(source: Path, workdir: Path) -> Path:
    target = workdir / source.name
    shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def change_one_file(tree: Path) -> None:
    candidates = sorted(p for p in tree.rglob("*.py") if p.is_file() and not p.is_symlink())
    target = candidates[len(candidates) // 2]
    with open(target, "a", encoding="utf-8", errors="surrogateescape") as handle:
        handle.write("\n# benchmark edit\n")


def bench_tree(name: str, tree: Path, workdir: Path, jobs: int | None) -> dict:
    files, lines = count_lines(tree)
    cache = workdir / f"cache-{tree.name}"
    mlaudit = [sys.executable, "-m", "auditor", "scan", str(tree), "--format", "json", "--output",
               str(workdir / "out.json"), "--cache-dir", str(cache), "-q"]
    if jobs:
        mlaudit += ["--jobs", str(jobs)]
    row = {"tree": name, "files": files, "lines": lines}
    row["cold"] = measure(mlaudit)
    row["warm"] = measure(mlaudit)
    change_one_file(tree)
    row["warm1"] = measure(mlaudit)
    vulture = shutil.which("vulture") or "vulture"
    radon = shutil.which("radon") or "radon"
    row["vulture"] = measure([vulture, str(tree)])
    row["radon"] = measure([radon, "cc", "-s", "-a", str(tree)])
    for key in ("cold", "warm", "warm1"):
        if row[key][2] >= 2:
            # run it again in the open, so the reason is on screen
            subprocess.run(mlaudit[:-1] + ["--format", "text"], check=False)
            raise SystemExit(f"mlaudit failed on {name} ({key} run) with exit code {row[key][2]}")
    return row


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = int(open("/proc/meminfo").readline().split()[1]) // 1024 // 1024
    except (OSError, ValueError, IndexError):
        memory = 0
    return (f"{os.cpu_count()} cores ({model}), {memory} GiB memory, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def render(rows: list[dict]) -> str:
    mib = 1024 * 1024
    out = [
        f"Machine: {machine()}. Date: {time.strftime('%Y-%m-%d')}.",
        "",
        "| tree | files | lines | mlaudit cold | warm | warm, 1 file changed | vulture | radon cc | "
        "vulture + radon | cold / (vulture + radon) | warm / cold | warm-1 / cold | peak memory mlaudit cold "
        "(resident / proportional) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        peers = r["vulture"][0] + r["radon"][0]
        out.append(
            f"| {r['tree']} | {r['files']:,} | {r['lines']:,} | {r['cold'][0]:.2f} s | {r['warm'][0]:.2f} s | "
            f"{r['warm1'][0]:.2f} s | {r['vulture'][0]:.2f} s | {r['radon'][0]:.2f} s | {peers:.2f} s | "
            f"**{r['cold'][0] / peers:.2f}** | **{r['warm'][0] / r['cold'][0]:.2f}** | "
            f"**{r['warm1'][0] / r['cold'][0]:.2f}** | {r['cold'][1] / mib:.0f} / {r['cold'][3] / mib:.0f} MiB |")
    out.append("")
    out.append("Peak resident memory (MiB, whole process tree): " + "; ".join(
        f"{r['tree']}: mlaudit cold {r['cold'][1] / mib:.0f}, warm {r['warm'][1] / mib:.0f}, "
        f"vulture {r['vulture'][1] / mib:.0f}, radon {r['radon'][1] / mib:.0f}" for r in rows))
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", action="append", default=[], type=Path, help="another tree to measure")
    parser.add_argument("--quick", action="store_true", help="only the stdlib subset")
    parser.add_argument("--jobs", type=int, help="pass --jobs to mlaudit")
    parser.add_argument("--write", action="store_true", help="write bench/RESULTS.md")
    args = parser.parse_args()
    for tool in ("vulture", "radon"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed: pip install -r bench/requirements.txt")
    with tempfile.TemporaryDirectory(prefix="mlaudit-bench-") as tmp:
        workdir = Path(tmp)
        trees = stdlib_trees(workdir, args.quick)
        trees += [(path.name, copy_tree(path, workdir)) for path in args.tree]
        rows = []
        for name, tree in trees:
            print(f"measuring {name} ...", file=sys.stderr)
            rows.append(bench_tree(name, tree, workdir, args.jobs))
    text = render(rows)
    print(text)
    if args.write:
        results = HERE / "RESULTS.md"
        intro = ("# Benchmark results\n\nProduced by `python bench/run.py --write` (see its docstring). "
                 "Targets (issue 11): cold <= 1.0 x (vulture + radon cc); warm <= 0.1 x cold; warm after one "
                 "changed file <= 0.15 x cold; peak memory <= 400 MiB on a 1,000,000-line tree.\n\n")
        results.write_text(intro + text)
        print(f"wrote {results}", file=sys.stderr)


if __name__ == "__main__":
    main()
