"""Signed export manifests: the device's Ed25519 key vouches for every exported file.

Each export writes `<name>.manifest.json` (what was exported, by whom, when, the SHA-256 of
every file, and where the export sits in the audit trail) and `<name>.manifest.json.sig`, the
detached Ed25519 signature of the manifest's exact bytes, base64. The device key is made on
first use and kept in its own owner-only file beside the store (`KEY_FILE`), never in the
SQLite file: whoever copies or restores the database (or a backup of it) does not get the key.
Its public half travels in every manifest, is registered with the portal, and is shown by
`counter audit verify` as a fingerprint to compare with the one on record.

A manifest proves nothing if an editor can re-sign it with a key of their own: a verifier
that knows the device's key (the store on that device, or `--public-key`) passes it as
`trusted_keys`, and a manifest signed by any other key is reported.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from counter.errors import CounterError
from counter.store import Store

MANIFEST_FORMAT = "counter-export-manifest/1"
MANIFEST_SUFFIX = ".manifest.json"
SIGNATURE_SUFFIX = ".sig"
KEY_SETTING = "export_signing_key"  # where versions before the key file kept it
KEY_FILE = "device-signing-key.pem"
CSV_CHUNK_LINES = 1000

log = logging.getLogger(__name__)


class SigningKeyError(CounterError):
    """The device key file cannot be used (corrupt, wrong type)."""


def key_path(store: Store) -> Path:
    """Where this store's device key lives: beside the database, never inside it."""
    return store.path.parent / KEY_FILE


def write_key_file(path: Path, key: Ed25519PrivateKey) -> bool:
    """Create a key file owner-only from the start, all at once; False if one exists already.

    Written to a private temporary file, synced, then hard-linked into place: a reader (another
    connection, another worker process) never sees a half-written key, and of two racing
    writers exactly one wins.
    """
    data = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


