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
