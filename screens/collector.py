"""Python's cycle collector, kept out of the officer's way.

A full collection walks every object the process holds: Textual's widgets, their rendered
lines (each `Strip` carries seven small caches) and the catalogue, a quarter of a million
objects after a few citizens. Python starts one by itself whenever enough objects have
survived, which is as often as not in the middle of a screen change: F2 then took 250-550 ms
instead of 30 (bench/bench_officer.py). So, while the app runs:

- what start-up built (modules, classes, the stylesheet, the catalogue, the first screen) is
  frozen once: it lives as long as the app and no collection walks it again;
- the oldest generation is collected by the app when the officer is not waiting on it, after
  the next form has been built ahead (the list or the "received" dialog is up) or after a
  few seconds without a key, once enough has piled up for Python to have collected it;
- Python's own full collection stays as a backstop, ten times later than by default.

The young generations are left to Python: they are cheap (a few milliseconds).
Everything is put back as it was when the app ends.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable

log = logging.getLogger("screens.collector")

# Python's default full collection comes after 10 collections of the middle generation; the
# app runs its own at the same count, and Python's is only a backstop at ten times that.
FULL_AFTER = 10
BACKSTOP_AFTER = 100


class QuietCollector:
    """The collector's schedule for one run of the app (`start`, `collect_if_due`, `stop`)."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.saved: tuple[int, int, int] | None = None
        self.collections = 0  # full collections run by the app
        self.last_pause_s = 0.0

    @property
    def running(self) -> bool:
        return self.saved is not None

    def start(self) -> None:
        """Freeze what start-up built and take over the oldest generation's timing."""
        if self.saved is not None:
            return
        self.saved = gc.get_threshold()
        gc.collect()
        gc.freeze()
        young, middle, _oldest = self.saved
        gc.set_threshold(young, middle, BACKSTOP_AFTER)

    def due(self) -> bool:
        return self.saved is not None and gc.get_count()[2] >= FULL_AFTER

    def collect_if_due(self) -> bool:
        """A full collection now, if Python would have run one by now; True if it ran.
        Call it only when no key is waiting."""
        if not self.due():
            return False
        started = self.clock()
        gc.collect()
        self.last_pause_s = self.clock() - started
        self.collections += 1
        log.debug("full collection between citizens: %.0f ms", self.last_pause_s * 1000)
        return True

    def stop(self) -> None:
        """Back to Python's own schedule; what was frozen can be collected again."""
        if self.saved is None:
            return
        gc.set_threshold(*self.saved)
        self.saved = None
        gc.unfreeze()
