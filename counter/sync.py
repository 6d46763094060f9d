"""Offline-first sync with the central portal: push the outbox, pull central changes.

Protocol v1 is written down in docs/sync-protocol.md. In short:

- **Push.** Outbox entries go in `seq` order, in batches, each batch naming the entry just
  before it (`after_seq`). The portal applies each (device, seq) once and in order and answers
  what it applied, what it rejected and why. Only then, in one local transaction, are the
  entries marked `acked_at` (or `rejected_reason`): the checkpoint never moves ahead of the
  portal (PouchDB #1240). A lost answer only means the batch is sent again, and the portal
  reports it as duplicates.
- **Rejected entries do not block.** The portal records a rejection in its own log and counts
  the sequence as processed; the counter keeps the entry with its reason (shown on the
  "rejected entries" screen) and goes on with the next one.
- **Pull.** Changes made centrally (back-office status, corrections, citizens' ratings) come
  since a cursor. Each is applied in one transaction with the cursor, its `pulled_changes` row,
  the dossier update, its timeline event and audit entry, and an outbox entry that tells the
  portal the counter applied it. Status changes obey `counter.lifecycle`: an illegal one is
  recorded as rejected (and reported to the portal), never applied, never a crash.
- **Errors** are classed `retry` (network, timeouts, 5xx: back off with jitter and try again),
  `rejected` (recorded with its reason) and `reauth` (the credential was revoked: enroll again
  with a new code).

Everything here runs off the UI thread: `sync_once()` opens its own Store when given a path,
and `SyncWorker` loops it in a daemon thread. The UI only reads `sync_status()` and
`rejected_entries()`, which touch SQLite and never the network.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx

from counter import audit, history
from counter.codes import continue_after
from counter.config import Config
from counter.dossiers import applicant_from_row, representative_from_row, search_text
from counter.identity import device_identity
from counter.lifecycle import STATUSES, find_action, transition
from counter.profile import build_profile, profile_hash
from counter.protocol import PROTOCOL_VERSION, ApiPath
from counter.store import Store
from counter.text import nfc, nfc_tree
from counter.timeutil import Clock, iso, parse_iso, system_clock, to_vn
from counter.worktime import WorkCalendar

DEFAULT_MAX_BATCH = 500
DEFAULT_MAX_BODY = 4 * 1024 * 1024
PULL_PAGE = 200
CORRECTABLE_FIELDS = ("applicant_phone", "applicant_email", "applicant_address", "note")

# Keys in the `settings` table.
K_TOKEN = "sync.token"
K_AGENCY = "sync.agency_code"
K_COUNTER = "sync.counter_no"
K_URL = "sync.portal_url"
K_CODE = "sync.enrollment_code"  # kept in clear by older versions: deleted at the next round
K_USED_CODE = "sync.used_code_hash"  # SHA-256 of the code this device enrolled with
K_CURSOR = "sync.cursor"
K_MAX_BATCH = "sync.max_batch"
K_MAX_BODY = "sync.max_body_bytes"
K_MAX_PULL = "sync.max_pull"
K_LAST_SUCCESS = "sync.last_success"
K_LAST_ATTEMPT = "sync.last_attempt"
K_LAST_ERROR = "sync.last_error"
K_ONLINE = "sync.online"
K_FAILURES = "sync.failures"
K_SKEW = "sync.clock_skew_seconds"
K_ERROR_CODE = "sync.last_error_code"
K_EPOCH = "sync.portal_epoch"
K_PORTAL_RESTORED = "sync.portal_restored_at"
K_CHAIN = "sync.chain_floor"  # the portal holds seqs up to here that this store lacks
SKEW_ALERT_SECONDS = 120
K_PROFILE = "sync.profile_hash"  # the centre profile the portal has (counter.profile)

_PENDING = "acked_at IS NULL AND rejected_reason IS NULL"
log = logging.getLogger("counter.sync")
_SURROGATE = re.compile("[\ud800-\udfff]")


class SyncError(Exception):
    """A sync round that could not finish; `error_class` says what to do about it."""

    def __init__(self, error_class: str, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.error_class = error_class  # "retry" | "rejected" | "reauth"
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SyncStatus:
    """What the status bar shows; read from SQLite only, never from the network."""

    configured: bool
    enrolled: bool
    online: bool | None  # None: no sync attempted yet
    pending: int
    rejected: int
    last_success: datetime | None
    last_attempt: datetime | None
    last_error: str | None
    clock_skew_seconds: float | None = None
    alert: SyncAlert | None = None


@dataclass(frozen=True)
class SyncAlert:
    """A state the officer must see in red, with what to do (Vietnamese, English)."""

    code: str  # "revoked" | "reenroll" | "clock_skew" | "portal_restored"
    vi: str
    en: str

    def message(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi


def skew_text(seconds: float, lang: str = "vi") -> str:
    """The measured clock skew in words, for the status screen (F3)."""
    n = round(abs(seconds))
    if lang == "en":
        side = "ahead of" if seconds > 0 else "behind"
        return f"This PC's clock: {n} s {side} the portal's (measured on every sync)"
    side = "nhanh hơn" if seconds > 0 else "chậm hơn"
    return f"Đồng hồ máy {side} cổng {n} giây (đo mỗi lần đồng bộ)"


def sync_alert(
    configured: bool,
    enrolled: bool,
    error_code: str | None,
    skew: float | None,
    portal_restored: bool,
) -> SyncAlert | None:
    """The one alert the status bar shows, most urgent first."""
    if not configured:
        return None
    if error_code == "device_revoked":
        return SyncAlert(
            "revoked",
            "Đồng bộ: thiết bị đã bị thu hồi trên cổng — xin mã đăng ký mới từ quản trị cổng "
            "và nhập vào [portal] enrollment_code (dữ liệu vẫn được giữ)",
            "Sync: this device was revoked on the portal — ask the portal admin for a new "
            "enrollment code and put it in [portal] enrollment_code (nothing is lost)",
        )
    if not enrolled and error_code in (
        "unauthenticated",
        "no_enrollment_code",
        "invalid_code",
        "code_used",
        "code_expired",
        "counter_mismatch",
        "counter_taken",
        "enrollment_code_used",
    ):
        return SyncAlert(
            "reenroll",
            f"Đồng bộ: cần đăng ký lại với cổng ({error_code}) — xin mã đăng ký mới từ quản "
            "trị cổng (dữ liệu vẫn được giữ)",
            f"Sync: this counter must enroll again ({error_code}) — ask the portal admin for "
            "a new enrollment code (nothing is lost)",
        )
    if skew is not None and abs(skew) > SKEW_ALERT_SECONDS:
        minutes = round(abs(skew) / 60)
        side_vi, side_en = ("nhanh", "ahead of") if skew > 0 else ("chậm", "behind")
        return SyncAlert(
            "clock_skew",
            f"Đồng hồ máy {side_vi} {minutes} phút so với cổng — chỉnh giờ hệ thống "
            "(giờ trên biên nhận đang sai)",
            f"This PC's clock is {minutes} min {side_en} the portal — set the system time "
            "(receipt times are wrong)",
        )
    if portal_restored:
        return SyncAlert(
            "portal_restored",
            "Cổng dịch vụ công đã được khôi phục từ bản sao lưu — quầy đang gửi lại dữ liệu; "
            "nếu thông báo này còn sau vài phút, báo bộ phận CNTT",
            "The portal was restored from a backup — this counter is sending its data again; "
            "if this stays for more than a few minutes, call IT",
        )
    return None


@dataclass(frozen=True)
class RejectedEntry:
    """One rejected item for the "rejected entries" screen.

    `source` is "push" (an outbox entry the portal refused) or "pull" (a central change the
    counter could not apply). `ref` is the outbox seq or the portal's change id.
    """

    source: str
    ref: int
    kind: str
    at: datetime | None
    dossier_uuid: str
    dossier_code: str
    action: str
    reason: str


@dataclass
class SyncReport:
    """What one `sync_once` did."""

    enrolled: bool = False
    pushed: int = 0
    applied: int = 0
    duplicates: int = 0
    rejected: int = 0
    pulled: int = 0
    pull_applied: int = 0
    pull_rejected: int = 0
    pending: int = 0
    error: SyncError | None = None
    skipped: str = ""
    rejections: list[tuple[int, str]] = field(default_factory=list)
    profile_sent: bool = False
    profile_error: str = ""
    witnessed_seq: int | None = None  # the audit head the portal signed this round
    witness_error: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and not self.skipped

    def text(self) -> str:
        """The report `counter sync` prints, in Vietnamese (scripts grep the numbers)."""
        if self.skipped:
            return f"Bỏ qua đồng bộ: {self.skipped}. {self.pending} bản ghi đang chờ gửi."
        lines = []
        if self.enrolled:
            lines.append("Đã đăng ký thiết bị với cổng dịch vụ công.")
        lines.append(
            f"Đã gửi {self.pushed} bản ghi: {self.applied} được ghi nhận, {self.duplicates} "
            f"đã có từ trước, {self.rejected} bị từ chối."
        )
        for seq, reason in self.rejections[:10]:
            lines.append(f"  bị từ chối #{seq}: {reason}")
        lines.append(
            f"Đã nhận {self.pulled} thay đổi: {self.pull_applied} đã áp dụng, "
            f"{self.pull_rejected} bị từ chối."
        )
        if self.profile_sent:
            lines.append("Đã gửi thông tin cơ quan (tên, địa chỉ, giờ làm việc, đường dây nóng).")
        if self.profile_error:
            lines.append(f"Cổng không nhận thông tin cơ quan: {self.profile_error}")
        if self.witnessed_seq is not None:
            lines.append(
                f"Cổng đã chứng thực nhật ký kiểm toán đến bản ghi số {self.witnessed_seq}."
            )
        if self.witness_error:
            lines.append(f"Chứng thực nhật ký kiểm toán thất bại: {self.witness_error}")
        if self.error is not None:
            lines.append(f"Đồng bộ dừng ({self.error.error_class}): {self.error.message}")
        lines.append(f"{self.pending} bản ghi đang chờ gửi.")
        return "\n".join(lines)


# -- backoff ---------------------------------------------------------------------------


def backoff_delay(
    failures: int, *, base: float = 2.0, cap: float = 300.0, rng: random.Random | None = None
) -> float:
    """Exponential backoff with full jitter: uniform(0, min(cap, base · 2^(failures-1)))."""
    if failures <= 0:
        return 0.0
    ceiling = min(cap, base * (2 ** min(failures - 1, 32)))
    return (rng or random).uniform(ceiling / 10, ceiling)


# -- reading for the UI ----------------------------------------------------------------


def pending_count(store: Store) -> int:
    return int(store.conn.execute(f"SELECT count(*) FROM outbox WHERE {_PENDING}").fetchone()[0])


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parse_iso(text)
    except ValueError:
        return None


def sync_status(store: Store, config: Config | None = None) -> SyncStatus:
    """The status bar's figures: online, waiting, rejected, last success, last error."""
    get = store.get_setting
    online = get(K_ONLINE)
    skew = get(K_SKEW)
    rejected = store.conn.execute(
        "SELECT (SELECT count(*) FROM outbox WHERE rejected_reason IS NOT NULL) + "
        "(SELECT count(*) FROM pulled_changes WHERE status = 'rejected')"
    ).fetchone()[0]
    configured = bool(config.portal.url) if config is not None else get(K_URL) is not None
    enrolled = get(K_TOKEN) is not None
    skew_value = None if skew is None else float(skew)
    return SyncStatus(
        configured=configured,
        enrolled=enrolled,
        online=None if online is None else online == "1",
        pending=pending_count(store),
        rejected=int(rejected),
        last_success=_when(get(K_LAST_SUCCESS)),
        last_attempt=_when(get(K_LAST_ATTEMPT)),
        last_error=get(K_LAST_ERROR) or None,
        clock_skew_seconds=skew_value,
        alert=sync_alert(
            configured,
            enrolled,
            get(K_ERROR_CODE) or None,
            skew_value,
            bool(get(K_PORTAL_RESTORED)),
        ),
    )


