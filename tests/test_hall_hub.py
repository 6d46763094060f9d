"""The waiting hall on the hub, for real on 127.0.0.1: the event stream and its resume, the
hall's audio, what the public board may say, and the hub's queue semantics (issue #16 point 6).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import wave
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from counter.queue import QueueEngine, QueueSettings, upgrade_queue_tables
from counter.queue_client import HubQueue, LocalQueue
from counter.store import Store
from counter.vi_numerals import VOCABULARY
from portal.hub.app import Hub, create_app
from portal.hub.hall_audio import CLIPS
from portal.hub.server import RunningHub, serve_in_thread
from tests.support.clock import FrozenClock

SETTINGS = QueueSettings(max_per_person_per_day=0, max_per_person_per_area=0)


def _need_espeak() -> None:
    """The hall's voice is rendered by espeak-ng; under CI a missing one fails, never skips."""
    if shutil.which("espeak-ng") is None:
        message = "the hall's voice needs espeak-ng (apt-get install espeak-ng)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


TOKEN = "centre-secret-0123456789"


@pytest.fixture
def hub(tmp_path: Path, clock: FrozenClock) -> Iterator[tuple[Hub, RunningHub]]:
    h = Hub(tmp_path / "hub.sqlite3", SETTINGS, centre="Trung tâm PVHCC", clock=clock)
    running = serve_in_thread(create_app(h))
    yield h, running
    running.stop()


def _events(url: str, *, headers: dict[str, str] | None = None, calls: int) -> list[dict]:
    """Read the board's stream until `calls` call events came (or the stream went quiet)."""
    got: list[dict] = []
    event, data, ident = "", "", ""
    with httpx.stream("GET", url, headers=headers or {}, timeout=5) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif line.startswith("id: "):
                ident = line[4:]
            elif line == "" and event:
                if event == "call":
                    got.append({**json.loads(data), "_id": ident})
                    if len(got) == calls:
                        break
                event, data, ident = "", "", ""
    return got


# -- the event stream --


def test_the_stream_gives_every_call_once_in_order_and_resumes(
    hub: tuple[Hub, RunningHub],
) -> None:
    _, running = hub
    for i in range(12):
        httpx.post(running.url + "/api/tickets", json={"area": "AB"[i % 2]})
    for n in range(1, 13):  # twelve counters call in one burst
        httpx.post(f"{running.url}/api/counters/{n}/call-next", json={})
    calls = _events(running.url + "/api/board/events", calls=12)
    seqs = [c["seq"] for c in calls]
    assert seqs == sorted(seqs) and len(set(seqs)) == 12
    assert [c["_id"] for c in calls] == [str(s) for s in seqs]  # the SSE id is the sequence
    assert sorted(c["counter_no"] for c in calls) == list(range(1, 13))
    # a board that saw the first five resumes after them: Last-Event-ID (the browser's own
    # reconnect) or ?after= (the page's first connection) — nothing lost, nothing repeated
    resumed = _events(
        running.url + "/api/board/events", headers={"Last-Event-ID": str(seqs[4])}, calls=7
    )
    assert [c["seq"] for c in resumed] == seqs[5:]
    after = _events(f"{running.url}/api/board/events?after={seqs[9]}", calls=2)
    assert [c["seq"] for c in after] == seqs[10:]
    first = calls[0]
    assert first["clips"][0] == "/audio/chime"
    assert first["text"].startswith("Mời công dân có số thứ tự")
    assert first["stale"] is False


def test_a_bad_resume_point_is_refused(hub: tuple[Hub, RunningHub]) -> None:
    _, running = hub
    for bad in ("abc", "-3", "1e9"):
        r = httpx.get(running.url + "/api/board/events", headers={"Last-Event-ID": bad})
        assert r.status_code == 400 and "Last-Event-ID" in r.json()["error"]


def test_a_call_long_past_is_listed_but_not_spoken(
    hub: tuple[Hub, RunningHub], clock: FrozenClock
) -> None:
    _, running = hub
    httpx.post(running.url + "/api/tickets", json={"area": "A"})
    httpx.post(running.url + "/api/counters/1/call-next", json={})
    clock.now += timedelta(minutes=10)  # the board was off for ten minutes
    (call,) = _events(running.url + "/api/board/events", calls=1)
    assert call["number"] == "A001" and call["stale"] is True


# -- audio --


def test_every_clip_of_every_call_is_served_as_real_audio(tmp_path: Path) -> None:
    _need_espeak()
    h = Hub(tmp_path / "hub.sqlite3", SETTINGS)
    running = serve_in_thread(create_app(h))
    try:
        ready, missing = h.voice.prepare()
        assert missing == [] and ready == len(CLIPS) == len(VOCABULARY) + 1
        for word in ("chime", "mời công dân có số thứ tự", "mười", "mươi", "bê"):
            r = httpx.get(running.url + "/audio/" + quote(word))
            assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
            with wave.open(BytesIO(r.content)) as w:
                assert w.getnframes() / w.getframerate() > 0.1  # a real sound, not a stub
        # the cache is kept: a second hub on the same folder renders nothing again
        cached = sorted(p.name for p in h.voice.cache_dir.iterdir())
        assert len(cached) == len(VOCABULARY)
        assert httpx.get(running.url + "/audio/..%2Fhub.sqlite3").status_code == 404
        assert httpx.get(running.url + "/audio/" + quote("xin chào")).status_code == 404
    finally:
        running.stop()


def test_a_centres_own_recordings_replace_the_rendered_words(
    tmp_path: Path, clock: FrozenClock
) -> None:
    _need_espeak()
    folder = tmp_path / "hall-voice"
    folder.mkdir()
    (folder / "mười.mp3").write_bytes(b"ID3 recorded by the centre")
    config = tmp_path / "hub.toml"
    config.write_text('[queue]\nhall_recordings = "hall-voice"\n', encoding="utf-8")
    from portal.hub import load_hub_config

    settings, _ = load_hub_config(config)
    assert settings.hall_recordings == str(folder)
    h = Hub(tmp_path / "hub.sqlite3", settings, clock=clock)
    running = serve_in_thread(create_app(h))
    try:
        r = httpx.get(running.url + "/audio/" + quote("mười"))
        assert r.headers["content-type"] == "audio/mpeg" and r.content.startswith(b"ID3")
        assert httpx.get(running.url + "/audio/" + quote("mươi")).headers["content-type"] == (
            "audio/wav"
        )  # not recorded: espeak-ng's
    finally:
        running.stop()


@pytest.mark.parametrize(
    ("key", "value"),
    [("hall_sound", "loud"), ("hall_voice", "en"), ("hall_recordings", 3)],
)
def test_bad_hall_settings_are_refused(key: str, value: object) -> None:
    from counter.queue import QueueConfigError, parse_queue_config

    with pytest.raises(QueueConfigError, match=key):
        parse_queue_config({key: value})


# -- what the public board says --


def test_the_public_board_says_only_number_counter_and_area(hub: tuple[Hub, RunningHub]) -> None:
    _, running = hub
    httpx.post(running.url + "/api/tickets", json={"area": "A", "priority": "disability"})
    httpx.post(running.url + "/api/counters/2/call-next", json={})
    httpx.post(running.url + "/api/counters/2/link", json={"dossier": "000.00.12.H26-261126-0001"})
    board = httpx.get(running.url + "/api/board").json()
    text = json.dumps(board, ensure_ascii=False)
    for secret in ("disability", "khuyết tật", "000.00.12.H26", "priority", "dossiers", "channel"):
        assert secret not in text
    assert board["current"] == {"2": {"number": "A001", "area": "A"}}
    assert set(board["calls"][0]) == {"seq", "number", "counter_no", "area", "at", "recall"}
    assert board["now"].endswith("+07:00")
    events = _events(running.url + "/api/board/events", calls=1)
    assert "disability" not in json.dumps(events) and "000.00" not in json.dumps(events)
    page = httpx.get(running.url + "/board").text
    assert "disability" not in page and "000.00.12.H26" not in page
    # the counters still get the full view, from /api/view
    view = HubQueue(running.url, SETTINGS, counter_no=2).view()
    assert view.current[2].priority == "disability"


# -- the hub's semantics (#16 point 6) --


def test_call_next_with_nobody_waiting_keeps_the_current_ticket(
    hub: tuple[Hub, RunningHub],
) -> None:
    _, running = hub
    c = HubQueue(running.url, SETTINGS, counter_no=1)
    c.issue("A")
    first = c.call_next()
    assert first is not None
    assert c.call_next() is None  # nobody waits
    current = c.current()
    assert current is not None and current.number == first.number  # still being called
    assert current.status == "called"
    assert c.stats().total.served == 0  # pressing F6 on an empty queue served nobody
    c.issue("A")
    second = c.call_next()  # now someone waits: the officer moves on
    assert second is not None and second.number == "A002"
    assert c.stats().total.served == 1
    c.close()


def test_an_unheld_ticket_can_be_called_by_any_counter_of_its_area(
    hub: tuple[Hub, RunningHub],
) -> None:
    _, running = hub
    c1, c2 = (HubQueue(running.url, SETTINGS, counter_no=n) for n in (1, 2))
    c1.issue("A")
    c1.issue("A")
    assert c1.call_next() is not None
    c1.hold()  # A001 fetches a paper
    assert c1.call_next() is not None  # counter 1 is busy with A002
    c1.unhold("A001")
    back = c2.call_next()  # counter 2 is free: it calls A001, first in line
    assert back is not None and back.number == "A001" and back.counter_no == 2
    for c in (c1, c2):
        c.close()


def test_the_day_end_closes_leftovers_as_not_served(tmp_path: Path, clock: FrozenClock) -> None:
    db = tmp_path / "hub.sqlite3"
    h = Hub(db, SETTINGS, clock=clock)
    e = h.engine
    for _ in range(5):
        e.issue("A")
    e.call_next(1)  # A001: called, never came back
    e.call_next(2)
    e.start(2)  # A002: being served at closing time
    e.call_next(3)
    e.hold(3)  # A003: on hold
    e.call_next(4)
    e.transfer(4, area="B")  # A004: transferred
    # A005 still waiting
    clock.now += timedelta(days=1)
    ticket = e.issue("A")  # the first action of the next day closes yesterday
    assert ticket.number == "A001"
    yesterday = (clock.now - timedelta(days=1)).date()
    log = {r["number"]: r for r in e.log(yesterday, yesterday)}
    assert {n: r["status"] for n, r in log.items()} == {
        "A001": "not_served",
        "A002": "done",
        "A003": "not_served",
        "A004": "not_served",
        "A005": "not_served",
    }
    assert log["A002"]["finished_at"] == ""  # its service time is unknown, not invented
    stats = e.stats(yesterday)
    assert stats.total.waiting == 0 and stats.total.served == 0
    assert e.close_past_days() == 0  # once only
    h.close()


def test_request_ids_are_kept_a_day_and_a_night_then_forgotten(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """A retry across midnight still gets its first answer; two days on, the stored answers
    are gone (they grew the hub's file by a ticket's JSON per action, for ever)."""
    clock.now = clock.now.replace(hour=15, minute=59, second=58)
    h = Hub(tmp_path / "hub.sqlite3", SETTINGS, clock=clock)
    e = h.engine
    e.issue("A", request_id="issued-late")
    late = e.call_next(1, request_id="called-late")
    assert late is not None

    def stored() -> set[str]:
        return {r for (r,) in h.store.conn.execute("SELECT request_id FROM queue_requests")}

    clock.now += timedelta(hours=17)  # next morning: the first action closes yesterday
    e.issue("A", request_id="next-morning")
    assert stored() == {"issued-late", "called-late", "next-morning"}
    assert e.call_next(1, request_id="called-late") == late  # the retry: same ticket
    clock.now += timedelta(days=1)
    e.issue("A")
    assert stored() == {"next-morning"}  # yesterday's kept, the day before forgotten
    clock.now += timedelta(days=3)
    h.close()
    h = Hub(tmp_path / "hub.sqlite3", SETTINGS, clock=clock)  # a hub started days later
    assert stored() == set()
    h.close()


def test_a_hub_started_the_next_morning_closes_yesterday(
    tmp_path: Path, clock: FrozenClock
) -> None:
    db = tmp_path / "hub.sqlite3"
    h = Hub(db, SETTINGS, clock=clock)
    h.engine.issue("A")
    h.close()
    clock.now += timedelta(days=1)
    h = Hub(db, SETTINGS, clock=clock)  # restarted: nothing issued or called yet
    day = (clock.now - timedelta(days=1)).date()
    assert [r["status"] for r in h.engine.log(day, day)] == ["not_served"]
    h.close()


def test_a_file_from_before_the_day_end_close_is_upgraded_keeping_everything(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """A counter store made by an earlier version (its CHECK lists seven statuses) is rebuilt
    once, with every ticket, event and index kept, and then closes its days like a new one."""
    path = tmp_path / "counter.sqlite3"
    store = Store(path)  # the counter's own store, with today's schema…
    conn = store.conn
    old_sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'queue_tickets'").fetchone()[
        0
    ]
    conn.execute("PRAGMA foreign_keys = OFF")  # …turned back into the old one
    conn.execute("PRAGMA legacy_alter_table = ON")  # queue_events keeps naming queue_tickets
    conn.executescript(
        "BEGIN; ALTER TABLE queue_tickets RENAME TO t_old;"
        + old_sql.replace(",\n         'not_served'", "")
        + "; INSERT INTO queue_tickets SELECT * FROM t_old; DROP TABLE t_old; COMMIT;"
    )
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA legacy_alter_table = OFF")
    assert (
        "not_served"
        not in conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'queue_tickets'"
        ).fetchone()[0]
    )
    eng = QueueEngine(store, SETTINGS, clock)
    eng.issue("A")
    eng.issue("A")
    eng.call_next(1)
    # the old file cannot say "not served"
    with pytest.raises(sqlite3.IntegrityError), store.write():
        conn.execute("UPDATE queue_tickets SET status = 'not_served'")
    store.close()

    clock.now += timedelta(days=1)
    q = LocalQueue(path, SETTINGS, counter_no=1, clock=clock)  # opening it upgrades it
    assert upgrade_queue_tables(q._store.conn) is False  # once only
    q.issue("A")
    day = (clock.now - timedelta(days=1)).date()
    assert [r["status"] for r in q.log(day, day)] == ["not_served", "not_served"]
    indexes = {r[1] for r in q._store.conn.execute("PRAGMA index_list(queue_tickets)")}
    assert {"queue_tickets_queued", "queue_tickets_current", "queue_tickets_person"} <= indexes
    assert q._store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert q._store.conn.execute("SELECT COUNT(*) FROM queue_events").fetchone()[0] >= 5
    q.close()


