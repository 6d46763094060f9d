"""Reading what a USB barcode scanner types: a receipt lookup URL or a bare dossier code.

A keyboard-wedge scanner is indistinguishable from fast typing, and timing is not reliable (nor
testable), so the app keeps the printable keys typed since the last Enter and, on Enter, looks
at the *tail* of that buffer: whatever the officer typed before the scan is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from counter.codes import recognise_code
from counter.lookup import parse_lookup_url

_URL_START = re.compile(r"https?:", re.IGNORECASE)
_URL_IN_PROGRESS = re.compile(r"https?:\S*$", re.IGNORECASE)


@dataclass(frozen=True)
class Scan:
    """What was scanned: the raw text (to remove it from an Input) and what it names."""

    text: str
    code: str
    dossier_uuid: str | None = None


def in_url(buffer: str) -> bool:
    """True while the buffer ends inside a URL being typed (keys then bypass screen keys)."""
    return _URL_IN_PROGRESS.search(buffer) is not None


def find_scan(buffer: str, agency_code: str) -> Scan | None:
    """The lookup URL or dossier code at the end of `buffer`, if there is one."""
    starts = [m.start() for m in _URL_START.finditer(buffer)]
    if starts:
        text = buffer[starts[-1] :]
        ref = parse_lookup_url(text)
        if ref is not None:
            return Scan(text, ref.code, ref.dossier_uuid)
    upper = buffer.upper()
    start = upper.rfind(agency_code.upper() + "-")
    candidates = [buffer[start:]] if start >= 0 else []
    candidates.append(buffer)
    for text in candidates:
        code = recognise_code(text.strip())  # this app's codes and other systems' (DOMAIN §3)
        if code is not None and text.strip():
            return Scan(text, code)
    return None


def looks_like_qr(buffer: str) -> bool:
    """A line nobody types by hand: fields joined by "|" (what other QR codes carry). Such a
    line ending in Enter is a scan of something unknown, never text for the screen."""
    return buffer.count("|") >= 2


def looks_scanned(value: str) -> bool:
    """An Input value that is a whole lookup URL (pasted or scanned into a field)."""
    return parse_lookup_url(value) is not None
