"""The counters' fast path (`portal.hub.app.CounterActionFastPath`) answers exactly what the
full Starlette stack answers: same status, same headers, same bytes, for every kind of
counter request, good or bad, and the hub's file ends the same.

Two real hubs on 127.0.0.1, each on its own SQLite file with the same tickets and the same
frozen clock: one as served (fast path on), one through Starlette's router and exception
layers (off). Hypothesis draws sequences of requests (every action, counters in and out of
range, bodies good, malformed, of the wrong type or too large, with the centre's token, with
another one or none) and sends each to both; then a failure inside the engine, which both
must answer with the same 500.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counter.queue import QueueSettings
from portal.hub.app import Hub, create_app
from portal.hub.server import RunningHub, serve_in_thread
from portal.hub.wire import MAX_BODY
from tests.support.clock import FrozenClock

TOKEN = "quay-token-0123456789abcdef"
SETTINGS = QueueSettings(
    max_per_person_per_day=0, max_per_person_per_area=0, interleave=2, hub_token=TOKEN
)
ACTIONS = (
    "call-next", "call", "recall", "start", "no-show", "hold", "unhold", "transfer",
    "finish", "link", "current", "nonsense",
)  # fmt: skip
# Headers that differ between two servers answering at two moments, whatever they answer.
VOLATILE = {"date", "server"}


class Pair:
    """The hub as served and the hub without the fast path, fed the same requests."""

    def __init__(self, tmp: Path, clock: FrozenClock):
        self.hubs: list[Hub] = []
        self.running: list[RunningHub] = []
        for fast in (True, False):
            hub = Hub(tmp / f"hub-{'fast' if fast else 'full'}.sqlite3", SETTINGS, clock=clock)
            for area in ("A", "B", "A", "A", "B") * 8:
                hub.engine.issue(area, priority="elderly" if area == "B" else "")
            self.hubs.append(hub)
            self.running.append(serve_in_thread(create_app(hub, counter_fast_path=fast)))
        self.clients = [httpx.Client(base_url=r.url, timeout=10) for r in self.running]

    def send(self, path: str, content: bytes, headers: dict[str, str]) -> list[httpx.Response]:
        return [c.post(path, content=content, headers=headers) for c in self.clients]

    def tables(self, hub: Hub) -> list[tuple[Any, ...]]:
        with sqlite3.connect(hub.db_path) as db:
            return [
                *db.execute("SELECT * FROM queue_tickets ORDER BY id"),
                *db.execute("SELECT * FROM queue_events ORDER BY id"),
                *db.execute("SELECT * FROM queue_requests ORDER BY request_id"),
                *db.execute("SELECT * FROM queue_counters ORDER BY counter_no"),
            ]

    def close(self) -> None:
        for c in self.clients:
            c.close()
        for r in self.running:
            r.stop()


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    p = Pair(tmp_path_factory.mktemp("hub-fast"), FrozenClock())
    yield p
    p.close()


def _same(answers: list[httpx.Response]) -> None:
    fast, full = answers
    assert fast.status_code == full.status_code, (fast.text, full.text)
    assert fast.content == full.content
    strip = lambda r: sorted((k, v) for k, v in r.headers.items() if k not in VOLATILE)  # noqa: E731
    assert strip(fast) == strip(full)


bodies = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "areas": st.one_of(st.lists(st.sampled_from(["A", "B", "Z"]), max_size=2), st.just(7)),
            "number": st.sampled_from(["A001", "B002", "A003", "A999", "", 5]),
            "area": st.sampled_from(["A", "B", "Q", ""]),
            "counter": st.one_of(st.integers(0, 101), st.just(True), st.just("2")),
            "dossiers": st.one_of(
                st.lists(st.sampled_from(["H01.1-261126-0001", "x"])), st.just("d")
            ),
            "dossier": st.sampled_from(["H01.1-261126-0002", "bad code!", ""]),
            # Mostly fresh (the counter's client sends a new one per action), sometimes one
            # already used: its retry must get the stored answer on both paths.
            "request_id": st.one_of(st.uuids().map(str), st.sampled_from(["r1", "r2"])),
        },
    ).map(lambda d: json.dumps(d).encode()),
    st.sampled_from([b"", b"{", b"[1, 2]", b'"text"', b"null", b"x" * (MAX_BODY + 1)]),
)
requests = st.tuples(
    st.sampled_from(["1", "2", "3", "0", "100", "x", "07"]),
    st.sampled_from(ACTIONS),
    bodies,
    st.sampled_from(["good", "good", "good", "wrong", "none", "lower"]),
)


def _headers(auth: str) -> dict[str, str]:
    token = {"good": f"Bearer {TOKEN}", "wrong": "Bearer " + "x" * 24, "lower": f"bearer {TOKEN}"}
    return {"Content-Type": "application/json"} | (
        {"Authorization": token[auth]} if auth in token else {}
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(requests, min_size=1, max_size=8))
def test_the_fast_path_answers_what_the_full_stack_answers(
    pair: Pair, drawn: list[tuple[str, str, bytes, str]]
) -> None:
    for counter, action, body, auth in drawn:
        _same(pair.send(f"/api/counters/{counter}/{action}", body, _headers(auth)))
    fast, full = (pair.tables(h) for h in pair.hubs)
    assert fast == full


def test_both_paths_call_the_same_tickets_and_refuse_alike(pair: Pair) -> None:
    """The drawn sequences above may all be refusals; this one must call, finish and refuse."""
    headers = _headers("good")
    for n in (4, 5, 4):
        answers = pair.send(f"/api/counters/{n}/call-next", b"{}", headers)
        _same(answers)
        assert answers[0].json()["ticket"]["status"] == "called"
    answers = pair.send("/api/counters/4/finish", b'{"dossiers": ["H01.1-261126-0009"]}', headers)
    _same(answers)
    assert answers[0].json()["ticket"]["dossiers"] == ["H01.1-261126-0009"]
    answers = pair.send("/api/counters/4/recall", b"{}", headers)
    _same(answers)
    assert answers[0].status_code == 409 and answers[0].json()["kind"] == "IllegalTransition"
    answers = pair.send("/api/counters/4/call-next", b"{}", {})
    _same(answers)
    assert answers[0].status_code == 401 and answers[0].headers["www-authenticate"] == "Bearer"
    answers = pair.send("/api/counters/4/call-next", b"x" * (MAX_BODY + 1), headers)
    _same(answers)
    assert answers[0].status_code == 413
    assert pair.tables(pair.hubs[0]) == pair.tables(pair.hubs[1])


def test_a_failure_inside_the_engine_is_the_same_500(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected error reaches Starlette's outermost layer on both paths (which answers a
    plain 500 and hands the error to uvicorn's log): the hub still serving, nothing written."""
    clock = FrozenClock()
    p = Pair(tmp_path, clock)
    try:
        for hub in p.hubs:
            monkeypatch.setattr(hub.engine, "recall", lambda *a, **k: 1 / 0)
        _same(p.send("/api/counters/1/call-next", b"{}", _headers("good")))
        before = [p.tables(h) for h in p.hubs]
        answers = p.send("/api/counters/1/recall", b"{}", _headers("good"))
        _same(answers)
        assert answers[0].status_code == 500
        assert [p.tables(h) for h in p.hubs] == before
        again = p.send("/api/counters/2/call-next", b"{}", _headers("good"))
        _same(again)
        assert again[0].status_code == 200
    finally:
        p.close()


