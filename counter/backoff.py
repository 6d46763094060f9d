"""How long to wait before trying again after failures: the one backoff formula.

Its own home because two workers retry against things that fail for a while (the portal for
`counter.sync`, a printer for `counter.spool`): both wait
`uniform(floor · ceiling, ceiling)` where `ceiling = min(cap, base · 2^(failures − 1))`, so the
wait grows exponentially, never exceeds the cap, and is jittered so that many counters (or
jobs) do not retry in lockstep. Each caller keeps its own base, cap and jitter floor.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_MAX_DOUBLINGS = 32  # 2^32 · base is beyond any cap: no overflow, no float infinity


@dataclass(frozen=True)
class Backoff:
    """An exponential backoff with jitter: `base` seconds after one failure, doubling up to
    `cap`; the delay is drawn from `[floor · ceiling, ceiling]` (0 < floor ≤ 1)."""

    base: float
    cap: float
    floor: float

    def __post_init__(self) -> None:
        if not (0 <= self.base <= self.cap and 0 < self.floor <= 1):
            raise ValueError(f"backoff needs 0 ≤ base ≤ cap and 0 < floor ≤ 1: {self}")

    def ceiling(self, failures: int) -> float:
        """The longest wait after `failures` failures in a row (0 before any failure)."""
        if failures <= 0:
            return 0.0
        return min(self.cap, self.base * float(2 ** min(failures - 1, _MAX_DOUBLINGS)))

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after `failures` failures in a row (0 when there was none)."""
        ceiling = self.ceiling(failures)
        if ceiling == 0:
            return 0.0
        return (rng or random).uniform(self.floor * ceiling, ceiling)
