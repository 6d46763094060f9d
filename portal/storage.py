"""The portal's storage: the ingest log, the projections, devices and the changes to pull.

`Storage` is the small interface the HTTP app and the admin commands use; `SQLiteStorage` is
the default implementation (one file, WAL, `synchronous=FULL`, versioned migrations). A
PostgreSQL implementation only has to provide the same methods with the same transactions.

Exactly-once ingest (protocol v1, docs/sync-protocol.md): each device has `last_seq`, the
highest outbox sequence the portal has applied *or rejected*. A pushed batch is processed in
sequence order inside one transaction that also advances `last_seq`; an entry at or below
`last_seq` is a duplicate and changes nothing; an entry above it is processed only if its
predecessor (the batch's `after_seq`, then the previous entry) is `last_seq`, so nothing is
skipped. The answer is sent only after the commit, and the counter moves its checkpoint only
after the answer, so a lost answer means a harmless duplicate on the next push.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool

from counter.codes import parse_code
from counter.history import PORTAL_FIELDS
from counter.lifecycle import ACTIONS, STATUSES
from counter.lookup import device_short_id
from counter.private import private_database
from counter.timeutil import to_vn

PROTOCOL_VERSION = 1
# Entry kinds this portal understands, with the newest payload schema version of each.
SUPPORTED_KINDS: dict[str, int] = {"dossier.event": 1, "dossier.change_outcome": 1}
# Dossier fields the back office may correct (pushed to the counter as `dossier.correction`).
CORRECTABLE_FIELDS = ("applicant_phone", "applicant_email", "applicant_address", "note")
_log = logging.getLogger("portal")
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand
FOREIGN = "wrong_device: the entry names device"


def utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _rows_by_client(c: Any, keys: list[str]) -> dict[str, Any]:
    """The rate limit's rows of `keys`, by key."""
    marks = ", ".join("?" for _ in keys)
    rows = c.execute(
        f"SELECT client, window_start, failures FROM lookup_failures WHERE client IN ({marks})",
        keys,
    ).fetchall()
    return {row["client"]: row for row in rows}


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def minimal_snapshot(snap: dict[str, Any]) -> dict[str, Any]:
    """Only the dossier fields the portal needs (`counter.history.PORTAL_FIELDS`), whatever a
    counter sends: an older counter's whole row never reaches the database."""
    return {k: v for k, v in snap.items() if k in PORTAL_FIELDS}


def minimal_payload(payload: Any) -> Any:
    """An entry's payload as the ingest log keeps it: its dossier snapshot minimised."""
    if isinstance(payload, dict) and isinstance(payload.get("dossier"), dict):
        return {**payload, "dossier": minimal_snapshot(payload["dossier"])}
    return payload


def canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class StorageError(Exception):
    """A refusal with a machine-readable code (the HTTP layer maps it to a status)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Device:
    device_id: str
    agency_code: str
    counter_no: int
    device_secret: str
    enrolled_at: str
    revoked_at: str | None
    last_seq: int
    last_seen_at: str | None = None
    profile: str = ""  # the centre profile as JSON (counter.profile), "" until one is sent


@dataclass(frozen=True)
class Entry:
    """One outbox entry as pushed; `payload` is the decoded JSON (None for an oversize stub)."""

    seq: int
    kind: str
    schema_version: int
    created_at: str
    payload: Any
    local_reject: str = ""
    problem: str = ""  # why the HTTP layer found this entry unreadable ("" when it is fine)


@dataclass(frozen=True)
class Halt:
    """Why processing of a batch stopped early; the entries before it were processed."""

    error_class: str  # "retry" | "rejected" | "reauth"
    code: str
    message: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class PushOutcome:
    last_seq: int
    accepted_through: int
    applied: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    halt: Halt | None = None


@dataclass(frozen=True)
class Change:
    id: int
    kind: str
    dossier_uuid: str
    created_at: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Rating:
    """A citizen's satisfaction rating of one dossier (DOMAIN §7), one per dossier."""

    dossier_uuid: str
    overall: str  # one of RATING_OVERALL
    criteria: dict[str, int]  # "c1".."c9" → 2 / 1 / 0
    comment: str
    rated_at: str
    score: int  # 1–5, what counters of protocol v1 store


# The overall question and what it is worth on the 1–5 scale counters of protocol v1 store.
RATING_OVERALL: dict[str, int] = {"very_satisfied": 5, "satisfied": 3, "dissatisfied": 1}
RATING_CRITERIA = tuple(f"c{i}" for i in range(1, 10))

# The dossier snapshot's fields the citizen page reads (`portal.page`), and no others: the
# PostgreSQL read sends only these, and the page sees only these on SQLite too, so a field the
# page starts using without listing it here is missing on both backends alike (and a test
# notices). Those from the counter's forms (#12: payment state, Mẫu 02/03/04/05) may be absent.
PAGE_SNAPSHOT_FIELDS = (
    "delivery",
    "fee_amount",
    "payment_method",
    "payment_state",
    "paused_at",
    "finished_at",
    "returned_to",
    "closed_reason",
    "refusal_reason",
    "stop_reason",
    "withdraw_reason",
    "supplement_request",
    "extended_due_at",
    "extension_reason",
)


@dataclass
class CitizenView:
    """What the citizen page needs after the token verified, read in one round trip: the
    dossier, its timeline and its rating (a verified receipt is never rate limited)."""

    dossier: dict[str, Any] | None
    events: list[dict[str, Any]]
    rating: Rating | None


class Storage(Protocol):
    """What the app and the admin commands need from a storage backend."""

    def create_enrollment_code(
        self,
        agency_code: str,
        counter_no: int,
        *,
        ttl_hours: float = 168,
        device_id: str | None = None,
    ) -> str: ...
    def enroll(
        self,
        code: str,
        device_id: str,
        device_secret: str,
        agency_code: str,
        counter_no: int,
        *,
        also: Callable[[Any], None] | None = None,
    ) -> tuple[Device, str]: ...
    def code_sequences(self, agency_code: str, counter_no: int) -> dict[str, int]: ...
    def authenticate(self, token: str) -> Device: ...
    async def authenticate_async(self, token: str) -> Device: ...
    def revoke(self, device_id: str) -> Device: ...
    def device(self, device_id: str) -> Device | None: ...
    def devices(self) -> list[Device]: ...
    def set_profile(self, device_id: str, profile: dict[str, Any]) -> None: ...
    def devices_by_short_id(self, short_id: str, *, cached: bool = False) -> list[Device]: ...
    def cached_devices(self, short_id: str) -> list[Device] | None: ...
    def ingest(self, device: Device, after_seq: int, entries: list[Entry]) -> PushOutcome: ...
    def changes_since(
        self, device_id: str, cursor: int, limit: int
    ) -> tuple[list[Change], bool]: ...
    async def changes_since_async(
        self, device_id: str, cursor: int, limit: int
    ) -> tuple[list[Change], bool]: ...
    def set_status(
        self, dossier: str, to_status: str, *, by: str, note: str = "", to: str = ""
    ) -> Change: ...
    def correct(self, dossier: str, fields: dict[str, str], *, by: str) -> Change: ...
    def add_rating(self, dossier: str, score: int, comment: str = "") -> Change: ...
    def submit_rating(
        self, dossier_uuid: str, overall: str, criteria: dict[str, int], comment: str = ""
    ) -> Change: ...
    def rating_of(self, dossier_uuid: str) -> Rating | None: ...
    def ratings(self, limit: int = 500) -> list[dict[str, Any]]: ...
    def dossier(self, ref: str) -> dict[str, Any] | None: ...
    def timeline(self, dossier_uuid: str) -> list[dict[str, Any]]: ...
    def change(self, change_id: int) -> dict[str, Any] | None: ...
    def rejections(self, device_id: str | None = None) -> list[dict[str, Any]]: ...
    def lookup_blocked(self, client: str, prefix: str | None = None) -> int: ...
    def lookup_failed(self, client: str, prefix: str | None = None) -> int: ...
    def citizen_view(self, dossier_uuid: str) -> CitizenView: ...
    def epoch(self) -> str: ...
    def new_epoch(self) -> str: ...
    def latest_change_id(self, device_id: str) -> int: ...
    def max_event_id(self, device_id: str) -> int: ...
    def purge(self, *, closed_days: float, payload_days: float) -> dict[str, int]: ...
    def close(self) -> None: ...