def rejected_entries(store: Store, limit: int = 500) -> list[RejectedEntry]:
    """Everything rejected, newest first: outbox entries and central changes, with reasons."""
    out: list[RejectedEntry] = []
    for seq, kind, payload, created_at, reason in store.conn.execute(
        "SELECT seq, kind, payload, created_at, rejected_reason FROM outbox "
        "WHERE rejected_reason IS NOT NULL ORDER BY seq DESC LIMIT ?",
        (limit,),
    ):
        try:
            p = json.loads(payload)
        except ValueError:
            p = {}
        p = p if isinstance(p, dict) else {}
        dossier: dict[str, Any] = p["dossier"] if isinstance(p.get("dossier"), dict) else {}
        event: dict[str, Any] = p["event"] if isinstance(p.get("event"), dict) else {}
        out.append(
            RejectedEntry(
                source="push",
                ref=int(seq),
                kind=kind,
                at=_when(created_at),
                dossier_uuid=str(p.get("dossier_uuid", "")),
                dossier_code=str(dossier.get("code", "")),
                action=str(event.get("action", "")),
                reason=reason,
            )
        )
    for change_id, kind, uuid, applied_at, reason, data in store.conn.execute(
        "SELECT p.change_id, p.kind, p.dossier_uuid, p.applied_at, p.reason, p.data "
        "FROM pulled_changes p WHERE p.status = 'rejected' ORDER BY p.change_id DESC LIMIT ?",
        (limit,),
    ):
        row = store.conn.execute("SELECT code FROM dossiers WHERE uuid = ?", (uuid,)).fetchone()
        info = json.loads(data) if data else {}
        out.append(
            RejectedEntry(
                source="pull",
                ref=int(change_id),
                kind=kind,
                at=_when(applied_at),
                dossier_uuid=uuid,
                dossier_code=row[0] if row else "",
                action=str(info.get("action") or info.get("to_status") or ""),
                reason=reason,
            )
        )
    out.sort(key=lambda r: r.at.timestamp() if r.at else 0.0, reverse=True)
    return out


