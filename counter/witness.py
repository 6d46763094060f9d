"""The portal as witness of this counter's audit trail: what the counter cannot rewrite.

The audit chain (`counter.audit`) shows a careless edit, but whoever holds the counter PC's
files can recompute the whole chain. So every sync round sends the chain's head (sequence and
hash) to the portal, which keeps each device's witnessed heads in its own database and
answers with its Ed25519 signature over the head (a *receipt*). `check_chain` then compares
the local chain with the witnessed heads, fetched online (`fetch_witness_file`) or from a
witness file the supervisor exported at the portal (`counter-portal witness-file`):

- a row edited, inserted or deleted at or before the last witnessed head changes the hash at
  every later witnessed head, so the rewrite is found and located between two heads;
- a store cut short or rolled back to a backup lacks a head the portal witnessed;
- rows after the last witnessed head (the *unwitnessed tail*) are reported with their count
  and age: nothing can vouch for them yet.

The formats (`RECEIPT_FORMAT`, `FILE_FORMAT`) and their canonical bytes are defined here and
used by the portal too, so both sides sign and check the same bytes.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from counter.errors import CounterError
from counter.protocol import ApiPath
from counter.signing import device_key, key_id, public_key_hex
from counter.store import Store
from counter.timeutil import parse_iso, to_vn

RECEIPT_FORMAT = "counter-witness/1"
FILE_FORMAT = "counter-witness-file/1"
# Settings: the last receipt the portal signed (JSON), and the portal's witness key as first
# seen (a later file or receipt signed by another key is reported).
K_LAST_RECEIPT = "witness.last_receipt"
K_PORTAL_KEY = "witness.portal_key"
K_LAST_ERROR = "witness.last_error"
# Export entries sent with a head, so the portal can vouch for each export's own entry.
MAX_CHECKPOINTS = 1000

log = logging.getLogger(__name__)


class WitnessError(CounterError):
    """A witness file or answer that cannot be trusted or read."""


def canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def public_hex(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    return public_key_hex(key)


# -- receipts: the portal's signature over one head --------------------------------------


def receipt_body(device_id: str, seq: int, digest: str, witnessed_at: str) -> dict[str, Any]:
    return {
        "format": RECEIPT_FORMAT,
        "device_id": device_id,
        "seq": seq,
        "hash": digest,
        "witnessed_at": witnessed_at,
    }


def sign_receipt(
    key: Ed25519PrivateKey, device_id: str, seq: int, digest: str, witnessed_at: str
) -> dict[str, Any]:
    """What the portal answers a witnessed head with (portal side; defined here for both)."""
    body = receipt_body(device_id, seq, digest, witnessed_at)
    return {
        **body,
        "portal_key": public_hex(key),
        "signature": base64.b64encode(key.sign(canonical(body))).decode(),
    }


def receipt_ok(receipt: Mapping[str, Any], portal_key: str | None = None) -> bool:
    """The receipt is signed by the key it names (and by `portal_key`, if given)."""
    try:
        body = receipt_body(
            str(receipt["device_id"]),
            int(receipt["seq"]),
            str(receipt["hash"]),
            str(receipt["witnessed_at"]),
        )
        named = str(receipt["portal_key"])
        if portal_key is not None and named.lower() != portal_key.lower():
            return False
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(named)).verify(
            base64.b64decode(str(receipt["signature"]), validate=True), canonical(body)
        )
    except (KeyError, TypeError, ValueError, InvalidSignature):
        return False
    return True


# -- witness files: every witnessed head and registered key of some devices --------------


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    witnessed_at: str


@dataclass(frozen=True)
class RegisteredKey:
    public_key: str
    registered_at: str
    retired_at: str | None = None


@dataclass(frozen=True)
class DeviceRecord:
    device_id: str
    agency_code: str
    counter_no: int
    keys: list[RegisteredKey]
    heads: list[Head]
    alarms: list[dict[str, Any]] = field(default_factory=list)

    def describe(self) -> str:
        return f"quầy {self.counter_no} của {self.agency_code} (thiết bị {self.device_id[:8]})"


@dataclass(frozen=True)
class WitnessFile:
    exported_at: datetime
    portal_key: str
    devices: dict[str, DeviceRecord]
    source: str = "tệp chứng thực"

    def signer_of(self, public: str) -> tuple[DeviceRecord, RegisteredKey] | None:
        """The device (and its registration) a public key belongs to, if the portal knows it."""
        for record in self.devices.values():
            for key in record.keys:
                if key.public_key.lower() == public.lower():
                    return record, key
        return None


def sign_file(key: Ed25519PrivateKey, body: dict[str, Any]) -> bytes:
    """A witness file's bytes (portal side): the body, its portal key and signature."""
    full = {**body, "format": FILE_FORMAT, "portal_key": public_hex(key)}
    signature = base64.b64encode(key.sign(canonical(full))).decode()
    return (
        json.dumps({**full, "signature": signature}, ensure_ascii=False, indent=1) + "\n"
    ).encode()


