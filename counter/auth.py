"""Officer accounts: argon2-hashed PIN or password, two roles, lockout, audited logins."""

from __future__ import annotations

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

# Lighter than argon2's defaults so a login stays instant on a 2-core counter PC,
# still far beyond brute force of a locked-out account.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


@dataclass(frozen=True)
class Officer:
    id: int
    username: str
    full_name: str
    role: str

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"


def check_secret(secret: str) -> None:
    """A PIN of 4–8 digits or a password of at least 8 characters."""
    if re.fullmatch(r"\d+", secret):
        if not 4 <= len(secret) <= 8:
            raise InvalidInput(
                "secret", "Mã PIN phải có từ 4 đến 8 chữ số", "A PIN must have 4 to 8 digits"
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
) -> Officer:
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
    check_secret(secret)
    with store.write() as db:
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
            action="officer.create",
            officer_id=by.id if by else None,
            username=by.username if by else "",
            obj=f"officer:{username}",
            details={"role": role},
        )
    return officer


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
        failed += 1
        lock = failed >= cfg.max_failed_logins
        with store.write() as db:
            db.conn.execute(
                "UPDATE officers SET failed_attempts = ?, locked_until = ? WHERE id = ?",
                (
                    0 if lock else failed,
                    iso(now + timedelta(minutes=cfg.lockout_minutes)) if lock else None,
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
                f"Nhập sai {failed} lần: tài khoản bị khóa {cfg.lockout_minutes} phút",
                f"{failed} failures: account locked for {cfg.lockout_minutes} minutes",
            ) from None
        left = cfg.max_failed_logins - failed
        raise AuthError(
            f"Sai tên đăng nhập hoặc mã PIN/mật khẩu (còn {left} lần thử)",
            f"Wrong username or PIN/password ({left} tries left)",
        ) from None
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