# Days of dossier-code sequences an enrolling counter is given (see `code_sequences`).
CODE_SEQUENCE_DAYS = 7

# Statements both backends run from the sync API (PostgreSQL also from the event loop).
AUTHENTICATE_SQL = "SELECT * FROM devices WHERE token_hash = ?"
CHANGES_SINCE_SQL = (
    "SELECT id, kind, dossier_uuid, data, created_at FROM changes "
    "WHERE device_id = ? AND id > ? ORDER BY id LIMIT ?"
)


# -- SQLite ------------------------------------------------------------------------------


def _m1(conn: sqlite3.Connection) -> None:
    """Devices, enrollment codes, the ingest log, the projections and the changes to pull."""
    _script(
        conn,
        """
        CREATE TABLE enrollment_codes (
            code_hash TEXT PRIMARY KEY,
            agency_code TEXT NOT NULL,
            counter_no INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT,
            used_by TEXT
        );
        CREATE TABLE devices (
            device_id TEXT PRIMARY KEY,
            agency_code TEXT NOT NULL,
            counter_no INTEGER NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            device_secret TEXT NOT NULL,
            enrolled_at TEXT NOT NULL,
            revoked_at TEXT,
            last_seq INTEGER NOT NULL DEFAULT 0,
            last_seen_at TEXT
        );
        CREATE TABLE ingest (
            device_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            schema_version INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            received_at TEXT NOT NULL,
            payload_hash TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('applied', 'rejected')),
            reason TEXT NOT NULL DEFAULT '',
            payload TEXT NOT NULL,
            PRIMARY KEY (device_id, seq)
        ) WITHOUT ROWID;
        CREATE INDEX ingest_rejected ON ingest(status) WHERE status = 'rejected';
        CREATE TABLE dossiers (
            uuid TEXT PRIMARY KEY,
            device_id TEXT NOT NULL,
            code TEXT NOT NULL UNIQUE,
            agency_code TEXT NOT NULL,
            counter_no INTEGER NOT NULL,
            procedure_code TEXT NOT NULL,
            procedure_name TEXT NOT NULL,
            applicant_name TEXT NOT NULL,
            status TEXT NOT NULL,
            status_code INTEGER NOT NULL,
            received_at TEXT NOT NULL,
            due_at TEXT NOT NULL,
            finished_at TEXT,
            returned_at TEXT,
            ticket TEXT NOT NULL DEFAULT '',
            version INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            synced_at TEXT NOT NULL,
            snapshot TEXT NOT NULL
        );
        CREATE INDEX dossiers_device ON dossiers(device_id);
        CREATE TABLE dossier_events (
            device_id TEXT NOT NULL,
            event_id INTEGER NOT NULL,
            dossier_uuid TEXT NOT NULL,
            seq INTEGER NOT NULL,
            at TEXT NOT NULL,
            action TEXT NOT NULL,
            from_status TEXT,
            to_status TEXT NOT NULL,
            officer TEXT NOT NULL DEFAULT '',
            details TEXT NOT NULL DEFAULT '{}',
            PRIMARY KEY (device_id, event_id)
        ) WITHOUT ROWID;
        CREATE INDEX dossier_events_dossier ON dossier_events(dossier_uuid, at);
        CREATE TABLE tickets (
            dossier_uuid TEXT PRIMARY KEY,
            device_id TEXT NOT NULL,
            ticket TEXT NOT NULL,
            day TEXT NOT NULL
        );
        CREATE TABLE ratings (
            id INTEGER PRIMARY KEY,
            dossier_uuid TEXT NOT NULL,
            score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
            comment TEXT NOT NULL DEFAULT '',
            rated_at TEXT NOT NULL
        );
        CREATE TABLE changes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            device_id TEXT NOT NULL,
            dossier_uuid TEXT NOT NULL,
            kind TEXT NOT NULL,
            data TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL DEFAULT '',
            outcome TEXT NOT NULL DEFAULT 'pending'
                CHECK (outcome IN ('pending', 'applied', 'refused')),
            outcome_reason TEXT NOT NULL DEFAULT '',
            outcome_at TEXT
        );
        CREATE INDEX changes_device ON changes(device_id, id);
        """,
    )


def _m2(conn: sqlite3.Connection) -> None:
    """The citizen page: devices by short id, DOMAIN §7 ratings (one per dossier), and the
    failed-lookup counters of the rate limit (in the database, so every worker shares them)."""
    _script(
        conn,
        """
        ALTER TABLE devices ADD COLUMN short_id TEXT NOT NULL DEFAULT '';
        CREATE INDEX devices_short_id ON devices(short_id);
        ALTER TABLE ratings ADD COLUMN overall TEXT NOT NULL DEFAULT '';
        ALTER TABLE ratings ADD COLUMN criteria TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE ratings ADD COLUMN source TEXT NOT NULL DEFAULT 'back-office';
        ALTER TABLE ratings ADD COLUMN legacy INTEGER NOT NULL DEFAULT 0;
        UPDATE ratings SET legacy = 1;
        CREATE UNIQUE INDEX ratings_one_per_dossier ON ratings(dossier_uuid) WHERE legacy = 0;
        CREATE TABLE lookup_failures (
            client TEXT PRIMARY KEY,
            window_start TEXT NOT NULL,
            failures INTEGER NOT NULL
        );
        CREATE INDEX lookup_failures_window ON lookup_failures(window_start)
        """,
    )
    for row in conn.execute("SELECT device_id FROM devices").fetchall():
        conn.execute(
            "UPDATE devices SET short_id = ? WHERE device_id = ?",
            (device_short_id(row[0]), row[0]),
        )


def _m6(conn: sqlite3.Connection) -> None:
    """The portal's epoch: an identity per database lifetime, new after a restore (issue #13)."""
    conn.execute("CREATE TABLE portal_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO portal_meta(key, value) VALUES ('epoch', ?)", (new_epoch_id(),))


def new_epoch_id() -> str:
    return secrets.token_hex(8)


def change_id_floor(moment: datetime) -> int:
    """The lowest id a change made from now on may take: milliseconds since 1970.

    Raised at every start, it keeps change ids from ever being reused after the database is
    restored from a backup (the restored sequence is behind, the clock is not), so a counter
    never takes a new change for one it already pulled, nor an old confirmation for a new one.
    """
    return int(moment.timestamp() * 1000)


def _script(conn: Any, sql: str) -> None:
    """Run statements one by one (executescript would COMMIT the migration's transaction)."""
    for statement in sql.split(";"):
        if statement.strip():
            conn.execute(statement)


def _m3(conn: sqlite3.Connection) -> None:
    """The centre profile each device sends (`counter.profile`), shown on its receipts' pages;
    on the device row, so the page's cached device carries it at no extra read."""
    conn.execute("ALTER TABLE devices ADD COLUMN profile TEXT NOT NULL DEFAULT ''")


def _m4(conn: sqlite3.Connection) -> None:
    """Security (issue 19): enrollment codes bound to the device they re-enroll; the
    installation's secrets (the key of the client hashes of the rate limit)."""
    _script(
        conn,
        """
        ALTER TABLE enrollment_codes ADD COLUMN device_id TEXT;
        CREATE TABLE portal_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)
        """,
    )


def _m5(conn: sqlite3.Connection) -> None:
    """The witness (portal/witness.py): device signing keys, witnessed audit heads, alarms."""
    _script(conn, WITNESS_SCHEMA.replace("BIGSERIAL", "INTEGER").replace("BIGINT", "INTEGER"))