# -- identity and enrollment -----------------------------------------------------------


def _identity(store: Store, config: Config) -> tuple[str, str]:
    """The device id and secret (`counter.identity`, the one home both Desk and sync use)."""
    return device_identity(store, config.counter.device_id)


def _error_of(resp: httpx.Response) -> SyncError:
    try:
        err = resp.json()["error"]
        cls, code, message = str(err["class"]), str(err["code"]), str(err["message"])
    except (ValueError, KeyError, TypeError):
        cls = "reauth" if resp.status_code == 401 else "retry"
        code, message = f"http_{resp.status_code}", resp.text[:200] or resp.reason_phrase
    if resp.status_code >= 500:
        cls = "retry"
    return SyncError(cls, code, f"HTTP {resp.status_code}: {message}")


def _limits(store: Store, limits: Any) -> None:
    if isinstance(limits, dict):
        if isinstance(limits.get("max_batch"), int):
            store.set_setting(K_MAX_BATCH, str(limits["max_batch"]))
        if isinstance(limits.get("max_body_bytes"), int):
            store.set_setting(K_MAX_BODY, str(limits["max_body_bytes"]))
        if isinstance(limits.get("max_pull"), int):
            store.set_setting(K_MAX_PULL, str(limits["max_pull"]))


def enroll(store: Store, config: Config, client: httpx.Client) -> dict[str, Any]:
    """Register this device with `config.portal.enrollment_code`; store the credential."""
    code = config.portal.enrollment_code.strip()
    if not code:
        raise SyncError(
            "reauth",
            "no_enrollment_code",
            "quầy chưa đăng ký với cổng: nhập mã đăng ký do quản trị cổng cấp vào "
            "[portal] enrollment_code",
        )
    # A code this device already used is sent again only to recover a lost or replayed
    # answer: the portal takes it back from this device (its secret) within the code's life.
    used = code_hash(code, config.portal.url) == store.get_setting(K_USED_CODE)
    device_id, secret = _identity(store, config)
    from counter import signing  # cryptography: loaded when needed, not at the app's start

    resp = client.post(
        ApiPath.ENROLL,
        json={
            "enrollment_code": code,
            "device_id": device_id,
            "device_secret": secret,
            "agency_code": config.agency.code,
            "counter_no": config.counter.number,
            "protocol": PROTOCOL_VERSION,
            "signing_public_key": signing.public_key_hex(signing.device_key(store)),
            "demo_data": store.holds_demo_data(),
        },
    )
    if resp.status_code != 200:
        err = _error_of(resp)
        if err.code == "enrollment_refused" and used:
            err = SyncError(
                "reauth",
                "enrollment_code_used",
                "mã đăng ký trong [portal] enrollment_code đã dùng rồi và không dùng lại được: "
                "xoá nó khỏi config.toml và xin quản trị cổng một mã mới cho quầy này",
            )
        elif err.code == "enrollment_refused":
            err = SyncError(
                "reauth",
                err.code,
                "cổng từ chối mã đăng ký (sai, đã dùng, hết hạn hoặc không dành cho quầy này): "
                "xin quản trị cổng một mã mới cho quầy này",
            )
        elif err.error_class == "rejected":  # a bad code: nothing will fix it but a new one
            err = SyncError("reauth", err.code, err.message)
        raise err
    data = resp.json()
    if data.get("agency_code") != config.agency.code or data.get("counter_no") != (
        config.counter.number
    ):
        raise SyncError(
            "reauth",
            "counter_mismatch",
            f"cổng đã đăng ký thiết bị này là quầy {data.get('counter_no')} của "
            f"{data.get('agency_code')}, nhưng cấu hình ghi quầy {config.counter.number} của "
            f"{config.agency.code}",
        )
    with store.write():
        store.set_setting(K_TOKEN, str(data["token"]))
        store.set_setting(K_AGENCY, str(data["agency_code"]))
        store.set_setting(K_COUNTER, str(data["counter_no"]))
        store.set_setting(K_URL, config.portal.url)
        # The code is spent: keep only its hash, so a copy of the store holds no code, and a
        # refusal of the code left in config.toml says it was spent (`enrollment_code_used`).
        store.set_setting(K_USED_CODE, code_hash(code, config.portal.url))
        store.delete_setting(K_CODE)
        store.delete_setting(K_PROFILE)  # send it again
        _limits(store, data.get("limits"))
        rebase_numbers(store, config.counter.number, data)
        _check_epoch(store, data.get("epoch"), clock=None)
    log.info("enrolled device %s, portal last_seq %s", device_id, data.get("last_seq"))
    return dict(data)


def _int_of(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _raise_sequence(store: Store, table: str, floor: int) -> None:
    """Make `table`'s next AUTOINCREMENT key follow `floor`, never moving it back."""
    if floor <= 0:
        return
    row = store.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (table,)).fetchone()
    if row is None:
        store.conn.execute("INSERT INTO sqlite_sequence(name, seq) VALUES (?, ?)", (table, floor))
    elif int(row[0]) < floor:
        store.conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = ?", (floor, table))


def raise_event_floor(store: Store, floor: int) -> None:
    """New timeline events get ids above `floor` (never moving it back)."""
    current = _int_setting(store, history.EVENT_ID_FLOOR, 0)
    if floor > current:
        store.set_setting(history.EVENT_ID_FLOOR, str(floor))


def rebase_numbers(store: Store, counter_no: int, known: dict[str, Any]) -> None:
    """Number what this store writes from now on past what the portal knows of this device
    (`last_seq`, `max_event_id`) and of its counter number (`code_sequences`): after a
    restored backup, or on a replacement PC with the old device id, no sequence number,
    event id or dossier code is used twice. Only ever moves numbers forward."""
    _raise_sequence(store, "outbox", _int_of(known.get("last_seq")))
    raise_event_floor(store, _int_of(known.get("max_event_id")))
    _continue_codes(store, counter_no, known.get("code_sequences"))


def rebase_from_portal(store: Store, config: Config, client: httpx.Client) -> dict[str, Any]:
    """Ask the portal what it knows of this device (`GET /device`) and `rebase_numbers`."""
    resp = client.get(ApiPath.DEVICE, headers=_auth(store))
    if resp.status_code != 200:
        raise _error_of(resp)
    data = dict(resp.json())
    with store.write():
        rebase_numbers(store, config.counter.number, data)
    return data


