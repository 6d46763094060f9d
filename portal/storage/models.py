"""The portal's storage vocabulary: the records it keeps and answers with, and the `Storage`
interface the HTTP app and the admin commands use; its own home so that callers (and the
backends) share these names without loading any backend."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from counter.history import PORTAL_FIELDS
from counter.protocol import (
    ENTRY_CHANGE_OUTCOME,
    ENTRY_DOSSIER_EVENT,
    ErrorClass,
    ErrorCode,
)

# Entry kinds this portal understands, with the newest payload schema version of each.
SUPPORTED_KINDS: dict[str, int] = {ENTRY_DOSSIER_EVENT: 1, ENTRY_CHANGE_OUTCOME: 1}
# Dossier fields the back office may correct (pushed to the counter as `dossier.correction`).
CORRECTABLE_FIELDS = ("applicant_phone", "applicant_email", "applicant_address", "note")


def utc_now() -> datetime:
    return datetime.now(UTC)


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

    def __init__(self, code: ErrorCode, message: str):
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

    error_class: ErrorClass
    code: ErrorCode
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
