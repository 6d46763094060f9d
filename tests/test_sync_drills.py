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
from tests.support.builders import draft_for
from tests.support.pg import pg_cluster, portal_db  # noqa: F401  (fixtures)
from tests.support.sync import AGENCY, Counter, make_counter, receive_some


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

    from tests.support.sync import outbox_entries

    c = _counter(tmp_path, portal)
    assert sync_once(c.store, c.config).ok  # enrolls
    receive_some(c, 4, act_every=0)
    entries = outbox_entries(c.desk, [1, 2, 3, 4])
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


# -- helpers for the restore drills ----------------------------------------------------------


def _agree(portal: ThreadedPortal, c: Counter, *, lost: int = 0) -> None:
    """The portal holds everything this counter holds (same code, status, version, events),
    plus `lost` dossiers only the portal still has (made after the backup that was restored);
    nothing rejected, nothing pending, no code or (device, seq) twice."""
    device = c.device_id
    local = {
        r[0]: (r[1], r[2], r[3])
        for r in c.store.conn.execute("SELECT uuid, code, status, version FROM dossiers")
    }
    remote = {
        r[0]: (r[1], r[2], r[3])
        for r in portal.storage.query(
            "SELECT uuid, code, status, version FROM dossiers WHERE device_id = ?", (device,)
        )
    }
    assert {u: remote.get(u) for u in local} == local
    assert len(remote) == len(local) + lost
    codes = [v[0] for v in remote.values()]
    assert len(set(codes)) == len(codes)
    local_events = {
        (r[0], r[1], r[2])
        for r in c.store.conn.execute("SELECT id, dossier_uuid, action FROM dossier_events")
    }
    remote_events = {
        (r[0], r[1], r[2])
        for r in portal.storage.query(
            "SELECT event_id, dossier_uuid, action FROM dossier_events WHERE device_id = ?",
            (device,),
        )
    }
    assert local_events <= remote_events
    assert portal.storage.query(
        "SELECT count(*) FROM ingest WHERE device_id = ? AND status = 'rejected'", (device,)
    ) == [(0,)]
    assert [r for r in rejected_entries(c.store) if r.source == "push"] == []
    pending = c.store.conn.execute(
        "SELECT count(*) FROM outbox WHERE acked_at IS NULL OR rejected_reason IS NOT NULL"
    ).fetchone()[0]
    assert pending == 0
    d = portal.storage.device(device)
    assert d is not None and d.last_seq == _last_seq(c)


def _sync_clean(c: Counter, rounds: int = 3) -> None:
    for _ in range(rounds):
        report = sync_once(c.store, c.config)
        assert report.ok, report.text()
        if report.pending == 0 and not report.pulled:
            return


# -- the counter restored from a backup -------------------------------------------------------


@pytest.mark.parametrize("online", [True, False], ids=["portal-up", "portal-down"])
def test_drill_counter_restored_from_a_backup(
    tmp_path: Path, portal: ThreadedPortal, online: bool
) -> None:
    """Issue #13 §2: back up, make 5 dossiers and sync, restore the backup, make 5 more and
    sync. Before: the 5 were rejected `sequence_reused` and their codes named two dossiers.
    Now: nothing numbered twice, all 10 on the portal, the counter agrees with it."""
    from dataclasses import replace

    from counter.backup import make_backup, restore_store

    c = _counter(tmp_path, portal)
    receive_some(c, 3)
    _sync_clean(c)
    backup = make_backup(c.config)
    lost = receive_some(c, 5)
    lost_codes = {c.desk.get(u).code for u in lost}
    _sync_clean(c)
    c.desk.close()

    config = c.config
    if not online:  # the restore cannot reach the portal: it jumps its numbers instead
        config = replace(config, portal=replace(config.portal, url="http://127.0.0.1:9"))
    report = restore_store(config, backup)
    assert report.rebased_online is online, report.text()
    assert report.kept is not None and report.kept.exists()  # the replaced store is kept
    from counter.desk import Desk

    c = Counter(c.config, Desk.open(c.config))
    c.desk.login("canbo", "1234")
    assert c.store.conn.execute("SELECT count(*) FROM dossiers").fetchone()[0] == 3
    fresh = receive_some(c, 5)
    assert not {c.desk.get(u).code for u in fresh} & lost_codes
    _sync_clean(c)
    _agree(portal, c, lost=5)
    c.desk.close()


