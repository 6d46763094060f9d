"""Officer accounts: argon2-hashed PIN or password, two roles, lockout, audited logins."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from counter import audit
from counter.config import AuthConfig
from counter.errors import AuthError, InvalidInput
from counter.store import Store
from counter.text import nfc
from counter.timeutil import iso, parse_iso

ROLES = ("officer", "supervisor")
ROLE_LABELS = {
    "officer": ("Cán bộ một cửa", "Counter officer"),
    "supervisor": ("Lãnh đạo / giám sát", "Supervisor"),
}

# argon2id, 64 MiB, 6 passes: about 0.2 s per guess on one core of a counter PC (measured by
# `python -m bench.bench_auth`), so the million 6-digit supervisor PINs take days of one core
# from a stolen store, while a login still answers in a fraction of a second. Older hashes are
# rehashed with these parameters at the next good login.
ARGON2_TIME_COST = 6
ARGON2_MEMORY_KIB = 65536
_HASHER = PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=1)
# Verified when the username is unknown, so that an unknown user costs what a known one does.
_DUMMY_HASH: str | None = None


def hasher() -> PasswordHasher:
    return _HASHER


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None or _HASHER.check_needs_rehash(_DUMMY_HASH):
        _DUMMY_HASH = _HASHER.hash("not-a-pin-of-anyone")
    return _DUMMY_HASH


@dataclass(frozen=True)
class Officer:
    id: int
    username: str
    full_name: str
    role: str

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"


def check_secret(secret: str, min_digits: int = 4) -> None:
    """A PIN of `min_digits`–8 digits or a password of at least 8 characters."""
    if re.fullmatch(r"\d+", secret):
        if not min_digits <= len(secret) <= 8:
            raise InvalidInput(
                "secret",
                f"Mã PIN phải có từ {min_digits} đến 8 chữ số",
                f"A PIN must have {min_digits} to 8 digits",
            )

    elif len(secret) < 8:
        raise InvalidInput(
            "secret", "Mật khẩu phải có ít nhất 8 ký tự", "A password needs at least 8 characters"
        )


def create_officer(
    store: Store,
    *,
    username: str,
    full_name: str,
    role: str,
    secret: str,
    now: datetime,
    by: Officer | None = None,
    policy: AuthConfig | None = None,
) -> Officer:
    """Add an account. `policy` applies its PIN lengths (the Desk always passes its config;
    the demo seeds its published 4-digit PINs without it)."""
    username = nfc(username).lower()
    full_name = nfc(full_name)
    if not re.fullmatch(r"[a-z0-9_.]{2,32}", username):
        raise InvalidInput(
            "username",
            "Tên đăng nhập chỉ gồm chữ thường không dấu, số, '.', '_' (2–32 ký tự)",
            "Username: 2–32 of a–z, 0–9, '.', '_'",
        )
    if role not in ROLES:
        raise InvalidInput("role", f"Vai trò không hợp lệ: {role}", f"Unknown role: {role}")
    if not full_name:
        raise InvalidInput("full_name", "Chưa nhập họ tên cán bộ", "Full name is empty")
    if policy is not None:
        digits = policy.supervisor_pin_digits if role == "supervisor" else policy.officer_pin_digits
        check_secret(secret, digits)
    else:
        check_secret(secret)
    try:
        return _insert_officer(store, username, full_name, role, secret, now, by)
    except _NotFirstAccount:
        record_refusal(store, None, "officer.create", now, "not_logged_in", username=username)
        raise AuthError(
            "Cần lãnh đạo/giám sát đăng nhập để tạo tài khoản",
            "A supervisor must log in to create an account",
        ) from None


class _NotFirstAccount(Exception):
    """Raised inside the transaction (rolling it back) so the refusal is audited after it."""


def _insert_officer(
    store: Store,
    username: str,
    full_name: str,
    role: str,
    secret: str,
    now: datetime,
    by: Officer | None,
) -> Officer:
    with store.write() as db:
        if by is None and db.conn.execute("SELECT 1 FROM officers LIMIT 1").fetchone():
            # Only the first account is made without a supervisor logged in (checked inside
            # the transaction, so two set-ups racing cannot both pass).
            raise _NotFirstAccount
        if db.conn.execute("SELECT 1 FROM officers WHERE username = ?", (username,)).fetchone():
            raise InvalidInput(
                "username",
                f"Tên đăng nhập {username} đã tồn tại",
                f"Username {username} already exists",
            )
        cur = db.conn.execute(
            "INSERT INTO officers(username, full_name, role, secret_hash, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (username, full_name, role, _HASHER.hash(secret), iso(now)),
        )
        officer = Officer(int(cur.lastrowid or 0), username, full_name, role)
        audit.record(
            db,
            at=iso(now),
            action="officer.create" if by else "officer.first_account",
            officer_id=by.id if by else officer.id,
            username=by.username if by else username,
            obj=f"officer:{username}",
            details={"role": role},
        )
    return officer


def set_role(store: Store, *, username: str, role: str, by: Officer, now: datetime) -> Officer:
    """A supervisor changes an account's role (audited with who did it)."""
    require_supervisor(by, store=store, now=now, action="officer.set_role")
    if role not in ROLES:
        raise InvalidInput("role", f"Vai trò không hợp lệ: {role}", f"Unknown role: {role}")
    username = nfc(username).lower()
    with store.write() as db:
        row = db.conn.execute(
            "SELECT id, full_name, role FROM officers WHERE username = ?", (username,)
        ).fetchone()
        if row is None:
            raise InvalidInput(
                "username", f"Không có tài khoản {username}", f"No account {username}"
            )
        db.conn.execute("UPDATE officers SET role = ? WHERE id = ?", (role, row[0]))
        audit.record(
            db,
            at=iso(now),
            action="officer.role",
            officer_id=by.id,
            username=by.username,
            obj=f"officer:{username}",
            details={"from": row[2], "to": role},
        )
    return Officer(int(row[0]), username, str(row[1]), role)


