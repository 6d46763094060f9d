"""What a serving process (the portal's, each of its workers, the queue hub) sets once before
it answers: the interpreter tuned for an event loop that shares the GIL with threads, and its
start-up objects kept out of the garbage collector's walks."""

from __future__ import annotations

import gc
import sys


def short_gil_turns() -> None:
    """A 0.5 ms GIL switch interval instead of Python's 5 ms.

    The event loop answers while other threads hold the interpreter now and then (the
    portal's sync API statements in its threadpool, the hub's commit thread); with 5 ms turns
    a request waits up to 5 ms each time. Measured with `bench.bench_portal` (200 page
    clients while 200 counters sync): p99 about 225 → 125 ms, throughput up by a third; in
    the hub, a 50-counter burst's p95 24 → 13–19 ms (`bench.bench_queue`)."""
    sys.setswitchinterval(0.0005)


def freeze_startup_objects() -> None:
    """Move everything made so far (modules, compiled templates, the app) out of the cyclic
    garbage collector's sight (`gc.freeze`).

    A full collection walks every tracked object: about 65,000 in a portal worker (22 ms on
    the shared benchmark machine), 33,000 in the hub (11–16 ms, about once a second under 50
    counters pressing call-next), during which nobody is answered: it lands in the p95 and
    p99. Frozen, those objects are never walked again (they live as long as the process
    anyway); a full collection then walks only what requests made (the hub's: 20 ms in 20 s
    instead of 210 ms)."""
    gc.collect()
    gc.freeze()
