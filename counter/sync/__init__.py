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

The package splits along these seams: `state` (settings keys, SyncError), `alerts`,
`status` (what the UI reads), `enrollment`, `push_outbox`, `pull_changes` with its
`appliers`, `once` (one round) and `worker`; every public name stays importable from
`counter.sync`. (The modules are not named `enroll`, `push`, `pull`: those are the functions
this package exports, and a submodule of the same name would be hidden behind them.)

Everything here runs off the UI thread: `sync_once()` opens its own Store when given a path,
and `SyncWorker` loops it in a daemon thread. The UI only reads `sync_status()` and
`rejected_entries()`, which touch SQLite and never the network.
"""

from __future__ import annotations

from counter.protocol import API, PROTOCOL_VERSION
from counter.sync.alerts import (
    SKEW_ALERT_SECONDS,
    SyncAlert,
    skew_text,
    sync_alert,
)
from counter.sync.appliers import (
    APPLIERS,
    CORRECTABLE_FIELDS,
    FUTURE_TOLERANCE_SECONDS,
)
from counter.sync.appliers import (
    _PullContext as _PullContext,
)
from counter.sync.enrollment import (
    _raise_sequence as _raise_sequence,
)
from counter.sync.enrollment import (
    code_hash,
    enroll,
    raise_event_floor,
    rebase_from_portal,
    rebase_numbers,
    send_profile,
)
from counter.sync.once import (
    make_client,
    run_sync_command,
    sync_once,
)
from counter.sync.pull_changes import (
    _apply_one as _apply_one,
)
from counter.sync.pull_changes import (
    pull,
)
from counter.sync.push_outbox import (
    push,
)
from counter.sync.state import (
    _PENDING as _PENDING,
)
from counter.sync.state import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_BODY,
    K_AGENCY,
    K_CHAIN,
    K_CODE,
    K_COUNTER,
    K_CURSOR,
    K_EPOCH,
    K_ERROR_CODE,
    K_FAILURES,
    K_LAST_ATTEMPT,
    K_LAST_ERROR,
    K_LAST_SUCCESS,
    K_MAX_BATCH,
    K_MAX_BODY,
    K_MAX_PULL,
    K_ONLINE,
    K_PORTAL_RESTORED,
    K_PROFILE,
    K_SKEW,
    K_TOKEN,
    K_URL,
    K_USED_CODE,
    PULL_PAGE,
    SyncError,
    pending_count,
)
from counter.sync.state import (
    _auth as _auth,
)
from counter.sync.state import (
    _check_epoch as _check_epoch,
)
from counter.sync.state import (
    _error_of as _error_of,
)
from counter.sync.state import (
    _identity as _identity,
)
from counter.sync.state import (
    _int_setting as _int_setting,
)
from counter.sync.status import (
    RejectedEntry,
    SyncReport,
    SyncStatus,
    rejected_entries,
    sync_status,
)
from counter.sync.worker import (
    SyncWorker,
    backoff_delay,
)

__all__ = [
    "API",
    "APPLIERS",
    "CORRECTABLE_FIELDS",
    "DEFAULT_MAX_BATCH",
    "DEFAULT_MAX_BODY",
    "FUTURE_TOLERANCE_SECONDS",
    "K_AGENCY",
    "K_CHAIN",
    "K_CODE",
    "K_COUNTER",
    "K_CURSOR",
    "K_EPOCH",
    "K_ERROR_CODE",
    "K_FAILURES",
    "K_LAST_ATTEMPT",
    "K_LAST_ERROR",
    "K_LAST_SUCCESS",
    "K_MAX_BATCH",
    "K_MAX_BODY",
    "K_MAX_PULL",
    "K_ONLINE",
    "K_PORTAL_RESTORED",
    "K_PROFILE",
    "K_SKEW",
    "K_TOKEN",
    "K_URL",
    "K_USED_CODE",
    "PROTOCOL_VERSION",
    "PULL_PAGE",
    "SKEW_ALERT_SECONDS",
    "_PENDING",
    "RejectedEntry",
    "SyncAlert",
    "SyncError",
    "SyncReport",
    "SyncStatus",
    "SyncWorker",
    "_PullContext",
    "_apply_one",
    "_auth",
    "_check_epoch",
    "_error_of",
    "_identity",
    "_int_setting",
    "_raise_sequence",
    "backoff_delay",
    "code_hash",
    "enroll",
    "make_client",
    "pending_count",
    "pull",
    "push",
    "raise_event_floor",
    "rebase_from_portal",
    "rebase_numbers",
    "rejected_entries",
    "run_sync_command",
    "send_profile",
    "skew_text",
    "sync_alert",
    "sync_once",
    "sync_status",
]