def test_a_hub_file_with_the_full_current_ticket_index_gets_the_partial_one(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """A hub file made before the current-ticket index was partial: opening it swaps the index
    (in one transaction, once), every ticket kept, and the current-ticket reads use it."""
    db = tmp_path / "hub.sqlite3"
    h = Hub(db, SETTINGS, clock=clock)
    for _ in range(3):
        h.engine.issue("A")
    h.engine.call_next(1)
    h.engine.call_next(2)
    h.engine.start(2)
    h.close()
    with sqlite3.connect(db) as conn:  # back to the index an earlier version made
        conn.execute("DROP INDEX queue_tickets_current")
        conn.execute("CREATE INDEX queue_tickets_counter ON queue_tickets(day, counter_no, status)")
        before = conn.execute("SELECT * FROM queue_tickets ORDER BY id").fetchall()

    h = Hub(db, SETTINGS, clock=clock)  # opening it upgrades it
    conn = h.store.conn
    indexes = {r[1] for r in conn.execute("PRAGMA index_list(queue_tickets)")}
    assert "queue_tickets_current" in indexes and "queue_tickets_counter" not in indexes
    assert conn.execute("SELECT * FROM queue_tickets ORDER BY id").fetchall() == before
    assert upgrade_queue_tables(conn) is False and not conn.in_transaction  # once only
    plan = " ".join(
        str(r)
        for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM queue_tickets WHERE day = ? AND counter_no = ? "
            "AND status IN ('called', 'serving') ORDER BY called_at DESC, id DESC LIMIT 1",
            ("2026-11-26", 1),
        )
    )
    assert "queue_tickets_current" in plan
    assert [h.engine.current(n).number for n in (1, 2)] == ["A001", "A002"]
    called = h.engine.call_next(1)
    assert called is not None and called.number == "A003"
    assert h.engine.ticket("A001").status == "done"
    h.close()


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (f"Bearer {TOKEN}", 200),
        (f"bearer {TOKEN}", 200),
        (f"BEARER {TOKEN}", 200),
        (f"Bearer   {TOKEN}", 200),
        (f"Basic {TOKEN}", 401),
        (f"Bearer {TOKEN}x", 401),
        (f"Bearer{TOKEN}", 401),
        ("", 401),
    ],
)
def test_the_auth_scheme_is_case_insensitive_and_the_token_is_not(
    tmp_path: Path, clock: FrozenClock, header: str, status: int
) -> None:
    h = Hub(tmp_path / "hub.sqlite3", replace(SETTINGS, hub_token=TOKEN), clock=clock)
    running = serve_in_thread(create_app(h))
    try:
        r = httpx.post(
            running.url + "/api/tickets", json={"area": "A"}, headers={"Authorization": header}
        )
        assert r.status_code == status
        issued = httpx.get(
            running.url + "/api/board", headers={"Authorization": f"Bearer {TOKEN}"}
        ).json()["waiting"]["A"]
        assert issued == (1 if status == 200 else 0)  # a refusal changed nothing
    finally:
        running.stop()


