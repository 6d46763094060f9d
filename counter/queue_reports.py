"""Queue figures and the queue log for the supervisor's screens and exports.

The stats and export code take providers (callables) so they do not depend on where the queue
runs; these build them from a queue service, local or hub: today's figures and the ticket log.
Its own home: it is the one bridge between `counter.stats` and `counter.queue_client`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from counter.queue_client import QueueService
from counter.stats import QueueFigures, QueueFiguresProvider, QueueLogProvider
from counter.timeutil import system_clock, to_vn


def figures_provider(service: QueueService) -> QueueFiguresProvider:
    """Today's queue figures (the engine keeps per-day figures; older days are in the log)."""

    def provider(start: date, end: date) -> QueueFigures | None:
        clock = getattr(service, "clock", system_clock)  # the queue's own notion of "today"
        today = to_vn(clock()).date()
        if not start <= today <= end:
            return None
        try:
            total = service.stats().total
        except Exception:  # the hub is down: the screen says there is no queue data
            return None
        return QueueFigures(
            issued=total.issued,
            waiting=total.waiting,
            served=total.served,
            no_shows=total.no_show,
            average_wait_minutes=_minutes(total.avg_wait),
            average_service_minutes=_minutes(total.avg_service),
        )

    return provider


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


STATUS_VI = {
    "waiting": "Đang chờ",
    "called": "Đã gọi",
    "serving": "Đang phục vụ",
    "done": "Xong",
    "no_show": "Vắng mặt",
    "on_hold": "Tạm giữ",
    "transferred": "Đã chuyển",
    "not_served": "Không được phục vụ (hết ngày)",
}


def log_provider(service: QueueService) -> QueueLogProvider:
    """Every ticket of the range, from wherever the queue runs: the counter's own store in
    local mode, the centre hub (all counters' tickets) otherwise. The rows are fetched in
    one piece before anything is written, so a hub that is down fails the export cleanly."""

    def provider(start: date, end: date) -> Iterable[Mapping[str, Any]]:
        return [
            {
                "ticket": r["number"],
                "area": r["area"],
                "priority": r["priority"],
                "issued_at": r["issued_at"],
                "called_at": r["called_at"],
                "counter_no": r["counter_no"] if r["counter_no"] is not None else "",
                "served_at": r["started_at"],
                "finished_at": r["finished_at"],
                "status": STATUS_VI.get(r["status"], r["status"]),
                "dossier_code": ", ".join(str(code) for code in r["dossiers"]),
            }
            for r in service.log(start, end)
        ]

    return provider