def _read_key_file(path: Path) -> Ed25519PrivateKey:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        log.warning("signing key file had mode %o: made owner-only", mode)
        path.chmod(0o600)
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as exc:
        raise SigningKeyError(f"tệp khóa ký {path.name} hỏng: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"tệp khóa ký {path.name} không phải khóa Ed25519")
    return key


def key_file_public(path: Path) -> str:
    """The public key of a key file, read without touching it (for `counter doctor`)."""
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise SigningKeyError(f"tệp khóa ký {path.name} không đọc được: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"tệp khóa ký {path.name} không phải khóa Ed25519")
    return public_key_hex(key)


def _migrate_stored_key(store: Store, path: Path) -> None:
    """Move a key from the store's settings (older versions) to its file, then erase it.

    `secure_delete` zeroes the freed page and the WAL is checkpointed, so the private key
    does not linger in the database file. Backups made before this still hold it: rotate
    the key through the portal if any exist (docs/exports.md).
    """
    stored = store.get_setting(KEY_SETTING)
    if stored is None:
        return
    if not path.exists():
        write_key_file(path, Ed25519PrivateKey.from_private_bytes(bytes.fromhex(stored)))
    store.conn.execute("PRAGMA secure_delete = ON")
    with store.write():
        store.conn.execute("DELETE FROM settings WHERE key = ?", (KEY_SETTING,))
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    log.info("device signing key moved out of the store into %s", path.name)


def move_key_out_of_store(store: Store) -> None:
    """At start: a key older versions kept in the settings goes to its file, erased here."""
    _migrate_stored_key(store, key_path(store))


def device_key(store: Store) -> Ed25519PrivateKey:
    """The device's signing key from its own file, generated on first use."""
    path = key_path(store)
    _migrate_stored_key(store, path)
    if not path.exists():
        write_key_file(path, Ed25519PrivateKey.generate())  # or another connection's wins
    return _read_key_file(path)


def public_key_hex(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def stored_public_key(store: Store) -> str | None:
    """The public key of this store's device, or None if it never signed anything."""
    path = key_path(store)
    if store.get_setting(KEY_SETTING) is None and not path.exists():
        return None
    return public_key_hex(device_key(store))


def key_id(public_hex: str) -> str:
    """A short fingerprint to read aloud or compare on paper."""
    return hashlib.sha256(bytes.fromhex(public_hex)).hexdigest()[:16]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def csv_chunk_hashes(path: Path, lines: int = CSV_CHUNK_LINES) -> list[str]:
    """SHA-256 of each run of `lines` lines, so a verifier can say which rows changed."""
    hashes: list[str] = []
    digest = hashlib.sha256()
    count = 0
    with path.open("rb") as fh:
        for line in fh:
            digest.update(line)
            count += 1
            if count == lines:
                hashes.append(digest.hexdigest())
                digest, count = hashlib.sha256(), 0
    if count:
        hashes.append(digest.hexdigest())
    return hashes


def xlsx_part_hashes(path: Path) -> dict[str, str]:
    """SHA-256 of each part inside an XLSX (which sheet or property file changed)."""
    out: dict[str, str] = {}
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            digest = hashlib.sha256()
            with z.open(info) as fh:
                for block in iter(lambda fh=fh: fh.read(1 << 20), b""):  # type: ignore[misc]
                    digest.update(block)
            out[info.filename] = digest.hexdigest()
    return out


def file_entry(path: Path, rows: int | None = None) -> dict[str, Any]:
    """A manifest's record of one file: name, size, SHA-256 and per-part hashes."""
    entry: dict[str, Any] = {
        "name": path.name,
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
    }
    if rows is not None:
        entry["rows"] = rows
    if path.suffix == ".csv":
        entry["chunk_lines"] = CSV_CHUNK_LINES
        entry["chunks"] = csv_chunk_hashes(path, CSV_CHUNK_LINES)
    elif path.suffix == ".xlsx":
        entry["parts"] = xlsx_part_hashes(path)
    return entry


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    return (json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


def write_signed_manifest(
    store: Store, manifest_path: Path, manifest: dict[str, Any]
) -> tuple[Path, Path]:
    """Add the device's public key, write the manifest and its detached signature."""
    key = device_key(store)
    public = public_key_hex(key)
    body = {
        **manifest,
        "format": MANIFEST_FORMAT,
        "signature_algorithm": "Ed25519",
        "public_key": public,
        "key_id": key_id(public),
    }
    data = manifest_bytes(body)
    manifest_path.write_bytes(data)
    sig_path = manifest_path.with_name(manifest_path.name + SIGNATURE_SUFFIX)
    sig_path.write_bytes(base64.b64encode(key.sign(data)) + b"\n")
    return manifest_path, sig_path


def _locate_csv_change(path: Path, entry: Mapping[str, Any]) -> str:
    expected = entry.get("chunks")
    if not isinstance(expected, list):
        return ""
    lines = int(entry.get("chunk_lines", CSV_CHUNK_LINES))
    actual = csv_chunk_hashes(path, lines)
    for i, (want, got) in enumerate(zip(expected, actual, strict=False)):
        if want != got:
            return f"khác biệt đầu tiên ở các dòng {i * lines + 1}–{(i + 1) * lines} của tệp"
    if len(actual) != len(expected):
        return f"số dòng đã thay đổi (sau dòng {min(len(actual), len(expected)) * lines})"
    return ""


def _locate_xlsx_change(path: Path, entry: Mapping[str, Any]) -> str:
    expected = entry.get("parts")
    if not isinstance(expected, dict):
        return ""
    try:
        actual = xlsx_part_hashes(path)
    except zipfile.BadZipFile:
        return "tệp không còn là XLSX hợp lệ"
    changed = sorted(
        name for name in set(expected) | set(actual) if expected.get(name) != actual.get(name)
    )
    return ("phần bị thay đổi: " + ", ".join(changed)) if changed else ""


def verify_export(manifest_path: Path | str, trusted_keys: Iterable[str] = ()) -> list[str]:
    """Check a manifest's signature and every file it lists; each problem in plain Vietnamese.

    An empty list means: signed by the key in the manifest (and by one of `trusted_keys`, if
    any are given), and every file is present with the recorded bytes.
    """
    manifest_path = Path(manifest_path)
    where = manifest_path.name
    sig_path = manifest_path.with_name(manifest_path.name + SIGNATURE_SUFFIX)
    try:
        data = manifest_path.read_bytes()
    except OSError:
        return [f"{where}: không đọc được bản kê"]
    try:
        manifest = parse_manifest(data)
        public_hex = str(manifest["public_key"])
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
    except (ValueError, KeyError, TypeError):
        return [f"{where}: bản kê hỏng hoặc không đúng định dạng"]
    problems: list[str] = []
    try:
        signature = base64.b64decode(sig_path.read_bytes().strip(), validate=True)
        public.verify(signature, data)
    except OSError:
        problems.append(f"{where}: thiếu tệp chữ ký {sig_path.name}")
    except (InvalidSignature, ValueError):
        problems.append(
            f"{where}: chữ ký không khớp — bản kê đã bị sửa sau khi xuất (hoặc chữ ký bị thay)"
        )
    trusted = {k.lower() for k in trusted_keys}
    if trusted and public_hex.lower() not in trusted:
        problems.append(
            f"{where}: được ký bằng khóa lạ {key_id(public_hex)}, không phải khóa của thiết bị"
        )
    for entry in manifest.get("files", []):
        name = str(entry.get("name", ""))
        path = manifest_path.parent / name
        if not name or Path(name).name != name:
            problems.append(f"{where}: tên tệp không hợp lệ trong bản kê: {name!r}")
            continue
        if not path.is_file():
            problems.append(f"{name}: thiếu tệp (có trong bản kê {where})")
            continue
        if sha256_file(path) == entry.get("sha256"):
            continue
        if path.suffix == ".csv":
            detail = _locate_csv_change(path, entry)
        elif path.suffix == ".xlsx":
            detail = _locate_xlsx_change(path, entry)
        else:
            detail = ""
        message = f"{name}: nội dung đã bị thay đổi (SHA-256 không khớp bản kê {where})"
        problems.append(message + (f"; {detail}" if detail else ""))
    return problems


def read_manifest(manifest_path: Path) -> dict[str, Any]:
    return parse_manifest(manifest_path.read_bytes())


def parse_manifest(data: bytes) -> dict[str, Any]:
    """A manifest's JSON, checked for the shape every reader relies on; ValueError otherwise
    (a malformed or hostile manifest gets a finding, never a traceback)."""
    try:
        manifest = json.loads(data)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise ValueError(f"not a manifest: {type(exc).__name__}") from None
    if not isinstance(manifest, dict):
        raise ValueError("not a manifest: not a JSON object")
    files = manifest.get("files", [])
    if not isinstance(files, list) or not all(
        isinstance(e, dict)
        and isinstance(e.get("name", ""), str)
        and isinstance(e.get("sha256", ""), str)
        and (
            "chunk_lines" not in e
            or (type(e["chunk_lines"]) is int and 1 <= e["chunk_lines"] <= 1_000_000)
        )
        for e in files
    ):
        raise ValueError("not a manifest: bad file list")
    if not isinstance(manifest.get("audit_entry", {}), dict):
        raise ValueError("not a manifest: bad audit entry")
    return manifest