def code_hash(code: str, portal_url: str) -> str:
    """The hash of an enrollment code as typed by hand (any case, with or without dashes),
    for the portal that took it."""
    import hashlib

    normal = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(f"{portal_url.rstrip('/')}\n{normal}".encode()).hexdigest()


def _continue_codes(store: Store, counter_no: int, sequences: Any) -> None:
    """Seed the code allocator with the sequences the portal saw for this counter number
    (a replaced PC must not reuse its predecessor's codes of the day); bad items are skipped."""
    if not isinstance(sequences, dict):
        return
    for day_text, last_seq in sequences.items():
        try:
            day = date.fromisoformat(str(day_text))
        except ValueError:
            continue
        if isinstance(last_seq, int) and not isinstance(last_seq, bool) and last_seq > 0:
            continue_after(store.db, counter_no, day, last_seq)


def send_profile(
    store: Store, config: Config, http: httpx.Client, report: SyncReport, *, clock: Clock
) -> None:
    """Send the centre profile (`counter.profile`) when the portal does not have this one yet:
    after enrollment, after a config change, at the turn of the year. A refusal does not stop
    the sync (dossiers matter more); it is reported, logged and tried again next round."""
    profile = build_profile(config, to_vn(clock()).date())
    digest = profile_hash(profile)
    if store.get_setting(K_PROFILE) == digest:
        return
    resp = http.put(ApiPath.PROFILE, json={"profile": profile}, headers=_auth(store))
    if resp.status_code == 200:
        store.set_setting(K_PROFILE, digest)
        report.profile_sent = True
        return
    err = _error_of(resp)
    if err.error_class == "reauth":
        raise err
    report.profile_error = err.message[:300]
    logging.getLogger(__name__).warning("centre profile not accepted: %s", report.profile_error)


# -- push ------------------------------------------------------------------------------


def _auth(store: Store) -> dict[str, str]:
    return {"authorization": f"Bearer {store.get_setting(K_TOKEN)}"}


def _int_setting(store: Store, key: str, default: int) -> int:
    value = store.get_setting(key)
    return int(value) if value and value.isdigit() else default


def _stub(seq: int, kind: str, version: int, created_at: str, reason: str) -> bytes:
    """An entry sent without its payload, for the portal to record as rejected with
    `reason`, so that the sequence goes on (the entry stays here, with its reason)."""
    return (
        f'{{"seq":{int(seq)},"kind":{json.dumps(kind)},"schema_version":{int(version)},'
        f'"created_at":{json.dumps(created_at)},"payload":null,'
        f'"local_reject":{json.dumps(reason)}}}'
    ).encode()


def _payload_problem(payload: str, thorough: bool = False) -> str:
    """Why a stored payload cannot go out as it is ('' when it can): not JSON, or text
    holding a character the portal cannot store (older stores accepted them).

    The payload is our own `json.dumps` output, so only an escape that may be NUL or a
    surrogate needs a closer look; `thorough` also parses it (after the portal answered
    `bad_json`, to find the entry that is not JSON)."""
    if not isinstance(payload, str):
        return "the stored entry is not text"
    if (
        not thorough
        and "\x00" not in payload
        and "\\u0000" not in payload
        and ("\\ud" not in payload.lower())
    ):
        return ""
    try:
        value = json.loads(payload)
    except ValueError as exc:
        return f"the stored entry is not valid JSON ({exc})"
    if _unsendable(value):
        return "the entry holds a NUL character or a lone surrogate, which the portal cannot store"
    return ""


def _unsendable(value: Any) -> bool:
    """Whether a decoded payload holds text no database can store: NUL, lone surrogates."""
    if isinstance(value, str):
        return "\x00" in value or _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_unsendable(k) or _unsendable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unsendable(v) for v in value)
    return False


def _renumber_pending(store: Store, first: int, above: int) -> int:
    """Move the pending entries from seq `first` on to fresh numbers past `above` (and past
    every number used here), in their order: the portal holds other entries under their
    numbers (this store was restored, or another holder of the credential used them).
    Returns how many moved. Runs inside the caller's write transaction."""
    local_max = store.conn.execute(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0), "
        "coalesce((SELECT max(seq) FROM outbox), 0))"
    ).fetchone()[0]
    _raise_sequence(store, "outbox", max(int(above), int(local_max)))
    columns = [
        r[1] for r in store.conn.execute("PRAGMA table_info(outbox)").fetchall() if r[1] != "seq"
    ]
    names = ", ".join(columns)
    moved = 0
    for (seq,) in store.conn.execute(
        f"SELECT seq FROM outbox WHERE seq >= ? AND {_PENDING} ORDER BY seq", (first,)
    ).fetchall():
        store.conn.execute(
            f"INSERT INTO outbox({names}) SELECT {names} FROM outbox WHERE seq = ?", (seq,)
        )
        store.conn.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
        moved += 1
    return moved


def _batch_body(
    store: Store,
    max_batch: int,
    max_body: int,
    clock: Clock,
    stubs: dict[int, str] | None = None,
    thorough: bool = False,
) -> tuple[int, list[int], bytes] | None:
    """The next batch as request bytes: the stored payload JSON goes out verbatim.

    An entry in `stubs` (one the portal refused on its own), or whose payload cannot go out,
    is sent as a stub: rejected, recorded on both sides, never blocking the ones after it.
    """
    stubs = stubs if stubs is not None else {}
    rows = store.conn.execute(
        f"SELECT seq, kind, schema_version, payload, created_at FROM outbox WHERE {_PENDING} "
        "ORDER BY seq LIMIT ?",
        (max_batch,),
    ).fetchall()
    if not rows:
        return None
    after = store.conn.execute(
        "SELECT coalesce(max(seq), 0) FROM outbox WHERE seq < ?", (rows[0][0],)
    ).fetchone()[0]
    chain = _int_setting(store, K_CHAIN, 0)
    if after < chain < rows[0][0]:
        after = chain  # the portal's entries this store lacks (a restored backup) come first
    head = f'{{"after_seq":{int(after)},"entries":['.encode()
    parts: list[bytes] = []
    size = len(head) + 2
    seqs: list[int] = []
    for seq, kind, version, payload, created_at in rows:
        problem = stubs.get(int(seq)) or _payload_problem(payload, thorough)
        if problem:
            part = _stub(seq, kind, version, created_at, problem)
        else:
            part = (
                f'{{"seq":{int(seq)},"kind":{json.dumps(kind)},"schema_version":{int(version)},'
                f'"created_at":{json.dumps(created_at)},"payload":{payload}}}'
            ).encode()
        if size + len(part) + 1 > max_body:
            if parts:
                break
            # One entry larger than the portal accepts: send a stub so the portal records
            # the rejection and the sequence goes on (the entry stays here, with its reason).
            reason = f"entry is {len(part)} bytes, over the portal's limit of {max_body}"
            part = _stub(seq, kind, version, created_at, reason)
            parts.append(part)
            seqs.append(int(seq))
            break
        parts.append(part)
        seqs.append(int(seq))
        size += len(part) + 1
    return int(after), seqs, head + b",".join(parts) + b"]}"


