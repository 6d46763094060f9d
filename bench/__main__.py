"""`python -m bench`: every benchmark in turn, each printing its figures and baseline."""

from __future__ import annotations

import importlib
import sys

MODULES = [
    "bench_intake",
    "bench_officer",
    "bench_receipt",
    "bench_queue",
    "bench_queue_json",
    "bench_sync",
    "bench_exports",
    "bench_deadlines",
    "bench_portal",
    "bench_portal_open",
    "bench_page",
    "bench_auth",
    "bench_soak",
    "bench_cli",
]


def main() -> None:
    only = sys.argv[1:]
    for name in MODULES:
        if only and name not in only:
            continue
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            print(f"== {name}: not available ({exc}) ==")
            continue
        module.main([])
        print()


if __name__ == "__main__":
    main()
