"""Benchmark mlaudit against the peers on the same trees, in the same run.

    python bench/run.py                       # stdlib subset (~100k lines), whole stdlib, 1M lines,
                                              # and a generated tree with 440,000 findings
    python bench/run.py --tree /path/to/repo  # plus any other tree, e.g. a real ML repository
    python bench/run.py --quick               # only the subset (a smoke run)

For each tree: `mlaudit scan` cold (empty cache), warm (nothing changed), warm after one file
changed in a way that leaves its facts as they were (a comment appended), warm after a code edit (a
function added in the middle of another module) and warm after a file move (a third module moved
into a new folder); then `vulture`, `radon cc`, and `ruff check --select ALL --no-cache` (the
practical limit for a tool that parses every file). Wall time, CPU time (of the whole process tree)
and peak memory (resident set of the whole process tree, sampled) of each, and the ratios the
targets are stated in. Trees under 200,000 lines are measured --repeat times (default 3) and
the fastest run of each command is kept, for every tool alike. Results are printed as Markdown and,
with --write, put into bench/RESULTS.md with the machine's description (between its results
markers, so the written analysis around them stays).

The 1,000,000-line tree is the whole standard library with the source of networkx (a dependency of
mlaudit, so it is installed) beside it. Trees are copied to a temporary directory first, so no
repository is ever modified. mlaudit's bytecode is compiled first, as an installed wheel's is (an
environment with PYTHONDONTWRITEBYTECODE would otherwise recompile it on every run).
"""

from __future__ import annotations

import argparse
import ast
import os
import platform
import resource
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


