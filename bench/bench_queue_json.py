"""Queue JSON benchmark: the hub encodes a view on every board poll and every counter decodes
it; since the split, one generic (de)serialiser (`counter.queue.models`) does both.

Baseline in the same run: the hand-written per-field code the records had before (kept here
only as the yardstick), on the same view: a busy hall, 30 counters each with a ticket, the
board's 8 calls, 20 tickets on hold. Figures: µs per encode and per decode, and the ratios.

    python -m bench.bench_queue_json [--runs 2000]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime, timedelta
from typing import Any

from bench import pct
from counter.queue import Call, QueueView, Ticket
from counter.timeutil import VN_TZ, iso, parse_iso


def busy_view() -> QueueView:
    at = datetime(2026, 11, 26, 9, 0, tzinfo=VN_TZ)

    def ticket(i: int, status: str) -> Ticket:
        return Ticket(i, "2026-11-26", f"A{i:03d}", "A", "A", "elderly" if i % 5 == 0 else "",
                      "kiosk", status, (i % 30) + 1, None, at + timedelta(minutes=i),
                      called_at=at + timedelta(minutes=i + 3), call_count=1,
                      dossiers=("000.00.12.H26-261126-010001",) if i % 2 else ())  # fmt: skip

    return QueueView(
        day="2026-11-26",
        version=4242,
        waiting={p: 12 for p in "ABCDE"},
        waiting_priority={p: 2 for p in "ABCDE"},
        current={n: ticket(n, "serving") for n in range(1, 31)},
        calls=tuple(Call(4242 - k, k + 1, f"B{k:03d}", "B", at, k == 0) for k in range(8)),
        on_hold=tuple(ticket(100 + k, "on_hold") for k in range(20)),
        area_names={p: f"Lĩnh vực {p}" for p in "ABCDE"},
    )


# -- the yardstick: the per-field code the records carried before the split --


def _ticket_json(t: Ticket) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in t.__dict__.items():
        if isinstance(value, datetime):
            value = iso(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[key] = value
    return out


def _ticket_from(data: dict[str, Any]) -> Ticket:
    values = dict(data)
    for key in ("issued_at", "called_at", "started_at", "finished_at"):
        if values.get(key):
            values[key] = parse_iso(values[key])
    values["dossiers"] = tuple(values.get("dossiers") or ())
    return Ticket(**values)


def hand_encode(v: QueueView) -> dict[str, Any]:
    return {
        "day": v.day,
        "version": v.version,
        "waiting": v.waiting,
        "waiting_priority": v.waiting_priority,
        "current": {str(k): _ticket_json(t) for k, t in v.current.items()},
        "calls": [
            {
                "id": c.id,
                "counter_no": c.counter_no,
                "number": c.number,
                "area": c.area,
                "at": iso(c.at),
                "recall": c.recall,
            }
            for c in v.calls
        ],
        "on_hold": [_ticket_json(t) for t in v.on_hold],
        "area_names": v.area_names,
    }


def hand_decode(d: dict[str, Any]) -> QueueView:
    return QueueView(
        d["day"],
        d["version"],
        dict(d["waiting"]),
        dict(d["waiting_priority"]),
        {int(k): _ticket_from(t) for k, t in d["current"].items()},
        tuple(
            Call(c["id"], c["counter_no"], c["number"], c["area"], parse_iso(c["at"]), c["recall"])
            for c in d["calls"]
        ),
        tuple(_ticket_from(t) for t in d["on_hold"]),
        dict(d["area_names"]),
    )


def _times(fn: Any, arg: Any, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(arg)
        out.append((time.perf_counter() - start) * 1e6)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args(argv)
    view = busy_view()
    wire = json.loads(json.dumps(view.to_json()))
    assert hand_encode(view) == view.to_json(), "the yardstick must send the same JSON"
    assert hand_decode(wire) == QueueView.from_json(wire) == view
    rows = (
        ("encode", _times(QueueView.to_json, view, args.runs), _times(hand_encode, view, args.runs)),
        ("decode", _times(QueueView.from_json, wire, args.runs),
         _times(hand_decode, wire, args.runs)),
    )  # fmt: skip
    print(f"== queue JSON: a view of 30 current + 20 held tickets, {args.runs} runs ==")
    for what, generic, hand in rows:
        g50, h50 = pct(generic, 0.5), pct(hand, 0.5)
        print(
            f"{what}: generic p50 {g50:7.1f} µs p95 {pct(generic, 0.95):7.1f} µs | "
            f"hand-written (baseline) p50 {h50:7.1f} µs p95 {pct(hand, 0.95):7.1f} µs | "
            f"ratio p50 {g50 / h50:4.2f}×"
        )


if __name__ == "__main__":
    main()