def _mark_failed(store: Store, seqs: list[int], error: str) -> None:
    if not seqs:
        return
    with store.write():
        store.conn.execute(
            f"UPDATE outbox SET attempts = attempts + 1, last_error = ? "
            f"WHERE seq BETWEEN ? AND ? AND {_PENDING}",
            (error[:500], seqs[0], seqs[-1]),
        )


def push(
    store: Store,
    client: httpx.Client,
    report: SyncReport,
    *,
    clock: Clock = system_clock,
    max_batch: int | None = None,
    stop: threading.Event | None = None,
    config: Config | None = None,
) -> None:
    """Push every pending outbox entry, batch after batch; raise SyncError on failure."""
    batch = max_batch or _int_setting(store, K_MAX_BATCH, DEFAULT_MAX_BATCH)
    max_body = _int_setting(store, K_MAX_BODY, DEFAULT_MAX_BODY)
    repairs = 0  # sequence repairs in this push (a gap, reused numbers); a few at most
    rebased = False
    stubs: dict[int, str] = {}  # entries the portal refused on their own: sent as stubs
    narrow: int | None = None  # the batch size while a refused batch is being narrowed
    thorough = False  # parse every payload before sending (after a `bad_json` answer)
    while stop is None or not stop.is_set():
        built = _batch_body(store, narrow or batch, max_body, clock, stubs, thorough)
        if built is None:
            return
        after, seqs, body = built
        try:
            resp = client.post(
                ApiPath.PUSH,
                content=body,
                headers={**_auth(store), "content-type": "application/json"},
            )
        except httpx.HTTPError as exc:
            _mark_failed(store, seqs, f"network: {exc!r}")
            raise SyncError(
                "retry",
                "network",
                f"không kết nối được cổng dịch vụ công (portal unreachable): {exc!r}",
            ) from None
        if resp.status_code == 413:
            err = _error_of(resp)
            try:
                limit = int(resp.json()["error"].get("max_batch", 0))
                body_limit = int(resp.json()["error"].get("max_body_bytes", 0))
            except (ValueError, KeyError, TypeError, AttributeError):
                limit = body_limit = 0
            if body_limit:
                max_body = body_limit
                store.set_setting(K_MAX_BODY, str(body_limit))
            new_batch = min(limit, batch) if limit and limit < len(seqs) else len(seqs) // 2
            if new_batch < 1:
                raise err
            batch = max(1, new_batch)
            continue
        if resp.status_code != 200:
            err = _error_of(resp)
            if err.code == "bad_json" and not thorough:
                thorough = True  # a stored payload may not be JSON: find it, stub it
                continue
            if err.error_class == "rejected" and 400 <= resp.status_code < 500:
                # The portal refused the whole batch for something in it. Narrow it down:
                # halve the batch until one entry is refused alone, then send that one as a
                # stub, rejected with the portal's reason. A rejected entry never blocks.
                if len(seqs) > 1:
                    narrow = max(1, len(seqs) // 2)
                    continue
                if seqs[0] not in stubs:
                    stubs[seqs[0]] = f"refused by the portal: {err.code}: {err.message}"[:500]
                    log.warning(
                        "push: entry %d refused alone (%s), sent as a stub", seqs[0], err.code
                    )
                    continue
            _mark_failed(store, seqs, err.message)
            raise err
        narrow = None
        try:
            data = resp.json()
            through = int(data["accepted_through"])
            rejected = {int(r["seq"]): str(r["reason"]) for r in data.get("rejected") or []}
            halt = data.get("halt")
        except (ValueError, KeyError, TypeError) as exc:
            raise SyncError(
                "retry", "bad_answer", f"không đọc được trả lời của cổng: {exc!r}"
            ) from None
        now = iso(clock())
        # The portal holds other entries under some of these numbers: not rejections, but
        # entries to number again (below) and send after what the portal has.
        reused = sorted(s for s, r in rejected.items() if r.startswith("sequence_reused"))
        if reused and repairs < 3:
            rejected = {s: r for s, r in rejected.items() if s not in reused}
        else:
            reused = []
        with store.write():
            for seq, reason in rejected.items():
                if after < seq <= through:
                    store.conn.execute(
                        "UPDATE outbox SET rejected_reason = ?, acked_at = NULL, last_error = ? "
                        "WHERE seq = ?",
                        (reason, reason, seq),
                    )
            store.conn.execute(
                f"UPDATE outbox SET acked_at = ?, last_error = NULL "
                f"WHERE seq > ? AND seq <= ? AND {_PENDING} AND seq NOT IN "
                f"({','.join('?' * len(reused))})",
                (now, after, through, *reused),
            )
            if reused:
                # The store went back in time without `counter restore`: number what it
                # writes from now on past the portal too (events, codes), not only these.
                _raise_sequence(store, "outbox", int(data.get("last_seq", 0)))
                moved = _renumber_pending(store, reused[0], int(data.get("last_seq", 0)))
                log.warning(
                    "push: the portal holds other entries under %d of this store's numbers "
                    "(restored store or replaced PC); %d entries numbered again",
                    len(reused),
                    moved,
                )
            _check_epoch(store, data.get("epoch"), clock)
        if reused:
            repairs += 1
            if not rebased and config is not None:
                rebased = True
                try:
                    rebase_from_portal(store, config, client)
                except (SyncError, httpx.HTTPError, ValueError) as exc:
                    log.warning("rebase after reused numbers failed: %s", exc)
            continue
        done = sum(1 for s in seqs if s <= through)
        report.pushed += done
        report.rejected += sum(1 for s in rejected if after < s <= through)
        report.rejections += [(s, r) for s, r in rejected.items() if after < s <= through]
        report.applied += int(data.get("applied", 0))
        report.duplicates += int(data.get("duplicates", 0))
        _skew(store, data.get("server_time"), clock)
        if isinstance(halt, dict):
            code = str(halt.get("code", "halt"))
            message = str(halt.get("message", ""))
            portal_last = halt.get("last_seq")
            if code == "sequence_gap" and isinstance(portal_last, int) and repairs < 3:
                # The chain breaks where the portal stands. Behind this store (the portal was
                # restored): send again what it lost; it skips what it has. Ahead of it (this
                # store was restored, or is a replacement PC): go on after what the portal has.
                with store.write():
                    if portal_last < after:
                        store.conn.execute(
                            "UPDATE outbox SET acked_at = NULL, rejected_reason = NULL "
                            "WHERE seq > ?",
                            (portal_last,),
                        )
                    store.set_setting(K_CHAIN, str(portal_last))
                    _raise_sequence(store, "outbox", portal_last)
                log.warning(
                    "push: sequence gap, the portal stands at %d and this store at %d; chained on",
                    portal_last,
                    after,
                )
                repairs += 1
                continue
            raise SyncError(str(halt.get("class", "retry")), code, message)
        if done == 0:
            raise SyncError("retry", "no_progress", "cổng không nhận bản ghi nào của lô vừa gửi")


def _skew(store: Store, server_time: Any, clock: Clock) -> None:
    """This PC's clock minus the portal's, measured on every answer (beyond 2 minutes the
    status bar says so in red: receipt times would be wrong)."""
    if not isinstance(server_time, str):
        return
    try:
        skew = (clock() - datetime.fromisoformat(server_time)).total_seconds()
    except (ValueError, TypeError):
        return
    store.set_setting(K_SKEW, f"{skew:.0f}")


def _check_epoch(store: Store, epoch: Any, clock: Clock | None) -> bool:
    """Remember the portal's epoch; on a new one (the portal's database was restored), pull
    again from the start and show it. True when the epoch changed."""
    if not isinstance(epoch, str) or not epoch:
        return False
    known = store.get_setting(K_EPOCH)
    store.set_setting(K_EPOCH, epoch)
    if known is None or known == epoch:
        return False
    log.warning(
        "the portal's epoch changed (%s → %s): it was restored; pulling again", known, epoch
    )
    _portal_restored(store, clock)
    return True


def _portal_restored(store: Store, clock: Clock | None) -> None:
    """Pull again from the start (changes already applied are recognised by their id and
    skipped), and show the state until the next round that leaves nothing pending."""
    store.set_setting(K_CURSOR, "0")
    store.set_setting(K_PORTAL_RESTORED, iso((clock or system_clock)()))


# -- pull ------------------------------------------------------------------------------


@dataclass
class _PullContext:
    device_id: str
    calendar: WorkCalendar
    now: datetime


def pull(
    store: Store,
    client: httpx.Client,
    config: Config,
    report: SyncReport,
    *,
    clock: Clock = system_clock,
    stop: threading.Event | None = None,
) -> None:
    """Fetch and apply central changes since the stored cursor, page by page."""
    device_id, _ = _identity(store, config)
    ctx = _PullContext(device_id, WorkCalendar(config.office_hours, config.holidays), clock())
    page = min(PULL_PAGE, _int_setting(store, K_MAX_PULL, PULL_PAGE))
    repulls = 0
    while stop is None or not stop.is_set():
        cursor = _int_setting(store, K_CURSOR, 0)
        try:
            resp = client.get(
                ApiPath.CHANGES,
                params={"after": cursor, "limit": page},
                headers=_auth(store),
            )
        except httpx.HTTPError as exc:
            raise SyncError(
                "retry",
                "network",
                f"không kết nối được cổng dịch vụ công (portal unreachable): {exc!r}",
            ) from None
        if resp.status_code != 200:
            raise _error_of(resp)
        try:
            data = resp.json()
            changes = list(data["changes"])
            more = bool(data.get("more"))
        except (ValueError, KeyError, TypeError) as exc:
            raise SyncError(
                "retry", "bad_answer", f"không đọc được danh sách thay đổi: {exc!r}"
            ) from None
        with store.write():
            _skew(store, data.get("server_time"), clock)
            restarted = _check_epoch(store, data.get("epoch"), clock)
            latest = data.get("latest")
            if not restarted and not changes and isinstance(latest, int) and latest < cursor:
                # The cursor is ahead of every change the portal has: it lost some.
                log.warning(
                    "pull cursor %d is ahead of the portal's %d: pulling again", cursor, latest
                )
                _portal_restored(store, clock)
                restarted = True
        if restarted and repulls < 2:
            repulls += 1
            continue
        if not changes:
            return
        ctx.now = clock()
        with store.write():
            for change in changes:
                _apply_one(store, ctx, change, report)
            last = max(int(c["id"]) for c in changes)
            if last > cursor:
                store.set_setting(K_CURSOR, str(last))
        if not more:
            return


def _apply_one(store: Store, ctx: _PullContext, change: dict[str, Any], report: SyncReport) -> None:
    """Apply one change inside the page's transaction; a failure rejects it, not the page."""
    try:
        change_id = int(change["id"])
    except (KeyError, TypeError, ValueError):
        return
    if store.conn.execute(
        "SELECT 1 FROM pulled_changes WHERE change_id = ?", (change_id,)
    ).fetchone():
        return  # applied before (the cursor write raced a crash, or a replayed page)
    kind = str(change.get("kind", ""))
    uuid = str(change.get("dossier_uuid", ""))
    data = nfc_tree(change.get("data")) if isinstance(change.get("data"), dict) else {}
    assert isinstance(data, dict)
    report.pulled += 1
    try:
        with store.db.atomic():
            if kind == "dossier.status":
                reason = _apply_status(store, ctx, change_id, uuid, data)
            elif kind == "dossier.correction":
                reason = _apply_correction(store, ctx, change_id, uuid, data)
            elif kind == "rating":
                reason = _apply_rating(store, ctx, change_id, uuid, data)
            else:
                reason = f"unknown_kind: this counter does not know changes of kind {kind!r}"
    except Exception as exc:  # a bad change must never stop the counter
        log.exception("change %d (%s) for dossier %s failed to apply", change_id, kind, uuid)
        reason = f"error: {type(exc).__name__}: {exc}"
    store.conn.execute(
        "INSERT INTO pulled_changes(change_id, kind, dossier_uuid, created_at, applied_at, "
        "status, reason, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            change_id,
            kind,
            uuid,
            str(change.get("created_at", "")),
            iso(ctx.now),
            "rejected" if reason else "applied",
            reason,
            json.dumps(data, ensure_ascii=False, sort_keys=True),
        ),
    )
    if reason:
        report.pull_rejected += 1
        audit.record(
            store.db,
            at=iso(ctx.now),
            action="sync.change_rejected",
            username="portal",
            obj=f"change:{change_id}",
            details={"kind": kind, "dossier": uuid, "reason": reason},
        )
        if kind.startswith("dossier."):
            _outcome_entry(store, ctx, change_id, uuid, "refused", reason)
    else:
        report.pull_applied += 1


