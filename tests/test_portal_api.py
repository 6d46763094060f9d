"""The portal's HTTP API on a real uvicorn: enrollment, push semantics, limits, errors, OpenAPI."""

from __future__ import annotations

import copy
import json
import uuid as uuidlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from portal import admin
from portal.app import MAX_INT, Limits
from portal.cli import main as portal_main
from portal.server import ThreadedPortal, load_settings
from tests.support.pg import pg_cluster, portal_db  # noqa: F401  (fixtures)
from tests.support.sync import AGENCY, make_counter, outbox_entries, receive_some

LIMITS = Limits(max_batch=20, max_body_bytes=64 * 1024, max_pull=3)


@pytest.fixture
def portal(portal_db: str) -> Iterator[ThreadedPortal]:  # noqa: F811
    """A real portal on SQLite and on PostgreSQL (tests/support/pg.py starts a private cluster)."""
    with ThreadedPortal(portal_db, LIMITS) as p:
        yield p


@pytest.fixture
def http(portal: ThreadedPortal) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=portal.url, timeout=10) as client:
        yield client


def _enroll(http: httpx.Client, portal: ThreadedPortal, device_id: str, counter: int = 3) -> str:
    code = admin.create_enrollment_code(portal.storage, AGENCY, counter)
    resp = http.post(
        "/api/v1/enroll",
        json={
            "enrollment_code": code,
            "device_id": device_id,
            "device_secret": "ab" * 32,
            "agency_code": AGENCY,
            "counter_no": counter,
        },
    )
    assert resp.status_code == 200, resp.text
    return str(resp.json()["token"])


def _err(resp: httpx.Response) -> tuple[int, str, str]:
    e = resp.json()["error"]
    return resp.status_code, e["class"], e["code"]


def test_openapi_names_exactly_the_served_routes(
    portal: ThreadedPortal, http: httpx.Client
) -> None:
    spec = http.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.1") and spec["info"]["version"] == "1"
    served = {
        (route.path, method.lower())
        for route in portal.app.routes
        for method in (getattr(route, "methods", None) or ())
        if method != "HEAD"
    }
    described = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert described == served
    limits = spec["components"]["schemas"]["Limits"]["properties"]
    assert limits["max_batch"]["const"] == LIMITS.max_batch
    assert limits["max_body_bytes"]["const"] == LIMITS.max_body_bytes
    refs = json.dumps(spec).split('"$ref": "#/components/schemas/')[1:]
    for ref in refs:  # every reference resolves
        assert ref.split('"')[0] in spec["components"]["schemas"]
    assert http.get("/api/v1/health").json()["protocol"] == 1


def test_enrollment_rules(portal: ThreadedPortal, http: httpx.Client) -> None:
    device = str(uuidlib.uuid4())
    body = {
        "enrollment_code": "NOPE-NOPE-NOPE",
        "device_id": device,
        "device_secret": "ab" * 32,
        "agency_code": AGENCY,
        "counter_no": 3,
    }
    refused = (403, "rejected", "enrollment_refused")
    assert _err(http.post("/api/v1/enroll", json=body)) == refused
    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    body["enrollment_code"] = code.lower().replace("-", "")  # typed by hand: still valid
    first = http.post("/api/v1/enroll", json=body)
    assert first.status_code == 200 and first.json()["counter_no"] == 3
    # The same device may repeat with its own secret (its answer was lost); the token changes.
    again = http.post("/api/v1/enroll", json=body)
    assert again.status_code == 200
    old = {"authorization": f"Bearer {first.json()['token']}"}
    assert _err(http.get("/api/v1/device", headers=old)) == (401, "reauth", "unauthenticated")
    new = {"authorization": f"Bearer {again.json()['token']}"}
    assert http.get("/api/v1/device", headers=new).json()["device_id"] == device
    other = {**body, "device_id": str(uuidlib.uuid4())}
    assert _err(http.post("/api/v1/enroll", json=other)) == refused
    expired = admin.create_enrollment_code(portal.storage, AGENCY, 5, ttl_hours=-1)
    late = {**other, "enrollment_code": expired, "counter_no": 5}
    assert _err(http.post("/api/v1/enroll", json=late)) == refused
    admin.revoke_device(portal.storage, device)
    assert _err(http.get("/api/v1/device", headers=new)) == (401, "reauth", "device_revoked")
    assert _err(http.get("/api/v1/changes")) == (401, "reauth", "unauthenticated")
    assert http.post("/api/v1/enroll", content=b"{not json").status_code == 400


