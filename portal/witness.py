"""The portal's witness: device signing keys and the audit heads each counter sends.

The counter PC's owner can rewrite every file on it; they cannot rewrite this database. So
the portal keeps, per device, the Ed25519 public key registered at enrollment (rotated only
when an admin allows it, old keys kept as retired) and every audit-chain head the device sent
(`witnessed_heads`), and signs each head with its own witness key, a file beside the database
(`load_witness_key`). A head that goes backwards or forks (same sequence, another hash) is
refused and kept as an alarm: the counter's store was rolled back or rewritten.

The formats are `counter.witness`'s, so the counter checks exactly what is signed here.
`verify_manifest` checks an export manifest against the registered keys and witnessed heads.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    load_pem_private_key,
)

from counter import witness as fmt
from counter.protocol import ErrorCode
from counter.signing import key_id, write_key_file
from portal.storage import Device, SQLStorage, StorageError

log = logging.getLogger(__name__)

WITNESS_KEY_FILE = "witness-key.pem"
_HEX64 = frozenset("0123456789abcdef")


def load_witness_key(path: Path) -> Ed25519PrivateKey:
    """The portal's witness key, created owner-only on first use (every worker shares it)."""
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        if write_key_file(path, key):  # else another worker made it first
            log.info("witness key created: %s", key_id(fmt.public_hex(key)))
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    loaded = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 key")
    return loaded


def _hex_key(text: Any) -> str:
    value = str(text).strip().lower()
    if len(value) != 64 or not set(value) <= _HEX64:
        raise StorageError(
            ErrorCode.BAD_KEY, "signing_public_key must be 32 bytes as 64 hex digits"
        )
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(value))
    except ValueError:
        raise StorageError(ErrorCode.BAD_KEY, "signing_public_key is not an Ed25519 key") from None
    return value