def test_drill_replacement_pc_with_the_old_device_id(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    """A PC dies; a fresh install is given its device id (and a new enrollment code). It goes
    on after the portal's sequence, event ids and codes: nothing refused, nothing twice."""
    from counter.desk import Desk
    from tests.support.config import make_config

    old = _counter(tmp_path / "old", portal)
    receive_some(old, 4)
    _sync_clean(old)
    device_id = old.device_id
    old.desk.close()
    # The operator revokes the dead PC (its key is gone with it), lets the new PC register
    # its own signing key (issue #14), and issues a code for its id (issue #19).
    admin.revoke_device(portal.storage, device_id)
    from portal.witness import Witness, load_witness_key

    Witness(portal.storage, load_witness_key(tmp_path / "witness.pem")).allow_rotation(device_id)

    folder = tmp_path / "new"
    config = make_config(
        folder,
        counter={"number": 3, "device_id": device_id},
        portal={
            "url": portal.url,
            # Re-enrolling a known device takes a code the operator issued for that device.
            "enrollment_code": admin.create_enrollment_code(
                portal.storage, AGENCY, 3, device_id=device_id
            ),
            "timeout_seconds": 5.0,
        },
    )
    new = Counter(config, Desk.open(config))
    new.desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    new.desk.login("canbo", "1234")
    report = sync_once(new.store, new.config)  # enrolls before the first dossier
    assert report.ok and report.enrolled, report.text()
    receive_some(new, 3)
    _sync_clean(new)
    _agree(portal, new, lost=4)
    assert len(portal.storage.query("SELECT code FROM dossiers")) == 7
    new.desk.close()


# -- the portal restored from a backup --------------------------------------------------------


def _portal_backup(portal_db: str, tmp_path: Path, name: str) -> str:  # noqa: F811
    """A copy of the portal's database (the portal stopped): a file, or a PG database."""
    import shutil

    if portal_db.startswith("postgresql"):
        from tests.support.pg import shared_cluster

        cluster = shared_cluster()
        db = portal_db.rsplit("/", 1)[1]
        copy = f"{db}_{name}"
        cluster._run(
            "createdb",
            "-h",
            "127.0.0.1",
            "-p",
            str(cluster.port),
            "-U",
            cluster.user,
            "-T",
            db,
            copy,
        )
        return copy
    dest = tmp_path / f"portal-{name}.db"
    shutil.copyfile(portal_db, dest)
    return str(dest)


def _portal_restore(portal_db: str, backup: str) -> None:  # noqa: F811
    import shutil

    if portal_db.startswith("postgresql"):
        from tests.support.pg import shared_cluster

        cluster = shared_cluster()
        db = portal_db.rsplit("/", 1)[1]
        args = ["-h", "127.0.0.1", "-p", str(cluster.port), "-U", cluster.user]
        cluster._run("dropdb", *args, db)
        cluster._run("createdb", *args, "-T", backup, db)
        return
    for suffix in ("-wal", "-shm"):
        Path(portal_db + suffix).unlink(missing_ok=True)
    shutil.copyfile(backup, portal_db)


@pytest.mark.parametrize("announced", [True, False], ids=["new-epoch", "unannounced"])
def test_drill_portal_restored_from_a_backup(
    tmp_path: Path,
    portal_db: str,  # noqa: F811
    announced: bool,
) -> None:
    """Issue #13 §3: after the portal's database is restored, change ids were reused, the
    counter skipped them as pulled and an old confirmation marked a new change applied; the
    two sides disagreed silently. Now change ids never repeat, the counter notices (a new
    epoch, or its cursor ahead of the portal), says so, re-sends and re-pulls, and both agree."""
    if not portal_db.startswith("postgresql"):
        Path(portal_db).parent.mkdir(parents=True, exist_ok=True)
    p = ThreadedPortal(portal_db).start()
    port = p.port
    c = _counter(tmp_path, p)
    first, second, third = receive_some(c, 3, act_every=0)
    _sync_clean(c)
    a = admin.set_dossier_status(p.storage, first, "processing", by="Phòng Tư pháp")
    _sync_clean(c)
    p.stop()
    backup = _portal_backup(portal_db, tmp_path, "night")

    p = ThreadedPortal(portal_db, port=port).start()
    receive_some(c, 2, act_every=0)
    b = admin.set_dossier_status(p.storage, second, "processing", by="Phòng Tư pháp")
    _sync_clean(c)
    assert c.desk.get(second).status == "processing"
    p.stop()

    _portal_restore(portal_db, backup)  # last night's copy: it lost b and two dossiers
    p = ThreadedPortal(portal_db, port=port).start()
    try:
        if announced:
            p.storage.new_epoch()  # `counter-portal restored`
        assert p.storage.dossier(second)["status"] == "received"  # type: ignore[index]
        cc = admin.set_dossier_status(p.storage, third, "processing", by="Phòng Tư pháp")
        assert cc.id > b.id > a.id  # a change id is never used twice
        _sync_clean(c, rounds=4)
        assert c.desk.get(third).status == "processing"  # the new change was not skipped
        assert p.storage.change(cc.id)["outcome"] == "applied"  # type: ignore[index]
        assert p.storage.dossier(second)["status"] == "processing"  # type: ignore[index]
        _agree(p, c)
        assert sync.sync_status(c.store, c.config).alert is None  # shown, then cleared
    finally:
        p.stop()
        c.desk.close()


def test_a_restored_portal_is_shown_until_the_counter_caught_up(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    c = _counter(tmp_path, portal)
    receive_some(c, 2)
    _sync_clean(c)
    portal.storage.new_epoch()
    with c.store.write():  # as if the answer carrying the new epoch came mid-round
        sync._check_epoch(c.store, portal.storage.epoch(), None)
    receive_some(c, 1)
    alert = sync.sync_status(c.store, c.config).alert
    assert alert is not None and alert.code == "portal_restored" and "khôi phục" in alert.vi
    _sync_clean(c)
    assert sync.sync_status(c.store, c.config).alert is None
    c.desk.close()


# -- what the status bar shows -----------------------------------------------------------------


def _bar(c: Counter, lang: str = "vi") -> Any:
    from screens.status import sync_text

    return sync_text(c.desk, lang)


def test_drill_a_revoked_counter_says_so_in_red(tmp_path: Path, portal: ThreadedPortal) -> None:
    """Issue #13 §4: a revoked counter read "Sync: at 22:14 · 2 pending" in the normal style."""
    c = _counter(tmp_path, portal)
    receive_some(c, 2)
    _sync_clean(c)
    assert sync.sync_status(c.store, c.config).alert is None
    admin.revoke_device(portal.storage, c.device_id)
    receive_some(c, 1)
    assert sync_once(c.store, c.config).error is not None
    status = sync.sync_status(c.store, c.config)
    assert status.alert is not None and status.alert.code == "revoked"
    bar = _bar(c)
    assert "thu hồi" in bar.plain and "mã đăng ký mới" in bar.plain
    assert "red" in str(bar.style)
    assert "revoked" in _bar(c, "en").plain
    # A new code: enrolled again, the alert goes, nothing was lost.
    from dataclasses import replace

    c.config = replace(
        c.config,
        portal=replace(
            c.config.portal,
            enrollment_code=admin.create_enrollment_code(
                portal.storage, AGENCY, 3, device_id=c.device_id
            ),
        ),
    )
    _sync_clean(c)
    assert sync.sync_status(c.store, c.config).alert is None
    _agree(portal, c)
    c.desk.close()


def test_clock_skew_is_measured_every_round_and_shown_beyond_two_minutes(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    from datetime import UTC, datetime, timedelta

    c = _counter(tmp_path, portal)
    receive_some(c, 1)
    offset = timedelta(minutes=3)
    fast = lambda: datetime.now(UTC) + offset  # noqa: E731
    assert sync_once(c.store, c.config, clock=fast).ok
    status = sync.sync_status(c.store, c.config)
    assert status.clock_skew_seconds is not None and 170 < status.clock_skew_seconds < 190
    assert status.alert is not None and status.alert.code == "clock_skew"
    assert "nhanh 3 phút" in _bar(c).plain
    offset = timedelta(seconds=0)  # the clock is set right: the next round measures again
    assert sync_once(c.store, c.config, clock=lambda: datetime.now(UTC) + offset).ok
    status = sync.sync_status(c.store, c.config)
    assert status.clock_skew_seconds is not None and abs(status.clock_skew_seconds) < 10
    assert status.alert is None
    c.desk.close()


# -- the smaller points of issue #13 §5 -------------------------------------------------------


def test_a_stolen_credential_cannot_use_up_the_devices_numbers(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    """Entries pushed with a stolen token: those naming another device are refused without
    using a sequence number; those that do use numbers (they name this device) make the
    counter number its own entries again, so they still arrive."""
    import httpx

    from tests.support.sync import outbox_entries

    c = _counter(tmp_path, portal)
    receive_some(c, 2, act_every=0)
    _sync_clean(c)
    token = c.store.get_setting(sync.K_TOKEN)
    forged = outbox_entries(c.desk, [1, 2])
    for i, e in enumerate(forged):
        e["seq"] = 3 + i
        e["payload"]["device_id"] = "00000000-0000-4000-8000-000000000000"
    resp = httpx.post(
        f"{portal.url}/api/v1/push",
        json={"after_seq": 2, "entries": forged},
        headers={"authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 200
    assert resp.json()["halt"]["code"] == "foreign_entry" and resp.json()["last_seq"] == 2
    # Junk that names this device does take numbers 3–12 …
    junk = [
        {
            "seq": s,
            "kind": "dossier.event",
            "schema_version": 1,
            "payload": {"device_id": c.device_id},
        }
        for s in range(3, 13)
    ]
    resp = httpx.post(
        f"{portal.url}/api/v1/push",
        json={"after_seq": 2, "entries": junk},
        headers={"authorization": f"Bearer {token}"},
    )
    assert resp.json()["last_seq"] == 12
    # … and the counter's own next entries go after them instead of being refused for good.
    receive_some(c, 3)
    _sync_clean(c)
    mine = portal.storage.query(
        "SELECT count(*) FROM ingest WHERE device_id = ? AND status = 'applied'", (c.device_id,)
    )
    assert mine == [(2 + 3 + 2,)]  # 2 before, 3 receipts, 2 start_processing
    assert not [r for r in rejected_entries(c.store) if r.source == "push"]
    c.desk.close()


def test_a_back_office_status_is_not_overwritten_by_an_older_counter_entry(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    """`set_status` raises the portal's version, so an entry the counter wrote before it
    saw the change (same version) no longer overwrites the back office's status."""
    from portal.storage import Entry

    c = _counter(tmp_path, portal)
    (uuid,) = receive_some(c, 1, act_every=0)
    _sync_clean(c)
    before = portal.storage.dossier(uuid)
    assert before is not None
    admin.set_dossier_status(portal.storage, uuid, "processing", by="Phòng Tư pháp")
    after = portal.storage.dossier(uuid)
    assert after is not None and after["version"] == before["version"] + 1
    payload = json.loads(c.store.conn.execute("SELECT payload FROM outbox").fetchone()[0])
    payload["event"]["id"] = 99  # another event of the same version
    device = portal.storage.device(c.device_id)
    assert device is not None
    out = portal.storage.ingest(
        device, device.last_seq, [Entry(device.last_seq + 1, "dossier.event", 1, "", payload)]
    )
    assert out.applied == 1
    assert portal.storage.dossier(uuid)["status"] == "processing"  # type: ignore[index]
    c.desk.close()


def test_a_portal_clock_fifty_hours_slow_does_not_date_a_finish_before_its_receipt(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    from datetime import UTC, datetime, timedelta

    c = _counter(tmp_path, portal)
    (uuid,) = receive_some(c, 1, act_every=0)
    _sync_clean(c)
    portal.storage.clock = lambda: datetime.now(UTC) - timedelta(hours=50)
    admin.set_dossier_status(portal.storage, uuid, "result_ready", by="Phòng Tư pháp")
    _sync_clean(c)
    d = c.desk.get(uuid)
    assert d.status == "result_ready" and d.finished_at is not None
    assert d.finished_at >= d.received_at
    c.desk.close()


def test_the_device_identity_has_one_home(tmp_path: Path, portal: ThreadedPortal) -> None:
    """Desk and sync read the same identity; a configured id replaces the stored one for
    both, and the old identity's credential is forgotten (it enrolls as the new one)."""
    from dataclasses import replace

    from counter.desk import Desk
    from counter.identity import device_identity

    c = _counter(tmp_path, portal)
    _sync_clean(c)
    assert c.store.get_setting(sync.K_TOKEN) is not None
    assert (
        device_identity(c.store, "auto")[0] == c.device_id == sync._identity(c.store, c.config)[0]
    )
    c.desk.close()
    new_id = "11111111-2222-4333-8444-555555555555"
    config = replace(c.config, counter=replace(c.config.counter, device_id=new_id))
    desk = Desk.open(config)
    assert desk.device_id == new_id == sync._identity(desk.store, config)[0]
    assert desk.store.get_setting(sync.K_TOKEN) is None  # the old device's credential
    desk.close()


def test_a_stored_entry_that_is_not_json_never_blocks(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    """A damaged outbox row (not JSON) made the portal answer `bad_json` for every batch
    holding it; the counter now finds the row, sends it as a stub and goes on."""
    c = _counter(tmp_path, portal)
    receive_some(c, 3, act_every=0)
    with c.store.write():
        c.store.conn.execute("UPDATE outbox SET payload = '{\"broken\": ' WHERE seq = 2")
    receive_some(c, 2, act_every=0)
    report = sync_once(c.store, c.config)
    assert report.ok and report.rejected == 1, report.text()
    _rejected_only(portal, c, {2})
    (rej,) = rejected_entries(c.store)
    assert "not valid JSON" in rej.reason
    c.desk.close()


def test_drill_store_copied_back_without_counter_restore(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    """The wrong way: an operator copies last night's `counter.db` back by hand and the
    officer receives dossiers before any sync. Their codes and event ids were already used
    by the lost ones: those entries are rejected with their reason, on both sides (never
    dropped in silence), and the counter rebases at once, so the next dossiers are clean."""
    import shutil

    from counter.desk import Desk

    c = _counter(tmp_path, portal)
    receive_some(c, 2, act_every=0)
    _sync_clean(c)
    c.desk.close()
    night = tmp_path / "night.db"
    shutil.copyfile(c.config.db_path, night)
    c = Counter(c.config, Desk.open(c.config))
    c.desk.login("canbo", "1234")
    receive_some(c, 3, act_every=0)
    _sync_clean(c)
    c.desk.close()
    for suffix in ("-wal", "-shm"):
        Path(str(c.config.db_path) + suffix).unlink(missing_ok=True)
    shutil.copyfile(night, c.config.db_path)  # by hand, no `counter restore`

    c = Counter(c.config, Desk.open(c.config))
    c.desk.login("canbo", "1234")
    receive_some(c, 2, act_every=0)  # codes and event ids the portal already holds
    report = sync_once(c.store, c.config)
    assert report.ok, report.text()
    rejected = {r.ref: r.reason for r in rejected_entries(c.store) if r.source == "push"}
    assert len(rejected) == 2
    assert all("code_clash" in r or "event_id_reused" in r for r in rejected.values())
    there = portal.storage.query(
        "SELECT seq, reason FROM ingest WHERE device_id = ? AND status = 'rejected'",
        (c.device_id,),
    )
    assert dict(there) == rejected  # shown on both sides
    later = receive_some(c, 3, act_every=0)
    report = sync_once(c.store, c.config)
    assert report.ok and report.rejected == 0, report.text()
    for uuid in later:
        assert portal.storage.dossier(uuid)["code"] == c.desk.get(uuid).code  # type: ignore[index]
    c.desk.close()


def test_counter_portal_restored_starts_a_new_epoch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from portal.cli import main as portal_cli
    from portal.storage import SQLiteStorage

    db = tmp_path / "portal.db"
    storage = SQLiteStorage(db)
    before = storage.epoch()
    storage.close()
    assert portal_cli(["--db", str(db), "restored"]) == 0
    assert "new epoch" in capsys.readouterr().out
    storage = SQLiteStorage(db)
    assert storage.epoch() != before
    storage.close()
