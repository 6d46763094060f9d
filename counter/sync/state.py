"""The sync state kept in the `settings` table (its keys), SyncError, and the small readers
every step shares: the bearer header, an error answer read as a SyncError, what the portal's
answers say about its clock (skew) and its database (the epoch: restored or not).

Its own home so that enroll, push, pull and the round read one set of keys and one error type.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import httpx

from counter.config import Config
from counter.identity import device_identity
from counter.protocol import ErrorClass, http_code
from counter.store import Store
from counter.timeutil import Clock, iso, parse_iso, system_clock

DEFAULT_MAX_BATCH = 500


DEFAULT_MAX_BODY = 4 * 1024 * 1024


PULL_PAGE = 200


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


K_PROFILE = "sync.profile_hash"  # the centre profile the portal has (counter.profile)


_PENDING = "acked_at IS NULL AND rejected_reason IS NULL"


log = logging.getLogger("counter.sync")


class SyncError(Exception):
    """A sync round that could not finish; `error_class` says what to do about it."""

    def __init__(self, error_class: str, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.error_class = error_class  # an `ErrorClass`: retry | rejected | reauth
        self.code = code
        self.message = message


def pending_count(store: Store) -> int:
    return int(store.conn.execute(f"SELECT count(*) FROM outbox WHERE {_PENDING}").fetchone()[0])


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parse_iso(text)
    except ValueError:
        return None


def _identity(store: Store, config: Config) -> tuple[str, str]:
    """The device id and secret (`counter.identity`, the one home both Desk and sync use)."""
    return device_identity(store, config.counter.device_id)


def _error_of(resp: httpx.Response) -> SyncError:
    try:
        err = resp.json()["error"]
        cls, code, message = str(err["class"]), str(err["code"]), str(err["message"])
    except (ValueError, KeyError, TypeError):
        cls = ErrorClass.REAUTH if resp.status_code == 401 else ErrorClass.RETRY
        code, message = http_code(resp.status_code), resp.text[:200] or resp.reason_phrase
    if resp.status_code >= 500:
        cls = ErrorClass.RETRY
    return SyncError(cls, code, f"HTTP {resp.status_code}: {message}")


def _auth(store: Store) -> dict[str, str]:
    return {"authorization": f"Bearer {store.get_setting(K_TOKEN)}"}


def _int_setting(store: Store, key: str, default: int) -> int:
    value = store.get_setting(key)
    return int(value) if value and value.isdigit() else default


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
