"""The portal's witness API and `counter-portal` commands, over real HTTP on loopback.

Bad requests get a clear error and change nothing; a head that forks or goes back is refused
and kept as an alarm; receipts verify with the key file's public half, which survives a
restart; `counter-portal witness-file`, `verify` and `allow-key-rotation` do what the README
tells a supervisor.
"""

from __future__ import annotations

import argparse
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counter import exports, signing, witness
from counter.sync import K_TOKEN, sync_once
from counter.timeutil import system_clock
from counter_cli.export import add_audit_arguments, run_audit_command
from portal import admin
from portal.cli import main as portal_main
from portal.server import ThreadedPortal
from portal.witness import WITNESS_KEY_FILE
from tests.support.sync import AGENCY, Counter, add_supervisor, make_counter, receive_some

ADMIN = "admin-token-for-witness-tests"


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[ThreadedPortal]:
    with ThreadedPortal(tmp_path / "portal" / "portal.db", admin_token=ADMIN) as p:
        yield p


@pytest.fixture
def counter(tmp_path: Path, portal: ThreadedPortal) -> Iterator[Counter]:
    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    c = make_counter(tmp_path, 3, portal.url, code)
    receive_some(c, 2)
    report = sync_once(c.store, c.config)
    assert report.ok and report.witnessed_seq, report.text()
    yield c
    c.desk.close()


def _device_http(portal: ThreadedPortal, c: Counter) -> httpx.Client:
    token = c.store.get_setting(K_TOKEN)
    return httpx.Client(base_url=portal.url, headers={"authorization": f"Bearer {token}"})


def _heads(portal: ThreadedPortal, device_id: str) -> list[tuple[int, str]]:
    return [
        (int(r[0]), str(r[1]))
        for r in portal.storage.query(
            "SELECT seq, hash FROM witnessed_heads WHERE device_id = ? ORDER BY seq", (device_id,)
        )
    ]


def test_enrollment_registers_the_key_and_receipts_verify(
    portal: ThreadedPortal, counter: Counter, tmp_path: Path
) -> None:
    rows = portal.storage.query(
        "SELECT public_key, retired_at FROM device_keys WHERE device_id = ?", (counter.device_id,)
    )
    assert rows == [(signing.stored_public_key(counter.store), None)]
    receipt = witness.last_receipt(counter.store)
    assert receipt is not None and witness.receipt_ok(receipt)
    key_file = tmp_path / "portal" / WITNESS_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert receipt["portal_key"] == counter.store.get_setting(witness.K_PORTAL_KEY)
    # Nothing new in the chain: the next round sends nothing.
    report = sync_once(counter.store, counter.config)
    assert report.ok and report.witnessed_seq is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"audit_head": {"seq": 0, "hash": "a" * 64}}, "bad_head"),
        ({"audit_head": {"seq": True, "hash": "a" * 64}}, "bad_head"),
        ({"audit_head": {"seq": 99, "hash": "xyz"}}, "bad_head"),
        (
            {"audit_head": {"seq": 99, "hash": "a" * 64}, "checkpoints": [[120, "a" * 64]]},
            "bad_head",
        ),
        ({"audit_head": {"seq": 99, "hash": "a" * 64}, "checkpoints": "x"}, "bad_head"),
        (
            {
                "audit_head": {"seq": 99, "hash": "a" * 64},
                "checkpoints": [[5, "a" * 64], [5, "b" * 64]],
            },
            "bad_head",
        ),
        ({"audit_head": {"seq": 99, "hash": "a" * 64}, "signing_public_key": "00"}, "bad_key"),
        ({"audit_head": "99"}, "bad_request"),
    ],
)
def test_bad_witness_requests_are_refused_and_change_nothing(
    portal: ThreadedPortal, counter: Counter, body: dict[str, object], code: str
) -> None:
    before = _heads(portal, counter.device_id)
    with _device_http(portal, counter) as http:
        resp = http.post("/api/v1/witness", json=body)
    assert resp.status_code == 422 and resp.json()["error"]["code"] == code, resp.text
    assert _heads(portal, counter.device_id) == before


