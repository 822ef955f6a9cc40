"""How mlaudit's cold scan grows with the tree, beside vulture and radon on the same trees.

    python bench/scaling.py            # trees of about 100k, 250k, 500k+, 1M and 2M lines
    python bench/scaling.py --quick    # 100k and 250k only (a smoke run)

The trees are made of the standard library (whole top-level modules and packages, in name order,
until the size is reached: the third takes in the test package and passes 700k lines), then the
whole standard library with networkx beside it (about 1M lines), then two copies of that in two
folders (about 2M lines). Each is scanned cold (empty cache) once, or three times under 200,000
lines (the fastest kept), and so are ``vulture`` and ``radon cc -s -a``. Printed as Markdown: each
tree's wall and CPU seconds, and the exponent of time against lines (the slope of log time on log
lines, fitted over every tree; 1.0 is linear), which issue 26 wants at most 1.05 from 100k to 2M
lines.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

from run import best, compile_mlaudit, count_lines, machine, partial_stdlib  # bench/run.py: the script's folder is on the path

SIZES = (100_000, 250_000, 500_000)


def trees(workdir: Path, quick: bool) -> list[Path]:
    lib = Path(sysconfig.get_paths()["stdlib"])
    whole = workdir / "stdlib"
    shutil.copytree(lib, whole, ignore=shutil.ignore_patterns("site-packages", "__pycache__", "*.pyc"), symlinks=True)
    made = [partial_stdlib(whole, workdir / f"stdlib-part-{n}", size) for n, size in enumerate(SIZES[: 2 if quick else 3], 1)]
    if quick:
        return made
    import networkx

    million = workdir / "stdlib-and-networkx"
    shutil.copytree(whole, million / "stdlib", symlinks=True)
    shutil.copytree(Path(networkx.__file__).parent, million / "networkx", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    double = workdir / "two-copies-of-it"
    for copy in ("a", "b"):
        shutil.copytree(million, double / copy, symlinks=True)
    return [*made, million, double]


def exponent(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of log(seconds) on log(lines)."""
    xs = [math.log(lines) for lines, _ in points]
    ys = [math.log(seconds) for _, seconds in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sum((x - mean_x) ** 2 for x in xs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the two smallest trees only")
    args = parser.parse_args()
    for tool in ("vulture", "radon"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed: pip install -r bench/requirements.txt")
    compile_mlaudit()
    load_at_start = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory(prefix="mlaudit-scaling-") as tmp:
        workdir = Path(tmp)
        started_in = os.getcwd()
        os.chdir(workdir)  # `python -m auditor` must not import a source checkout (see bench/run.py)
        try:
            for tree in trees(workdir, args.quick):
                lines = count_lines(tree)[1]
                repeat = 3 if lines < 200_000 else 1
                print(f"measuring {tree.name} ({lines:,} lines) ...", file=sys.stderr)
                cache = workdir / f"cache-{tree.name}"
                mlaudit = [sys.executable, "-m", "auditor", "scan", str(tree), "--format", "json", "--output",
                           str(workdir / "out.json"), "--cache-dir", str(cache), "-q"]
                cold = best(mlaudit, repeat, before=lambda cache=cache: shutil.rmtree(cache, ignore_errors=True))
                if cold[2] >= 2:
                    raise SystemExit(f"mlaudit failed on {tree.name} with exit code {cold[2]}")
                vulture = best([shutil.which("vulture") or "vulture", str(tree)], repeat)
                radon = best([shutil.which("radon") or "radon", "cc", "-s", "-a", str(tree)], repeat)
                rows.append((tree.name, lines, cold, vulture, radon))
        finally:
            os.chdir(started_in)
    print(render(rows, (load_at_start, os.getloadavg()[0])))


def render(rows, load: tuple[float, float]) -> str:
    out = [f"Machine: {machine()}. Load average (1 min) at the start {load[0]:.2f}, at the end {load[1]:.2f}.", "",
           "| tree | lines | mlaudit wall | mlaudit CPU | peak memory | vulture + radon wall | vulture + radon CPU |",
           "|---|---|---|---|---|---|---|"]
    for name, lines, cold, vulture, radon in rows:
        out.append(f"| {name} | {lines:,} | {cold[0]:.2f} s | {cold[4]:.2f} s | {cold[1] / 2**20:.0f} MiB | "
                   f"{vulture[0] + radon[0]:.2f} s | {vulture[4] + radon[4]:.2f} s |")
    series = {
        "mlaudit wall": [(lines, cold[0]) for _, lines, cold, _, _ in rows],
        "mlaudit CPU": [(lines, cold[4]) for _, lines, cold, _, _ in rows],
        "vulture + radon wall": [(lines, v[0] + r[0]) for _, lines, _, v, r in rows],
        "vulture + radon CPU": [(lines, v[4] + r[4]) for _, lines, _, v, r in rows],
    }
    out += ["", "Exponent of time against lines (least squares over every tree; 1.0 is linear):", ""]
    out += [f"- {name}: **{exponent(points):.2f}**" for name, points in series.items()]
    if len(rows) > 2:
        out += ["", "Between the two largest trees alone:", ""]
        out += [f"- {name}: {exponent(points[-2:]):.2f}" for name, points in series.items()]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