def _seq_ok(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 2**62


def _hex_hash(text: Any) -> str:
    value = str(text).strip().lower()
    if len(value) != 64 or not set(value) <= _HEX64:
        raise StorageError(ErrorCode.BAD_HEAD, "audit_head.hash must be a SHA-256 as 64 hex digits")
    return value


class Witness:
    """Keys and witnessed heads over the portal's storage (SQLite or PostgreSQL)."""

    def __init__(self, storage: SQLStorage, key: Ed25519PrivateKey):
        self.storage = storage
        self.key = key
        self.public_key = fmt.public_hex(key)

    # -- keys ------------------------------------------------------------------------------

    def register_key(self, device_id: str, public_key: str) -> None:
        """Record the device's key on first sight; a different key only after `allow_rotation`.

        Called with an authenticated device (a witness round), never with a bare device id
        from the network; at enrollment `key_registration` does it inside that transaction.
        """
        public_key = _hex_key(public_key)
        with self.storage._read() as c:
            if c.execute(  # the usual case: already registered, no write at all
                "SELECT 1 FROM device_keys WHERE device_id = ? AND public_key = ? "
                "AND retired_at IS NULL",
                (device_id, public_key),
            ).fetchone():
                return
        with self.storage._tx() as c:
            self.storage._lock_device(c, device_id)
            self._register(c, device_id, public_key)

    def key_registration(self, device_id: str, public_key: Any) -> Callable[[Any], None]:
        """What `SQLStorage.enroll(also=…)` runs in its transaction (the key checked first)."""
        checked = _hex_key(public_key)
        return lambda c: self._register(c, device_id, checked)

    def _register(self, c: Any, device_id: str, public_key: str) -> None:
        now = self.storage._now()
        current = c.execute(
            "SELECT public_key FROM device_keys WHERE device_id = ? AND retired_at IS NULL",
            (device_id,),
        ).fetchall()
        if any(r["public_key"] == public_key for r in current):
            return
        known = c.execute(
            "SELECT retired_at FROM device_keys WHERE device_id = ? AND public_key = ?",
            (device_id, public_key),
        ).fetchone()
        allowed = c.execute(
            "SELECT allowed_at FROM key_rotations WHERE device_id = ?", (device_id,)
        ).fetchone()
        if current and (allowed is None or known is not None):
            raise StorageError(
                ErrorCode.KEY_MISMATCH,
                "this device already has another signing key registered: a new key is "
                "accepted only after the portal admin allows a rotation "
                "(counter-portal allow-key-rotation DEVICE_ID)",
            )
        c.execute(
            "UPDATE device_keys SET retired_at = ? WHERE device_id = ? AND retired_at IS NULL",
            (now, device_id),
        )
        c.execute(
            "INSERT INTO device_keys(device_id, public_key, registered_at) VALUES (?, ?, ?)",
            (device_id, public_key, now),
        )
        c.execute("DELETE FROM key_rotations WHERE device_id = ?", (device_id,))
        log.info("device %s signing key registered: %s", device_id[:8], key_id(public_key))

    def allow_rotation(self, device_id: str) -> None:
        """Let the device register a new signing key once (its old key becomes retired)."""
        if self.storage.device(device_id) is None:
            raise StorageError(ErrorCode.NOT_FOUND, f"no device {device_id}")
        with self.storage._tx() as c:
            c.execute("DELETE FROM key_rotations WHERE device_id = ?", (device_id,))
            c.execute(
                "INSERT INTO key_rotations(device_id, allowed_at) VALUES (?, ?)",
                (device_id, self.storage._now()),
            )

    def keys(self, device_id: str) -> list[fmt.RegisteredKey]:
        with self.storage._read() as c:
            rows = c.execute(
                "SELECT public_key, registered_at, retired_at FROM device_keys "
                "WHERE device_id = ? ORDER BY (retired_at IS NULL), registered_at, public_key",
                (device_id,),
            ).fetchall()
        return [
            fmt.RegisteredKey(r["public_key"], r["registered_at"], r["retired_at"]) for r in rows
        ]

    def device_of_key(self, public_key: str) -> tuple[Device, fmt.RegisteredKey] | None:
        with self.storage._read() as c:
            row = c.execute(
                "SELECT device_id, public_key, registered_at, retired_at FROM device_keys "
                "WHERE public_key = ?",
                (public_key.lower(),),
            ).fetchone()
        if row is None:
            return None
        device = self.storage.device(row["device_id"])
        if device is None:
            return None
        return device, fmt.RegisteredKey(row["public_key"], row["registered_at"], row["retired_at"])

    # -- heads -----------------------------------------------------------------------------

    def witness(
        self, device: Device, seq: Any, digest: Any, checkpoints: Any = ()
    ) -> dict[str, Any]:
        """Keep one head (and the checkpoints before it: export entries) and answer with the
        signed receipt; a head that goes backwards or forks is refused (and kept as an alarm).
        """
        if not _seq_ok(seq):
            raise StorageError(ErrorCode.BAD_HEAD, "audit_head.seq must be a positive integer")
        digest = _hex_hash(digest)
        points: list[tuple[int, str]] = []
        if not isinstance(checkpoints, list | tuple) or len(checkpoints) > fmt.MAX_CHECKPOINTS:
            raise StorageError(
                ErrorCode.BAD_HEAD, f"checkpoints: a list of at most {fmt.MAX_CHECKPOINTS}"
            )
        for item in checkpoints:
            if not isinstance(item, list) or len(item) != 2 or not _seq_ok(item[0]):
                raise StorageError(ErrorCode.BAD_HEAD, "each checkpoint is [seq, hash]")
            if item[0] >= seq:
                raise StorageError(ErrorCode.BAD_HEAD, "checkpoints come before the head")
            points.append((item[0], _hex_hash(item[1])))
        if len({q for q, _ in points}) != len(points):
            raise StorageError(ErrorCode.BAD_HEAD, "each checkpoint's seq appears once")
        now = self.storage._now()
        alarm: tuple[str, str, int] | None = None
        with self.storage._tx() as c:
            self.storage._lock_device(c, device.device_id)
            same = c.execute(
                "SELECT hash, witnessed_at FROM witnessed_heads WHERE device_id = ? AND seq = ?",
                (device.device_id, seq),
            ).fetchone()
            top = c.execute(
                "SELECT seq, hash FROM witnessed_heads WHERE device_id = ? "
                "ORDER BY seq DESC LIMIT 1",
                (device.device_id,),
            ).fetchone()
            if same is not None and same["hash"] == digest:
                return fmt.sign_receipt(
                    self.key, device.device_id, seq, digest, same["witnessed_at"]
                )
            if same is not None:
                assert top is not None  # `same` is one of the witnessed heads
                alarm = ("fork", "this sequence was witnessed with another hash", int(top["seq"]))
            elif top is not None and seq < int(top["seq"]):
                alarm = ("rollback", "the head is behind one already witnessed", int(top["seq"]))
            else:
                floor = int(top["seq"]) if top is not None else 0
                for point_seq, point_hash in sorted(set(points)):
                    if point_seq > floor:  # only after what is witnessed: never rewrites it
                        c.execute(
                            "INSERT INTO witnessed_heads(device_id, seq, hash, witnessed_at) "
                            "VALUES (?, ?, ?, ?)",
                            (device.device_id, point_seq, point_hash, now),
                        )
                        floor = point_seq
                c.execute(
                    "INSERT INTO witnessed_heads(device_id, seq, hash, witnessed_at) "
                    "VALUES (?, ?, ?, ?)",
                    (device.device_id, seq, digest, now),
                )
        if alarm is not None:
            kind, message, witnessed = alarm
            with self.storage._tx() as c:
                c.execute(
                    "INSERT INTO witness_alarms(device_id, at, kind, seq, hash, witnessed_seq) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (device.device_id, now, kind, seq, digest, witnessed),
                )
            log.warning(
                "audit head refused: device %s %s at %d (witnessed up to %d)",
                device.device_id[:8],
                kind,
                seq,
                witnessed,
            )
            raise StorageError(
                ErrorCode.AUDIT_ROLLBACK if kind == "rollback" else ErrorCode.AUDIT_FORK,
                f"{message} (head {seq}, witnessed up to {witnessed}): the counter's audit "
                "trail was rolled back or rewritten; the portal keeps this as an alarm",
            )
        return fmt.sign_receipt(self.key, device.device_id, seq, digest, now)

    def heads(self, device_id: str) -> list[fmt.Head]:
        with self.storage._read() as c:
            rows = c.execute(
                "SELECT seq, hash, witnessed_at FROM witnessed_heads WHERE device_id = ? "
                "ORDER BY seq",
                (device_id,),
            ).fetchall()
        return [fmt.Head(int(r["seq"]), r["hash"], r["witnessed_at"]) for r in rows]

    def alarms(self, device_id: str) -> list[dict[str, Any]]:
        with self.storage._read() as c:
            rows = c.execute(
                "SELECT at, kind, seq, hash, witnessed_seq FROM witness_alarms "
                "WHERE device_id = ? ORDER BY id",
                (device_id,),
            ).fetchall()
        return [
            {
                "at": r["at"],
                "kind": r["kind"],
                "seq": int(r["seq"]),
                "hash": r["hash"],
                "witnessed_seq": int(r["witnessed_seq"]),
            }
            for r in rows
        ]

    # -- files -----------------------------------------------------------------------------

    def file_bytes(self, *, device_id: str | None = None, agency_code: str | None = None) -> bytes:
        """The signed witness file of one device, or of every device of an agency."""
        if device_id is not None:
            one = self.storage.device(device_id)
            devices = [one] if one is not None else []
        else:
            devices = [d for d in self.storage.devices() if d.agency_code == agency_code]
        if not devices:
            raise StorageError(ErrorCode.NOT_FOUND, "no such device or agency on this portal")
        body = {
            "exported_at": self.storage._now(),
            "devices": [
                fmt.device_entry(
                    d.device_id,
                    d.agency_code,
                    d.counter_no,
                    self.keys(d.device_id),
                    self.heads(d.device_id),
                    self.alarms(d.device_id),
                )
                for d in devices
            ],
        }
        return fmt.sign_file(self.key, body)

    # -- export manifests ------------------------------------------------------------------

    def verify_manifest(
        self, data: bytes, signature_b64: str, file_hashes: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """Check a manifest against the registered keys and the witnessed heads.

        `file_hashes` (name → SHA-256 of the file as received) are compared with the
        manifest's. Answers {"ok", "signer", "findings"}; ok only for a registered key.
        """
        findings: list[str] = []
        try:
            manifest = json.loads(data)
            public = str(manifest["public_key"]).lower()
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(public)).verify(
                base64.b64decode(signature_b64.strip(), validate=True), data
            )
        except (ValueError, KeyError, TypeError):
            return {"ok": False, "signer": None, "findings": ["not a signed export manifest"]}
        except InvalidSignature:
            return {
                "ok": False,
                "signer": None,
                "findings": ["the signature does not match: the manifest was edited"],
            }
        found = self.device_of_key(public)
        signer: dict[str, Any] | None = None
        if found is None:
            findings.append(
                f"signed by key {key_id(public)}, which no device registered with this portal"
            )
        else:
            device, reg = found
            signer = {
                "device_id": device.device_id,
                "agency_code": device.agency_code,
                "counter_no": device.counter_no,
                "key_id": key_id(public),
                "registered_at": reg.registered_at,
                "retired_at": reg.retired_at,
            }
            if manifest.get("device_id") != device.device_id:
                findings.append(
                    f"the manifest names device {manifest.get('device_id')!r}, the key is "
                    f"registered to {device.device_id}"
                )
            if fmt.signed_after_retirement(manifest.get("exported_at"), reg.retired_at):
                findings.append(f"signed after the key was retired ({reg.retired_at})")
            claim = manifest.get("witness")
            heads = {h.seq: h for h in self.heads(device.device_id)}
            if isinstance(claim, dict) and claim.get("seq") is not None:
                claimed = claim.get("seq")
                head = heads.get(claimed) if isinstance(claimed, int) else None
                if head is None or head.hash != claim.get("hash"):
                    findings.append(
                        f"the manifest claims witnessed head {claim.get('seq')}, which this "
                        "portal never witnessed with that hash"
                    )
            entry = manifest.get("audit_entry") or {}
            entry_id = entry.get("id") if isinstance(entry, dict) else None
            point = heads.get(entry_id) if isinstance(entry_id, int) else None
            if point is not None and point.hash != entry.get("hash"):
                findings.append(
                    f"the export's audit entry {entry.get('id')} is not the one the counter "
                    "reported to this portal: the trail was rewritten and the manifest re-signed"
                )
            signer["export_witnessed"] = point is not None and point.hash == entry.get("hash")
        listed = {
            str(f.get("name")): str(f.get("sha256"))
            for f in manifest.get("files", [])
            if isinstance(f, dict)
        }
        for name, digest in (file_hashes or {}).items():
            if name not in listed:
                findings.append(f"{name}: not listed in the manifest")
            elif listed[name] != digest.lower():
                findings.append(f"{name}: SHA-256 does not match the manifest (the file changed)")
        return {"ok": signer is not None and not findings, "signer": signer, "findings": findings}


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
