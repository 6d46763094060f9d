"""Per-person limits: a one-way key of a phone or ID number, and the checks against it.

Its own home because it is the only place the queue touches personal data: nothing but the
keyed hash is kept, and the installation's secret lives in the store's vault.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3

from counter.config.queue import Area, QueueSettings
from counter.queue.models import QueueError


def person_key(identifier: str, secret: bytes) -> str:
    """A one-way key for per-person limits: the digits of an ID or phone, HMAC'd with this
    installation's secret (no PII kept). Without the secret the key cannot be recomputed: an
    unkeyed hash of every 10-digit phone number takes minutes."""
    digits = re.sub(r"\D", "", identifier or "")
    if digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not digits:
        return ""
    return hmac.new(secret, f"counter-queue:{digits}".encode(), hashlib.sha256).hexdigest()[:32]


PERSON_KEY_SECRET = "queue.person_key_secret"  # in the store's owner-only vault


def person_secret(conn: sqlite3.Connection) -> bytes:
    """This installation's key of `person_key`, made on first use, kept in the vault."""
    row = conn.execute("SELECT value FROM vault.secrets WHERE key = ?", (PERSON_KEY_SECRET,))
    found = row.fetchone()
    if found is None:
        conn.execute(
            "INSERT OR IGNORE INTO vault.secrets(key, value) VALUES (?, ?)",
            (PERSON_KEY_SECRET, secrets.token_hex(32)),
        )
        # Keys made before there was a secret were plain SHA-256 of a phone or ID number,
        # reversible by trying them all: forget them (today's limits start again).
        conn.execute("UPDATE queue_tickets SET person_key = '' WHERE person_key != ''")
        found = conn.execute(
            "SELECT value FROM vault.secrets WHERE key = ?", (PERSON_KEY_SECRET,)
        ).fetchone()
    return bytes.fromhex(str(found[0]))


def check_limits(
    conn: sqlite3.Connection, s: QueueSettings, key: str, area: Area, day: str
) -> None:
    """Refuse a ticket beyond the per-person limits of the day and of the area."""
    rows = conn.execute(
        "SELECT area, COUNT(*) FROM queue_tickets WHERE day = ? AND person_key = ? GROUP BY area",
        (day, key),
    ).fetchall()
    per_area = dict(rows)
    if s.max_per_person_per_day and sum(per_area.values()) >= s.max_per_person_per_day:
        raise QueueError(
            f"Mỗi người chỉ được lấy {s.max_per_person_per_day} số mỗi ngày",
            f"At most {s.max_per_person_per_day} numbers per person per day",
        )
    if s.max_per_person_per_area and per_area.get(area.prefix, 0) >= s.max_per_person_per_area:
        raise QueueError(
            f"Mỗi người chỉ được lấy {s.max_per_person_per_area} số cho lĩnh vực {area.name} "
            "mỗi ngày",
            f"At most {s.max_per_person_per_area} number(s) per person for area "
            f"{area.prefix} per day",
        )
