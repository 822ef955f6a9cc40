"""A long run of the fuzz properties of tests/test_fuzz.py (hypothesis), with fresh random inputs.

    pip install -e ".[test]" && python bench/fuzz.py --examples 5000

Runs each property with that many generated inputs (CI runs 40 each, derandomised) and prints the
count run, the time taken and any failing input hypothesis found (it shrinks each to a minimal one).
Exit code 0 when every property held. Record the figures of a run in bench/FUZZ.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5000, help="generated inputs per property")
    args = parser.parse_args()
    env = {**os.environ, "FUZZ_EXAMPLES": str(args.examples), "FUZZ_RANDOM": "1"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_fuzz.py"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    properties = 4
    print(f"{properties} properties x {args.examples} examples = {properties * args.examples} inputs in {seconds:.0f} s")
    print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-2000:])
    if done.returncode:
        print(done.stdout[-6000:])
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
