"""Find a dossier by code, name, ID number or phone, diacritic- and đ-insensitive.

Ranking: exact matches on the code, ID number or phone come first (B-tree lookups), then
full-text matches on the folded index, newest first. At a counter the dossier an officer looks
for is almost always the latest one of that person, and rowid order lets FTS5 stop early, so a
common name over a million dossiers stays fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlite_utils

from counter.text import fold

_TOKEN = re.compile(r"[0-9a-z][0-9a-z.\-]*")
COUNT_CAP = 1000


@dataclass(frozen=True)
class SearchPage:
    uuids: list[str]
    total: int  # capped at COUNT_CAP; `more` says whether the cap was hit
    more: bool
    page: int
    page_size: int


def _fts_query(query: str) -> str:
    tokens = _TOKEN.findall(fold(query))
    return " ".join(f'"{t}"*' for t in tokens)


def _exact(db: sqlite_utils.Database, query: str) -> list[str]:
    q = query.strip()
    digits = re.sub(r"[\s.\-+]", "", q)
    rows: list[str] = []
    if "-" in q:
        rows += [
            r[0] for r in db.conn.execute("SELECT uuid FROM dossiers WHERE code = ?", (q.upper(),))
        ]
    if digits.isdigit():
        if digits.startswith("84") and len(digits) == 11:
            digits = "0" + digits[2:]
        rows += [
            r[0]
            for r in db.conn.execute(
                "SELECT uuid FROM dossiers WHERE applicant_id = ? OR applicant_phone = ? "
                "ORDER BY received_at DESC LIMIT 50",
                (digits, digits),
            )
        ]
    return list(dict.fromkeys(rows))


# A piece of a dossier code: digits with a dot or a dash ("12.H26", "260310-03", "0361").
_CODE_FRAGMENT = re.compile(r"^[0-9A-Za-z]*[0-9][0-9A-Za-z.\-]*$")


def _code_fragment(db: sqlite_utils.Database, query: str, limit: int) -> list[str]:
    """Dossiers whose code contains `query` anywhere (the index only knows prefixes).

    Only asked when the query looks like a piece of a code and the index found nothing by
    prefix. The scan reads the code column alone (its unique index covers it); the few hits
    are then fetched by code, newest first."""
    q = query.strip().upper()
    if len(q) < 3 or not _CODE_FRAGMENT.match(q) or not any(c in q for c in ".-"):
        return []
    codes = [
        r[0]
        for r in db.conn.execute(
            "SELECT code FROM dossiers WHERE instr(code, ?) > 0 LIMIT ?", (q, limit)
        )
    ]
    if not codes:
        return []
    marks = ",".join("?" * len(codes))
    return [
        r[0]
        for r in db.conn.execute(
            f"SELECT uuid FROM dossiers WHERE code IN ({marks}) ORDER BY received_at DESC",
            codes,
        )
    ]


def search(db: sqlite_utils.Database, query: str, page: int = 0, page_size: int = 20) -> SearchPage:
    """One page of matches; an empty or unsearchable query finds nothing."""
    fts = _fts_query(query)
    if not fts:
        return SearchPage([], 0, False, page, page_size)
    exact = _exact(db, query)
    limit = (page + 1) * page_size
    rows = [
        r[0]
        for r in db.conn.execute(
            "SELECT d.uuid FROM dossier_search s JOIN dossiers d ON d.rowid = s.rowid "
            "WHERE dossier_search MATCH ? ORDER BY s.rowid DESC LIMIT ?",
            (fts, limit + len(exact)),
        )
    ]
    if not rows and not exact:
        rows = _code_fragment(db, query, COUNT_CAP + 1)
    merged = exact + [u for u in rows if u not in set(exact)]
    total_row = db.conn.execute(
        "SELECT count(*) FROM (SELECT rowid FROM dossier_search WHERE dossier_search MATCH ? "
        "LIMIT ?)",
        (fts, COUNT_CAP + 1),
    ).fetchone()
    total = max(int(total_row[0]), len(merged))
    start = page * page_size
    return SearchPage(
        uuids=merged[start : start + page_size],
        total=min(total, COUNT_CAP),
        more=total > COUNT_CAP,
        page=page,
        page_size=page_size,
    )
