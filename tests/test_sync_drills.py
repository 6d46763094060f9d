"""Operators' drills, on a real portal over SQLite and over PostgreSQL (issue #13).

Each drill is what goes wrong in an ordinary week: an odd character in a note, a counter
restored from last night's backup, a portal restored from its backup, a revoked device, a PC
replaced by a fresh install. After each, the portal and the counter must agree again
(`assert_converged`): nothing lost, nothing doubled, no sequence number or dossier code used
twice, and what happened is shown, not hidden.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counter import sync
from counter.errors import InvalidInput
from counter.sync import rejected_entries, sync_once
from portal import admin
from portal.server import ThreadedPortal
from tests.helpers import draft_for
from tests.pg import pg_cluster, portal_db  # noqa: F401  (fixtures)
from tests.test_sync_support import (
    AGENCY,
    Counter,
    make_counter,
    receive_some,
)


@pytest.fixture
def portal(portal_db: str) -> Iterator[ThreadedPortal]:  # noqa: F811
    with ThreadedPortal(portal_db) as p:
        yield p


def _counter(tmp_path: Path, portal: ThreadedPortal, number: int = 3) -> Counter:
    return make_counter(
        tmp_path, number, portal.url, admin.create_enrollment_code(portal.storage, AGENCY, number)
    )


def _poison(c: Counter, seq: int, text: str) -> None:
    """Put `text` into a free-text field of a stored entry, as an older store (or a bug that
    slipped past input validation) would have: the note of the dossier's snapshot."""
    (payload,) = c.store.conn.execute("SELECT payload FROM outbox WHERE seq = ?", (seq,)).fetchone()
    value = json.loads(payload)
    value["dossier"]["note"] = text
    value["event"]["details"]["reason"] = text
    with c.store.write():
        c.store.conn.execute(
            "UPDATE outbox SET payload = ? WHERE seq = ?",
            (json.dumps(value, ensure_ascii=False), seq),
        )


def _last_seq(c: Counter) -> int:
    return int(c.store.conn.execute("SELECT max(seq) FROM outbox").fetchone()[0])


def _rejected_only(portal: ThreadedPortal, c: Counter, seqs: set[int]) -> None:
    """Everything pushed is on the portal; exactly `seqs` rejected there and here."""
    device = c.device_id
    here = {r.ref for r in rejected_entries(c.store) if r.source == "push"}
    there = {
        int(r[0])
        for r in portal.storage.query(
            "SELECT seq FROM ingest WHERE device_id = ? AND status = 'rejected'", (device,)
        )
    }
    assert here == there == seqs
    pending = c.store.conn.execute(
        "SELECT count(*) FROM outbox WHERE acked_at IS NULL AND rejected_reason IS NULL"
    ).fetchone()[0]
    assert pending == 0
    d = portal.storage.device(device)
    assert d is not None and d.last_seq == _last_seq(c)


# -- a poisoned entry -------------------------------------------------------------------------


def test_control_characters_are_refused_at_input(tmp_path: Path, portal: ThreadedPortal) -> None:
    """Every free-text field, at intake and in a lifecycle action: a clear message, no change."""
    c = _counter(tmp_path, portal)
    good = c.desk.receive(draft_for(c.desk, "1.004194"))
    before = c.store.conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
    from dataclasses import replace

    draft = draft_for(c.desk, "1.004194")
    bad_drafts = [
        replace(draft, note="Ghi chú\x00"),
        replace(draft, documents=(replace(draft.documents[0], name="Tờ khai\x07"),)),
        replace(draft, note="a\u202eb"),
        replace(draft, ticket="A\x1b001"),
    ]
    for bad in bad_drafts:
        with pytest.raises(InvalidInput) as info:
            c.desk.receive(bad)
        assert "ký tự điều khiển" in info.value.message("vi")
        assert "control character" in info.value.message("en")
    with pytest.raises(InvalidInput) as info:
        c.desk.act(good.uuid, "refuse", reason="Thiếu\x00giấy tờ")
    assert info.value.field == "reason"
    assert c.store.conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == before
    assert c.desk.get(good.uuid).status == "received"
    # Line breaks in a multi-line note and Vietnamese text stay welcome.
    ok = c.desk.receive(replace(draft, note="Dòng một\nDòng hai — Nguyễn Văn Ấn"))
    assert ok.note.endswith("Ấn")


@pytest.mark.parametrize(
    ("text", "rejected"),
    [
        ("\x00", True),
        ("Lý do\x00", True),
        ("\x00\x00\x00", True),
        ("\ud800", True),
        ("giấy ủy quyền\x1f\x7f", False),  # storable: the portal keeps it as sent
    ],
)
def test_a_poisoned_entry_never_blocks(
    tmp_path: Path, portal: ThreadedPortal, text: str, rejected: bool
) -> None:
    """Issue #13 §1: one NUL in a note stopped all syncing for good. Now the entry is rejected
    with its reason on both sides, and every entry after it, and the pull, go on."""
    c = _counter(tmp_path, portal)
    receive_some(c, 2, act_every=0)
    first = _last_seq(c)
    receive_some(c, 1, act_every=0)
    poisoned = _last_seq(c)
    assert poisoned == first + 1
    try:
        _poison(c, poisoned, text)
    except UnicodeEncodeError:  # a lone surrogate cannot even be stored as UTF-8 text
        with c.store.write():
            c.store.conn.execute(
                "UPDATE outbox SET payload = CAST(? AS BLOB) WHERE seq = ?",
                (b'{"bad": "\xed\xa0\x80"}', poisoned),
            )
    receive_some(c, 2, act_every=0)
    report = sync_once(c.store, c.config)
    assert report.ok, report.text()
    assert report.rejected == int(rejected)
    _rejected_only(portal, c, {poisoned} if rejected else set())
    if rejected:
        (rej,) = rejected_entries(c.store)
        assert rej.ref == poisoned and rej.reason
    # The pull is not blocked either.
    later = c.store.conn.execute("SELECT uuid FROM dossiers ORDER BY received_at").fetchall()
    admin.set_dossier_status(portal.storage, later[-1][0], "processing", by="Phòng Tư pháp")
    report = sync_once(c.store, c.config)
    assert report.ok and report.pull_applied == 1, report.text()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(min_size=1, max_size=40))
def test_any_text_in_any_free_text_field_never_blocks_later_entries(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    """Property: whatever unicode sits in a free-text field of an entry (even one input
    validation would refuse), the entries after it are applied: rejected ones stay rejected
    with a reason, none blocks."""
    global _PROPERTY_PORTAL, _PROPERTY_COUNTER
    if _PROPERTY_PORTAL is None:
        base = tmp_path_factory.mktemp("property")
        _PROPERTY_PORTAL = ThreadedPortal(base / "portal.db").start()
        _PROPERTY_COUNTER = _counter(base, _PROPERTY_PORTAL)
    portal, c = _PROPERTY_PORTAL, _PROPERTY_COUNTER
    assert c is not None
    receive_some(c, 1, act_every=0)
    seq = _last_seq(c)
    try:
        _poison(c, seq, text)
    except UnicodeEncodeError:
        return  # SQLite's text cannot hold it: it never reaches the outbox
    receive_some(c, 1, act_every=0)
    report = sync_once(c.store, c.config)
    assert report.ok, report.text()
    pending = c.store.conn.execute(
        "SELECT count(*) FROM outbox WHERE acked_at IS NULL AND rejected_reason IS NULL"
    ).fetchone()[0]
    assert pending == 0
    d = portal.storage.device(c.device_id)
    assert d is not None and d.last_seq == _last_seq(c)
    # The clean entry after it was applied.
    status = portal.storage.query(
        "SELECT status FROM ingest WHERE device_id = ? AND seq = ?", (c.device_id, _last_seq(c))
    )
    assert status == [("applied",)]


_PROPERTY_PORTAL: ThreadedPortal | None = None
_PROPERTY_COUNTER: Counter | None = None


@pytest.fixture(autouse=True, scope="module")
def _stop_property_portal() -> Iterator[None]:
    yield
    global _PROPERTY_PORTAL, _PROPERTY_COUNTER
    if _PROPERTY_COUNTER is not None:
        _PROPERTY_COUNTER.desk.close()
    if _PROPERTY_PORTAL is not None:
        _PROPERTY_PORTAL.stop()
    _PROPERTY_PORTAL = _PROPERTY_COUNTER = None


class _OldPortal:
    """ASGI middleware: a portal that refuses a whole batch for one bad entry (as the portal
    did before issue #13), to show the counter narrows such refusals down by itself."""

    def __init__(self, app: Any, marker: bytes):
        self.app = app
        self.marker = marker

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/push"):
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        if self.marker in body:
            answer = json.dumps(
                {"error": {"class": "rejected", "code": "bad_request", "message": "bad text"}}
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 422,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": answer})
            return
        sent = False

        async def replay() -> Any:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def test_a_batch_level_refusal_is_narrowed_to_the_entry(tmp_path: Path) -> None:
    """Against a portal that refuses whole batches, the counter halves the batch until the
    one entry is refused alone, then sends it as a stub: rejected, recorded, not blocking."""
    p = ThreadedPortal(tmp_path / "portal.db")
    p.server.config.app = _OldPortal(p.app, "ĐỘC".encode())
    with p:
        c = _counter(tmp_path, p)
        receive_some(c, 5, act_every=0)
        _poison(c, 3, "ĐỘC")
        receive_some(c, 5, act_every=0)
        report = sync_once(c.store, c.config)
        assert report.ok and report.rejected == 1, report.text()
        _rejected_only(p, c, {3})
        (rej,) = rejected_entries(c.store)
        assert "refused by the portal" in rej.reason and "bad_request" in rej.reason
        c.desk.close()
    assert sync.PROTOCOL_VERSION == 1


def test_the_portal_rejects_a_bad_entry_alone(tmp_path: Path, portal: ThreadedPortal) -> None:
    """A batch with NUL in one entry's text, and one without a kind, is not refused whole:
    those two entries are rejected with their reasons, the others applied (both databases)."""
    import httpx

    from tests.test_portal_api import _entries

    c = _counter(tmp_path, portal)
    assert sync_once(c.store, c.config).ok  # enrolls
    receive_some(c, 4, act_every=0)
    entries = _entries(c.desk, [1, 2, 3, 4])
    entries[1]["payload"]["dossier"]["note"] = "ghi chú\x00"
    entries[1]["kind"] = "dossier.event\x00"
    del entries[2]["kind"]
    token = c.store.get_setting(sync.K_TOKEN)
    resp = httpx.post(
        f"{portal.url}/api/v1/push",
        json={"after_seq": 0, "entries": entries},
        headers={"authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert answer["applied"] == 2 and answer["last_seq"] == 4
    reasons = {r["seq"]: r["reason"] for r in answer["rejected"]}
    assert set(reasons) == {2, 3}
    assert "NUL" in reasons[2] and "kind" in reasons[3]
    stored = portal.storage.query(
        "SELECT seq, status FROM ingest WHERE device_id = ? ORDER BY seq", (c.device_id,)
    )
    assert stored == [(1, "applied"), (2, "rejected"), (3, "rejected"), (4, "applied")]
    c.desk.close()
