"""The counter ↔ portal contract (protocol v1): version, paths, error classes and payloads.

Its own home because both sides speak it: the counter (`counter.sync`, `counter.witness`) and
the portal (`portal.api`, `portal.storage`) import these names instead of spelling strings, so
a renamed path or error code is a type error on both sides, not a silent mismatch.
docs/sync-protocol.md describes the exchanges in words; this module is what the code agrees on.
Plain data only: no HTTP client, no server, no database.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, NotRequired, TypedDict

PROTOCOL_VERSION = 1
API = "/api/v1"


class ApiPath(StrEnum):
    """Every API path the portal serves under `API` (the counter calls the device ones)."""

    HEALTH = f"{API}/health"
    OPENAPI = f"{API}/openapi.json"
    ENROLL = f"{API}/enroll"
    DEVICE = f"{API}/device"
    PUSH = f"{API}/push"
    CHANGES = f"{API}/changes"
    PROFILE = f"{API}/profile"
    WITNESS = f"{API}/witness"
    ADMIN_WITNESS = f"{API}/admin/witness"
    ADMIN_VERIFY = f"{API}/admin/verify"
    ADMIN_STATUS = f"{API}/admin/status"
    ADMIN_REJECTIONS = f"{API}/admin/rejections"
    ADMIN_RATINGS = f"{API}/admin/ratings"


# The paths a counter calls (with the method): each must be served by the portal's routes.
COUNTER_CALLS: tuple[tuple[str, ApiPath], ...] = (
    ("POST", ApiPath.ENROLL),
    ("GET", ApiPath.DEVICE),
    ("POST", ApiPath.PUSH),
    ("GET", ApiPath.CHANGES),
    ("PUT", ApiPath.PROFILE),
    ("POST", ApiPath.WITNESS),
    ("GET", ApiPath.WITNESS),
)


class ErrorClass(StrEnum):
    """What the counter does about an error: the `class` of every error answer."""

    RETRY = "retry"  # later, with backoff (network, timeouts, 5xx, limits)
    REJECTED = "rejected"  # never accepted as is: recorded with its reason
    REAUTH = "reauth"  # the credential is dead: enroll again with a new code


class ErrorCode(StrEnum):
    """Every error `code` either side emits: API errors, push halts, rejection reasons (the
    word before the colon of an entry's or a change's reason) and the counter's own."""

    # -- the portal's API answers
    ADMIN_DISABLED = "admin_disabled"
    BAD_ENTRY = "bad_entry"
    BAD_JSON = "bad_json"
    BAD_PROFILE = "bad_profile"
    BAD_QUERY = "bad_query"
    BAD_REQUEST = "bad_request"
    BATCH_TOO_LARGE = "batch_too_large"
    BODY_TOO_LARGE = "body_too_large"
    DEMO_STORE = "demo_store"
    HTTP_ERROR = "http_error"
    SERVER_ERROR = "server_error"
    UNORDERED_BATCH = "unordered_batch"
    # -- the portal's storage (StorageError codes)
    ALREADY_RATED = "already_rated"
    AUDIT_FORK = "audit_fork"
    AUDIT_ROLLBACK = "audit_rollback"
    BAD_HEAD = "bad_head"
    BAD_KEY = "bad_key"
    DEVICE_REVOKED = "device_revoked"
    ENROLLMENT_REFUSED = "enrollment_refused"
    ILLEGAL_TRANSITION = "illegal_transition"
    INVALID_AGENCY = "invalid_agency"
    INVALID_COUNTER = "invalid_counter"
    INVALID_FIELD = "invalid_field"
    INVALID_RATING = "invalid_rating"
    INVALID_SCORE = "invalid_score"
    INVALID_STATUS = "invalid_status"
    KEY_MISMATCH = "key_mismatch"
    NOT_FOUND = "not_found"
    NOT_RETURNED = "not_returned"
    REASON_REQUIRED = "reason_required"
    RECIPIENT_REQUIRED = "recipient_required"
    UNAUTHENTICATED = "unauthenticated"
    # -- a push halted part-way (`halt.code`)
    FOREIGN_ENTRY = "foreign_entry"
    SCHEMA_UNSUPPORTED = "schema_unsupported"
    SEQUENCE_GAP = "sequence_gap"
    # -- why one pushed entry was rejected (`rejected[].reason` starts with it)
    CODE_CLASH = "code_clash"
    COUNTER_REJECTED = "counter_rejected"
    EVENT_ID_REUSED = "event_id_reused"
    MALFORMED = "malformed"
    SEQUENCE_REUSED = "sequence_reused"
    UNKNOWN_KIND = "unknown_kind"
    WRONG_COUNTER = "wrong_counter"
    WRONG_DEVICE = "wrong_device"
    # -- why the counter refused a pulled change (also `malformed`, `unknown_kind`,
    #    `illegal_transition`)
    ERROR = "error"
    NOT_CORRECTABLE = "not_correctable"
    UNKNOWN_DOSSIER = "unknown_dossier"
    UNKNOWN_STATUS = "unknown_status"
    # -- the counter's own (never sent by the portal)
    BAD_ANSWER = "bad_answer"
    CODE_EXPIRED = "code_expired"
    CODE_USED = "code_used"
    COUNTER_MISMATCH = "counter_mismatch"
    COUNTER_TAKEN = "counter_taken"
    ENROLLMENT_CODE_USED = "enrollment_code_used"
    HALT = "halt"  # a halt without a code (an older or broken portal)
    INVALID_CODE = "invalid_code"
    NETWORK = "network"
    NO_ENROLLMENT_CODE = "no_enrollment_code"
    NO_PROGRESS = "no_progress"