def parse_file(data: bytes, *, source: str = "tệp chứng thực") -> WitnessFile:
    """Check a witness file's signature and read it; WitnessError says what is wrong."""
    try:
        raw = json.loads(data)
        signature = base64.b64decode(str(raw.pop("signature")), validate=True)
        portal_key = str(raw["portal_key"])
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(portal_key)).verify(
            signature, canonical(raw)
        )
    except InvalidSignature:
        raise WitnessError(
            f"{source}: chữ ký của cổng không khớp (tệp đã bị sửa)",
            f"{source}: the portal's signature does not match (the file was edited)",
        ) from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise WitnessError(
            f"{source}: không phải tệp chứng thực của cổng", f"{source}: not a witness file"
        ) from None
    if raw.get("format") != FILE_FORMAT:
        raise WitnessError(f"{source}: định dạng lạ {raw.get('format')!r}")
    try:
        devices = {
            str(d["device_id"]): DeviceRecord(
                device_id=str(d["device_id"]),
                agency_code=str(d["agency_code"]),
                counter_no=int(d["counter_no"]),
                keys=[
                    RegisteredKey(
                        str(k["public_key"]), str(k["registered_at"]), k.get("retired_at")
                    )
                    for k in d.get("keys", [])
                ],
                heads=sorted(
                    (Head(int(h[0]), str(h[1]), str(h[2])) for h in d.get("heads", [])),
                    key=lambda h: h.seq,
                ),
                alarms=list(d.get("alarms", [])),
            )
            for d in raw["devices"]
        }
        exported_at = parse_iso(str(raw["exported_at"]))
    except (ValueError, KeyError, TypeError, IndexError):
        raise WitnessError(f"{source}: nội dung tệp chứng thực hỏng") from None
    return WitnessFile(exported_at, portal_key, devices, source)


def device_entry(
    device_id: str,
    agency_code: str,
    counter_no: int,
    keys: Iterable[RegisteredKey],
    heads: Iterable[Head],
    alarms: Iterable[dict[str, Any]] = (),
) -> dict[str, Any]:
    """One device in a witness file (portal side). Heads as [seq, hash, at]: compact."""
    return {
        "device_id": device_id,
        "agency_code": agency_code,
        "counter_no": counter_no,
        "keys": [
            {
                "public_key": k.public_key,
                "registered_at": k.registered_at,
                "retired_at": k.retired_at,
            }
            for k in keys
        ],
        "heads": [[h.seq, h.hash, h.witnessed_at] for h in heads],
        "alarms": list(alarms),
    }


# -- the counter's side of a sync round --------------------------------------------------


def signed_after_retirement(exported_at: object, retired_at: str | None) -> bool:
    """Whether a manifest made at `exported_at` postdates its key's retirement (either
    unreadable counts as after: a date that cannot be read vouches for nothing)."""
    if retired_at is None:
        return False
    try:
        return parse_iso(str(exported_at)) > parse_iso(retired_at)
    except ValueError:
        return True


