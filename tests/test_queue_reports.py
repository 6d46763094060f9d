"""Queue figures and the queue log reach the supervisor's screens and exports."""

from __future__ import annotations

from datetime import timedelta

from counter.desk import Desk
from counter.queue_client import LocalQueue
from counter.queue_reports import figures_provider, log_provider
from tests.support.clock import FrozenClock


def test_figures_and_log_from_the_local_queue(officer_desk: Desk, clock: FrozenClock) -> None:
    queue = LocalQueue.for_config(officer_desk.config, clock=clock)
    try:
        first = queue.issue("A")
        queue.issue("A")
        queue.issue("B")
        clock.now += timedelta(minutes=10)
        called = queue.call_next()
        assert called is not None and called.number == first.number
        queue.start()
        clock.now += timedelta(minutes=5)
        queue.link_dossier("000.00.12.H26-261126-030001")
        queue.finish()
        today = clock.now.date()
        figures = figures_provider(queue)(today, today)
        assert figures_provider(queue)(today - timedelta(days=9), today - timedelta(days=1)) is None
        assert figures is not None
        assert (figures.issued, figures.served, figures.waiting) == (3, 1, 2)
        assert figures.average_wait_minutes == 10
        rows = list(log_provider(queue)(today, today))
        assert [r["ticket"] for r in rows] == [first.number, "A002", "B001"]
        assert rows[0]["status"] == "Xong"
        assert rows[0]["dossier_code"] == "000.00.12.H26-261126-030001"
        assert rows[1]["status"] == "Đang chờ"
    finally:
        queue.close()
