"""The day and month an export covers, as people type them (`today`, `31/12/2025`, `last`).

Its own home in the core because both the `counter export` command and the export screen
read them, and a screen must not import CLI code."""

from __future__ import annotations

import re
from datetime import date, timedelta

from counter.errors import InvalidInput


def parse_day(text: str, today: date) -> date:
    """`today`, `yesterday`, YYYY-MM-DD or DD/MM/YYYY; anything else is InvalidInput."""
    value = text.strip().lower()
    if value in ("today", "hom-nay", "homnay"):
        return today
    if value in ("yesterday", "hom-qua", "homqua"):
        return today - timedelta(days=1)
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
        m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
        if m:
            return date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        pass
    raise InvalidInput(
        "date",
        f"Ngày không hợp lệ: {text} (dùng YYYY-MM-DD hoặc DD/MM/YYYY)",
        f"Invalid date: {text} (use YYYY-MM-DD or DD/MM/YYYY)",
    )


def parse_month(text: str, today: date) -> tuple[date, date]:
    """The first and last day of YYYY-MM, `this` (so far) or `last` month."""
    value = text.strip().lower()
    if value == "this":
        first = today.replace(day=1)
    elif value == "last":
        first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    else:
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", value)
        if not m or not 1 <= int(m[2]) <= 12:
            raise InvalidInput("month", f"Tháng không hợp lệ: {text} (dùng YYYY-MM)")
        first = date(int(m[1]), int(m[2]), 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    if value == "this":
        last = min(last, today)  # the month so far
    return first, last