def test_push_applies_each_sequence_once_and_in_order(
    tmp_path: Path, portal: ThreadedPortal, http: httpx.Client
) -> None:
    c = make_counter(tmp_path, 3, portal.url, "")
    receive_some(c, 4)  # 6 outbox entries
    auth = {"authorization": f"Bearer {_enroll(http, portal, c.device_id)}"}

    first = http.post(
        "/api/v1/push",
        json={"after_seq": 0, "entries": outbox_entries(c.desk, [1, 2, 3])},
        headers=auth,
    ).json()
    assert (first["applied"], first["duplicates"], first["accepted_through"]) == (3, 0, 3)
    # The same batch again (its answer was lost): nothing changes.
    again = http.post(
        "/api/v1/push",
        json={"after_seq": 0, "entries": outbox_entries(c.desk, [1, 2, 3])},
        headers=auth,
    ).json()
    assert (again["applied"], again["duplicates"], again["last_seq"]) == (0, 3, 3)
    # Skipping ahead is refused: entry 5 cannot come before 4.
    gap = http.post(
        "/api/v1/push",
        json={"after_seq": 4, "entries": outbox_entries(c.desk, [5, 6])},
        headers=auth,
    ).json()
    assert gap["applied"] == 0 and gap["halt"]["code"] == "sequence_gap"
    assert gap["halt"]["class"] == "retry" and gap["halt"]["last_seq"] == 3
    # An overlapping batch applies only what is new.
    rest = http.post(
        "/api/v1/push",
        json={"after_seq": 1, "entries": outbox_entries(c.desk, [2, 3, 4, 5, 6])},
        headers=auth,
    ).json()
    assert (rest["applied"], rest["duplicates"], rest["last_seq"]) == (3, 2, 6)
    assert portal.storage.query("SELECT count(*) FROM ingest") == [(6,)]
    assert portal.storage.query("SELECT count(*) FROM dossiers") == [(4,)]
    assert portal.storage.query("SELECT count(*) FROM dossier_events") == [(6,)]
    unordered = http.post(
        "/api/v1/push",
        json={"after_seq": 6, "entries": outbox_entries(c.desk, [2, 1])},
        headers=auth,
    )
    assert _err(unordered) == (422, "rejected", "unordered_batch")


def test_rejections_are_recorded_and_the_sequence_moves_on(
    tmp_path: Path, portal: ThreadedPortal, http: httpx.Client
) -> None:
    c = make_counter(tmp_path, 3, portal.url, "")
    receive_some(c, 3, act_every=0)
    auth = {"authorization": f"Bearer {_enroll(http, portal, c.device_id)}"}
    entries = outbox_entries(c.desk, [1, 2, 3])
    entries[0]["payload"]["dossier"]["code"] = "000.00.12.H26-261126-090001"  # counter 9's
    entries[1]["kind"] = "queue.call"
    newer = {**entries[2], "schema_version": 2}
    out = http.post(
        "/api/v1/push", json={"after_seq": 0, "entries": [*entries[:2], newer]}, headers=auth
    ).json()
    reasons = {r["seq"]: r["reason"] for r in out["rejected"]}
    assert reasons[1].startswith("wrong_counter") and reasons[2].startswith("unknown_kind")
    assert out["halt"]["code"] == "schema_unsupported" and out["last_seq"] == 2
    # Resending reports the recorded rejections again, with the same reasons.
    out = http.post("/api/v1/push", json={"after_seq": 0, "entries": entries}, headers=auth).json()
    assert {r["seq"]: r["reason"] for r in out["rejected"]} == reasons
    assert out["applied"] == 1 and out["last_seq"] == 3
    assert [r["seq"] for r in admin.rejected_entries(portal.storage)] == [1, 2]
    # A different entry under an old sequence number is flagged, never silently dropped.
    forged = outbox_entries(c.desk, [3])
    forged[0]["payload"]["event"]["action"] = "forged"
    out = http.post("/api/v1/push", json={"after_seq": 2, "entries": forged}, headers=auth).json()
    assert out["rejected"][0]["reason"].startswith("sequence_reused")


