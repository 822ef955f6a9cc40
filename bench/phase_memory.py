"""Peak memory and wall time of each phase of a cold scan: which step holds the memory.

    python bench/phase_memory.py TREE [TREE ...]
    python bench/phase_memory.py --many-findings     # the generated tree of 440,000 findings

Each tree is copied to a temporary directory and scanned once, cold (an empty cache), in this
process, as ``mlaudit scan TREE --format json --output FILE`` does it: the scan with its cache, then
the JSON report written to a file. mlaudit's own phases are wrapped to say which one is running,
and a thread samples the resident set of this process and its children (the per-file workers,
git) every 20 ms. Printed as Markdown: each phase's wall seconds and the peak of the process tree
while it ran. ``bench/run.py`` measures the peak of whole runs beside the peer tools; this says
where in a run it comes from.
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from run import _tree_memory, copy_tree, count_lines, machine, many_findings_tree  # bench/run.py: the script's folder is on the path

# (module, function, phase), in the order a scan runs them
PHASES = (
    ("auditor.scan.engine", "_inventory", "listing the files"),
    ("auditor.scan.engine", "_model", "the model (text files, git history)"),
    ("auditor.scan.engine", "_source_phase", "per-file analysis (the workers)"),
    ("auditor.scan.engine", "_fact_store", "the facts"),
    ("auditor.scan.engine", "project_findings", "project rules"),
    ("auditor.scan.engine", "_post_process", "post-processing (ages, suppressions, excerpts)"),
    ("auditor.scan.readiness_step", "readiness_score", "readiness"),
    ("auditor.scan.engine", "_store_result", "storing the result"),
)
REPORT = "writing the JSON report"
OTHER = "between phases"


class PhaseMeter:
    """The phase running now, and per phase its wall seconds and the peak resident set of the
    process tree while it ran."""

    def __init__(self) -> None:
        self.current = OTHER
        self.seconds: dict[str, float] = {}
        self.peak: dict[str, int] = {}
        self._done = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.is_set():
            self.record()
            self._done.wait(0.02)

    def record(self) -> None:
        """One sample, counted for the phase running now (also taken as each phase starts and
        ends: a phase shorter than the sampling interval has its peak too)."""
        rss, _ = _tree_memory(os.getpid())
        self.peak[self.current] = max(self.peak.get(self.current, 0), rss)

    def start(self) -> None:
        self._sampler.start()

    def stop(self) -> None:
        self._done.set()
        self._sampler.join()

    def wrap(self, function, phase: str):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            outer, self.current = self.current, phase
            self.record()
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - started
                self.record()
                self.current = outer
        return timed


def measure(tree: Path, workdir: Path) -> tuple[PhaseMeter, float, int]:
    import importlib

    from auditor.config import load_config
    from auditor.report import outputs
    from auditor.scan.engine import scan

    meter = PhaseMeter()
    originals = []
    for module_name, function, phase in PHASES:
        module = importlib.import_module(module_name)
        originals.append((module, function, getattr(module, function)))
        setattr(module, function, meter.wrap(getattr(module, function), phase))
    cache = workdir / f"cache-{tree.name}"
    meter.start()
    started = time.perf_counter()
    try:
        result = scan(tree, load_config(tree), cache_dir=cache, keep_analyses=False)
        meter.current = REPORT
        report_started = time.perf_counter()
        output = outputs.Output("json", workdir / "report.json")
        outputs.write(output, outputs.render(result, output, quiet=True))
        meter.record()
        meter.seconds[REPORT] = time.perf_counter() - report_started
        total = time.perf_counter() - started
        findings = len(result.findings)
    finally:
        meter.stop()
        for module, function, original in originals:
            setattr(module, function, original)
    return meter, total, findings


def render(name: str, lines: int, findings: int, meter: PhaseMeter, total: float) -> str:
    mib = 1024 * 1024
    out = [f"**{name}** ({lines:,} lines, {findings:,} findings): {total:.2f} s in all, "
           f"peak {max(meter.peak.values()) / mib:.0f} MiB", "",
           "| phase | wall | peak resident set of the process tree |", "|---|---|---|"]
    for phase in [phase for _, _, phase in PHASES] + [REPORT, OTHER]:
        if phase in meter.peak or phase in meter.seconds:
            seconds = f"{meter.seconds[phase]:.2f} s" if phase in meter.seconds else "-"
            out.append(f"| {phase} | {seconds} | {meter.peak.get(phase, 0) / mib:.0f} MiB |")
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tree", nargs="*", type=Path)
    parser.add_argument("--many-findings", action="store_true", help="the generated tree of 440,000 findings")
    parser.add_argument("--copied", nargs=2, metavar=("NAME", "COPY"), help=argparse.SUPPRESS)  # one tree, run alone
    args = parser.parse_args()
    if args.copied:
        name, tree = args.copied[0], Path(args.copied[1])
        meter, total, findings = measure(tree, tree.parent)
        print(render(name, count_lines(tree)[1], findings, meter, total))
        return
    if not args.tree and not args.many_findings:
        parser.error("name a tree, or --many-findings")
    print(f"Machine: {machine()}. Load average (1 min) at the start {os.getloadavg()[0]:.2f}.\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="mlaudit-phase-memory-") as tmp:
        workdir = Path(tmp)
        trees = [(path.name, copy_tree(path, workdir)) for path in args.tree]
        if args.many_findings:
            trees.append(("440k findings (generated)", many_findings_tree(workdir)))
        for name, tree in trees:
            # each in a process of its own: what one scan leaves in memory, and the workers forked
            # from a process that holds it, would count against the next
            print(f"measuring {name} ...", file=sys.stderr)
            subprocess.run([sys.executable, __file__, "--copied", name, str(tree)], cwd=workdir, check=True)
            shutil.rmtree(tree, ignore_errors=True)


if __name__ == "__main__":
    main()