# Shared by both backends (PostgreSQL's migration 5 runs it as written).
WITNESS_SCHEMA = """
    CREATE TABLE device_keys (
        device_id TEXT NOT NULL,
        public_key TEXT NOT NULL,
        registered_at TEXT NOT NULL,
        retired_at TEXT,
        PRIMARY KEY (device_id, public_key)
    );
    CREATE INDEX device_keys_public ON device_keys(public_key);
    CREATE TABLE key_rotations (
        device_id TEXT PRIMARY KEY,
        allowed_at TEXT NOT NULL
    );
    CREATE TABLE witnessed_heads (
        device_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        hash TEXT NOT NULL,
        witnessed_at TEXT NOT NULL,
        PRIMARY KEY (device_id, seq)
    );
    CREATE TABLE witness_alarms (
        id BIGSERIAL PRIMARY KEY,
        device_id TEXT NOT NULL,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        seq BIGINT NOT NULL,
        hash TEXT NOT NULL,
        witnessed_seq BIGINT NOT NULL
    );
    CREATE INDEX witness_alarms_device ON witness_alarms(device_id, id)
"""

MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_m1, _m2, _m3, _m4, _m5, _m6]
SCHEMA_VERSION = len(MIGRATIONS)


ENROLLMENT_REFUSED = (
    "enrollment refused: ask the portal operator for a new enrollment code for this counter"
)


def enrollment_refusal(
    code: Any,
    existing: Any,
    counter_taken: bool,
    now: str,
    device_id: str,
    device_secret: str,
    agency_code: str,
    counter_no: int,
) -> str | None:
    """Why an enrollment must be refused (for the portal's log only), or None to accept.

    - the code exists, has not expired (used or not) and is for this agency and counter;
    - an unused code bound to a device (`enroll-code --device`) enrolls that device only; an
      unbound one enrolls only a device the portal has never seen, so a code (or the device
      id printed in every export manifest) cannot take a known counter over;
    - re-enrolling a device that is not revoked proves possession of its key: the device
      secret it sent at its first enrollment (a revoked device comes back only through a
      code the operator issued for it);
    - a used code is accepted again only from the device that used it, with the same device
      secret, inside the code's lifetime, when it was not revoked since: the answer to its
      first enrollment was lost;
    - the counter number is not held by another active device.
    """
    if code is None:
        return "unknown code"
    if code["expires_at"] < now:
        return "expired code"
    if (code["agency_code"], code["counter_no"]) != (agency_code, counter_no):
        return "code for another counter"
    same_secret = existing is not None and hmac.compare_digest(
        str(existing["device_secret"]).encode(), device_secret.encode()
    )
    if code["used_by"] is not None:
        if code["used_by"] != device_id or not same_secret or existing["revoked_at"] is not None:
            return "code already used"
    else:
        bound = code["device_id"]
        if bound is not None and bound != device_id:
            return "code issued for another device"
        if existing is not None and bound is None:
            return "known device without a code issued for it"
        if existing is not None and existing["revoked_at"] is None and not same_secret:
            return "active device re-enrolling without its key"
    if counter_taken:
        return "counter held by another device"
    return None