def _row(store: Store, uuid: str) -> dict[str, Any] | None:
    cur = store.conn.execute("SELECT * FROM dossiers WHERE uuid = ?", (uuid,))
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip([c[0] for c in cur.description], row, strict=True))


def _outcome_entry(
    store: Store, ctx: _PullContext, change_id: int, uuid: str, outcome: str, reason: str
) -> None:
    """Tell the portal what became of a change that made no timeline event here.

    `refused`: the counter did not apply it (the snapshot is its state of truth); `applied`:
    there was nothing to do (the dossier was already in that state).
    """
    row = _row(store, uuid)
    if row is None:
        return
    history.write_outbox(
        store.db,
        "dossier.change_outcome",
        {
            "device_id": ctx.device_id,
            "dossier_uuid": uuid,
            "change_id": change_id,
            "outcome": outcome,
            "reason": reason,
            "dossier": history.snapshot(row),
        },
        ctx.now,
    )


def _record(
    store: Store,
    ctx: _PullContext,
    row: dict[str, Any],
    action: str,
    from_status: str | None,
    at: datetime,
    by: str,
    details: dict[str, Any],
) -> None:
    """Timeline event (no officer) + audit entry + outbox entry, as an officer's action writes."""
    history.record_change(
        store.db,
        device_id=ctx.device_id,
        row=row,
        action=action,
        from_status=from_status,
        to_status=row["status"],
        at=at,
        audit_at=ctx.now,
        officer_id=None,
        username="portal",
        event_officer=f"portal:{by}" if by else "portal",
        details=details,
        audit_extra={"by": by},
    )


