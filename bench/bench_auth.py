"""PIN hashing benchmark: what one offline guess costs an attacker who copied the store.

Measures, in the same run and on one core, argon2id verification with the production
parameters (`counter.auth`: 64 MiB, 6 passes) and with the parameters before issue 19
(19 MiB, 2 passes, the baseline), then the time to try every PIN of 4, 6 and 8 digits on one
core. A login costs the officer one verification.

    python -m bench.bench_auth [--runs 10]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from counter import auth

BASELINE = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def per_guess(hasher: PasswordHasher, runs: int) -> float:
    """Median seconds of one wrong-PIN verification."""
    stored = hasher.hash("482915")
    times = []
    for i in range(runs):
        start = time.perf_counter()
        with contextlib.suppress(VerifyMismatchError):  # a wrong PIN: what each guess costs
            hasher.verify(stored, f"{i:06d}")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fmt_span(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    production = PasswordHasher(
        time_cost=auth.ARGON2_TIME_COST, memory_cost=auth.ARGON2_MEMORY_KIB, parallelism=1
    )
    print("== PIN hashing (argon2id, one core) ==")
    base = per_guess(BASELINE, args.runs)
    prod = per_guess(production, args.runs)
    print(
        f"  per guess: production (m={auth.ARGON2_MEMORY_KIB} KiB, t={auth.ARGON2_TIME_COST}) "
        f"{prod * 1000:.0f} ms; baseline before issue 19 (m=19456 KiB, t=2) {base * 1000:.0f} ms; "
        f"ratio {prod / base:.1f}x"
    )
    for digits in (4, 6, 8):
        space = 10**digits
        print(
            f"  every {digits}-digit PIN ({space:,}): production {fmt_span(space * prod)}, "
            f"baseline {fmt_span(space * base)}"
        )
    print("  (a login costs one guess; supervisors need 6+ digits: [auth] supervisor_pin_digits)")


if __name__ == "__main__":
    main()
