"""Attacks by whoever holds the counter PC's files, against a real portal (SQLite and PostgreSQL).

The attacker may rewrite every file on the counter at any time (triggers dropped, chain
recomputed, manifests re-signed with the device's own key file, the store rolled back to a
backup); they cannot rewrite the portal's database. Each test mounts one attack and checks
that `counter audit verify` (online and with an offline witness file) and the portal's own
verification see it, and say where.
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counter import audit, audit_verify, exports, signing, witness
from counter.desk import Desk
from counter.store import Store
from counter.sync import sync_once
from counter.timeutil import system_clock
from counter_cli.export import run_audit_verify
from portal import admin
from portal.server import ThreadedPortal
from tests.support.pg import pg_cluster, portal_db  # noqa: F401  (fixtures)
from tests.support.sync import AGENCY, Counter, add_supervisor, make_counter, receive_some

ADMIN = "admin-token-for-witness-tests"


@dataclass
class Scene:
    portal: ThreadedPortal
    counter: Counter
    export: exports.ExportResult
    export_head: int  # the audit head witnessed just after the export

    @property
    def desk(self) -> Desk:
        return self.counter.desk

    @property
    def store(self) -> Store:
        return self.counter.store

    @property
    def folder(self) -> Path:
        return self.export.manifest.parent

    def witness_file(self) -> bytes:
        resp = httpx.get(
            f"{self.portal.url}/api/v1/admin/witness",
            params={"device": self.counter.device_id},
            headers={"authorization": f"Bearer {ADMIN}"},
        )
        assert resp.status_code == 200, resp.text
        return resp.content

    def verify_offline(self, data: bytes | None = None, **kw: object) -> audit_verify.Report:
        wf = witness.parse_file(data if data is not None else self.witness_file())
        return audit_verify.verify(self.store, [self.folder], witness_file=wf, **kw)  # type: ignore[arg-type]

    def verify_online(self) -> tuple[bool, str]:
        return run_audit_verify(self.counter.config, [self.folder], online=True)

    def portal_verify(self) -> dict[str, object]:
        manifest = self.export.manifest
        files = {
            f.path.name: signing.sha256_file(f.path) for f in self.export.files if f.path.exists()
        }
        resp = httpx.post(
            f"{self.portal.url}/api/v1/admin/verify",
            json={
                "manifest": manifest.read_text(encoding="utf-8"),
                "signature": self.export.signature.read_text(),
                "files": files,
            },
            headers={"authorization": f"Bearer {ADMIN}"},
        )
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def sync(self) -> None:
        report = sync_once(self.store, self.counter.config)
        assert report.ok and not report.witness_error, report.text()


@pytest.fixture
def scene(tmp_path: Path, portal_db: str) -> Iterator[Scene]:  # noqa: F811
    """A counter that worked, synced, exported (as supervisor), synced, then worked more."""
    with ThreadedPortal(
        portal_db, admin_token=ADMIN, witness_key_path=tmp_path / "portal-witness.pem"
    ) as portal:
        code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
        c = make_counter(tmp_path, 3, portal.url, code)
        receive_some(c, 6)
        report = sync_once(c.store, c.config)
        assert report.ok and report.witnessed_seq, report.text()
        add_supervisor(c)
        c.desk.logout()
        c.desk.login("giamsat", "567856")
        today = system_clock().date()  # (and yesterday: a run that crosses midnight)
        result = exports.export(
            c.desk, exports.ExportRequest(today - timedelta(days=1), today, tmp_path / "exp")
        )
        c.desk.logout()
        c.desk.login("canbo", "1234")
        report = sync_once(c.store, c.config)
        assert report.ok and report.witnessed_seq, report.text()
        export_head = report.witnessed_seq
        receive_some(c, 3)
        report = sync_once(c.store, c.config)
        assert report.ok and report.witnessed_seq, report.text()
        yield Scene(portal, c, result, export_head)
        c.desk.close()


def _drop_triggers(store: Store) -> None:
    store.conn.executescript("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;")


def _rechain(store: Store, from_id: int) -> None:
    """What an attacker with the files does after an edit: recompute every later hash."""
    row = store.conn.execute("SELECT hash FROM audit WHERE id = ?", (from_id - 1,)).fetchone()
    prev = row[0] if row else audit.GENESIS
    rows = store.conn.execute(
        "SELECT id, at, officer_id, username, action, object, details FROM audit "
        "WHERE id >= ? ORDER BY id",
        (from_id,),
    ).fetchall()
    for audit_id, at, officer_id, username, action, obj, details in rows:
        digest = audit._digest(prev, at, officer_id, username, action, obj, details)
        store.conn.execute(
            "UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?", (prev, digest, audit_id)
        )
        prev = digest


def _tamper_csv_and_resign(scene: Scene, key: Ed25519PrivateKey, *, fix_audit: bool) -> None:
    """Edit a cell, put the new hash in the manifest (and, with the store, in the export's
    audit entry, rechaining after it), and sign the manifest with `key`."""
    csv_path = next(f.path for f in scene.export.files if f.path.suffix == ".csv")
    lines = csv_path.read_bytes().split(b"\r\n")
    lines[1] = lines[1].replace(b"Nguy", b"Ngu", 1)
    csv_path.write_bytes(b"\r\n".join(lines))
    manifest = json.loads(scene.export.manifest.read_bytes())
    new_entry = signing.file_entry(csv_path, next(f["rows"] for f in manifest["files"]))
    manifest["files"] = [new_entry if f["name"] == csv_path.name else f for f in manifest["files"]]
    if fix_audit:
        store = scene.store
        audit_id = manifest["audit_entry"]["id"]
        details = json.loads(
            store.conn.execute("SELECT details FROM audit WHERE id = ?", (audit_id,)).fetchone()[0]
        )
        details["files"][csv_path.name] = new_entry["sha256"]
        body = json.dumps(details, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        _drop_triggers(store)
        store.conn.execute("UPDATE audit SET details = ? WHERE id = ?", (body, audit_id))
        _rechain(store, audit_id)
        manifest["audit_entry"]["hash"] = store.conn.execute(
            "SELECT hash FROM audit WHERE id = ?", (audit_id,)
        ).fetchone()[0]
    manifest["public_key"] = signing.public_key_hex(key)
    manifest["key_id"] = signing.key_id(manifest["public_key"])
    data = signing.manifest_bytes(manifest)
    scene.export.manifest.write_bytes(data)
    scene.export.signature.write_bytes(base64.b64encode(key.sign(data)) + b"\n")


def test_an_untouched_counter_verifies_online_offline_and_at_the_portal(scene: Scene) -> None:
    report = scene.verify_offline()
    assert report.ok and report.witnessed, report.text()
    text = report.text()
    assert "đã đối chiếu với cổng" in text and "CHƯA" not in text.split("\n")[-1]
    assert f"quầy 3 của {AGENCY}" in text  # whose key, as registered at the portal
    ok, text = scene.verify_online()
    assert ok and "khớp" in text and f"quầy 3 của {AGENCY}" in text, text
    verdict = scene.portal_verify()
    assert verdict["ok"] is True, verdict
    signer = verdict["signer"]
    assert isinstance(signer, dict) and signer["device_id"] == scene.counter.device_id
    assert signer["counter_no"] == 3 and signer["export_witnessed"] is True
    # The manifest names the head witnessed before the export, which the portal has.
    manifest = signing.read_manifest(scene.export.manifest)
    assert manifest["witness"]["seq"] < manifest["audit_entry"]["id"] <= scene.export_head


def test_resigned_with_a_fresh_key_is_never_ok(scene: Scene) -> None:
    """Finding 1 of the issue: `--no-store` used to print OK for any self-consistent key."""
    _tamper_csv_and_resign(scene, Ed25519PrivateKey.generate(), fix_audit=False)
    alone = audit_verify.verify(None, [scene.folder])
    assert not alone.ok and "khóa lạ" in alone.text() and "[OK]" not in alone.text()
    report = scene.verify_offline()
    assert not report.ok and "cổng không đăng ký khóa này" in report.text()
    verdict = scene.portal_verify()
    assert verdict["ok"] is False and verdict["signer"] is None
    assert "no device registered" in str(verdict["findings"])


def test_rechained_and_resigned_with_the_stored_key_is_caught_by_the_witness(
    scene: Scene,
) -> None:
    """Finding 2: edit, rechain, re-sign with the device's own key: the store alone cannot
    tell, the heads the portal witnessed can, and they say between which rows."""
    key = signing.device_key(scene.store)
    _tamper_csv_and_resign(scene, key, fix_audit=True)
    local = audit_verify.verify(scene.store, [scene.folder])
    assert local.ok and "CHƯA được cổng xác nhận" in local.text()  # the limit, said loudly
    report = scene.verify_offline()
    assert not report.ok
    audit_id = signing.read_manifest(scene.export.manifest)["audit_entry"]["id"]
    located = [str(p) for p in report.problems if "khoảng số" in str(p)]
    assert located, report.text()
    start, end = located[0].split("khoảng số ")[1].split(" ")[0].split("–")
    assert int(start) <= audit_id <= int(end)
    assert any("bản kê được ký lại" in str(p) for p in report.problems), report.text()
    ok, text = scene.verify_online()
    assert not ok and "khoảng số" in text
    # The portal kept the export's own audit entry as a checkpoint: the re-signed manifest
    # names another hash for it, though the key is the registered one.
    verdict = scene.portal_verify()
    assert verdict["ok"] is False and verdict["signer"] is not None
    assert "not the one the counter reported" in str(verdict["findings"])


def test_an_edit_without_rechain_before_the_witnessed_head_is_located(scene: Scene) -> None:
    _drop_triggers(scene.store)
    scene.store.conn.execute("UPDATE audit SET username = 'ke_gian' WHERE id = 3")
    _rechain(scene.store, 3)
    report = scene.verify_offline()
    problems = [str(p) for p in report.problems]
    assert any("khoảng số 1–" in p for p in problems), report.text()


def test_a_deleted_tail_is_caught(scene: Scene) -> None:
    top = scene.store.conn.execute("SELECT max(id) FROM audit").fetchone()[0]
    _drop_triggers(scene.store)
    scene.store.conn.execute("DELETE FROM audit WHERE id > ?", (scene.export_head - 2,))
    report = scene.verify_offline()
    assert not report.ok
    assert any(f"đến bản ghi số {top}" in str(p) for p in report.problems), report.text()
    assert any("phần cuối đã bị xóa" in str(p) for p in report.problems)


def test_rolling_the_store_back_to_a_backup_is_caught_and_alarmed(
    scene: Scene, tmp_path: Path
) -> None:
    db = scene.store.path
    scene.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    backup = tmp_path / "backup.db"
    shutil.copy(db, backup)
    receive_some(scene.counter, 4)
    scene.sync()
    witnessed_top = witness.last_receipt(scene.store)["seq"]  # type: ignore[index]
    # The attacker stops the app and puts the old file back (the key file stays).
    scene.desk.close()
    for extra in ("-wal", "-shm"):
        db.with_name(db.name + extra).unlink(missing_ok=True)
    shutil.copy(backup, db)
    scene.counter.desk = Desk.open(scene.counter.config)
    report = scene.verify_offline()
    assert not report.ok
    assert any(f"đến bản ghi số {witnessed_top}" in str(p) for p in report.problems)
    # The restored counter works on and syncs: the portal refuses the head that went back,
    # keeps it as an alarm, and the alarm shows in every later verification.
    scene.desk.login("canbo", "1234")
    sync = sync_once(scene.store, scene.counter.config)
    assert "audit_rollback" in sync.witness_error or "audit_fork" in sync.witness_error
    report = scene.verify_offline()
    assert any("cổng đã ghi nhận" in str(p) for p in report.problems), report.text()
    # Even once the restored chain grows past the old head, the rows differ from the witnessed.
    receive_some(scene.counter, 6)
    sync_once(scene.store, scene.counter.config)
    report = scene.verify_offline()
    assert any("khoảng số" in str(p) for p in report.problems), report.text()


def test_a_replayed_old_witness_file_is_caught(scene: Scene) -> None:
    old = scene.witness_file()
    receive_some(scene.counter, 3)
    scene.sync()
    # Rows witnessed after the old file was exported are rewritten.
    first_new = witness.parse_file(old).devices[scene.counter.device_id].heads[-1].seq + 1
    _drop_triggers(scene.store)
    scene.store.conn.execute("UPDATE audit SET username = 'ke_gian' WHERE id = ?", (first_new,))
    _rechain(scene.store, first_new)
    # 1. The counter still holds the newer receipt the portal signed: the file is stale.
    report = scene.verify_offline(old)
    assert any("tệp cũ được dùng lại" in str(p) for p in report.problems), report.text()
    # 2. The attacker also deletes that receipt: the file's age gives it away.
    scene.store.conn.execute("DELETE FROM settings WHERE key = ?", (witness.K_LAST_RECEIPT,))
    later = system_clock() + timedelta(hours=25)
    report = scene.verify_offline(old, now=later)
    assert any("tệp chứng thực đã cũ" in str(p) for p in report.problems), report.text()
    # 3. A fresh file shows the rewrite itself.
    report = scene.verify_offline()
    assert any("khoảng số" in str(p) for p in report.problems), report.text()
    # 4. An edited witness file (a head's hash replaced) fails the portal's signature.
    raw = json.loads(old)
    raw["devices"][0]["heads"][-1][1] = "0" * 64
    with pytest.raises(witness.WitnessError, match="chữ ký của cổng không khớp"):
        witness.parse_file(json.dumps(raw).encode())


def test_the_unwitnessed_tail_is_reported_with_its_length_and_age(scene: Scene) -> None:
    receive_some(scene.counter, 2)  # not synced
    report = scene.verify_offline()
    assert report.ok
    tail = [str(f) for f in report.cautions if "chưa được cổng chứng thực" in str(f)]
    assert tail and "bản ghi cuối" in tail[0] and "trước" in tail[0], report.text()
    assert "CHƯA được cổng xác nhận đầy đủ" in report.text()


def test_a_second_key_is_refused_until_the_portal_allows_rotation(scene: Scene) -> None:
    """Rotation only through the portal: a new key file on the counter is not accepted."""
    key_file = signing.key_path(scene.store)
    key_file.unlink()
    receive_some(scene.counter, 1)
    report = sync_once(scene.store, scene.counter.config)
    assert "key_mismatch" in report.witness_error, report.text()
    from portal.witness import Witness

    Witness(scene.portal.storage, Ed25519PrivateKey.generate()).allow_rotation(
        scene.counter.device_id
    )
    scene.sync()
    wf = witness.parse_file(scene.witness_file())
    keys = wf.devices[scene.counter.device_id].keys
    assert len(keys) == 2 and keys[0].retired_at is not None and keys[1].retired_at is None
    # The old export, signed before the rotation, is still the device's.
    verified = scene.verify_offline()
    assert verified.ok, verified.text()


def test_a_forged_witness_file_fails_against_the_portals_fingerprint(
    scene: Scene, tmp_path: Path
) -> None:
    """The attacker rewrites the trail, forges a witness file with a key of their own and
    replaces the portal key the store remembers: the fingerprint the supervisor brings from
    the portal (`counter-portal witness-key`) gives it away."""
    store = scene.store
    _drop_triggers(store)
    store.conn.execute("UPDATE audit SET username = 'ke_gian' WHERE id = 2")
    _rechain(store, 2)
    fake = Ed25519PrivateKey.generate()
    rows = store.conn.execute("SELECT id, hash FROM audit ORDER BY id").fetchall()
    record = witness.parse_file(scene.witness_file()).devices[scene.counter.device_id]
    forged = witness.sign_file(
        fake,
        {
            "exported_at": system_clock().isoformat(),
            "devices": [
                witness.device_entry(
                    record.device_id,
                    record.agency_code,
                    record.counter_no,
                    record.keys,
                    [witness.Head(i, h, "2026-12-01T00:00:00+00:00") for i, h in rows],
                )
            ],
        },
    )
    store.set_setting(witness.K_PORTAL_KEY, witness.public_hex(fake))
    store.conn.execute("DELETE FROM settings WHERE key = ?", (witness.K_LAST_RECEIPT,))
    path = tmp_path / "forged.json"
    path.write_bytes(forged)
    config = scene.counter.config
    ok, text = run_audit_verify(config, [scene.folder], witness_path=path)
    assert signing.key_id(witness.public_hex(fake)) in text  # the fingerprint is shown
    real = scene.portal.app.state.witness.public_key
    for given in (signing.key_id(real), real):
        ok, text = run_audit_verify(config, [scene.folder], witness_path=path, portal_key=given)
        assert not ok and "không phải khóa của cổng" in text, text
    # With the real file and the real fingerprint, the rewrite shows.
    path.write_bytes(scene.witness_file())
    ok, text = run_audit_verify(
        config, [scene.folder], witness_path=path, portal_key=signing.key_id(real)
    )
    assert not ok and "khoảng số 1–" in text, text