def reason(code: ErrorCode, text: str) -> str:
    """A rejection reason as both sides write it: the code, a colon, words for a person."""
    return f"{code}: {text}"


def reason_code(text: str) -> str:
    """The code a rejection reason starts with (`reason`'s inverse, for sorting and tests)."""
    return text.split(":", 1)[0].strip()


def http_code(status: int) -> str:
    """The code the counter gives an error answer that is not the protocol's JSON."""
    return f"http_{status}"


# -- payloads --------------------------------------------------------------------------


# `{"error": ErrorBody}`: every error answer (plus limits where they matter). The functional
# form, because `class` is a keyword.
ErrorBody = TypedDict("ErrorBody", {"class": str, "code": str, "message": str})


class LimitsPayload(TypedDict):
    max_batch: int
    max_body_bytes: int
    max_pull: int


class EnrollRequest(TypedDict):
    enrollment_code: str
    device_id: str
    device_secret: str
    agency_code: str
    counter_no: int
    protocol: int
    signing_public_key: NotRequired[str]
    demo_data: NotRequired[bool]


class DeviceInfo(TypedDict):
    """What the portal knows of a device: the answer to enroll and to `GET /device`."""

    protocol: int
    device_id: str
    agency_code: str
    counter_no: int
    last_seq: int
    max_event_id: int
    code_sequences: dict[str, int]
    epoch: str
    limits: LimitsPayload
    token: NotRequired[str]  # enroll only
    kinds: NotRequired[dict[str, int]]  # GET /device only
    server_time: NotRequired[str]


class DossierSnapshot(TypedDict, total=False):
    """The dossier as the portal receives it, and nothing more (Decree 13/2023: the minimum).

    The citizen page (masked name, procedure, status, dates, fee and payment, where the result
    is collected, the form texts of Mẫu 02–05), the back office's work (status, deadlines)
    and statistics (field, channel, counter, timeliness). Never the ID number, phone, e-mail,
    address, representative, documents, note or officer: those stay on the counter.
    docs/portal.md lists each field and why. `counter.history.snapshot` sends exactly these.
    """

    uuid: str
    code: str
    device_id: str
    counter_no: int
    version: int
    updated_at: str
    procedure_code: str
    procedure_name: str
    field: str
    applicant_kind: str
    applicant_name: str
    sets_count: int
    fee_amount: int
    payment_method: str
    payment_state: str
    channel: str
    delivery: str
    duration: float
    duration_unit: str
    status: str
    status_code: int
    received_at: str
    due_at: str
    paused_at: str | None
    paused_from_status: str | None
    finished_at: str | None
    returned_at: str | None
    returned_to: str | None
    closed_reason: str | None
    ticket: str | None
    supplement_request: str | None
    refusal_reason: str | None
    extended_due_at: str | None
    extension_reason: str | None
    stop_reason: str | None
    withdraw_reason: str | None
    timeliness: str  # added by `snapshot`: the one date rule, as of the event


SNAPSHOT_FIELDS: frozenset[str] = frozenset(DossierSnapshot.__annotations__)


class EventPayload(TypedDict, total=False):
    id: int
    at: str
    action: str
    from_status: str | None
    to_status: str
    officer: str
    details: dict[str, Any]


class DossierEventEntry(TypedDict):
    """The payload of a `dossier.event` outbox entry."""

    device_id: str
    dossier_uuid: str
    dossier: DossierSnapshot
    event: EventPayload


class ChangeOutcomeEntry(TypedDict):
    """The payload of a `dossier.change_outcome` outbox entry: what became of a pulled
    change that made no timeline event on the counter."""

    device_id: str
    dossier_uuid: str
    change_id: int
    outcome: str  # "applied" | "refused"
    reason: str
    dossier: DossierSnapshot


# Entry kinds a counter writes (and the portal understands), with their payload schema.
ENTRY_DOSSIER_EVENT = "dossier.event"
ENTRY_CHANGE_OUTCOME = "dossier.change_outcome"


class PushEntry(TypedDict):
    seq: int
    kind: str
    schema_version: int
    created_at: str
    payload: DossierEventEntry | ChangeOutcomeEntry | None
    local_reject: NotRequired[str]  # a stub: the counter could not send the payload


class PushRequest(TypedDict):
    after_seq: int
    entries: list[PushEntry]


class PushRejection(TypedDict):
    seq: int
    reason: str


# Why the portal stopped part-way through a batch (`class` is a keyword: functional form).
Halt = TypedDict(
    "Halt",
    {
        "class": str,
        "code": str,
        "message": str,
        "last_seq": int,
        "kind": str,
        "max_schema_version": int,
    },
    total=False,
)


class PushResponse(TypedDict):
    last_seq: int
    accepted_through: int
    applied: int
    duplicates: int
    rejected: list[PushRejection]
    halt: Halt | None
    epoch: str
    server_time: str


# Change kinds the portal writes for a counter to pull.
CHANGE_STATUS = "dossier.status"
CHANGE_CORRECTION = "dossier.correction"
CHANGE_RATING = "rating"


class ChangePayload(TypedDict):
    id: int
    kind: str
    dossier_uuid: str
    created_at: str
    data: dict[str, Any]


class ChangesResponse(TypedDict):
    changes: list[ChangePayload]
    cursor: int
    more: bool
    epoch: str
    server_time: str
    latest: NotRequired[int]  # when nothing is after the cursor: where this device's end


class ProfileRequest(TypedDict):
    profile: dict[str, Any]


class AuditHead(TypedDict):
    seq: int
    hash: str


class WitnessRequest(TypedDict):
    audit_head: AuditHead
    checkpoints: list[list[int | str]]
    signing_public_key: NotRequired[str]
