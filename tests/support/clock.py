"""The frozen Vietnam clock tests pass to the desk, the queue and the kiosk instead of waiting."""

from __future__ import annotations

from datetime import datetime, timedelta

from counter.timeutil import VN_TZ

# A Thursday morning, a normal working day (26/11/2026).
FROZEN_NOW = datetime(2026, 11, 26, 9, 30, tzinfo=VN_TZ)


class FrozenClock:
    """A clock tests move by hand: `clock.now = …` or `clock.advance(seconds=…)`."""

    def __init__(self, now: datetime = FROZEN_NOW):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward by a `timedelta(**delta)`; the new time."""
        self.now += timedelta(**delta)
        return self.now


class SteppedClock:
    """Monotonic seconds a test moves by hand, for what times intervals (the kiosk's keys)."""

    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now
