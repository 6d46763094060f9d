"""Devices: enrollment codes, enrollment and its refusals, credentials, revocation and the
citizen page's device cache; its own home because enrollment is the portal's security gate."""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool

from counter.codes import parse_code
from counter.lookup import device_short_id
from counter.protocol import ErrorCode
from counter.timeutil import to_vn
from portal.storage.base import SQLBase
from portal.storage.dbapi import Connection, Row
from portal.storage.models import Device, StorageError, canonical_json
from portal.storage.rows import AUTHENTICATE_SQL, authenticated, device_from_row, iso, sha256_hex

_log = logging.getLogger("portal")
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed by hand
# Days of dossier-code sequences an enrolling counter is given (see `code_sequences`).
CODE_SEQUENCE_DAYS = 7


ENROLLMENT_REFUSED = (
    "enrollment refused: ask the portal operator for a new enrollment code for this counter"
)


def enrollment_refusal(
    code: Row | None,
    existing: Row | None,
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
        if (
            code["used_by"] != device_id
            or existing is None
            or not same_secret
            or existing["revoked_at"] is not None
        ):
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


class Devices(SQLBase):
    """Enrolling, authenticating and revoking counters (see the module docstring)."""

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
            raise StorageError(
                ErrorCode.INVALID_COUNTER, f"counter number must be 1–99, got {counter_no}"
            )
        if not agency_code.strip():
            raise StorageError(ErrorCode.INVALID_AGENCY, "agency code is empty")
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
        code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
        now = self.clock()
        with self._tx() as c:
            c.execute(
                "INSERT INTO enrollment_codes(code_hash, agency_code, counter_no, created_at, "
                "expires_at, device_id) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    sha256_hex(_normal_code(code)),
                    agency_code.strip(),
                    counter_no,
                    iso(now),
                    iso(now + timedelta(hours=ttl_hours)),
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
        also: Callable[[Connection], None] | None = None,
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
                (sha256_hex(_normal_code(code)),),
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
                raise StorageError(ErrorCode.ENROLLMENT_REFUSED, ENROLLMENT_REFUSED)
            if existing is None:
                c.execute(
                    "INSERT INTO devices(device_id, agency_code, counter_no, token_hash, "
                    "device_secret, enrolled_at, short_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        device_id,
                        agency_code,
                        counter_no,
                        sha256_hex(token),
                        device_secret,
                        now,
                        device_short_id(device_id),
                    ),
                )
            else:
                c.execute(
                    "UPDATE devices SET agency_code = ?, counter_no = ?, token_hash = ?, "
                    "device_secret = ?, enrolled_at = ?, revoked_at = NULL WHERE device_id = ?",
                    (agency_code, counter_no, sha256_hex(token), device_secret, now, device_id),
                )
            assert row is not None  # enrollment_refusal refuses an unknown code
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
            row = c.execute(AUTHENTICATE_SQL, (sha256_hex(token),)).fetchone()
        return authenticated(row)

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
                raise StorageError(ErrorCode.NOT_FOUND, f"no device {device_id}")
        self._cache().clear()
        device = self.device(device_id)
        assert device is not None
        return device

    def device(self, device_id: str) -> Device | None:
        with self._read() as c:
            row = c.execute("SELECT * FROM devices WHERE device_id = ?", (device_id,)).fetchone()
        return None if row is None else device_from_row(row)

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
        return self._remember_devices(key, [device_from_row(r) for r in rows])

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
                raise StorageError(ErrorCode.DEVICE_REVOKED, "this device was revoked")
        self._cache().clear()

    def devices(self) -> list[Device]:
        with self._read() as c:
            rows = c.execute("SELECT * FROM devices ORDER BY enrolled_at").fetchall()
        return [device_from_row(r) for r in rows]


def _normal_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())