def test_a_failing_stream_is_logged_with_its_cause_and_the_board_resumes(
    hub: tuple[Hub, RunningHub], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    h, running = hub
    for _ in range(2):
        httpx.post(running.url + "/api/tickets", json={"area": "A"})
    httpx.post(running.url + "/api/counters/1/call-next", json={})
    real = h.reader.calls_since
    failures = iter([sqlite3.OperationalError("database is locked")])

    def flaky(after: int, limit: int = 500) -> list:
        for exc in failures:
            raise exc
        return real(after, limit)

    monkeypatch.setattr(h.reader, "calls_since", flaky)
    with (
        caplog.at_level("WARNING", logger="portal.hub.app"),
        httpx.stream("GET", running.url + "/api/board/events", timeout=5) as r,
    ):
        body = "".join(r.iter_text())  # the stream ends instead of hanging
    assert "event: call" not in body
    (record,) = [r for r in caplog.records if "event stream" in r.getMessage()]
    assert record.exc_info is not None and "database is locked" in str(record.exc_info[1])
    httpx.post(running.url + "/api/counters/2/call-next", json={})
    calls = _events(running.url + "/api/board/events", calls=2)  # the reconnect gets both
    assert [c["number"] for c in calls] == ["A001", "A002"]


class _FailingCommit:
    """The hub's connection, whose next COMMIT fails as a full or broken disk would."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn
        self.failures = 1

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
        if sql == "COMMIT" and self.failures:
            self.failures -= 1
            raise sqlite3.OperationalError("disk I/O error")
        return self._conn.execute(sql, *args)  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> object:
        return getattr(self._conn, name)


def test_a_failed_commit_answers_nobody_changes_nothing_and_the_hub_goes_on(
    hub: tuple[Hub, RunningHub],
) -> None:
    """The COMMIT runs off the event loop: when it fails, every request of its batch gets an
    error (none a ticket that is not on disk), the batch is rolled back, the next one works."""
    h, running = hub
    real = h.store.db.conn
    h.store.db.conn = _FailingCommit(real)  # type: ignore[assignment]
    try:
        r = httpx.post(running.url + "/api/tickets", json={"area": "A"})
        assert r.status_code == 500
        assert httpx.get(running.url + "/api/board").json()["waiting"]["A"] == 0
        again = httpx.post(running.url + "/api/tickets", json={"area": "A"})
        assert again.status_code == 200 and again.json()["ticket"]["number"] == "A001"
    finally:
        h.store.db.conn = real


def test_after_a_failed_commit_the_next_write_reaches_the_disk(tmp_path: Path) -> None:
    """The class behind the hub case: any Store write whose COMMIT fails is rolled back, so
    the next write is a transaction of its own (not a savepoint of a transaction that never
    ends), and another connection sees it."""
    store = Store(tmp_path / "s.sqlite3")
    real = store.db.conn
    store.db.conn = _FailingCommit(real)  # type: ignore[assignment]
    with pytest.raises(sqlite3.OperationalError), store.write():
        store.conn.execute("INSERT INTO settings(key, value) VALUES ('a', '1')")
    assert not real.in_transaction
    with store.write():
        store.conn.execute("INSERT INTO settings(key, value) VALUES ('b', '2')")
    other = sqlite3.connect(tmp_path / "s.sqlite3")
    assert other.execute("SELECT key FROM settings WHERE key IN ('a', 'b')").fetchall() == [("b",)]
    other.close()
    store.db.conn = real
    store.close()


def test_without_espeak_the_hall_still_has_its_chime(tmp_path: Path) -> None:
    from portal.hub.hall_audio import HallVoice

    voice = HallVoice(tmp_path / "cache")
    voice.espeak = None  # a machine where espeak-ng is not installed
    assert voice.clip("mười") is None
    chime = voice.clip("chime")
    assert chime is not None and chime[1] == "audio/wav"
    with wave.open(BytesIO(chime[0])) as w:
        assert 1.0 < w.getnframes() / w.getframerate() < 1.5
    ready, missing = voice.prepare()
    assert ready == 1 and set(missing) == set(VOCABULARY)
