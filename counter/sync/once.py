"""One sync round (`sync_once`): enroll if needed, push, pull, confirm, send the profile,
witness the audit head; record the outcome in the settings. Never raises SyncError.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx

from counter.config import Config
from counter.protocol import PROTOCOL_VERSION, ErrorClass, ErrorCode
from counter.store import Store
from counter.sync.enrollment import enroll, send_profile
from counter.sync.pull_changes import pull
from counter.sync.push_outbox import push
from counter.sync.state import (
    K_CODE,
    K_ERROR_CODE,
    K_FAILURES,
    K_LAST_ATTEMPT,
    K_LAST_ERROR,
    K_LAST_SUCCESS,
    K_ONLINE,
    K_PORTAL_RESTORED,
    K_TOKEN,
    K_URL,
    SyncError,
    _auth,
    _int_setting,
    log,
    pending_count,
)
from counter.sync.status import SyncReport
from counter.timeutil import Clock, iso, system_clock


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
                    ErrorClass.REAUTH,
                    ErrorCode.DEMO_STORE,
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
                ErrorClass.RETRY,
                ErrorCode.NETWORK,
                f"không kết nối được cổng dịch vụ công (portal unreachable): {exc!r}",
            ) from None
    except SyncError as exc:
        report.error = exc
        log.warning("sync stopped (%s): %s", exc.error_class, exc)
        with store.write():
            store.set_setting(K_LAST_ERROR, f"{exc.error_class}: {exc.message}"[:500])
            store.set_setting(K_ERROR_CODE, exc.code)
            store.set_setting(K_ONLINE, "0" if exc.error_class == ErrorClass.RETRY else "1")
            failures = _int_setting(store, K_FAILURES, 0) + 1
            store.set_setting(K_FAILURES, str(failures))
            if exc.error_class == ErrorClass.REAUTH and exc.code in (
                ErrorCode.UNAUTHENTICATED,
                ErrorCode.DEVICE_REVOKED,
            ):
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