# How far ahead of this counter's clock a portal's timestamp may be (clocks drift a little).
FUTURE_TOLERANCE_SECONDS = 300


def _change_time(
    data: dict[str, Any], ctx: _PullContext, row: dict[str, Any] | None = None
) -> datetime:
    """When a central change happened: the portal's `at`, unless it cannot be true (before
    the dossier was received, or ahead of this counter's clock): a portal with a slow or fast
    clock must not date a finish before its receipt. Then the time it reached this counter."""
    try:
        at = parse_iso(str(data["at"]))
    except (KeyError, ValueError, TypeError):
        return ctx.now
    received = _when(row.get("received_at")) if row else None
    if (received is not None and at < received) or (
        (at - ctx.now).total_seconds() > FUTURE_TOLERANCE_SECONDS
    ):
        log.warning("a central change dated %s cannot be right; dated on arrival", iso(at))
        return ctx.now
    return at


def _apply_status(
    store: Store, ctx: _PullContext, change_id: int, uuid: str, data: dict[str, Any]
) -> str:
    row = _row(store, uuid)
    if row is None:
        return f"unknown_dossier: no dossier {uuid} on this counter"
    to_status = str(data.get("to_status", ""))
    if to_status not in STATUSES:
        return f"unknown_status: {to_status!r}"
    old = row["status"]
    if old == to_status:  # already there (the officer did it too): nothing to change
        _outcome_entry(store, ctx, change_id, uuid, "applied", "already in that status")
        return ""
    action = find_action(old, to_status, row["paused_from_status"])
    if action is None:
        return (
            f"illegal_transition: the dossier is {STATUSES[old].en.lower()} here, it cannot "
            f"become {STATUSES[to_status].en.lower()}"
        )
    at = _change_time(data, ctx, row)
    by = nfc(str(data.get("by", "")))
    note = nfc(str(data.get("note", "")))
    details: dict[str, Any] = {"change_id": change_id, "action": action, "by": by}
    if note:
        details["note"] = note
    to = nfc(str(data.get("to") or note or by or "portal")) if action == "return_result" else ""
    changes, effects = transition(
        action, row, at, ctx.calendar, to=to, reason=note or "back office"
    )
    details |= effects
    if to:
        details["to"] = to
    _update(store, uuid, changes)
    row |= changes
    _record(store, ctx, row, "portal.status", old, at, by, details)
    return ""


def _update(store: Store, uuid: str, changes: dict[str, Any]) -> None:
    cols = ", ".join(f"{k} = ?" for k in changes)
    store.conn.execute(f"UPDATE dossiers SET {cols} WHERE uuid = ?", (*changes.values(), uuid))


def _apply_correction(
    store: Store, ctx: _PullContext, change_id: int, uuid: str, data: dict[str, Any]
) -> str:
    row = _row(store, uuid)
    if row is None:
        return f"unknown_dossier: no dossier {uuid} on this counter"
    fields = data.get("fields")
    if not isinstance(fields, dict) or not fields:
        return "malformed: a correction without fields"
    bad = sorted(k for k in fields if k not in CORRECTABLE_FIELDS)
    if bad:
        return f"not_correctable: {', '.join(bad)} cannot be corrected from the portal"
    values = {k: nfc(str(v)).strip() for k, v in fields.items()}
    before = {k: row[k] for k in values}
    at = _change_time(data, ctx, row)
    changes: dict[str, Any] = {**values, "updated_at": iso(at), "version": row["version"] + 1}
    merged = row | values
    applicant = applicant_from_row(merged)
    rep = representative_from_row(merged)
    changes["search_text"] = search_text(row["code"], applicant, rep)
    _update(store, uuid, changes)
    row |= changes
    by = nfc(str(data.get("by", "")))
    details = {
        "change_id": change_id,
        "by": by,
        "fields": {k: {"from": before[k], "to": values[k]} for k in values},
    }
    _record(store, ctx, row, "portal.correction", row["status"], at, by, details)
    return ""


def _apply_rating(
    store: Store, ctx: _PullContext, change_id: int, uuid: str, data: dict[str, Any]
) -> str:
    if _row(store, uuid) is None:
        return f"unknown_dossier: no dossier {uuid} on this counter"
    score = data.get("score")
    if not isinstance(score, int) or not 1 <= score <= 5:
        return f"malformed: rating score {score!r}"
    store.conn.execute(
        "INSERT INTO ratings(change_id, dossier_uuid, score, comment, rated_at, received_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            change_id,
            uuid,
            score,
            nfc(str(data.get("comment", ""))),
            iso(_change_time(data, ctx)),
            iso(ctx.now),
        ),
    )
    audit.record(
        store.db,
        at=iso(ctx.now),
        action="sync.rating",
        username="portal",
        obj=f"dossier:{uuid}",
        details=_rating_details(change_id, score, data),
    )
    return ""


def _rating_details(change_id: int, score: int, data: dict[str, Any]) -> dict[str, Any]:
    """The audit entry of a pulled rating: the 1–5 score, and when the citizen rated on the
    portal's page, the DOMAIN §7 answers (overall: very_satisfied / satisfied / dissatisfied;
    criteria c1–c9 scored 2/1/0), which the `ratings` table has no columns for."""
    details: dict[str, Any] = {"change_id": change_id, "score": score}
    if isinstance(data.get("overall"), str):
        details["overall"] = data["overall"]
    criteria = data.get("criteria")
    if isinstance(criteria, dict):
        details["criteria"] = {
            str(k): v for k, v in criteria.items() if isinstance(v, int) and v in (0, 1, 2)
        }
    return details