def _children_cpu() -> float:
    """CPU seconds (user and system) of every child process waited for so far, their own waited-for
    children (mlaudit's workers and forked gatherer) included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(command: list[str], cwd: Path | None = None) -> tuple[float, int, int, int, float]:
    """(wall seconds, peak resident bytes of the process tree, exit code, peak proportional bytes,
    CPU seconds of the process tree)."""
    peak = peak_pss = 0
    cpu_before = _children_cpu()
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
    return wall, peak, code, peak_pss, _children_cpu() - cpu_before


def count_findings(report: Path) -> int:
    """Findings in a JSON report, counted by line (each is on a line of its own) without loading it."""
    with open(report, encoding="utf-8") as handle:
        return sum(1 for line in handle if line.startswith('    {"rule": '))


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
    # real code written elsewhere, with its tests left out so the subset is mostly library code
    subset = partial_stdlib(whole, workdir / "stdlib-100k", 100_000,
                            skip=("test", "idlelib", "lib2to3", "tkinter", "turtledemo"))
    trees = [("stdlib subset", subset)]
    if not quick:
        trees.append(("whole stdlib", whole))
        million = workdir / "stdlib-and-networkx"
        shutil.copytree(whole, million / "stdlib", symlinks=True)
        import networkx

        shutil.copytree(Path(networkx.__file__).parent, million / "networkx", symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        trees.append(("1M lines (stdlib + networkx)", million))
        trees.append(("440k findings (generated)", many_findings_tree(workdir)))
    return trees


def partial_stdlib(whole: Path, target: Path, lines_wanted: int, skip: tuple[str, ...] = ()) -> Path:
    """Whole top-level modules and packages of the standard library at ``whole``, in name order
    (but those in ``skip``), copied to ``target`` until about ``lines_wanted`` lines."""
    target.mkdir()
    total = 0
    for entry in sorted(whole.iterdir()):
        if entry.name in skip:
            continue
        if entry.suffix == ".py":
            lines = entry.read_bytes().count(b"\n")
            shutil.copy2(entry, target / entry.name)
        elif entry.is_dir() and (entry / "__init__.py").exists():
            shutil.copytree(entry, target / entry.name, symlinks=True)
            lines = count_lines(target / entry.name)[1]
        else:
            continue
        total += lines
        if total >= lines_wanted:
            break
    return target


def many_findings_tree(workdir: Path, modules: int = 4000) -> Path:
    """A generated package with about 110 findings a module (440,000 at the default 4,000 modules,
    1,052,000 lines): forty unused private helpers each with a TODO, and ten public functions that draw
    from the global RNG and unpickle a file. It measures what findings cost, not what code costs:
    memory must stay bounded with a report this large."""
    package = workdir / "many-findings" / "pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("".join(f"from pkg import m{i}  # noqa: F401\n" for i in range(modules)))
    helpers = "".join(f"\n\ndef _helper_{j}(x):\n    # TODO: work around the upstream bug, remove later\n"
                      f"    return x + {j}\n" for j in range(40))
    public = "".join(f"\n\ndef load_{j}(path):\n    value = random.random()\n    with open(path, 'rb') as handle:\n"
                     f"        return pickle.load(handle), value\n" for j in range(10))
    for i in range(modules):
        (package / f"m{i}.py").write_text("import pickle\nimport random\n" + helpers + public)
    return package.parent


def copy_tree(source: Path, workdir: Path) -> Path:
    target = workdir / source.name
    shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _modules(tree: Path) -> list[Path]:
    return sorted(p for p in tree.rglob("*.py") if p.is_file() and not p.is_symlink())


def append_comment(tree: Path) -> Path:
    """An edit that leaves the module's facts as they were: a comment at its end."""
    candidates = _modules(tree)
    target = candidates[len(candidates) // 2]
    with open(target, "a", encoding="utf-8", errors="surrogateescape") as handle:
        handle.write("\n# benchmark edit\n")
    return target


def add_function(tree: Path, avoid: Path) -> Path:
    """A code edit: a new function between two top-level statements in the middle of a module,
    so every line below it moves and the module's facts change."""
    candidates = [p for p in _modules(tree) if p != avoid]
    for target in candidates[len(candidates) // 3:]:
        text = target.read_text(encoding="utf-8", errors="surrogateescape")
        try:
            body = ast.parse(text).body
        except (SyntaxError, ValueError):
            continue
        if len(body) < 4:
            continue
        lines = text.split("\n")
        at = body[len(body) // 2].end_lineno
        lines.insert(at, "\n\ndef _benchmark_added(value):\n    return [value] * 2\n")
        target.write_text("\n".join(lines), encoding="utf-8", errors="surrogateescape")
        return target
    raise SystemExit(f"no module in {tree} to add a function to")


def move_file(tree: Path, avoid: set[Path]) -> Path:
    """A file move: a module of the middle of the tree renamed into a new folder beside it, so its
    module name changes and what imported it no longer does."""
    candidates = [p for p in _modules(tree) if p not in avoid and p.name != "__init__.py"]
    source = candidates[len(candidates) // 2]
    target = source.parent / "benchmark_moved" / source.name
    target.parent.mkdir()
    source.rename(target)
    return target


def best(command: list[str], repeat: int, before=None) -> tuple[float, int, int, int, float]:
    """The fastest of ``repeat`` runs (its peak memory with it); ``before`` runs ahead of each."""
    runs = []
    for _ in range(repeat):
        if before is not None:
            before()
        runs.append(measure(command))
    return min(runs, key=lambda run: run[0])


def bench_tree(name: str, tree: Path, workdir: Path, jobs: int | None, repeat: int) -> dict:
    files, lines = count_lines(tree)
    repeat = repeat if lines < 200_000 else 1
    cache = workdir / f"cache-{tree.name}"
    mlaudit = [sys.executable, "-m", "auditor", "scan", str(tree), "--format", "json", "--output",
               str(workdir / "out.json"), "--cache-dir", str(cache), "-q"]
    if jobs:
        mlaudit += ["--jobs", str(jobs)]
    row = {"tree": name, "files": files, "lines": lines, "repeat": repeat}
    row["cold"] = best(mlaudit, repeat, before=lambda: shutil.rmtree(cache, ignore_errors=True))
    row["findings"] = count_findings(workdir / "out.json")
    row["warm"] = best(mlaudit, repeat)
    commented = append_comment(tree)
    row["warm1"] = measure(mlaudit)  # the first scan after the edit: later ones reuse the whole scan
    edited = add_function(tree, avoid=commented)
    row["warm_code"] = measure(mlaudit)
    move_file(tree, avoid={commented, edited})
    row["warm_move"] = measure(mlaudit)
    vulture = shutil.which("vulture") or "vulture"
    radon = shutil.which("radon") or "radon"
    row["vulture"] = best([vulture, str(tree)], repeat)
    row["radon"] = best([radon, "cc", "-s", "-a", str(tree)], repeat)
    # The practical limit for a tool that parses every file: ruff, every rule, no cache.
    row["ruff"] = best([shutil.which("ruff") or "ruff", "check", "--select", "ALL", "--no-cache", "--exit-zero",
                        "--quiet", str(tree)], repeat)
    for key in ("cold", "warm", "warm1", "warm_code", "warm_move"):
        if row[key][2] >= 2:
            # run it again in the open, so the reason is on screen
            subprocess.run(mlaudit[:-1] + ["--format", "text"], check=False)
            raise SystemExit(f"mlaudit failed on {name} ({key} run) with exit code {row[key][2]}")
    return row


def compile_mlaudit() -> None:
    """Bytecode for mlaudit's own modules, which an installed wheel has and an editable install
    in an environment that never writes bytecode lacks (the peers' is compiled by pip)."""
    import compileall

    import auditor
    import auditor.rules
    import auditor.templates

    for package in (auditor, auditor.rules, auditor.templates):
        compileall.compile_dir(Path(package.__file__).parent, quiet=1)


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


def render(rows: list[dict], load: tuple[float, float]) -> str:
    mib = 1024 * 1024
    out = [
        f"Machine: {machine()}. Date: {time.strftime('%Y-%m-%d')}. Load average (1 min) at the start "
        f"{load[0]:.2f}, at the end {load[1]:.2f}" + (": the machine was busy with other work, so CPU time is the "
                                                     "steadier figure." if max(load) > 1.0 else "."),
        "",
        "Wall time:",
        "",
        "| tree | files | lines | mlaudit cold | warm | warm, comment appended | warm, function added | warm, file moved | "
        "vulture | radon cc | ruff (ALL) | cold / (vulture + radon) | warm / cold | comment / cold | function / cold | "
        "move / cold |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        peers = r["vulture"][0] + r["radon"][0]
        cold = r["cold"][0]
        out.append(
            f"| {r['tree']} | {r['files']:,} | {r['lines']:,} | {cold:.2f} s | {r['warm'][0]:.2f} s | "
            f"{r['warm1'][0]:.2f} s | {r['warm_code'][0]:.2f} s | {r['warm_move'][0]:.2f} s | {r['vulture'][0]:.2f} s | "
            f"{r['radon'][0]:.2f} s | {r['ruff'][0]:.2f} s | **{cold / peers:.2f}** | **{r['warm'][0] / cold:.2f}** | "
            f"**{r['warm1'][0] / cold:.2f}** | **{r['warm_code'][0] / cold:.2f}** | **{r['warm_move'][0] / cold:.2f}** |")
    out += ["", "CPU time (user + system, the whole process tree: mlaudit's workers included):", "",
            "| tree | mlaudit cold | warm | function added | file moved | vulture | radon cc | ruff (ALL) | "
            "cold / (vulture + radon) | cold / ruff |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cold, peers = r["cold"][4], r["vulture"][4] + r["radon"][4]
        out.append(f"| {r['tree']} | {cold:.2f} s | {r['warm'][4]:.2f} s | {r['warm_code'][4]:.2f} s | "
                   f"{r['warm_move'][4]:.2f} s | {r['vulture'][4]:.2f} s | {r['radon'][4]:.2f} s | {r['ruff'][4]:.2f} s | "
                   f"**{cold / peers:.2f}** | {cold / max(r['ruff'][4], 1e-9):.1f} |")
    out.append("")
    out.append("Fastest of: " + "; ".join(f"{r['tree']} {r['repeat']} run(s)" for r in rows) +
               " (cold, warm and the peers alike; each edited scan runs once, being the first after its edit).")
    out += ["", "Peak memory (MiB, the whole process tree, resident / proportional), and mlaudit's findings:", "",
            "| tree | findings | mlaudit cold | warm | function added | file moved | vulture | radon | ruff |",
            "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = " | ".join(f"{r[key][1] / mib:.0f} / {r[key][3] / mib:.0f}"
                           for key in ("cold", "warm", "warm_code", "warm_move", "vulture", "radon", "ruff"))
        out.append(f"| {r['tree']} | {r.get('findings', 0):,} | {cells} |")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", action="append", default=[], type=Path, help="another tree to measure")
    parser.add_argument("--quick", action="store_true", help="only the stdlib subset")
    parser.add_argument("--jobs", type=int, help="pass --jobs to mlaudit")
    parser.add_argument("--repeat", type=int, default=3, help="runs per command on trees under 200,000 lines")
    parser.add_argument("--write", action="store_true", help="write bench/RESULTS.md")
    args = parser.parse_args()
    for tool in ("vulture", "radon", "ruff"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed: pip install -r bench/requirements.txt")
    compile_mlaudit()
    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="mlaudit-bench-") as tmp:
        workdir = Path(tmp)
        trees = stdlib_trees(workdir, args.quick)
        trees += [(path.name, copy_tree(path, workdir)) for path in args.tree]
        rows = []
        # `python -m auditor` imports the package from the working directory first: from the
        # repository root that is the source checkout, whose rules/ only the installed wheel maps
        # to auditor.rules. The tools run from the temporary directory instead.
        started_in = os.getcwd()
        os.chdir(workdir)
        try:
            for name, tree in trees:
                print(f"measuring {name} ...", file=sys.stderr)
                rows.append(bench_tree(name, tree, workdir, args.jobs, max(args.repeat, 1)))
        finally:
            os.chdir(started_in)
    text = render(rows, (load_at_start, os.getloadavg()[0]))
    print(text)
    if args.write:
        results = HERE / "RESULTS.md"
        results.write_text(with_results(results.read_text() if results.exists() else "", text))
        print(f"wrote {results}", file=sys.stderr)


BEGIN, END = "<!-- results: bench/run.py --write replaces this part -->", "<!-- /results -->"


def with_results(document: str, text: str) -> str:
    """RESULTS.md with its measured part replaced; the written analysis around it is kept."""
    if BEGIN in document and END in document:
        head, rest = document.split(BEGIN, 1)
        return f"{head}{BEGIN}\n{text.rstrip()}\n{END}{rest.split(END, 1)[1]}"
    intro = ("# Benchmark results\n\nProduced by `python bench/run.py --write` (see its docstring). "
             "Targets (issue 11): cold <= 1.0 x (vulture + radon cc); warm <= 0.1 x cold; warm after one "
             "changed file <= 0.15 x cold; peak memory <= 400 MiB on a 1,000,000-line tree.\n\n")
    return f"{intro}{BEGIN}\n{text.rstrip()}\n{END}\n"


if __name__ == "__main__":
    main()