def login(store: Store, cfg: AuthConfig, username: str, secret: str, now: datetime) -> Officer:
    """Check the credentials; count failures and lock the account after too many."""
    username = nfc(username).lower()
    row = store.conn.execute(
        "SELECT id, username, full_name, role, secret_hash, failed_attempts, locked_until, active "
        "FROM officers WHERE username = ?",
        (username,),
    ).fetchone()
    wrong = AuthError("Sai tên đăng nhập hoặc mã PIN/mật khẩu", "Wrong username or PIN/password")
    if row is None:
        # The same argon2 work as a known user: the answer's time must not say who exists.
        with contextlib.suppress(VerificationError, InvalidHashError):
            _HASHER.verify(_dummy_hash(), secret)
        with store.write() as db:
            audit.record(db, at=iso(now), action="login.unknown_user", username=username)
        raise wrong
    officer_id, uname, full_name, role, secret_hash, failed, locked_until, active = row
    if not active:
        with store.write() as db:
            audit.record(
                db, at=iso(now), action="login.inactive", officer_id=officer_id, username=uname
            )
        raise AuthError("Tài khoản đã bị vô hiệu hóa", "This account is disabled")
    if locked_until and parse_iso(locked_until) > now:
        with store.write() as db:
            audit.record(
                db, at=iso(now), action="login.locked", officer_id=officer_id, username=uname
            )
        until = parse_iso(locked_until)
        raise AuthError(
            f"Tài khoản tạm khóa đến {until:%H:%M} do nhập sai nhiều lần",
            f"Account locked until {until:%H:%M} after repeated failures",
        )
    try:
        _HASHER.verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        # Failures count on across lockouts until a good login: each lockout in a row lasts
        # twice the one before (15 min, 30 min, 1 h, … up to max_lockout_hours).
        failed += 1
        lock = failed % cfg.max_failed_logins == 0
        minutes = lockout_minutes(cfg, failed // cfg.max_failed_logins)
        with store.write() as db:
            db.conn.execute(
                "UPDATE officers SET failed_attempts = ?, locked_until = ? WHERE id = ?",
                (
                    failed,
                    iso(now + timedelta(minutes=minutes)) if lock else None,
                    officer_id,
                ),
            )
            audit.record(
                db,
                at=iso(now),
                action="login.lockout" if lock else "login.failed",
                officer_id=officer_id,
                username=uname,
                details={"attempt": failed},
            )
        if lock:
            raise AuthError(
                f"Nhập sai nhiều lần: tài khoản bị khóa {minutes} phút",
                f"Too many failures: account locked for {minutes} minutes",
            ) from None
        # No "tries left": it would tell a known username from an unknown one.
        raise wrong from None
    with store.write() as db:
        db.conn.execute(
            "UPDATE officers SET failed_attempts = 0, locked_until = NULL WHERE id = ?",
            (officer_id,),
        )
        if _HASHER.check_needs_rehash(secret_hash):
            db.conn.execute(
                "UPDATE officers SET secret_hash = ? WHERE id = ?",
                (_HASHER.hash(secret), officer_id),
            )
        audit.record(db, at=iso(now), action="login.ok", officer_id=officer_id, username=uname)
    return Officer(officer_id, uname, full_name, role)


def lockout_minutes(cfg: AuthConfig, lockouts: int) -> int:
    """How long the `lockouts`-th lockout in a row lasts (doubling, capped)."""
    if lockouts < 1:
        return 0
    doubling: int = 2 ** min(lockouts - 1, 20)
    return min(cfg.lockout_minutes * doubling, cfg.max_lockout_hours * 60)


def logout(store: Store, officer: Officer, now: datetime) -> None:
    with store.write() as db:
        audit.record(
            db, at=iso(now), action="logout", officer_id=officer.id, username=officer.username
        )


def require_supervisor(
    officer: Officer | None,
    *,
    store: Store | None = None,
    now: datetime | None = None,
    action: str = "",
) -> Officer:
    """The officer, if a supervisor; else AuthError, and (given a store) an audit entry
    `access.refused` naming who tried what: every refusal leaves a trace."""
    if officer is None or not officer.is_supervisor:
        if store is not None and now is not None:
            record_refusal(store, officer, action, now)
        raise AuthError(
            "Chức năng này chỉ dành cho lãnh đạo/giám sát", "Only a supervisor may do this"
        )
    return officer


def record_refusal(
    store: Store,
    officer: Officer | None,
    action: str,
    now: datetime,
    reason: str = "role",
    *,
    username: str = "",
) -> None:
    """One `access.refused` audit entry: `action` was refused to `officer` (or to whoever
    tried as `username`) for `reason`."""
    with store.write() as db:
        audit.record(
            db,
            at=iso(now),
            action="access.refused",
            officer_id=officer.id if officer else None,
            username=officer.username if officer else nfc(username).lower(),
            obj=action,
            details={"reason": reason, "role": officer.role if officer else None},
        )
