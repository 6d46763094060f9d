"""Counters pointed at a real portal, and reading its pages: shared by the portal page tests."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx

from portal.server import ThreadedPortal
from tests.support.builders import draft_for
from tests.support.config import make_config
from tests.support.sync import Counter

ADMIN = "admin-secret-token-for-tests"
CRITERIA = {f"c{i}": "2" for i in range(1, 10)}


def lookup_counter(base: Path, number: int, portal: ThreadedPortal, code: str = "") -> Counter:
    """A counter whose receipts point at this portal ([agency] lookup_website)."""
    from counter.desk import Desk

    folder = base / f"counter{number:02d}"
    folder.mkdir(parents=True, exist_ok=True)
    config = make_config(
        folder,
        counter={"number": number},
        agency={"lookup_website": portal.url},
        portal={"url": portal.url, "enrollment_code": code, "timeout_seconds": 5.0},
    )
    desk = Desk.open(config)
    desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    desk.login("canbo", "1234")
    return Counter(config, desk)


def receive(c: Counter) -> tuple[str, str]:
    """Receive one dossier at counter `c`: its uuid and the URL its receipt QR carries."""
    d = c.desk.receive(draft_for(c.desk, "1.004194"))
    return d.uuid, c.desk.lookup_url(d)


def text_of(resp: httpx.Response) -> str:
    """The words a page shows: tags and styles stripped, entities decoded, spaces collapsed."""
    body = re.sub(r"<style.*?</style>", " ", resp.text, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))