class SQLStorage:
    """The storage logic, written once in the SQL both SQLite and PostgreSQL speak.

    A backend provides `_tx()` (one write transaction, serialised as each backend needs),
    `_read()` (a connection for reads), `_FOR_UPDATE` (how `_lock_device` locks a device's
    row), `_serialize()` (a global lock for enrollment) and `_unique_violation()`. Statements
    use `?` placeholders; the PostgreSQL backend translates them.
    """

    clock: Callable[[], datetime]
    # Failed lookups free of delay per client address, and per code prefix (agency and day,
    # from any address); the longest delay, and the quiet time after which a count is forgotten.
    lookup_max_failures: int = 10
    lookup_max_prefix_failures: int = 100
    lookup_window: timedelta = timedelta(minutes=15)
    # How long `devices_by_short_id(…, cached=True)` may answer from this process's memory
    # (the citizen page; 0: always ask the database). See `devices_by_short_id`.
    device_cache_seconds: float = 10.0
    _device_cache: dict[str, tuple[float, list[Device]]]
    _DEVICE_CACHE_MAX = 10_000  # short ids remembered at most (a city has a few thousand)

    def _tx(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _read(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    # Appended to `_lock_device`'s read: PostgreSQL locks the row (SQLite has one writer).
    _FOR_UPDATE = ""

    def _lock_device(self, c: Any, device_id: str) -> Any:
        """Serialise writes touching one device (its ingest and the changes queued for it,
        whose ids must commit in order); its row (`last_seq`, `revoked_at`), or None."""
        return c.execute(
            "SELECT last_seq, revoked_at FROM devices WHERE device_id = ?" + self._FOR_UPDATE,
            (device_id,),
        ).fetchone()

    def _serialize(self, c: Any, key: int) -> None:
        """A lock held to the end of the transaction (PostgreSQL: an advisory lock)."""

    def _unique_violation(self, exc: BaseException) -> bool:
        raise NotImplementedError

    def _now(self) -> str:
        return _iso(self.clock())

    # The key of `client_hash`: `[security] hash_key` (or COUNTER_PORTAL_HASH_KEY) when set,
    # else made once per installation and kept in `portal_secrets` (shared by every worker).
    hash_key: bytes = b""

    def load_hash_key(self, configured: str = "") -> None:
        """Called once the schema is migrated (and before serving)."""
        if configured:
            self.hash_key = configured.encode("utf-8")
            return
        with self._tx() as c:
            c.execute(
                "INSERT INTO portal_secrets(name, value) VALUES ('client_hash_key', ?) "
                "ON CONFLICT(name) DO NOTHING",
                (secrets.token_hex(32),),
            )
            row = c.execute(
                "SELECT value FROM portal_secrets WHERE name = 'client_hash_key'"
            ).fetchone()
        self.hash_key = bytes.fromhex(str(row["value"]))

    def client_hash(self, client: str) -> str:
        """A keyed hash of a client address: an unsalted SHA-256 of an IPv4 address is undone
        by hashing all 2^32 of them; without the key no address can be tried."""
        if not self.hash_key:
            raise RuntimeError("load_hash_key() was not called")
        return hmac.new(self.hash_key, client.encode("utf-8"), hashlib.sha256).hexdigest()

    def close(self) -> None:
        raise NotImplementedError

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    # -- the database's lifetime -----------------------------------------------------------

    _epoch: str = ""

    def epoch(self) -> str:
        """This database's identity (see `new_epoch`); read once per process."""
        if not self._epoch:
            with self._read() as c:
                row = c.execute("SELECT value FROM portal_meta WHERE key = 'epoch'").fetchone()
            self._epoch = str(row["value"])
        return self._epoch

    def new_epoch(self) -> str:
        """Mark this database as restored (`counter-portal restored`): a new epoch, which
        tells every counter to pull again from the start, and change ids raised past the
        clock. Restart the portal's other workers afterwards."""
        epoch = new_epoch_id()
        with self._tx() as c:
            c.execute("UPDATE portal_meta SET value = ? WHERE key = 'epoch'", (epoch,))
        self._raise_change_floor()
        self._epoch = epoch
        return epoch

    def _raise_change_floor(self) -> None:
        raise NotImplementedError

    def latest_change_id(self, device_id: str) -> int:
        """The newest change id queued for this device (0: none)."""
        with self._read() as c:
            row = c.execute(
                "SELECT max(id) AS m FROM changes WHERE device_id = ?", (device_id,)
            ).fetchone()
        return int(row["m"] or 0)

    def max_event_id(self, device_id: str) -> int:
        """The highest timeline event id this device has sent (0: none): a counter restored
        from a backup numbers its new events past it, so none is taken for a duplicate."""
        with self._read() as c:
            row = c.execute(
                "SELECT max(event_id) AS m FROM dossier_events WHERE device_id = ?", (device_id,)
            ).fetchone()
        return int(row["m"] or 0)

    # -- devices ---------------------------------------------------------------------------

    def create_enrollment_code(
        self,
        agency_code: str,
        counter_no: int,
        *,
        ttl_hours: float = 168,
        device_id: str | None = None,
    ) -> str:
        """A one-time code (e.g. `K7QM-3XWD-P9TA`) for one counter of one agency.

        With `device_id` the code re-enrolls that known device (after a revocation or a lost
        token); without it, it enrolls a device the portal has never seen. A known device can
        never be taken over with a code meant for a new one.
        """
        if not 1 <= counter_no <= 99:
            raise StorageError("invalid_counter", f"counter number must be 1–99, got {counter_no}")
        if not agency_code.strip():
            raise StorageError("invalid_agency", "agency code is empty")
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
        code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
        now = self.clock()
        with self._tx() as c:
            c.execute(
                "INSERT INTO enrollment_codes(code_hash, agency_code, counter_no, created_at, "
                "expires_at, device_id) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    _sha256(_normal_code(code)),
                    agency_code.strip(),
                    counter_no,
                    _iso(now),
                    _iso(now + timedelta(hours=ttl_hours)),
                    device_id.strip() if device_id else None,
                ),
            )
        return code

    def enroll(
        self,
        code: str,
        device_id: str,
        device_secret: str,
        agency_code: str,
        counter_no: int,
        *,
        also: Callable[[Any], None] | None = None,
    ) -> tuple[Device, str]:
        """Register (or re-register) a device; returns it with its new bearer token.

        A code works once, within its lifetime, for one device (`enrollment_refusal` says
        when it does not). Every refusal is the same `enrollment_refused`, naming no device,
        counter or reason: a stolen or guessed code learns nothing. The reason goes to the
        portal's log for the operator.
        `also(c)` runs inside the same transaction (the witness registers the device's
        signing key there).
        """
        now = self._now()
        token = secrets.token_urlsafe(32)
        with self._tx() as c:
            self._serialize(c, 1)  # enrollments one at a time: "counter_taken" must hold
            row = c.execute(
                "SELECT * FROM enrollment_codes WHERE code_hash = ?",
                (_sha256(_normal_code(code)),),
            ).fetchone()
            existing = c.execute(
                "SELECT * FROM devices WHERE device_id = ?", (device_id,)
            ).fetchone()
            taken = c.execute(
                "SELECT device_id FROM devices WHERE agency_code = ? AND counter_no = ? "
                "AND revoked_at IS NULL AND device_id != ?",
                (agency_code, counter_no, device_id),
            ).fetchone()
            reason = enrollment_refusal(
                row,
                existing,
                taken is not None,
                now,
                device_id,
                device_secret,
                agency_code,
                counter_no,
            )
            if reason is not None:
                _log.info("enrollment refused: %s", reason)
                raise StorageError("enrollment_refused", ENROLLMENT_REFUSED)
            if existing is None:
                c.execute(
                    "INSERT INTO devices(device_id, agency_code, counter_no, token_hash, "
                    "device_secret, enrolled_at, short_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        device_id,
                        agency_code,
                        counter_no,
                        _sha256(token),
                        device_secret,
                        now,
                        device_short_id(device_id),
                    ),
                )
            else:
                c.execute(
                    "UPDATE devices SET agency_code = ?, counter_no = ?, token_hash = ?, "
                    "device_secret = ?, enrolled_at = ?, revoked_at = NULL WHERE device_id = ?",
                    (agency_code, counter_no, _sha256(token), device_secret, now, device_id),
                )
            if row["used_by"] is None:
                c.execute(
                    "UPDATE enrollment_codes SET used_at = ?, used_by = ? WHERE code_hash = ?",
                    (now, device_id, row["code_hash"]),
                )
            if also is not None:
                also(c)
        self._cache().clear()
        device = self.device(device_id)
        assert device is not None
        return device, token

    def code_sequences(self, agency_code: str, counter_no: int) -> dict[str, int]:
        """The highest dossier-code sequence the portal holds for this counter on each of the
        last `CODE_SEQUENCE_DAYS` days (ISO day → sequence), from every device that was ever
        this counter. A counter PC replaced by a fresh install continues from these instead of
        starting again at 0001 and clashing with its predecessor's codes of the day."""
        since = (to_vn(self.clock()) - timedelta(days=CODE_SEQUENCE_DAYS)).date()
        with self._read() as c:
            rows = c.execute(
                "SELECT d.code FROM dossiers d JOIN devices v ON v.device_id = d.device_id "
                "WHERE v.agency_code = ? AND v.counter_no = ? AND d.received_at >= ?",
                (agency_code, counter_no, since.isoformat()),
            ).fetchall()
        last: dict[str, int] = {}
        for row in rows:
            code = parse_code(str(row["code"]))
            if code is None or (code.agency, code.counter_no) != (agency_code, counter_no):
                continue
            day = code.day.isoformat()
            last[day] = max(last.get(day, 0), code.seq)
        return last

    def authenticate(self, token: str) -> Device:
        with self._read() as c:
            row = c.execute(AUTHENTICATE_SQL, (_sha256(token),)).fetchone()
        return _authenticated(row)

    async def authenticate_async(self, token: str) -> Device:
        """`authenticate` for a handler on the event loop (PostgreSQL reads it there)."""
        return await run_in_threadpool(self.authenticate, token)

    def revoke(self, device_id: str) -> Device:
        with self._tx() as c:
            cur = c.execute(
                "UPDATE devices SET revoked_at = ? WHERE device_id = ? AND revoked_at IS NULL",
                (self._now(), device_id),
            )
            if cur.rowcount == 0 and self.device(device_id) is None:
                raise StorageError("not_found", f"no device {device_id}")
        self._cache().clear()
        device = self.device(device_id)
        assert device is not None
        return device

    def device(self, device_id: str) -> Device | None:
        with self._read() as c:
            row = c.execute("SELECT * FROM devices WHERE device_id = ?", (device_id,)).fetchone()
        return None if row is None else _device(row)

    def devices_by_short_id(self, short_id: str, *, cached: bool = False) -> list[Device]:
        """Devices whose `device_short_id` is this (the 8 characters in a receipt URL).

        `cached=True` (the citizen page) may answer from this process's memory, at most
        `device_cache_seconds` old, and only for short ids that matched a device: a device
        enrolled since is found at once. A device secret replaced by re-enrollment can still
        verify its old receipts in another worker until its entry expires; the page asks the
        database again before it counts a failure, so the new secret works at once. Enrolling
        or revoking through this object empties its cache.
        """
        key = short_id.lower()
        if cached:
            hit = self.cached_devices(key)
            if hit is not None:
                return hit
        with self._read() as c:
            rows = c.execute("SELECT * FROM devices WHERE short_id = ?", (key,)).fetchall()
        return self._remember_devices(key, [_device(r) for r in rows])

    def _remember_devices(self, key: str, found: list[Device]) -> list[Device]:
        """Cache the devices of a short id that matched some (see `devices_by_short_id`)."""
        if found and self.device_cache_seconds > 0:
            cache = self._cache()
            if len(cache) >= self._DEVICE_CACHE_MAX:
                cache.clear()
            cache[key] = (time.monotonic() + self.device_cache_seconds, found)
        return found

    def cached_devices(self, short_id: str) -> list[Device] | None:
        """The devices of this short id from this process's cache (see `devices_by_short_id`),
        or None when they are not there or too old: answered without any I/O, so the page can
        ask from the event loop."""
        if self.device_cache_seconds <= 0:
            return None
        hit = self._cache().get(short_id.lower())
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return None

    def _cache(self) -> dict[str, tuple[float, list[Device]]]:
        return self._device_cache

    def set_profile(self, device_id: str, profile: dict[str, Any]) -> None:
        """Store the centre profile a device sent (validated by `counter.profile`)."""
        with self._tx() as c:
            cur = c.execute(
                "UPDATE devices SET profile = ? WHERE device_id = ? AND revoked_at IS NULL",
                (canonical_json(profile), device_id),
            )
            if cur.rowcount == 0:
                raise StorageError("device_revoked", "this device was revoked")
        self._cache().clear()

    def devices(self) -> list[Device]:
        with self._read() as c:
            rows = c.execute("SELECT * FROM devices ORDER BY enrolled_at").fetchall()
        return [_device(r) for r in rows]

    # -- retention -------------------------------------------------------------------------

    def purge(self, *, closed_days: float, payload_days: float) -> dict[str, int]:
        """Forget what the portal no longer needs (`counter-portal purge`).

        - ingest payloads older than `payload_days` become `{}`: a retry is answered from the
          payload hash, which stays, so only the text a person could read goes; so do the
          contact corrections the counter has answered;
        - dossiers closed (refused, withdrawn, stopped, returned) more than `closed_days`
          ago are deleted with their timeline, ticket, rating and back-office changes;
        - whole dossier rows stored before minimisation (issue 19) are cut down.
        """
        now = self.clock()
        payload_cut = _iso(now - timedelta(days=payload_days))
        closed_cut = _iso(now - timedelta(days=closed_days))
        closed = tuple(name for name, st in STATUSES.items() if st.terminal)
        marks = ",".join("?" * len(closed))
        with self._tx() as c:
            pruned = c.execute(
                "UPDATE ingest SET payload = '{}' WHERE received_at < ? AND payload != '{}'",
                (payload_cut,),
            ).rowcount
            # Contact corrections the counter has answered: their phone, e-mail or address
            # are on the counter now.
            pruned += c.execute(
                "UPDATE changes SET data = '{}' WHERE kind = 'dossier.correction' "
                "AND outcome != 'pending' AND created_at < ? AND data != '{}'",
                (payload_cut,),
            ).rowcount
            uuids = [
                str(r["uuid"])
                for r in c.execute(
                    f"SELECT uuid FROM dossiers WHERE status IN ({marks}) "
                    "AND COALESCE(returned_at, finished_at, updated_at) < ?",
                    (*closed, closed_cut),
                ).fetchall()
            ]
            for uuid in uuids:
                for table in ("dossier_events", "tickets", "ratings", "changes"):
                    c.execute(f"DELETE FROM {table} WHERE dossier_uuid = ?", (uuid,))
                c.execute("DELETE FROM dossiers WHERE uuid = ?", (uuid,))
            minimised = self._minimise_old_rows(c)
        return {"payloads": int(pruned or 0), "dossiers": len(uuids), "minimised": minimised}

    # A field only whole rows from counters before issue 19 carry.
    _WHOLE_ROW_MARK = '%"applicant_id"%'

    def _minimise_old_rows(self, c: Any) -> int:
        """Cut snapshots and ingest payloads stored before minimisation down to
        `PORTAL_FIELDS` (the payload hash, which answers retries, is kept as it was)."""
        done = 0
        for row in c.execute(
            "SELECT uuid, snapshot FROM dossiers WHERE snapshot LIKE ?", (self._WHOLE_ROW_MARK,)
        ).fetchall():
            snap = minimal_snapshot(json.loads(row["snapshot"]))
            c.execute(
                "UPDATE dossiers SET snapshot = ? WHERE uuid = ?",
                (canonical_json(snap), row["uuid"]),
            )
            done += 1
        for row in c.execute(
            "SELECT device_id, seq, payload FROM ingest WHERE payload LIKE ?",
            (self._WHOLE_ROW_MARK,),
        ).fetchall():
            c.execute(
                "UPDATE ingest SET payload = ? WHERE device_id = ? AND seq = ?",
                (
                    canonical_json(minimal_payload(json.loads(row["payload"]))),
                    row["device_id"],
                    row["seq"],
                ),
            )
            done += 1
        return done

    # -- push ------------------------------------------------------------------------------

    def ingest(self, device: Device, after_seq: int, entries: list[Entry]) -> PushOutcome:
        """Apply a batch once and in order, in one transaction; see the module docstring."""
        now = self._now()
        with self._tx() as c:
            row = self._lock_device(c, device.device_id)
            if row is None or row["revoked_at"] is not None:
                raise StorageError("device_revoked", "this device was revoked")
            last = int(row["last_seq"])
            out = PushOutcome(last_seq=last, accepted_through=after_seq)
            prev = after_seq
            for entry in entries:
                if entry.seq <= last:
                    self._duplicate(c, device, entry, out)
                elif prev != last:
                    out.halt = Halt(
                        "retry",
                        "sequence_gap",
                        f"entry {entry.seq} follows {prev}, but the portal has applied "
                        f"up to {last}: resend from {last}",
                        {"last_seq": last},
                    )
                    break
                else:
                    version = SUPPORTED_KINDS.get(entry.kind)
                    if version is not None and entry.schema_version > version:
                        out.halt = Halt(
                            "retry",
                            "schema_unsupported",
                            f"{entry.kind} schema {entry.schema_version} is newer than this "
                            f"portal ({version}): the portal must be upgraded",
                            {"kind": entry.kind, "max_schema_version": version},
                        )
                        break
                    reason = self._apply(c, device, entry, now)
                    if reason.startswith(FOREIGN):
                        # Not this device's entry (a stolen credential, a copied store): it
                        # must not use up the device's sequence numbers. Nothing is recorded.
                        out.halt = Halt("rejected", "foreign_entry", reason, {"last_seq": last})
                        break
                    text = canonical_json(entry.payload)
                    kept = canonical_json(minimal_payload(entry.payload))
                    c.execute(
                        "INSERT INTO ingest(device_id, seq, kind, schema_version, created_at, "
                        "received_at, payload_hash, status, reason, payload) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            device.device_id,
                            entry.seq,
                            entry.kind,
                            entry.schema_version,
                            entry.created_at,
                            now,
                            _entry_hash(entry, text),
                            "rejected" if reason else "applied",
                            reason,
                            kept,
                        ),
                    )
                    if reason:
                        out.rejected.append((entry.seq, reason))
                    else:
                        out.applied += 1
                    last = entry.seq
                out.accepted_through = entry.seq
                prev = entry.seq
            c.execute(
                "UPDATE devices SET last_seq = ?, last_seen_at = ? WHERE device_id = ?",
                (last, now, device.device_id),
            )
            out.last_seq = last
        return out

    def _duplicate(self, c: Any, device: Device, entry: Entry, out: PushOutcome) -> None:
        """An entry already processed: report its recorded outcome, change nothing."""
        out.duplicates += 1
        row = c.execute(
            "SELECT payload_hash, status, reason FROM ingest WHERE device_id = ? AND seq = ?",
            (device.device_id, entry.seq),
        ).fetchone()
        if row is None:
            return
        if row["payload_hash"] != _entry_hash(entry, canonical_json(entry.payload)):
            out.rejected.append(
                (
                    entry.seq,
                    "sequence_reused: the portal already holds a different entry with this "
                    "sequence number (was the counter's database replaced?)",
                )
            )
        elif row["status"] == "rejected":
            out.rejected.append((entry.seq, row["reason"]))

    def _apply(self, c: Any, device: Device, entry: Entry, now: str) -> str:
        """Project one entry; return '' when applied or the reason it is rejected."""
        if entry.local_reject:
            return f"counter_rejected: {entry.local_reject}"
        if entry.problem:
            return f"malformed: {entry.problem}"
        if entry.kind not in SUPPORTED_KINDS:
            return f"unknown_kind: this portal does not know entries of kind {entry.kind!r}"
        p = entry.payload
        if not isinstance(p, dict):
            return "malformed: the payload is not a JSON object"
        if p.get("device_id") != device.device_id:
            return f"{FOREIGN} {p.get('device_id')!r}"
        snap = p.get("dossier")
        if not isinstance(snap, dict) or snap.get("uuid") != p.get("dossier_uuid"):
            return "malformed: the dossier snapshot is missing or names another dossier"
        missing = [
            k
            for k in ("code", "status", "version", "received_at", "due_at", "procedure_code")
            if k not in snap
        ]
        if missing:
            return f"malformed: the dossier snapshot lacks {', '.join(missing)}"
        problem = _snapshot_problem(snap)
        if problem:
            return f"malformed: {problem}"
        if snap["status"] not in STATUSES:
            return f"malformed: unknown status {snap['status']!r}"
        parsed = parse_code(str(snap["code"]))
        if parsed is None:
            return f"malformed: {snap['code']!r} is not a dossier code"
        if parsed.agency != device.agency_code or parsed.counter_no != device.counter_no:
            return (
                f"wrong_counter: dossier code {snap['code']} is not from counter "
                f"{device.counter_no} of agency {device.agency_code}"
            )
        # The dossier itself (its owner and version) and any other dossier holding its code,
        # in one statement.
        owner = clash = None
        for known in c.execute(
            "SELECT uuid, device_id, version FROM dossiers WHERE uuid = ? OR code = ?",
            (snap["uuid"], snap["code"]),
        ).fetchall():
            if known["uuid"] == snap["uuid"]:
                owner = known
            else:
                clash = known
        if owner is not None and owner["device_id"] != device.device_id:
            return f"wrong_device: dossier {snap['uuid']} belongs to another device"
        if clash is not None:
            return f"code_clash: dossier code {snap['code']} is already used by another dossier"
        if entry.kind == "dossier.event":
            event = p.get("event")
            if not isinstance(event, dict) or not _int_ok(event.get("id")):
                return "malformed: the event is missing or has no id"
            if not all(isinstance(event.get(k, ""), str) for k in ("at", "action", "to_status")):
                return "malformed: the event's at, action and to_status must be text"
            held = c.execute(
                "SELECT dossier_uuid, action, at FROM dossier_events "
                "WHERE device_id = ? AND event_id = ?",
                (device.device_id, event["id"]),
            ).fetchone()
            if held is not None and (held["dossier_uuid"], held["action"], held["at"]) != (
                snap["uuid"],
                str(event.get("action", "")),
                str(event.get("at", "")),
            ):
                # Another event holds this id (a store copied back without `counter restore`):
                # rejected and shown, never dropped in silence.
                return (
                    f"event_id_reused: event {event['id']} of this device is another event "
                    "(was the counter's database restored without `counter restore`?)"
                )
        refused = entry.kind == "dossier.change_outcome" and p.get("outcome") != "applied"
        if owner is None or int(snap["version"]) >= int(owner["version"]) or refused:
            # A refusal is the counter's word on a central change: its state stands even
            # though the change raised the portal's version (`set_status`).
            self._project(c, device, snap, now)
        if entry.kind == "dossier.event":
            self._event(c, device, entry.seq, snap["uuid"], p["event"])
        else:  # dossier.change_outcome: a change the counter refused, or had nothing to do for
            outcome = "applied" if p.get("outcome") == "applied" else "refused"
            self._outcome(c, device, p.get("change_id"), outcome, str(p.get("reason", "")), now)
        return ""

    def _project(self, c: Any, device: Device, snap: dict[str, Any], now: str) -> None:
        parsed = parse_code(str(snap["code"]))
        assert parsed is not None
        values = (
            snap["uuid"],
            device.device_id,
            snap["code"],
            parsed.agency,
            parsed.counter_no,
            snap.get("procedure_code", ""),
            snap.get("procedure_name", ""),
            snap.get("applicant_name", ""),
            snap["status"],
            int(snap.get("status_code") or STATUSES[snap["status"]].dvcqg),
            snap["received_at"],
            snap["due_at"],
            snap.get("finished_at"),
            snap.get("returned_at"),
            snap.get("ticket") or "",
            int(snap["version"]),
            snap.get("updated_at") or now,
            now,
            canonical_json(minimal_snapshot(snap)),
        )
        c.execute(
            "INSERT INTO dossiers(uuid, device_id, code, agency_code, counter_no, procedure_code, "
            "procedure_name, applicant_name, status, status_code, received_at, due_at, "
            "finished_at, returned_at, ticket, version, updated_at, synced_at, snapshot) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(uuid) DO UPDATE SET code = excluded.code, "
            "procedure_code = excluded.procedure_code, procedure_name = excluded.procedure_name, "
            "applicant_name = excluded.applicant_name, status = excluded.status, "
            "status_code = excluded.status_code, received_at = excluded.received_at, "
            "due_at = excluded.due_at, finished_at = excluded.finished_at, "
            "returned_at = excluded.returned_at, ticket = excluded.ticket, "
            "version = excluded.version, updated_at = excluded.updated_at, "
            "synced_at = excluded.synced_at, snapshot = excluded.snapshot",
            values,
        )
        if snap.get("ticket"):
            c.execute(
                "INSERT INTO tickets(dossier_uuid, device_id, ticket, day) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(dossier_uuid) DO UPDATE SET ticket = excluded.ticket",
                (snap["uuid"], device.device_id, snap["ticket"], str(snap["received_at"])[:10]),
            )

    def _event(self, c: Any, device: Device, seq: int, uuid: str, event: dict[str, Any]) -> None:
        details = event.get("details") or {}
        c.execute(
            "INSERT INTO dossier_events(device_id, event_id, dossier_uuid, seq, at, action, "
            "from_status, to_status, officer, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (
                device.device_id,
                event["id"],
                uuid,
                seq,
                str(event.get("at", "")),
                str(event.get("action", "")),
                event.get("from_status"),
                str(event.get("to_status", "")),
                str(event.get("officer") or ""),
                canonical_json(details),
            ),
        )
        if isinstance(details, dict) and details.get("change_id") is not None:
            self._outcome(c, device, details["change_id"], "applied", "", str(event.get("at", "")))

    def _outcome(
        self,
        c: Any,
        device: Device,
        change_id: Any,
        outcome: str,
        reason: str,
        at: str,
    ) -> None:
        if not isinstance(change_id, int):
            return
        c.execute(
            "UPDATE changes SET outcome = ?, outcome_reason = ?, outcome_at = ? "
            "WHERE id = ? AND device_id = ?",
            (outcome, reason, at, change_id, device.device_id),
        )

    # -- pull ------------------------------------------------------------------------------

    def changes_since(self, device_id: str, cursor: int, limit: int) -> tuple[list[Change], bool]:
        with self._read() as c:
            rows = c.execute(CHANGES_SINCE_SQL, (device_id, cursor, limit + 1)).fetchall()
        return _changes_page(rows, limit)

    async def changes_since_async(
        self, device_id: str, cursor: int, limit: int
    ) -> tuple[list[Change], bool]:
        """`changes_since` for a handler on the event loop (PostgreSQL reads it there)."""
        return await run_in_threadpool(self.changes_since, device_id, cursor, limit)

    # -- back office -----------------------------------------------------------------------

    def _find(self, c: Any, ref: str) -> Any:
        row = c.execute(
            "SELECT * FROM dossiers WHERE uuid = ? OR code = ?", (ref.strip(), ref.strip().upper())
        ).fetchone()
        if row is None:
            raise StorageError("not_found", f"no dossier {ref} on the portal")
        return row

    def _change(
        self,
        c: Any,
        row: Any,
        kind: str,
        data: dict[str, Any],
        by: str,
        now: str,
    ) -> Change:
        new = c.execute(
            "INSERT INTO changes(device_id, dossier_uuid, kind, data, created_at, created_by) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (row["device_id"], row["uuid"], kind, canonical_json(data), now, by),
        ).fetchone()
        return Change(int(new["id"]), kind, row["uuid"], now, data)

    def _find_locked(self, c: Any, ref: str) -> Any:
        """The dossier, read again after locking its device (the order ingest locks in)."""
        row = self._find(c, ref)
        self._lock_device(c, row["device_id"])
        return self._find(c, row["uuid"])

    def set_status(
        self, dossier: str, to_status: str, *, by: str, note: str = "", to: str = ""
    ) -> Change:
        """The back office moves a dossier (e.g. to `processing`, `result_ready`)."""
        if to_status not in STATUSES:
            raise StorageError(
                "invalid_status", f"unknown status {to_status!r} (known: {', '.join(STATUSES)})"
            )
        now = self._now()
        with self._tx() as c:
            row = self._find_locked(c, dossier)
            snap = json.loads(row["snapshot"])
            action = find_action(row["status"], to_status, snap.get("paused_from_status"))
            if action is None:
                raise StorageError(
                    "illegal_transition",
                    f"dossier {row['code']} is {row['status']}: it cannot move to {to_status}",
                )
            if action in ("refuse", "withdraw", "stop") and not note:
                raise StorageError("reason_required", f"{action} needs a reason (--note)")
            if action == "return_result" and not (to or note):
                raise StorageError("recipient_required", "say who collected the result (--to)")
            # The version goes up, so a counter entry written before the counter saw this
            # change (same version) cannot overwrite it; the counter's echo (version + 1) does.
            c.execute(
                "UPDATE dossiers SET status = ?, status_code = ?, version = version + 1 "
                "WHERE uuid = ?",
                (to_status, STATUSES[to_status].dvcqg, row["uuid"]),
            )
            data = {"to_status": to_status, "action": action, "note": note, "by": by, "at": now}
            if to:
                data["to"] = to
            return self._change(c, row, "dossier.status", data, by, now)

    def correct(self, dossier: str, fields: dict[str, str], *, by: str) -> Change:
        """The back office corrects contact details or the note of a dossier."""
        bad = sorted(set(fields) - set(CORRECTABLE_FIELDS))
        if bad or not fields:
            raise StorageError(
                "invalid_field",
                f"only {', '.join(CORRECTABLE_FIELDS)} can be corrected (got {bad or 'nothing'})",
            )
        now = self._now()
        with self._tx() as c:
            row = self._find_locked(c, dossier)
            return self._change(
                c, row, "dossier.correction", {"fields": fields, "by": by, "at": now}, by, now
            )

    def add_rating(self, dossier: str, score: int, comment: str = "") -> Change:
        """A rating recorded by the back office (1–5), passed on to the counter that served."""
        if not 1 <= score <= 5:
            raise StorageError("invalid_score", f"a rating is 1–5, got {score}")
        return self._rate(dossier, score, "", {}, comment, "back-office")

    def submit_rating(
        self, dossier_uuid: str, overall: str, criteria: dict[str, int], comment: str = ""
    ) -> Change:
        """A citizen's DOMAIN §7 rating from the status page: nine criteria scored 2/1/0 and
        the overall answer. One per dossier (a unique index), only once the result is
        returned; passed on to the counter as a `rating` change (score 5/3/1 for protocol v1
        counters, the criteria beside it)."""
        if overall not in RATING_OVERALL:
            raise StorageError("invalid_rating", f"overall must be one of {list(RATING_OVERALL)}")
        if set(criteria) != set(RATING_CRITERIA) or any(
            v not in (0, 1, 2) or isinstance(v, bool) for v in criteria.values()
        ):
            raise StorageError("invalid_rating", "criteria c1–c9 must each be 2, 1 or 0")
        return self._rate(
            dossier_uuid, RATING_OVERALL[overall], overall, criteria, comment, "citizen"
        )

    def _rate(
        self,
        dossier: str,
        score: int,
        overall: str,
        criteria: dict[str, int],
        comment: str,
        source: str,
    ) -> Change:
        comment = comment.strip()[:1000]
        now = self._now()
        try:
            with self._tx() as c:
                row = self._find_locked(c, dossier)
                if source == "citizen" and row["status"] != "returned":
                    raise StorageError(
                        "not_returned", "a dossier is rated once its result is returned"
                    )
                new = c.execute(
                    "INSERT INTO ratings(dossier_uuid, score, comment, rated_at, overall, "
                    "criteria, source) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (row["uuid"], score, comment, now, overall, canonical_json(criteria), source),
                ).fetchone()
                data: dict[str, Any] = {
                    "rating_id": int(new["id"]),
                    "score": score,
                    "comment": comment,
                    "at": now,
                }
                if overall:
                    data |= {"overall": overall, "criteria": criteria}
                by = "citizen" if source == "citizen" else "back-office"
                return self._change(c, row, "rating", data, by, now)
        except Exception as exc:
            if self._unique_violation(exc):
                raise StorageError("already_rated", "this dossier has been rated") from None
            raise

    def rating_of(self, dossier_uuid: str) -> Rating | None:
        with self._read() as c:
            row = c.execute(
                "SELECT * FROM ratings WHERE dossier_uuid = ? AND legacy = 0", (dossier_uuid,)
            ).fetchone()
        return _rating(row)

    def ratings(self, limit: int = 500) -> list[dict[str, Any]]:
        """The newest ratings with their dossier's code and counter (for the supervisor)."""
        with self._read() as c:
            rows = c.execute(
                "SELECT r.id, r.dossier_uuid, d.code, d.agency_code, d.counter_no, r.score, "
                "r.overall, r.criteria, r.comment, r.rated_at, r.source FROM ratings r "
                "JOIN dossiers d ON d.uuid = r.dossier_uuid ORDER BY r.id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        out = []
        for r in rows:
            item = dict(r)
            item["criteria"] = json.loads(item["criteria"] or "{}")
            out.append(item)
        return out

    # -- rate limit of the citizen page ----------------------------------------------------

    def _limits(self, client: str, prefix: str | None) -> list[tuple[str, int]]:
        """(key, free failures) of every counter a failed lookup adds to: the client address,
        and the code prefix (agency and day) the lookup named, from whatever address. Keys
        are keyed hashes (`client_hash`), never the address or the code; a prefix's is
        marked ("prefix:…", which no address looks like)."""
        limits = [(self.client_hash(client), self.lookup_max_failures)]
        if prefix:
            key = self.client_hash(f"prefix:{prefix}")
            limits.append((key, self.lookup_max_prefix_failures))
        return limits

    def lookup_blocked(self, client: str, prefix: str | None = None) -> int:
        """Seconds until a failed lookup from `client` (naming `prefix`) counts again."""
        now = self.clock()
        limits = self._limits(client, prefix)
        with self._read() as c:
            rows = _rows_by_client(c, [key for key, _ in limits])
        return max(self._blocked_for(rows.get(key), free, now) for key, free in limits)

    def lookup_failed(self, client: str, prefix: str | None = None) -> int:
        """Count one failed lookup from `client` naming the code prefix `prefix`; return the
        seconds its next failure must wait (0: none), i.e. whether to answer HTTP 429.

        A failure that arrives while a counter's delay runs is refused and not counted: the
        delay doubles with each failure that *is* counted, so an enumerator gets its free
        failures and then about one evaluated guess per doubling (1 s, 2 s, 4 s … up to
        `lookup_window`), while the count of a key quiet for twice `lookup_window` is
        forgotten.
        Receipts that verify are never refused (`portal.page`), so a centre's citizens behind
        one public address are not locked out by one enumerator among them.
        """
        now = self.clock()
        limits = self._limits(client, prefix)
        # Quiet for twice the longest delay: forgotten. (Once, a key was reset as soon as the
        # longest delay ran out, which gave an enumerator its free failures again.)
        expired = _iso(now - 2 * self.lookup_window)
        with self._tx() as c:
            rows = _rows_by_client(c, [key for key, _ in limits])
            waiting = max(self._blocked_for(rows.get(key), free, now) for key, free in limits)
            if waiting:
                return waiting
            for key, free in limits:  # always in the same order: no deadlock between workers
                row = c.execute(
                    "INSERT INTO lookup_failures(client, window_start, failures) VALUES (?, ?, 1) "
                    "ON CONFLICT(client) DO UPDATE SET "
                    "failures = CASE WHEN lookup_failures.window_start < ? THEN 1 "
                    "ELSE lookup_failures.failures + 1 END, "
                    "window_start = excluded.window_start "
                    "RETURNING window_start, failures",
                    (key, _iso(now), expired),
                ).fetchone()
                waiting = max(waiting, self._blocked_for(row, free, now))
            if secrets.randbelow(50) == 0:  # now and then, forget quiet keys
                c.execute("DELETE FROM lookup_failures WHERE window_start < ?", (expired,))
        return waiting

    def citizen_view(self, dossier_uuid: str) -> CitizenView:
        """The dossier `dossier_uuid` with its timeline and rating, in one connection checkout
        (PostgreSQL overrides it with one statement)."""
        with self._read() as c:
            row = c.execute("SELECT * FROM dossiers WHERE uuid = ?", (dossier_uuid,)).fetchone()
            if row is None:
                return CitizenView(None, [], None)
            events = c.execute(
                "SELECT * FROM dossier_events WHERE dossier_uuid = ? ORDER BY seq",
                (dossier_uuid,),
            ).fetchall()
            rating = c.execute(
                "SELECT * FROM ratings WHERE dossier_uuid = ? AND legacy = 0", (dossier_uuid,)
            ).fetchone()
        return CitizenView(dict(row), [dict(e) for e in events], _rating(rating))

    def _blocked_for(self, row: Any, free: int, now: datetime) -> int:
        """Seconds left of the delay a counter's row imposes: none for its first `free - 1`
        failures, then 1 s after the `free`-th, doubling with each further one, at most
        `lookup_window`; `window_start` holds the latest counted failure."""
        if row is None or int(row["failures"]) < free:
            return 0
        excess = min(int(row["failures"]) - free, 40)
        delay = min(timedelta(seconds=2**excess), self.lookup_window)
        until = datetime.fromisoformat(row["window_start"]) + delay
        return int((until - now).total_seconds()) + 1 if until > now else 0

    # -- reading ---------------------------------------------------------------------------

    def dossier(self, ref: str) -> dict[str, Any] | None:
        with self._read() as c:
            row = c.execute(
                "SELECT * FROM dossiers WHERE uuid = ? OR code = ?",
                (ref.strip(), ref.strip().upper()),
            ).fetchone()
        return None if row is None else dict(row)

    def timeline(self, dossier_uuid: str) -> list[dict[str, Any]]:
        with self._read() as c:
            rows = c.execute(
                "SELECT * FROM dossier_events WHERE dossier_uuid = ? ORDER BY seq",
                (dossier_uuid,),
            ).fetchall()
        return [dict(r) for r in rows]

    def change(self, change_id: int) -> dict[str, Any] | None:
        with self._read() as c:
            row = c.execute("SELECT * FROM changes WHERE id = ?", (change_id,)).fetchone()
        return None if row is None else dict(row)

    def rejections(self, device_id: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT device_id, seq, kind, created_at, received_at, reason FROM ingest "
            "WHERE status = 'rejected'"
        )
        args: tuple[Any, ...] = ()
        if device_id:
            sql += " AND device_id = ?"
            args = (device_id,)
        with self._read() as c:
            rows = c.execute(sql + " ORDER BY received_at, seq", args).fetchall()
        return [dict(r) for r in rows]


def find_action(status: str, to_status: str, paused_from: str | None) -> str | None:
    """The lifecycle action that moves `status` to `to_status`, if one may."""
    for action in ACTIONS.values():
        if action.key == "receive" or action.keeps_status or status not in action.sources:
            continue
        target = action.target if action.target is not None else (paused_from or "received")
        if target == to_status:
            return action.key
    return None


_MAX_INT = 2**63 - 1
_TEXT_FIELDS = ("uuid", "code", "status", "received_at", "due_at", "procedure_code")
_OPTIONAL_TEXT = (
    "procedure_name",
    "applicant_name",
    "finished_at",
    "returned_at",
    "ticket",
    "updated_at",
)


def _int_ok(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_INT


def _snapshot_problem(snap: dict[str, Any]) -> str:
    """Why a snapshot cannot be stored as is ('' when it can): types, sizes, NUL bytes."""
    if "\\u0000" in canonical_json(snap):
        return "the dossier snapshot holds a NUL character"
    for key in _TEXT_FIELDS:
        if not isinstance(snap.get(key), str):
            return f"the snapshot's {key} must be text"
    for key in _OPTIONAL_TEXT:
        if snap.get(key) is not None and not isinstance(snap.get(key), str):
            return f"the snapshot's {key} must be text"
    if not _int_ok(snap.get("version")):
        return "the snapshot's version must be a non-negative integer"
    if snap.get("status_code") is not None and not _int_ok(snap.get("status_code")):
        return "the snapshot's status_code must be a non-negative integer"
    return ""


def _normal_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _entry_hash(entry: Entry, payload_text: str) -> str:
    return _sha256(f"{entry.kind}\n{entry.schema_version}\n{payload_text}")


def _authenticated(row: Any) -> Device:
    """The device of a credential's row, or why it may not sync."""
    if row is None:
        raise StorageError("unauthenticated", "unknown or replaced device credential")
    device = _device(row)
    if device.revoked_at is not None:
        raise StorageError("device_revoked", "this device was revoked by the portal admin")
    return device


def _changes_page(rows: list[Any], limit: int) -> tuple[list[Change], bool]:
    """Up to `limit` changes from `limit + 1` rows, and whether more are waiting."""
    changes = [
        Change(r["id"], r["kind"], r["dossier_uuid"], r["created_at"], json.loads(r["data"]))
        for r in rows[:limit]
    ]
    return changes, len(rows) > limit


def _rating(row: Any) -> Rating | None:
    if row is None:
        return None
    return Rating(
        dossier_uuid=row["dossier_uuid"],
        overall=row["overall"],
        criteria=json.loads(row["criteria"] or "{}"),
        comment=row["comment"],
        rated_at=row["rated_at"],
        score=int(row["score"]),
    )


def _device(row: Any) -> Device:
    return Device(
        device_id=row["device_id"],
        agency_code=row["agency_code"],
        counter_no=int(row["counter_no"]),
        device_secret=row["device_secret"],
        enrolled_at=row["enrolled_at"],
        revoked_at=row["revoked_at"],
        last_seq=int(row["last_seq"]),
        last_seen_at=row["last_seen_at"],
        profile=row["profile"] or "",
    )


class SQLiteStorage(SQLStorage):
    """The default storage: one SQLite file (WAL, `synchronous=FULL`).

    One connection guarded by a lock in this process; `BEGIN IMMEDIATE` serialises writers
    across processes too (several workers on one file work; PostgreSQL scales further).
    """

    def __init__(self, path: Path | str, *, clock: Callable[[], datetime] = utc_now):
        self.path = Path(path)
        private_database(self.path)  # citizens' data: owner-only, WAL and SHM included
        self.clock = clock
        self._device_cache = {}
        self._lock = threading.RLock()
        self.conn = sqlite3.connect(
            self.path, isolation_level=None, timeout=10, check_same_thread=False
        )
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA busy_timeout = 10000")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.migrate()
        self._raise_change_floor()
        self.load_hash_key()

    @property
    def version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        for version in range(SCHEMA_VERSION):
            with self._tx():
                current = self.version  # read under the write lock: another process may race
                if current > SCHEMA_VERSION:
                    raise RuntimeError(
                        f"{self.path}: portal schema {current} is newer than this portal "
                        f"({SCHEMA_VERSION})"
                    )
                if current != version:
                    continue
                MIGRATIONS[version](self.conn)
                self.conn.execute(f"PRAGMA user_version = {version + 1}")

    def _raise_change_floor(self) -> None:
        floor = change_id_floor(self.clock())
        with self._tx() as c:
            row = c.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
            if row is None:
                c.execute("INSERT INTO sqlite_sequence(name, seq) VALUES ('changes', ?)", (floor,))
            elif int(row["seq"]) < floor:
                c.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'changes'", (floor,))

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self.conn

    def _unique_violation(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read-only SQL for tests and reports."""
        with self._read() as c:
            return [tuple(r) for r in c.execute(sql, args).fetchall()]
