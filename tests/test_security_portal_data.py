"""Issue 19, finding 6, replayed: the portal held the whole dossier row (ID number, phone,
e-mail, address, the representative's ID and phone, notes) in the snapshot and again in
every ingest payload, for ever. Now it holds what the page, the back office and statistics
need, ingest payloads are emptied after their window, and closed dossiers are purged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from counter.dossiers import Applicant, Representative
from counter.history import PORTAL_FIELDS
from counter.sync import sync_once
from portal import admin
from portal.cli import main as portal_main
from portal.server import ThreadedPortal
from portal.storage import utc_now
from tests.support.builders import draft_for
from tests.support.pg import pg_cluster, portal_db  # noqa: F401  (fixtures)
from tests.support.sync import AGENCY, make_counter

PERSONAL = {
    "id": "001090012345",
    "phone": "0912345678",
    "email": "nguyen.van.duc@example.vn",
    "address": "Số 5 Hàng Bạc, phường Hoàn Kiếm",
    "rep_name": "Trần Văn Bình",
    "rep_id": "001088054321",
    "rep_phone": "0987654321",
}


@pytest.fixture
def portal(portal_db: str) -> Iterator[ThreadedPortal]:  # noqa: F811
    with ThreadedPortal(portal_db) as p:
        yield p


def _everything(portal: ThreadedPortal) -> str:
    """Every text the portal's tables hold about dossiers and pushes."""
    parts = []
    for table, column in (("dossiers", "snapshot"), ("ingest", "payload")):
        parts += [str(r[0]) for r in portal.storage.query(f"SELECT {column} FROM {table}")]
    parts += [json.dumps(r) for r in portal.storage.query("SELECT * FROM dossiers")]
    return "\n".join(parts)


