"""The centre queue hub for real on 127.0.0.1: API, typed errors, races, an unreachable hub."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from counter.errors import IllegalTransition, InvalidInput, NotFound
from counter.queue import QueueConfigError, QueueError, QueueSettings, parse_queue_config
from counter.queue_client import HubQueue, HubUnavailable, LocalQueue, open_queue
from counter.spool import jobs_for
from counter.store import Store
from portal.hub import DEFAULT_CONFIG, load_hub_config
from portal.hub.app import Hub, create_app
from portal.hub.server import RunningHub, serve_in_thread
from tests.support.clock import FrozenClock
from tests.support.config import make_config

SETTINGS = QueueSettings(max_per_person_per_day=2, max_per_person_per_area=1)


@pytest.fixture
def hub(tmp_path: Path, clock: FrozenClock) -> Iterator[tuple[Hub, RunningHub]]:
    h = Hub(tmp_path / "hub.sqlite3", SETTINGS, centre="Trung tâm PVHCC", clock=clock)
    running = serve_in_thread(create_app(h))
    yield h, running
    running.stop()


def client(url: str, counter: int, **kw: object) -> HubQueue:
    return HubQueue(url, SETTINGS, counter_no=counter, **kw)  # type: ignore[arg-type]


def test_counters_share_one_queue(hub: tuple[Hub, RunningHub]) -> None:
    _, running = hub
    kiosk, c1, c2 = (client(running.url, n) for n in (9, 1, 2))
    a1 = kiosk.issue("A")
    a2 = kiosk.issue("A", priority="elderly")
    assert (a1.number, a2.number, a2.people_ahead) == ("A001", "A002", 0)
    first, second = c1.call_next(), c2.call_next()
    assert first is not None and second is not None
    assert (first.number, second.number) == ("A002", "A001")  # priority first
    assert c1.recall().call_count == 2
    assert c2.no_show().status == "no_show"
    assert c1.link_dossier("000.00.12.H26-261126-0001").status == "serving"
    assert c1.finish(("000.00.12.H26-261126-0002",)).dossiers == (
        "000.00.12.H26-261126-0001",
        "000.00.12.H26-261126-0002",
    )
    assert c1.call_next() is None
    late = c1.call("A001")
    assert late.counter_no == 1
    assert c1.hold().status == "on_hold"
    assert c1.unhold("A001").status == "waiting"
    assert c1.call_next() is not None
    assert c1.transfer(area="B").serve_area == "B"
    assert c1.current() is None
    view = c2.view()
    assert view.waiting["B"] == 1 and len(view.calls) >= 4
    stats = c2.stats()
    assert stats.total.issued == 2 and stats.total.served == 1 and stats.total.waiting == 1
    for c in (kiosk, c1, c2):
        c.close()


def test_errors_come_back_typed_in_vietnamese(hub: tuple[Hub, RunningHub]) -> None:
    _, running = hub
    c = client(running.url, 4)
    with pytest.raises(IllegalTransition, match="chưa gọi số"):
        c.recall()
    with pytest.raises(InvalidInput, match="lĩnh vực"):
        c.issue("Z")
    with pytest.raises(NotFound):
        c.call("A999")
    c.issue("A", person="0912345678")
    with pytest.raises(QueueError, match="Mỗi người"):
        c.issue("A", person="0912 345 678")
    r = httpx.post(running.url + "/api/tickets", content=b"not json")
    assert r.status_code == 422 and r.json()["kind"] == "InvalidInput"
    c.close()


def test_retry_with_same_request_id_gets_same_ticket(hub: tuple[Hub, RunningHub]) -> None:
    _, running = hub
    for _ in range(2):
        httpx.post(running.url + "/api/tickets", json={"area": "A"})
    body = {"request_id": "lost-reply-1"}
    first = httpx.post(running.url + "/api/counters/1/call-next", json=body).json()
    again = httpx.post(running.url + "/api/counters/1/call-next", json=body).json()
    assert first["ticket"]["number"] == again["ticket"]["number"] == "A001"


def test_hub_unreachable_is_clear_and_quick(tmp_path: Path) -> None:
    from portal.hub.server import bind

    sock = bind()  # a port nobody answers on
    port = sock.getsockname()[1]
    sock.close()
    c = HubQueue(f"http://127.0.0.1:{port}", SETTINGS, counter_no=1, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(HubUnavailable) as err:
        c.call_next()
    assert time.monotonic() - started < 3
    assert "Không kết nối được máy chủ hàng đợi" in err.value.vi
    assert "vẫn dùng" in err.value.vi
    c.close()


def test_hub_that_stalls_times_out(tmp_path: Path) -> None:
    import socket

    srv = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    c = HubQueue(f"http://127.0.0.1:{srv.getsockname()[1]}", SETTINGS, counter_no=1, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(HubUnavailable, match="quá thời gian chờ"):
        c.view()
    assert time.monotonic() - started < 2
    c.close()
    stop.set()
    t.join()
    srv.close()
    for s in held:
        s.close()


def test_kiosk_on_hub_writes_a_print_job_locally(
    hub: tuple[Hub, RunningHub], tmp_path: Path
) -> None:
    _, running = hub
    cfg = make_config(tmp_path, queue={"hub_url": running.url})
    q = open_queue(cfg)
    assert isinstance(q, HubQueue)
    t = q.issue("B", printer=cfg.printers[0].name)
    store = Store(cfg.db_path)
    jobs = jobs_for(store, f"ticket:{t.day}:{t.number}")
    assert len(jobs) == 1 and jobs[0].document["number"] == "B001"
    store.close()
    q.close()


def test_local_queue_without_hub(tmp_path: Path) -> None:
    cfg = make_config(tmp_path)
    q = open_queue(cfg)
    assert isinstance(q, LocalQueue)
    q.close()


def test_embedded_default_config() -> None:
    settings, centre = load_hub_config(None)
    assert "[queue]" in DEFAULT_CONFIG and centre.startswith("Trung tâm")
    assert [a.prefix for a in settings.areas_def] == ["A", "B", "C", "D", "E"]


def test_ten_thousand_racing_calls_never_hand_out_a_ticket_twice(
    tmp_path: Path, clock: FrozenClock
) -> None:
    total = 10_000
    areas = "ABCDE"
    big = parse_queue_config(
        {"area": [{"prefix": p, "name": f"Lĩnh vực {p}", "last": 9999} for p in areas]}
    )
    h = Hub(tmp_path / "race.sqlite3", big, clock=clock)
    with h.store.write():
        for i in range(total):
            h.engine.issue(areas[i % 5], priority="elderly" if i % 7 == 0 else "")
    running = serve_in_thread(create_app(h))

    counters = 6
    got: list[list[str]] = [[] for _ in range(counters)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(counters)

    def counter_loop(n: int) -> None:
        c = client(running.url, n + 1)
        try:
            barrier.wait()
            while (t := c.call_next()) is not None:
                got[n].append(t.number)
        except BaseException as exc:
            errors.append(exc)
        finally:
            c.close()

    threads = [threading.Thread(target=counter_loop, args=(n,)) for n in range(counters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    running.stop()
    assert not errors, errors
    handed = [n for per in got for n in per]
    dupes = [n for n, k in Counter(handed).items() if k > 1]
    assert dupes == []
    assert len(handed) == total
    assert all(len(per) > 0 for per in got)  # they really raced


def test_the_queue_log_comes_from_the_hub_with_every_counters_tickets(
    hub: tuple[Hub, RunningHub], clock: FrozenClock
) -> None:
    """In a centre the supervisor's queue log must hold all counters' tickets, from the hub
    (a counter's own store has none of them in hub mode)."""
    from counter.queue_reports import log_provider

    _, running = hub
    kiosk, c1, c2 = (client(running.url, n) for n in (9, 1, 2))
    for area in ("A", "A", "B"):
        kiosk.issue(area)
    clock.now += timedelta(minutes=4)
    assert c1.call_next() is not None
    c1.start()
    c1.finish(("000.00.12.H26-261126-010001",))
    assert c2.call_next() is not None
    c2.no_show()
    today = clock.now.date()
    rows = list(log_provider(c2)(today, today))
    assert [r["ticket"] for r in rows] == ["A001", "A002", "B001"]
    assert (rows[0]["counter_no"], rows[0]["status"]) == (1, "Xong")
    assert rows[0]["dossier_code"] == "000.00.12.H26-261126-010001"
    assert rows[0]["called_at"] and rows[0]["served_at"] and rows[0]["finished_at"]
    assert (rows[1]["counter_no"], rows[1]["status"]) == (2, "Vắng mặt")
    assert (rows[2]["counter_no"], rows[2]["status"]) == ("", "Đang chờ")
    assert c1.log(today - timedelta(days=3), today - timedelta(days=1)) == []
    # Bad ranges are refused with a reason and read nothing.
    for query in (
        "",
        "from=2026-13-01&to=2026-11-26",
        "from=2026-11-26&to=2026-11-25",
        "from=2025-01-01&to=2026-11-26",
    ):
        r = httpx.get(f"{running.url}/api/log?{query}")
        assert r.status_code == 400, query
        assert "ngày" in r.json()["error"].lower()
    for c in (kiosk, c1, c2):
        c.close()


TOKEN = "centre-secret-0123456789"


def test_a_hub_token_keeps_the_queue_to_the_centre(tmp_path: Path, clock: FrozenClock) -> None:
    """With `[queue] hub_token` set, a machine without it (or with another) cannot issue, call
    or read the log; the waiting-hall board stays public."""
    from dataclasses import replace

    from counter.errors import AuthError

    settings = replace(SETTINGS, hub_token=TOKEN)
    running = serve_in_thread(create_app(Hub(tmp_path / "hub.sqlite3", settings, clock=clock)))
    today = clock.now.date()
    try:
        member = HubQueue(running.url, settings, counter_no=1)
        stranger = HubQueue(running.url, SETTINGS, counter_no=2)
        forger = HubQueue(running.url, replace(SETTINGS, hub_token="x" * 24), counter_no=3)
        for outsider in (stranger, forger):
            with pytest.raises(AuthError, match="hub_token"):
                outsider.issue("A")
            with pytest.raises(AuthError):
                outsider.call_next()
            with pytest.raises(AuthError):
                outsider.log(today, today)
            with pytest.raises(AuthError):
                outsider.stats()
            with pytest.raises(AuthError):
                outsider.view()  # the full view (priority classes) is the centre's own
        public = httpx.get(f"{running.url}/api/board").json()  # the hall's board is public
        assert public["waiting"].get("A", 0) == 0
        assert member.log(today, today) == []  # the outsiders changed nothing
        ticket = member.issue("A")
        called = member.call_next()
        assert called is not None and called.number == ticket.number
        raw = httpx.post(f"{running.url}/api/tickets", json={"area": "A"})
        assert raw.status_code == 401 and raw.headers["www-authenticate"] == "Bearer"
        assert httpx.get(f"{running.url}/board").status_code == 200
        assert [r["number"] for r in member.log(today, today)] == [ticket.number]
        for c in (member, stranger, forger):
            c.close()
    finally:
        running.stop()


def test_a_short_hub_token_is_refused_without_echoing_it() -> None:
    with pytest.raises(QueueConfigError) as refused:
        parse_queue_config({"hub_token": "ngan-qua"})
    assert "hub_token" in str(refused.value) and "ngan-qua" not in str(refused.value)
    assert parse_queue_config({"hub_token": TOKEN}).hub_token == TOKEN


async def test_a_kiosk_with_the_wrong_token_sends_citizens_to_the_desk(
    tmp_path: Path, clock: FrozenClock
) -> None:
    from dataclasses import replace

    from screens.kiosk import KioskApp
    from tests.support.clock import SteppedClock
    from tests.support.queue_tui import tap

    settings = replace(SETTINGS, hub_token=TOKEN)
    running = serve_in_thread(create_app(Hub(tmp_path / "hub.sqlite3", settings, clock=clock)))
    kiosk = HubQueue(running.url, replace(SETTINGS, hub_token="x" * 24), counter_no=9)
    try:
        app = KioskApp(kiosk, centre="TT", result_seconds=60, key_clock=SteppedClock())
        async with app.run_test(size=(120, 40)) as pilot:
            await tap(app, pilot, "1")
            shown = str(app.query_one("#kiosk-result").render())
            assert "liên hệ bàn hướng dẫn" in shown and "hub_token" not in shown
            assert "hub_token" in app.last_error  # the details, for the IT officer
    finally:
        kiosk.close()
        running.stop()
