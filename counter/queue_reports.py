"""Queue figures and the queue log for the supervisor's screens and exports.

The stats and export code take providers (callables) so they do not depend on where the queue
runs; these build them from a queue service (today's figures, local or hub) and from the
counter's own store (the ticket log, when the queue runs inside the app).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from counter.queue_client import QueueService
from counter.stats import QueueFigures, QueueFiguresProvider, QueueLogProvider
from counter.store import Store
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
}


def log_provider(store: Store) -> QueueLogProvider:
    """Every ticket of the range from the counter's store (local queue mode)."""

    def provider(start: date, end: date) -> Iterable[Mapping[str, Any]]:
        rows = store.conn.execute(
            "SELECT number, area, priority, issued_at, called_at, counter_no, started_at, "
            "finished_at, status, dossiers FROM queue_tickets WHERE day >= ? AND day < ? "
            "ORDER BY day, issued_at, id",
            (start.isoformat(), (end + timedelta(days=1)).isoformat()),
        )
        for r in rows:
            yield {
                "ticket": r[0],
                "area": r[1],
                "priority": r[2],
                "issued_at": r[3] or "",
                "called_at": r[4] or "",
                "counter_no": r[5] if r[5] is not None else "",
                "served_at": r[6] or "",
                "finished_at": r[7] or "",
                "status": STATUS_VI.get(r[8], r[8]),
                "dossier_code": ", ".join(_codes(r[9])),
            }

    return provider


def _codes(raw: str) -> list[str]:
    try:
        value = json.loads(raw or "[]")
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []
