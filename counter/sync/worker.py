"""The background worker: `sync_once` in a daemon thread, every interval, backing off
(`counter.backoff`) after failures.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

from counter.backoff import Backoff
from counter.config import Config
from counter.store import Store
from counter.sync.once import sync_once
from counter.sync.state import log
from counter.sync.status import SyncStatus, sync_status
from counter.timeutil import Clock, system_clock

# After a failed round: 2 s (or the interval, if shorter), doubling up to 5 min, drawn from
# the upper nine tenths so that a city's counters do not come back in lockstep.
SYNC_BACKOFF_CAP_SECONDS = 300.0
SYNC_BACKOFF_FLOOR = 0.1


def backoff_delay(
    failures: int,
    *,
    base: float = 2.0,
    cap: float = SYNC_BACKOFF_CAP_SECONDS,
    rng: random.Random | None = None,
) -> float:
    """Seconds before the next round after `failures` failed ones (`counter.backoff`)."""
    return Backoff(base=base, cap=cap, floor=SYNC_BACKOFF_FLOOR).delay(failures, rng)


class SyncWorker:
    """Runs `sync_once` every `sync_interval_seconds` in a daemon thread, backing off on errors.

    Survives crashes by design: all progress is in SQLite, so a restarted worker resumes
    where the last acknowledged batch left off. `sync_now()` wakes it; `on_status` (called in
    the worker thread) receives the fresh `SyncStatus` after each round.
    """

    def __init__(
        self,
        config: Config,
        *,
        on_status: Callable[[SyncStatus], None] | None = None,
        clock: Clock = system_clock,
        rng: random.Random | None = None,
    ):
        self.config = config
        self.on_status = on_status
        self.clock = clock
        self.rng = rng or random.Random()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = 0

    def start(self) -> SyncWorker:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="counter-sync", daemon=True)
            self._thread.start()
        return self

    def sync_now(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        failures = 0
        interval = self.config.portal.sync_interval_seconds
        while not self._stop.is_set():
            try:
                report = sync_once(
                    self.config.db_path, self.config, clock=self.clock, stop=self._stop
                )
                failures = 0 if report.ok or report.skipped else failures + 1
            except Exception:  # a bug must not kill the worker; back off and try again
                log.exception("sync round failed")
                failures += 1
            self.rounds += 1
            if self.on_status is not None:
                try:
                    store = Store(self.config.db_path)
                    try:
                        self.on_status(sync_status(store, self.config))
                    finally:
                        store.close()
                except Exception:
                    log.exception("sync status could not be passed to the app")
            delay = (
                interval
                if failures == 0
                else backoff_delay(failures, base=min(interval, 2.0), rng=self.rng)
            )
            self._wake.wait(delay)
            self._wake.clear()