def test_forks_and_rollbacks_are_refused_and_kept_as_alarms(
    portal: ThreadedPortal, counter: Counter
) -> None:
    (seq, digest) = _heads(portal, counter.device_id)[-1]
    with _device_http(portal, counter) as http:
        again = http.post("/api/v1/witness", json={"audit_head": {"seq": seq, "hash": digest}})
        assert again.status_code == 200 and again.json()["witness"]["seq"] == seq
        fork = http.post("/api/v1/witness", json={"audit_head": {"seq": seq, "hash": "b" * 64}})
        back = http.post("/api/v1/witness", json={"audit_head": {"seq": 1, "hash": "c" * 64}})
        assert http.post("/api/v1/witness", json={"audit_head": {"seq": 1}}).status_code == 422
        anonymous = httpx.post(f"{portal.url}/api/v1/witness", json={"audit_head": {}})
    assert (fork.status_code, fork.json()["error"]["code"]) == (409, "audit_fork")
    assert (back.status_code, back.json()["error"]["code"]) == (409, "audit_rollback")
    assert anonymous.status_code == 401
    assert _heads(portal, counter.device_id)[-1] == (seq, digest)
    alarms = portal.app.state.witness.alarms(counter.device_id)
    assert [a["kind"] for a in alarms] == ["fork", "rollback"]


def test_the_witness_key_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "p" / "portal.db"
    with ThreadedPortal(db) as first:
        key = first.app.state.witness.public_key
    with ThreadedPortal(db) as second:
        assert second.app.state.witness.public_key == key


def test_admin_witness_and_verify_need_the_admin_token(
    portal: ThreadedPortal, counter: Counter
) -> None:
    url = f"{portal.url}/api/v1/admin/witness"
    assert httpx.get(url, params={"device": counter.device_id}).status_code == 401
    auth = {"authorization": f"Bearer {ADMIN}"}
    assert httpx.get(url, headers=auth).status_code == 422  # neither device nor agency
    wf = witness.parse_file(httpx.get(url, params={"agency": AGENCY}, headers=auth).content)
    assert counter.device_id in wf.devices
    resp = httpx.post(
        f"{portal.url}/api/v1/admin/verify",
        json={"manifest": "{}", "signature": "AAAA"},
        headers=auth,
    )
    assert resp.status_code == 200 and resp.json()["ok"] is False