def audit_head(store: Store) -> tuple[int, str] | None:
    row = store.conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def last_receipt(store: Store) -> dict[str, Any] | None:
    text = store.get_setting(K_LAST_RECEIPT)
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def last_witnessed(store: Store) -> dict[str, Any] | None:
    """The last head the portal witnessed, for a manifest: {seq, hash, witnessed_at, portal}."""
    receipt = last_receipt(store)
    if receipt is None:
        return None
    return {
        "seq": receipt.get("seq"),
        "hash": receipt.get("hash"),
        "witnessed_at": receipt.get("witnessed_at"),
        "portal_key_id": key_id(str(receipt.get("portal_key", ""))),
    }


def send_head(
    store: Store, client: httpx.Client, headers: Mapping[str, str], public_key: str
) -> dict[str, Any] | None:
    """Send the audit head (and the device's public key) unless the portal already has it.

    The audit entries of exports made since the last witnessed head go with it as
    checkpoints: the portal keeps them like heads, so it can tell later whether a manifest's
    `audit_entry` is the one the counter reported, not one rewritten and re-signed since.

    Returns the receipt, or None when there was nothing new to witness. Raises
    `WitnessError` for an answer that is refused or not signed by the portal's known key;
    httpx errors go to the caller (the sync round treats them as the network's).
    """
    head = audit_head(store)
    if head is None:
        return None
    previous = last_receipt(store)
    if previous and (previous.get("seq"), previous.get("hash")) == head:
        return None
    since = int(previous.get("seq", 0)) if previous else 0
    checkpoints = store.conn.execute(
        "SELECT id, hash FROM audit WHERE id > ? AND id < ? AND action LIKE 'export.%' "
        "ORDER BY id LIMIT ?",
        (since, head[0], MAX_CHECKPOINTS),
    ).fetchall()
    resp = client.post(
        ApiPath.WITNESS,
        json={
            "audit_head": {"seq": head[0], "hash": head[1]},
            "checkpoints": [[int(i), str(h)] for i, h in checkpoints],
            "signing_public_key": public_key,
        },
        headers=dict(headers),
    )
    if resp.status_code != 200:
        try:
            err = resp.json()["error"]
            code, message = str(err["code"]), str(err["message"])
        except (ValueError, KeyError, TypeError):
            code, message = f"http_{resp.status_code}", resp.text[:200]
        raise WitnessError(
            f"cổng không chứng thực nhật ký ({code}): {message}",
            f"the portal refused to witness the audit head ({code}): {message}",
        )
    try:
        receipt = dict(resp.json()["witness"])
    except (ValueError, KeyError, TypeError):
        raise WitnessError("trả lời chứng thực của cổng không đọc được") from None
    pinned = store.get_setting(K_PORTAL_KEY)
    if (
        not receipt_ok(receipt, pinned)
        or (receipt.get("seq"), receipt.get("hash")) != head
        or receipt.get("device_id") != store.get_setting("device_id")
    ):
        raise WitnessError(
            "chứng thực của cổng không hợp lệ (sai chữ ký, sai khóa của cổng hoặc sai nội dung)"
        )
    with store.write():
        if pinned is None:
            store.set_setting(K_PORTAL_KEY, str(receipt["portal_key"]))
        store.set_setting(K_LAST_RECEIPT, json.dumps(receipt, sort_keys=True))
    return receipt


def fetch_file(client: httpx.Client, headers: Mapping[str, str]) -> WitnessFile:
    """This device's witnessed heads and registered keys, online from the portal."""
    resp = client.get(ApiPath.WITNESS, headers=dict(headers))
    if resp.status_code != 200:
        raise WitnessError(
            f"cổng không trả danh sách chứng thực (HTTP {resp.status_code})",
            f"the portal did not return the witness list (HTTP {resp.status_code})",
        )
    return parse_file(resp.content, source="cổng (trực tuyến)")


# -- comparing the local chain with the witnessed heads ----------------------------------


@dataclass(frozen=True)
class ChainCheck:
    """What the witnessed heads say about the local chain."""

    problems: list[str]
    notes: list[str]  # what was confirmed
    cautions: list[str]  # what nothing vouches for yet
    last_witnessed_seq: int
    unwitnessed: int


def _age(since: datetime, now: datetime) -> str:
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} phút"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} giờ"
    return f"{seconds // 86400} ngày"


def _when(text: str) -> str:
    try:
        return f"{to_vn(parse_iso(text)):%d/%m/%Y %H:%M}"
    except ValueError:
        return text


