"""Pull: central changes since the stored cursor, page by page, each applied in one
transaction with the cursor (`counter.sync.appliers`), a failure rejecting the change, never
the page.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx

from counter import audit, protocol
from counter.config import Config
from counter.protocol import ApiPath, ErrorClass, ErrorCode
from counter.store import Store
from counter.sync.appliers import APPLIERS, _outcome_entry, _PullContext
from counter.sync.state import (
    K_CURSOR,
    K_MAX_PULL,
    PULL_PAGE,
    SyncError,
    _auth,
    _check_epoch,
    _error_of,
    _identity,
    _int_setting,
    _portal_restored,
    _skew,
    log,
)
from counter.sync.status import SyncReport
from counter.text import nfc_tree
from counter.timeutil import Clock, iso, system_clock
from counter.worktime import WorkCalendar


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
                ErrorClass.RETRY,
                ErrorCode.NETWORK,
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
                ErrorClass.RETRY,
                ErrorCode.BAD_ANSWER,
                f"không đọc được danh sách thay đổi: {exc!r}",
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
            applier = APPLIERS.get(kind)
            if applier is None:
                reason = protocol.reason(
                    ErrorCode.UNKNOWN_KIND, f"this counter does not know changes of kind {kind!r}"
                )
            else:
                reason = applier(store, ctx, change_id, uuid, data)
    except Exception as exc:  # a bad change must never stop the counter
        log.exception("change %d (%s) for dossier %s failed to apply", change_id, kind, uuid)
        reason = protocol.reason(ErrorCode.ERROR, f"{type(exc).__name__}: {exc}")
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