def _int_paths(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Where `value` holds an integer (booleans aside)."""
    if isinstance(value, int) and not isinstance(value, bool):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _int_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _int_paths(item, (*path, index))


def test_every_integer_of_an_entry_is_stored_or_rejected_on_both_databases(
    tmp_path: Path, portal: ThreadedPortal, http: httpx.Client
) -> None:
    """Each integer a pushed entry carries, at either end of what the API accepts
    (±(2**63 - 1)), in a known kind and an unknown one, is applied or rejected with a reason
    and the sequence moves on: never a server error, which would stop the counter's sync for
    good. (PostgreSQL's 32-bit `schema_version` and `status_code` once refused what SQLite
    stored; tests/test_portal_schema.py now keeps every column as wide as SQLite's.)"""
    c = make_counter(tmp_path, 3, portal.url, "")
    receive_some(c, 1, act_every=0)
    auth = {"authorization": f"Bearer {_enroll(http, portal, c.device_id)}"}
    base = outbox_entries(c.desk, [1])[0]
    paths = [p for p in _int_paths(base) if p != ("seq",)]
    assert {("schema_version",), ("payload", "dossier", "status_code")} <= set(paths)
    last = 0
    for path in paths:
        for value in (MAX_INT, -MAX_INT):
            for kind in (base["kind"], "dossier.future_kind"):
                entry = copy.deepcopy(base)
                entry["seq"], entry["kind"] = last + 1, kind
                holder: Any = entry
                for key in path[:-1]:
                    holder = holder[key]
                holder[path[-1]] = value
                resp = http.post(
                    "/api/v1/push", json={"after_seq": last, "entries": [entry]}, headers=auth
                )
                assert resp.status_code == 200, (path, value, kind, resp.text)
                out = resp.json()
                if out.get("halt"):  # a schema newer than the portal's: nothing recorded
                    assert path == ("schema_version",) and value == MAX_INT, out
                    assert out["halt"]["code"] == "schema_unsupported"
                    continue
                last += 1
                assert out["last_seq"] == last, (path, value, kind, out)
                assert out["applied"] + len(out["rejected"]) == 1
    assert portal.storage.query("SELECT count(*) FROM ingest") == [(last,)]


def test_limits_answer_clear_4xx(
    tmp_path: Path, portal: ThreadedPortal, http: httpx.Client
) -> None:
    c = make_counter(tmp_path, 3, portal.url, "")
    receive_some(c, 1, act_every=0)
    auth = {"authorization": f"Bearer {_enroll(http, portal, c.device_id)}"}
    one = outbox_entries(c.desk, [1])[0]
    many = [{**one, "seq": i + 1} for i in range(LIMITS.max_batch + 1)]
    resp = http.post("/api/v1/push", json={"after_seq": 0, "entries": many}, headers=auth)
    assert _err(resp) == (413, "retry", "batch_too_large")
    assert resp.json()["error"]["max_batch"] == LIMITS.max_batch
    big = {**one, "payload": {**one["payload"], "pad": "x" * LIMITS.max_body_bytes}}
    resp = http.post("/api/v1/push", json={"after_seq": 0, "entries": [big]}, headers=auth)
    assert _err(resp) == (413, "retry", "body_too_large")
    assert _err(http.get("/api/v1/changes?limit=0", headers=auth)) == (
        422,
        "rejected",
        "bad_query",
    )
    assert _err(http.post("/api/v1/push", json={"entries": []}, headers=auth))[2] == "bad_request"


def test_counter_adapts_to_small_limits_and_skips_an_oversize_entry(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    from counter.sync import rejected_entries, sync_once

    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    c = make_counter(tmp_path, 3, portal.url, code)
    receive_some(c, 30)
    with c.store.write():  # an entry no batch can carry
        c.store.conn.execute(
            "UPDATE outbox SET payload = json_set(payload, '$.pad', ?) WHERE seq = 10",
            ("x" * LIMITS.max_body_bytes,),
        )
    report = sync_once(c.store, c.config, max_batch=100)
    assert report.ok and report.pending == 0, report.text()
    assert report.rejected == 1 and report.applied == 44
    (rej,) = rejected_entries(c.store)
    assert rej.ref == 10 and "over the portal's limit" in rej.reason


def test_changes_are_paged_by_cursor(
    tmp_path: Path, portal: ThreadedPortal, http: httpx.Client
) -> None:
    from counter.sync import sync_once

    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    c = make_counter(tmp_path, 3, portal.url, code)
    uuids = receive_some(c, 5, act_every=0)
    assert sync_once(c.store, c.config).ok
    for u in uuids:
        admin.set_dossier_status(portal.storage, u, "processing", by="bo")
    token = c.store.get_setting("sync.token")
    page = http.get(
        "/api/v1/changes", params={"after": 0}, headers={"authorization": f"Bearer {token}"}
    ).json()
    assert len(page["changes"]) == LIMITS.max_pull and page["more"] is True
    report = sync_once(c.store, c.config)
    assert report.ok and report.pull_applied == 5
    assert all(c.desk.get(u).status == "processing" for u in uuids)


def test_admin_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "p.db"
    assert portal_main(["--db", str(db), "enroll-code", AGENCY, "3"]) == 0
    code = capsys.readouterr().out.strip()
    assert len(code) == 14 and code[4] == "-"
    assert portal_main(["--db", str(db), "devices"]) == 0
    assert portal_main(["--db", str(db), "set-status", "nope", "processing"]) == 1
    assert "not_found" in capsys.readouterr().err
    assert portal_main(["--db", str(db), "revoke", "nope"]) == 1
    assert portal_main(["show-config"]) == 0
    assert "port = 8700" in capsys.readouterr().out
    settings = load_settings()
    assert (settings.host, settings.port) == ("127.0.0.1", 8700)
    assert settings.db_path == Path("portal-data/portal.db")


def test_a_version_the_back_office_cannot_raise_is_refused_at_the_door(
    tmp_path: Path, portal: ThreadedPortal, http: httpx.Client
) -> None:
    """The portal adds one to a dossier's version for every back-office change. A snapshot
    version it could not add one to (2**63 − 1 overflowed both databases on `set_status`) is
    rejected with a reason when pushed; the largest accepted one still takes a change."""
    from portal.storage.ingest import MAX_VERSION

    c = make_counter(tmp_path, 3, portal.url, "")
    receive_some(c, 1, act_every=0)
    auth = {"authorization": f"Bearer {_enroll(http, portal, c.device_id)}"}
    base = outbox_entries(c.desk, [1])[0]
    uuid = base["payload"]["dossier"]["uuid"]
    for seq, version in enumerate((MAX_INT, MAX_VERSION + 1, MAX_VERSION), start=1):
        entry = copy.deepcopy(base)
        entry["seq"] = seq
        entry["payload"]["dossier"]["version"] = version
        resp = http.post(
            "/api/v1/push", json={"after_seq": seq - 1, "entries": [entry]}, headers=auth
        )
        assert resp.status_code == 200, resp.text
        out = resp.json()
        if version > MAX_VERSION:
            assert [r["seq"] for r in out["rejected"]] == [seq], out
            assert "version" in out["rejected"][0]["reason"]
        else:
            assert out["rejected"] == [] and out["applied"] == 1, out
    change = portal.storage.set_status(uuid, "processing", by="bo")
    assert change is not None
    assert portal.storage.dossier(uuid)["version"] == MAX_VERSION + 1  # type: ignore[index]
