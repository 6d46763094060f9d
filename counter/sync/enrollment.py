"""Enrollment with the portal, the portal's word on this device's numbers (`rebase_numbers`:
never reuse a sequence, event id or dossier code) and the centre profile.

Its own home: these steps make or renew the credential and the numbering the push relies on.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import httpx

from counter import history
from counter.codes import continue_after
from counter.config import Config
from counter.profile import build_profile, profile_hash
from counter.protocol import PROTOCOL_VERSION, ApiPath, EnrollRequest, ErrorClass, ErrorCode
from counter.store import Store
from counter.sync.state import (
    K_AGENCY,
    K_CODE,
    K_COUNTER,
    K_MAX_BATCH,
    K_MAX_BODY,
    K_MAX_PULL,
    K_PROFILE,
    K_TOKEN,
    K_URL,
    K_USED_CODE,
    SyncError,
    _auth,
    _check_epoch,
    _error_of,
    _identity,
    _int_setting,
    log,
)
from counter.sync.status import SyncReport
from counter.timeutil import Clock, to_vn


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
            ErrorClass.REAUTH,
            ErrorCode.NO_ENROLLMENT_CODE,
            "quầy chưa đăng ký với cổng: nhập mã đăng ký do quản trị cổng cấp vào "
            "[portal] enrollment_code",
        )
    # A code this device already used is sent again only to recover a lost or replayed
    # answer: the portal takes it back from this device (its secret) within the code's life.
    used = code_hash(code, config.portal.url) == store.get_setting(K_USED_CODE)
    device_id, secret = _identity(store, config)
    from counter import signing  # cryptography: loaded when needed, not at the app's start

    body: EnrollRequest = {
        "enrollment_code": code,
        "device_id": device_id,
        "device_secret": secret,
        "agency_code": config.agency.code,
        "counter_no": config.counter.number,
        "protocol": PROTOCOL_VERSION,
        "signing_public_key": signing.public_key_hex(signing.device_key(store)),
        "demo_data": store.holds_demo_data(),
    }
    resp = client.post(ApiPath.ENROLL, json=body)
    if resp.status_code != 200:
        err = _error_of(resp)
        if err.code == ErrorCode.ENROLLMENT_REFUSED and used:
            err = SyncError(
                ErrorClass.REAUTH,
                ErrorCode.ENROLLMENT_CODE_USED,
                "mã đăng ký trong [portal] enrollment_code đã dùng rồi và không dùng lại được: "
                "xoá nó khỏi config.toml và xin quản trị cổng một mã mới cho quầy này",
            )
        elif err.code == ErrorCode.ENROLLMENT_REFUSED:
            err = SyncError(
                ErrorClass.REAUTH,
                err.code,
                "cổng từ chối mã đăng ký (sai, đã dùng, hết hạn hoặc không dành cho quầy này): "
                "xin quản trị cổng một mã mới cho quầy này",
            )
        elif (
            err.error_class == ErrorClass.REJECTED
        ):  # a bad code: nothing will fix it but a new one
            err = SyncError(ErrorClass.REAUTH, err.code, err.message)
        raise err
    data = resp.json()
    if data.get("agency_code") != config.agency.code or data.get("counter_no") != (
        config.counter.number
    ):
        raise SyncError(
            ErrorClass.REAUTH,
            ErrorCode.COUNTER_MISMATCH,
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
    if err.error_class == ErrorClass.REAUTH:
        raise err
    report.profile_error = err.message[:300]
    logging.getLogger(__name__).warning("centre profile not accepted: %s", report.profile_error)