def check_chain(store: Store, heads: list[Head], now: datetime) -> ChainCheck:
    """Compare the store's audit rows with the heads the portal witnessed (sorted by seq).

    One ordered pass over (id, hash): a witnessed head whose row is missing or has another
    hash means the chain was rewritten, cut or rolled back at or before that head.
    """
    problems: list[str] = []
    notes: list[str] = []
    cautions: list[str] = []
    mismatched: list[Head] = []
    missing: list[Head] = []
    matched_before: dict[int, int] = {}  # head seq → seq of the last matching head before it
    last_match = 0
    it = iter(heads)
    head = next(it, None)
    local_max = 0
    for audit_id, digest in store.conn.execute("SELECT id, hash FROM audit ORDER BY id"):
        local_max = audit_id
        while head is not None and head.seq < audit_id:
            missing.append(head)  # a gap in the local ids where a witnessed row was
            matched_before[head.seq] = last_match
            head = next(it, None)
        if head is not None and head.seq == audit_id:
            if head.hash == digest:
                last_match = head.seq
            else:
                mismatched.append(head)
                matched_before[head.seq] = last_match
            head = next(it, None)
    beyond = [head, *it] if head is not None else []
    if mismatched or missing:
        first = min([*mismatched, *missing], key=lambda h: h.seq)
        start = matched_before[first.seq] + 1
        problems.append(
            f"bản ghi trong khoảng số {start}–{first.seq} đã bị sửa, chèn, xóa hoặc viết lại "
            f"cả chuỗi sau khi cổng chứng thực: cổng chứng thực bản ghi số {first.seq} lúc "
            f"{_when(first.witnessed_at)} với mã băm khác "
            f"({len(mismatched) + len(missing)} lần chứng thực không khớp)"
        )
    if beyond:
        last = beyond[-1]
        problems.append(
            f"cổng đã chứng thực nhật ký đến bản ghi số {last.seq} (lúc "
            f"{_when(last.witnessed_at)}) nhưng máy chỉ còn đến số {local_max}: phần cuối "
            "đã bị xóa hoặc kho dữ liệu đã bị khôi phục từ một bản sao cũ"
        )
    last_seq = heads[-1].seq if heads else 0
    if heads and not problems:
        notes.append(
            f"khớp {len(heads)} lần chứng thực của cổng; lần cuối: bản ghi số {last_seq} "
            f"lúc {_when(heads[-1].witnessed_at)}"
        )
    elif not heads:
        cautions.append("cổng chưa chứng thực bản ghi nào của thiết bị này")
    tail = store.conn.execute(
        "SELECT count(*), min(id), max(id), min(at) FROM audit WHERE id > ?", (last_seq,)
    ).fetchone()
    count = int(tail[0] or 0)
    if count:
        oldest = parse_iso(str(tail[3]))
        cautions.append(
            f"{count} bản ghi cuối (số {tail[1]}–{tail[2]}) chưa được cổng chứng thực; bản cũ "
            f"nhất lúc {_when(str(tail[3]))} ({_age(oldest, now)} trước): chưa thể chứng minh "
            "chúng không bị sửa — đồng bộ với cổng rồi kiểm tra lại"
        )
    return ChainCheck(problems, notes, cautions, last_seq, count)


def witness_round(
    store: Store, client: httpx.Client, headers: Mapping[str, str]
) -> tuple[dict[str, Any] | None, str]:
    """One sync round's witness step: (receipt or None, error text or "").

    A refusal (the head went backwards, a fork, a key the portal does not accept) does not
    stop the sync of dossiers: it is kept in the settings, logged and shown by `counter sync`
    and `counter audit verify`. Network errors are the caller's.
    """
    try:
        receipt = send_head(store, client, headers, public_hex(device_key(store)))
    except WitnessError as exc:
        log.warning("audit head not witnessed: %s", exc.en)
        store.set_setting(K_LAST_ERROR, exc.vi[:500])
        return None, exc.vi
    if store.get_setting(K_LAST_ERROR):
        store.set_setting(K_LAST_ERROR, "")
    return receipt, ""