def test_counter_portal_commands(
    portal: ThreadedPortal, counter: Counter, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the README tells a supervisor to run at the portal, end to end."""
    c = counter
    add_supervisor(c)
    c.desk.logout()
    c.desk.login("giamsat", "567856")
    today = system_clock().date()  # (and yesterday: a run that crosses midnight)
    result = exports.export(
        c.desk, exports.ExportRequest(today - timedelta(days=1), today, tmp_path / "usb")
    )
    sync_once(c.store, c.config)
    db = ["--db", str(tmp_path / "portal" / "portal.db")]

    assert portal_main([*db, "witness-key"]) == 0
    portal_key = capsys.readouterr().out.split()[1]
    assert portal_key == portal.app.state.witness.public_key

    out = tmp_path / "witness.json"
    assert portal_main([*db, "witness-file", "--device", c.device_id, "-o", str(out)]) == 0
    capsys.readouterr()
    wf = witness.parse_file(out.read_bytes())
    assert wf.portal_key == portal_key and wf.devices[c.device_id].heads

    # The supervisor carries the file to the counter (or any PC): `counter audit verify`.
    parser = argparse.ArgumentParser()
    add_audit_arguments(parser)
    args = parser.parse_args(["--witness", str(out), str(result.manifest.parent)])
    ok, text = run_audit_command(c.config, args)
    assert ok and f"quầy 3 của {AGENCY}" in text and "đã đối chiếu với cổng" in text, text
    args = parser.parse_args(["--no-store", "--witness", str(out), str(result.manifest)])
    ok, text = run_audit_command(c.config, args)
    assert ok and f"quầy 3 của {AGENCY}" in text and "khớp chứng thực của cổng" in text, text
    assert "đã đối chiếu với cổng" in text.splitlines()[-1]
    for bad in ("-5", "0", "abc"):
        with pytest.raises(SystemExit):
            parser.parse_args(["--max-witness-age", bad, str(result.manifest)])
    args = parser.parse_args(["--witness", str(tmp_path / "nope.json"), str(result.manifest)])
    ok, text = run_audit_command(c.config, args)
    assert not ok and "nope.json" in text

    assert portal_main([*db, "verify", str(result.manifest.parent)]) == 0
    text = capsys.readouterr().out
    assert f"quầy 3 của {AGENCY}" in text and "[OK]" in text and "đã được cổng" in text

    csv_path = next(f.path for f in result.files if f.path.suffix == ".csv")
    csv_path.write_bytes(csv_path.read_bytes().replace(b"Nguy", b"Ngu", 1))
    assert portal_main([*db, "verify", str(result.manifest)]) == 1
    text = capsys.readouterr().out
    assert "SHA-256 does not match" in text and "[OK]" not in text

    assert portal_main([*db, "allow-key-rotation", c.device_id]) == 0
    assert portal_main([*db, "allow-key-rotation", "no-such-device"]) == 1
    capsys.readouterr()


def test_an_export_made_before_any_witness_says_so(
    portal: ThreadedPortal, counter: Counter, tmp_path: Path
) -> None:
    """A manifest of an export not yet witnessed verifies as signed, flagged as unwitnessed."""
    c = counter
    add_supervisor(c)
    c.desk.logout()
    c.desk.login("giamsat", "567856")
    result = exports.export(
        c.desk,
        exports.ExportRequest(
            system_clock().date() - timedelta(days=1), system_clock().date(), tmp_path
        ),
    )
    wf = witness.parse_file(portal.app.state.witness.file_bytes(device_id=c.device_id))
    from counter import audit_verify

    report = audit_verify.verify(c.store, [result.manifest], witness_file=wf)
    assert report.ok
    assert any("chưa được cổng chứng thực" in str(f) for f in report.cautions), report.text()
    # The manifest names the last head the portal witnessed before the export.
    receipt = witness.last_receipt(c.store)
    assert receipt is not None
    claim = signing.read_manifest(result.manifest)["witness"]
    assert (claim["seq"], claim["hash"]) == (receipt["seq"], receipt["hash"])


def test_enrolling_again_with_another_key_is_refused_whole(
    portal: ThreadedPortal, counter: Counter
) -> None:
    """Rotation only through the portal: a repeated enrollment with a new key changes nothing,
    not even the device's token."""
    code = admin.create_enrollment_code(portal.storage, AGENCY, 3, device_id=counter.device_id)
    body = {
        "enrollment_code": code,
        "device_id": counter.device_id,
        "device_secret": counter.store.get_setting("device_secret"),
        "agency_code": AGENCY,
        "counter_no": 3,
        "signing_public_key": signing.public_key_hex(Ed25519PrivateKey.generate()),
    }
    resp = httpx.post(f"{portal.url}/api/v1/enroll", json=body)
    assert (resp.status_code, resp.json()["error"]["code"]) == (409, "key_mismatch")
    with _device_http(portal, counter) as http:
        assert http.get("/api/v1/device").status_code == 200  # the old token still works
    rows = portal.storage.query(
        "SELECT public_key FROM device_keys WHERE device_id = ?", (counter.device_id,)
    )
    assert rows == [(signing.stored_public_key(counter.store),)]
    body["signing_public_key"] = "zz"
    resp = httpx.post(f"{portal.url}/api/v1/enroll", json=body)
    assert (resp.status_code, resp.json()["error"]["code"]) == (422, "bad_key")
