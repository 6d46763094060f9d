"""Dossier codes `<agency>-<YYMMDD>-<CC><NNNN>`, unique across counters with no network.

The agency rule (Circular 01/2018 art. 19, kept by Decree 118/2025 practice) is
`<mã định danh>-<YYMMDD>-<daily sequence, at least 4 digits>`. Counters of one agency cannot
share a sequence while offline, so the sequence is partitioned by counter: the last part is the
2-digit counter number followed by that counter's own daily sequence (0001, 0002, … 9999,
10000 …). Two counters never produce the same code as long as each has its own number, which
the portal enforces at enrollment. The sequence row is bumped inside the transaction that saves
the dossier, so a code is allocated only when the dossier is durably saved and never reused.
This mirrors Circular 04/2025's `…-YYMMDD-AAXXXX` shape (AA = issuing system, XXXX ≥ 4 digits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import sqlite_utils

CODE_RE = re.compile(
    r"^(?P<agency>[0-9A-Z]+(?:\.[0-9A-Z]+)*)-(?P<day>\d{6})-(?P<counter>\d{2})(?P<seq>\d{4,})$"
)


@dataclass(frozen=True)
class DossierCode:
    agency: str
    day: date
    counter_no: int
    seq: int

    def __str__(self) -> str:
        return f"{self.agency}-{self.day:%y%m%d}-{self.counter_no:02d}{self.seq:04d}"


def format_code(agency: str, day: date, counter_no: int, seq: int) -> str:
    if not 1 <= counter_no <= 99:
        raise ValueError(f"counter number must be 1–99, got {counter_no}")
    if seq < 1:
        raise ValueError(f"sequence must be positive, got {seq}")
    return str(DossierCode(agency, day, counter_no, seq))


def parse_code(text: str) -> DossierCode | None:
    """Parse a dossier code typed or scanned; None if it is not one."""
    m = CODE_RE.match(text.strip().upper())
    if not m:
        return None
    try:
        day = date(2000 + int(m["day"][:2]), int(m["day"][2:4]), int(m["day"][4:6]))
    except ValueError:
        return None
    return DossierCode(m["agency"], day, int(m["counter"]), int(m["seq"]))


# Any system's dossier code (DOMAIN §3): `<agency>-<YYMMDD>-<at least 4 digits>`, which also
# covers Circular 04/2025's national systems (`MX1X2.Y1Y2Y3.Z1Z2-YYMMDD-AAXXXX`) and the
# 4-digit daily sequences of provincial systems (`000.00.06.H56-231027-0361`).
ANY_CODE_RE = re.compile(r"^(?P<agency>[0-9A-Z]+(?:\.[0-9A-Z]+)*)-(?P<day>\d{6})-(?P<seq>\d{4,})$")


def recognise_code(text: str) -> str | None:
    """A dossier code of this or any other system, normalised (upper case); None otherwise.

    `parse_code` stays strict (this app's codes carry the counter number the portal checks);
    this one is for what a scanner or an officer types: codes printed by other systems too.
    """
    candidate = text.strip().upper()
    m = ANY_CODE_RE.match(candidate)
    if not m or len(m["agency"]) > 35:
        return None
    try:
        date(2000 + int(m["day"][:2]), int(m["day"][2:4]), int(m["day"][4:6]))
    except ValueError:
        return None
    return candidate


def allocate_code(db: sqlite_utils.Database, agency: str, counter_no: int, day: date) -> str:
    """Take the next code of (day, counter); call inside the transaction that saves the dossier."""
    if not db.conn.in_transaction:
        raise RuntimeError("allocate_code must run inside the saving transaction")
    key = day.isoformat()
    row = db.conn.execute(
        "INSERT INTO code_sequences(day, counter_no, last_seq) VALUES (?, ?, 1) "
        "ON CONFLICT(day, counter_no) DO UPDATE SET last_seq = last_seq + 1 "
        "RETURNING last_seq",
        (key, counter_no),
    ).fetchone()
    return format_code(agency, day, counter_no, int(row[0]))


def continue_after(db: sqlite_utils.Database, counter_no: int, day: date, last_seq: int) -> None:
    """Make (day, counter)'s next code follow `last_seq`, never moving a sequence back.

    A counter PC replaced by a fresh install learns at enrollment how far its counter number
    got on the portal (from the previous PC's synced dossiers) and goes on from there."""
    db.conn.execute(
        "INSERT INTO code_sequences(day, counter_no, last_seq) VALUES (?, ?, ?) "
        "ON CONFLICT(day, counter_no) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq)",
        (day.isoformat(), counter_no, last_seq),
    )