def test_the_answer_is_the_stored_answer(pair: Pair) -> None:
    """What a call-next answers is, byte for byte, what its request id keeps for a retry, and
    the retry gets those bytes again (the answer is made once: `Ticket.answer_json`)."""
    body = json.dumps({"request_id": f"same-{uuid.uuid4()}"}).encode()
    first = pair.send("/api/counters/9/call-next", body, _headers("good"))
    retry = pair.send("/api/counters/9/call-next", body, _headers("good"))
    for hub, answer, again in zip(pair.hubs, first, retry, strict=True):
        with sqlite3.connect(hub.db_path) as db:
            (stored,) = db.execute(
                "SELECT response FROM queue_requests WHERE request_id = ?",
                (json.loads(body)["request_id"],),
            ).fetchone()
        assert answer.status_code == 200 and answer.json()["ticket"]["counter_no"] == 9
        assert answer.content == stored.encode() == again.content


def test_without_a_token_the_fast_path_serves_an_open_hub(tmp_path: Path) -> None:
    """A hub with no `hub_token` (a warning at start) still answers through the fast path."""
    hub = Hub(tmp_path / "open.sqlite3", replace(SETTINGS, hub_token=""), clock=FrozenClock())
    hub.engine.issue("A")
    running = serve_in_thread(create_app(hub))
    try:
        r = httpx.post(f"{running.url}/api/counters/3/call-next", json={})
        assert r.status_code == 200 and r.json()["ticket"]["number"] == "A001"
    finally:
        running.stop()
