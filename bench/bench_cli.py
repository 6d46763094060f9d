"""`counter` start-up benchmark: what a command costs before it does anything.

The CLI imports each part lazily, so `counter --help` and `counter check-config` should cost
little more than Python itself. Measures, in the same run, the median wall time of (a) the
baseline, `python -c "import argparse"` (the interpreter and argparse, nothing of ours),
(b) `counter --help`, (c) `counter export --help`, (d) `counter check-config` with the
example config, and the ratio of each to the baseline. With `--against DIR` the same
commands also run from another checkout (e.g. the tree before a change) for comparison.

    python -m bench.bench_cli [--runs 15] [--against /path/to/other/checkout]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = "from counter_cli import main; main()"


def median_seconds(argv: list[str], runs: int, pythonpath: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, cwd=pythonpath, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--against", type=Path, help="another checkout to time the same way")
    args = parser.parse_args(argv)
    py = sys.executable
    cases = {
        "counter --help": [py, "-c", CLI, "--help"],
        "counter export --help": [py, "-c", CLI, "export", "--help"],
        "counter check-config": [py, "-c", CLI, "--config", "config.toml", "check-config"],
    }
    print("== counter start-up (median wall time, subprocess) ==")
    base = median_seconds([py, "-c", "import argparse"], args.runs, ROOT)
    print(f"  baseline python -c 'import argparse': {base * 1000:.0f} ms")
    trees = [("this tree", ROOT)] + ([("against", args.against)] if args.against else [])
    for label, tree in trees:
        for name, cmd in cases.items():
            took = median_seconds(cmd, args.runs, tree)
            print(f"  {label}: {name}: {took * 1000:.0f} ms ({took / base:.1f}× baseline)")


if __name__ == "__main__":
    main()