# -- one round -------------------------------------------------------------------------


def make_client(config: Config) -> httpx.Client:
    """An httpx client with the configured timeout (connect capped at 10 s)."""
    timeout = config.portal.timeout_seconds
    return httpx.Client(
        base_url=config.portal.url,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        headers={"user-agent": f"counter-sync/{PROTOCOL_VERSION}"},
    )


def sync_once(
    target: Store | Path | str,
    config: Config,
    *,
    client: httpx.Client | None = None,
    clock: Clock = system_clock,
    max_batch: int | None = None,
    stop: threading.Event | None = None,
) -> SyncReport:
    """Enroll if needed, push the whole outbox, pull central changes; never raises SyncError.

    Give a path (e.g. `config.db_path`) from a worker thread: a Store of its own is opened
    and closed here. Network I/O happens outside any database transaction, so the UI's writes
    never wait on the portal.
    """
    store = target if isinstance(target, Store) else Store(target)
    own_client = client is None
    report = SyncReport()
    try:
        if not config.portal.url:
            report.skipped = "chưa cấu hình cổng dịch vụ công ([portal] url để trống)"
            report.pending = pending_count(store)
            return report
        http = client or make_client(config)
        try:
            _run(store, config, http, report, clock=clock, max_batch=max_batch, stop=stop)
        finally:
            if own_client:
                http.close()
        report.pending = pending_count(store)
        return report
    finally:
        if store is not target:
            store.close()


def _run(
    store: Store,
    config: Config,
    http: httpx.Client,
    report: SyncReport,
    *,
    clock: Clock,
    max_batch: int | None,
    stop: threading.Event | None,
) -> None:
    store.set_setting(K_LAST_ATTEMPT, iso(clock()))
    if store.get_setting(K_CODE) is not None:
        store.delete_setting(K_CODE)  # an older version kept the code itself
    try:
        try:
            if store.holds_demo_data():  # made-up people never reach a portal
                raise SyncError(
                    "reauth",
                    "demo_store",
                    "kho dữ liệu có dữ liệu mẫu (demo_data): không đồng bộ lên cổng; dùng một "
                    "thư mục dữ liệu mới với demo_data = false",
                )
            if store.get_setting(K_TOKEN) is None or (
                store.get_setting(K_URL) not in (None, config.portal.url)
            ):
                enroll(store, config, http)
                report.enrolled = True
            push(store, http, report, clock=clock, max_batch=max_batch, stop=stop, config=config)
            pull(store, http, config, report, clock=clock, stop=stop)
            if report.pull_applied or report.pull_rejected:
                # Confirm what was just pulled in this round, not the next one.
                push(
                    store, http, report, clock=clock, max_batch=max_batch, stop=stop, config=config
                )
            send_profile(store, config, http, report, clock=clock)
            from counter import witness  # (cryptography: not at the app's start)

            receipt, report.witness_error = witness.witness_round(store, http, _auth(store))
            if receipt is not None:
                report.witnessed_seq = int(receipt["seq"])
        except httpx.HTTPError as exc:
            raise SyncError(
                "retry",
                "network",
                f"không kết nối được cổng dịch vụ công (portal unreachable): {exc!r}",
            ) from None
    except SyncError as exc:
        report.error = exc
        log.warning("sync stopped (%s): %s", exc.error_class, exc)
        with store.write():
            store.set_setting(K_LAST_ERROR, f"{exc.error_class}: {exc.message}"[:500])
            store.set_setting(K_ERROR_CODE, exc.code)
            store.set_setting(K_ONLINE, "0" if exc.error_class == "retry" else "1")
            failures = _int_setting(store, K_FAILURES, 0) + 1
            store.set_setting(K_FAILURES, str(failures))
            if exc.error_class == "reauth" and exc.code in ("unauthenticated", "device_revoked"):
                # The credential is dead; forget it so that a new enrollment code is used.
                store.delete_setting(K_TOKEN)
        return
    if report.pushed or report.pulled or report.enrolled:
        log.info(
            "sync: pushed %d (applied %d, duplicates %d, rejected %d), pulled %d "
            "(applied %d, rejected %d)",
            report.pushed,
            report.applied,
            report.duplicates,
            report.rejected,
            report.pulled,
            report.pull_applied,
            report.pull_rejected,
        )
    for seq, reason in report.rejections:
        log.warning("sync: the portal rejected entry %d: %s", seq, reason[:300])
    with store.write():
        store.set_setting(K_LAST_SUCCESS, iso(clock()))
        store.set_setting(K_LAST_ERROR, "")
        store.set_setting(K_ERROR_CODE, "")
        if pending_count(store) == 0:
            store.delete_setting(K_PORTAL_RESTORED)
        store.set_setting(K_ONLINE, "1")
        store.set_setting(K_FAILURES, "0")


def run_sync_command(config: Config, *, client: httpx.Client | None = None) -> str:
    """`counter sync`: one round from the command line; the report text (for scripts)."""
    report = sync_once(config.db_path, config, client=client)
    return report.text()


# -- background worker -----------------------------------------------------------------


class SyncWorker:
    """Runs `sync_once` every `sync_interval_seconds` in a daemon thread, backing off on errors.

    Survives crashes by design: all progress is in SQLite, so a restarted worker resumes
    where the last acknowledged batch left off. `sync_now()` wakes it; `on_status` (called in
    the worker thread) receives the fresh `SyncStatus` after each round.
    """

    def __init__(
        self,
        config: Config,
        *,
        on_status: Callable[[SyncStatus], None] | None = None,
        clock: Clock = system_clock,
        rng: random.Random | None = None,
    ):
        self.config = config
        self.on_status = on_status
        self.clock = clock
        self.rng = rng or random.Random()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = 0

    def start(self) -> SyncWorker:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="counter-sync", daemon=True)
            self._thread.start()
        return self

    def sync_now(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        failures = 0
        interval = self.config.portal.sync_interval_seconds
        while not self._stop.is_set():
            try:
                report = sync_once(
                    self.config.db_path, self.config, clock=self.clock, stop=self._stop
                )
                failures = 0 if report.ok or report.skipped else failures + 1
            except Exception:  # a bug must not kill the worker; back off and try again
                log.exception("sync round failed")
                failures += 1
            self.rounds += 1
            if self.on_status is not None:
                try:
                    store = Store(self.config.db_path)
                    try:
                        self.on_status(sync_status(store, self.config))
                    finally:
                        store.close()
                except Exception:
                    log.exception("sync status could not be passed to the app")
            delay = (
                interval
                if failures == 0
                else backoff_delay(failures, base=min(interval, 2.0), cap=300.0, rng=self.rng)
            )
            self._wake.wait(delay)
            self._wake.clear()