def test_the_portal_holds_no_id_phone_email_address_or_representative(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    c = make_counter(
        tmp_path, 3, portal.url, admin.create_enrollment_code(portal.storage, AGENCY, 3)
    )
    draft = replace(
        draft_for(c.desk),
        applicant=Applicant(
            name="Nguyễn Văn Đức",
            id_number=PERSONAL["id"],
            phone=PERSONAL["phone"],
            email=PERSONAL["email"],
            address=PERSONAL["address"],
        ),
        representative=Representative(
            PERSONAL["rep_name"], PERSONAL["rep_id"], PERSONAL["rep_phone"], "Giấy ủy quyền"
        ),
    )
    d = c.desk.receive(draft)
    c.desk.act(d.uuid, "start_processing")
    assert sync_once(c.store, c.config).ok
    held = _everything(portal)
    assert d.code in held and "Nguyễn Văn Đức" in held  # the page still has what it needs
    for value in PERSONAL.values():
        assert value not in held, value
    (snap,) = [json.loads(r[0]) for r in portal.storage.query("SELECT snapshot FROM dossiers")]
    assert set(snap) <= PORTAL_FIELDS
    # The receipt page still shows the dossier.
    path = "/" + c.desk.lookup_url(d).split("://", 1)[1].split("/", 1)[1]
    page = httpx.get(portal.url + path, timeout=10)
    assert page.status_code == 200 and d.code in page.text


def test_an_older_counter_sending_its_whole_row_is_minimised(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    """Defence in depth: the portal keeps only `PORTAL_FIELDS` whatever a counter sends."""
    c = make_counter(
        tmp_path, 3, portal.url, admin.create_enrollment_code(portal.storage, AGENCY, 3)
    )
    d = c.desk.receive(
        replace(
            draft_for(c.desk),
            applicant=Applicant(
                name="Nguyễn Văn Đức", id_number=PERSONAL["id"], phone=PERSONAL["phone"]
            ),
        )
    )
    # Rewrite the outbox as a counter of the previous version did: the whole row.
    values = c.store.conn.execute("SELECT * FROM dossiers WHERE uuid = ?", (d.uuid,)).fetchone()
    cols = [x[1] for x in c.store.conn.execute("PRAGMA table_info(dossiers)")]
    whole = dict(zip(cols, values, strict=True))
    for seq, payload in c.store.conn.execute("SELECT seq, payload FROM outbox").fetchall():
        p = json.loads(payload)
        p["dossier"] = {k: v for k, v in whole.items() if k != "search_text"}
        c.store.conn.execute(
            "UPDATE outbox SET payload = ? WHERE seq = ?", (json.dumps(p, ensure_ascii=False), seq)
        )
    assert sync_once(c.store, c.config).ok
    held = _everything(portal)
    assert PERSONAL["id"] not in held and PERSONAL["phone"] not in held


def test_purge_empties_old_payloads_and_forgets_closed_dossiers(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    c = make_counter(
        tmp_path, 3, portal.url, admin.create_enrollment_code(portal.storage, AGENCY, 3)
    )
    closed = c.desk.receive(draft_for(c.desk))
    for action in ("start_processing", "result_ready"):
        c.desk.act(closed.uuid, action)
    c.desk.act(closed.uuid, "return_result", to="Nguyễn Văn Đức")
    still_open = c.desk.receive(draft_for(c.desk))
    assert sync_once(c.store, c.config).ok
    admin.record_rating(portal.storage, closed.code, 5, "Tốt")

    # Nothing is old yet: nothing goes.
    assert portal.storage.purge(closed_days=365, payload_days=7) == {
        "payloads": 0,
        "dossiers": 0,
        "minimised": 0,
    }
    real = portal.storage.clock
    portal.storage.clock = lambda: utc_now() + timedelta(days=400)
    try:
        done = portal.storage.purge(closed_days=365, payload_days=7)
    finally:
        portal.storage.clock = real
    assert done["dossiers"] == 1 and done["payloads"] > 0
    uuids = {r[0] for r in portal.storage.query("SELECT uuid FROM dossiers")}
    assert uuids == {still_open.uuid}
    for table in ("dossier_events", "ratings", "changes"):
        left = portal.storage.query(
            f"SELECT count(*) FROM {table} WHERE dossier_uuid = ?", (closed.uuid,)
        )
        assert left[0][0] == 0, table
    assert {r[0] for r in portal.storage.query("SELECT payload FROM ingest")} == {"{}"}
    # A retry of an old push is still recognised from its hash: nothing doubles.
    c.store.conn.execute("UPDATE outbox SET acked_at = NULL")
    report = sync_once(c.store, c.config)
    assert report.ok and report.applied == 0 and report.duplicates > 0, report.text()


def test_purge_cuts_down_rows_stored_before_minimisation(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    c = make_counter(
        tmp_path, 3, portal.url, admin.create_enrollment_code(portal.storage, AGENCY, 3)
    )
    d = c.desk.receive(draft_for(c.desk))
    assert sync_once(c.store, c.config).ok
    # As a portal before issue 19 stored it: the whole row.
    whole = dict(json.loads(portal.storage.query("SELECT snapshot FROM dossiers")[0][0]))
    whole |= {"applicant_id": PERSONAL["id"], "applicant_phone": PERSONAL["phone"]}
    with portal.storage._tx() as tx:
        tx.execute("UPDATE dossiers SET snapshot = ?", (json.dumps(whole),))
        tx.execute(
            "UPDATE ingest SET payload = ?",
            (json.dumps({"dossier": whole, "dossier_uuid": d.uuid}),),
        )
    done = portal.storage.purge(closed_days=365, payload_days=7)
    assert done["minimised"] >= 2
    held = _everything(portal)
    assert PERSONAL["id"] not in held and PERSONAL["phone"] not in held and d.code in held


def test_every_field_the_page_reads_is_sent() -> None:
    """The page's list and the counter's allowlist cannot drift apart unnoticed."""
    from portal.storage import PAGE_SNAPSHOT_FIELDS

    assert set(PAGE_SNAPSHOT_FIELDS) <= PORTAL_FIELDS
    assert (
        not {
            "applicant_id",
            "applicant_phone",
            "applicant_email",
            "applicant_address",
            "representative_id",
            "representative_phone",
            "note",
            "documents",
        }
        & PORTAL_FIELDS
    )


def test_purge_command(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    assert portal_main(["--db", str(db), "purge"]) == 0
    assert portal_main(["--db", str(db), "purge", "--closed-days", "0.5"]) == 2
