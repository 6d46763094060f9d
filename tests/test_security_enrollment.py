"""Issue 19, finding 1, replayed: a used enrollment code and the device id printed in every
export manifest no longer take a counter over; refusals name nothing; the store keeps no
code; a demo store never enrolls."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from counter.sync import sync_once
from portal import admin
from portal.server import ThreadedPortal
from tests.support.pg import pg_cluster, portal_db  # noqa: F401  (fixtures)
from tests.support.sync import AGENCY, make_counter, receive_some, with_url


@pytest.fixture
def portal(portal_db: str) -> Iterator[ThreadedPortal]:  # noqa: F811
    with ThreadedPortal(portal_db) as p:
        yield p


def _enroll(
    url: str, code: str, device_id: str, secret: str, counter_no: int = 3
) -> httpx.Response:
    return httpx.post(
        f"{url}/api/v1/enroll",
        json={
            "enrollment_code": code,
            "device_id": device_id,
            "device_secret": secret,
            "agency_code": AGENCY,
            "counter_no": counter_no,
        },
        timeout=10,
    )


def _refused_without_names(resp: httpx.Response, *secrets: str) -> None:
    assert resp.status_code == 403, resp.text
    assert resp.json()["error"]["code"] == "enrollment_refused"
    for text in secrets:
        assert text not in resp.text


def test_a_used_code_and_a_known_device_id_take_nothing_over(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    real = make_counter(tmp_path, 3, portal.url, code)
    receive_some(real, 2)
    assert sync_once(real.store, real.config).ok
    device = real.device_id  # in every export manifest
    intruder_secret = "cd" * 32

    # The code from config.toml with the device id: refused, naming nothing.
    _refused_without_names(_enroll(portal.url, code, device, intruder_secret), device, "3")
    # A fresh code for a new device, used on the known device id: refused.
    fresh = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    _refused_without_names(_enroll(portal.url, fresh, device, intruder_secret), device)
    # A code the operator issued for this device, but without the device's key: refused.
    bound = admin.create_enrollment_code(portal.storage, AGENCY, 3, device_id=device)
    _refused_without_names(_enroll(portal.url, bound, device, intruder_secret), device)
    # A new device on the held counter: refused, without naming who holds it.
    _refused_without_names(
        _enroll(portal.url, fresh, str(uuidlib.uuid4()), intruder_secret), device
    )

    # The real counter never noticed: it pushes and pulls as before.
    receive_some(real, 1)
    report = sync_once(real.store, real.config)
    assert report.ok and not report.enrolled and report.applied >= 1, report.text()
    # Its secret still verifies its receipts: nothing on the portal changed.
    stored = portal.storage.device(device)
    assert stored is not None and stored.device_secret == real.store.get_setting("device_secret")


def test_a_used_code_expires_even_for_its_own_device(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    code = admin.create_enrollment_code(portal.storage, AGENCY, 3, ttl_hours=1)
    real = make_counter(tmp_path, 3, portal.url, code)
    assert sync_once(real.store, real.config).ok
    secret = str(real.store.get_setting("device_secret"))
    # Within its life, the device that used it may repeat (its answer was lost) …
    assert _enroll(portal.url, code, real.device_id, secret).status_code == 200
    # … not after: the portal's clock moves past the code's hour (no wall-clock sleep, which
    # a loaded machine outlasts between making the code and its first use).
    real_clock = portal.storage.clock
    portal.storage.clock = lambda: real_clock() + timedelta(hours=1, seconds=1)
    _refused_without_names(_enroll(portal.url, code, real.device_id, secret))


def test_the_store_keeps_no_code_and_no_credential_in_plain_settings(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    c = make_counter(tmp_path, 3, portal.url, code)
    report = sync_once(c.store, c.config)
    assert report.ok and report.enrolled
    settings = dict(c.store.conn.execute("SELECT key, value FROM settings").fetchall())
    token = c.store.get_setting("sync.token")
    secret = c.store.get_setting("device_secret")
    assert token and secret
    for value in settings.values():
        assert code not in value and token not in value and secret not in value
    raw = c.store.path.read_bytes()
    wal = c.store.path.with_name(c.store.path.name + "-wal")
    raw += wal.read_bytes() if wal.exists() else b""
    for text in (code, token, secret):
        assert text.encode() not in raw
    # They live in the owner-only vault beside the store.
    assert c.store.vault_path.exists()
    # A store from an older version that kept the code in clear forgets it at the next round.
    c.store.set_setting("sync.enrollment_code", code)
    assert sync_once(c.store, c.config).ok
    assert c.store.get_setting("sync.enrollment_code") is None

    # A code left in config.toml after a revocation is not a way back.
    admin.revoke_device(portal.storage, c.device_id)
    report = sync_once(c.store, c.config)
    report = sync_once(c.store, c.config)
    assert report.error is not None and report.error.code == "enrollment_code_used"
    assert "config.toml" in report.error.message


def test_a_demo_store_never_enrolls(tmp_path: Path, portal: ThreadedPortal) -> None:
    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    # The portal refuses a counter that says its store holds demo data …
    resp = httpx.post(
        f"{portal.url}/api/v1/enroll",
        json={
            "enrollment_code": code,
            "device_id": str(uuidlib.uuid4()),
            "device_secret": "ab" * 32,
            "agency_code": AGENCY,
            "counter_no": 3,
            "demo_data": True,
        },
        timeout=10,
    )
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "demo_store"
    # … and the counter does not even ask.
    c = make_counter(tmp_path, 3, portal.url, code)
    c.store.set_setting("demo_data", "1")
    receive_some(c, 1)
    report = sync_once(c.store, with_url(c.config, portal.url, enrollment_code=code))
    assert report.error is not None and report.error.code == "demo_store"
    assert portal.storage.devices() == []
