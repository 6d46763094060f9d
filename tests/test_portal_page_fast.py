"""The status page's fast path (`portal.app.StatusPageFastPath`) answers exactly what the full
Starlette stack answers: same status, same headers (every security header included), same
bytes, for every kind of request that reaches it or must not.

Two apps over one real SQLite portal database filled by a real counter's sync: as served
(fast path on) and through the router, the exception layer, GZip and `SecurityHeaders` (off).
Hypothesis draws the requests: every state's receipt, a forged token, an unknown dossier,
another device, a mangled code, the prefix and host in either case, a prefix that is not
TRA-CUU, one segment more (the QR), HEAD, gzip or not, the thank-you flag. Then the answers
that are not a kept page: the 429 of a waiting address, and the error page when the database
fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counter.sync import sync_once
from portal import admin
from portal.app import SECURITY_HEADERS, create_app
from portal.server import ThreadedPortal
from tests.support.portal_states import Made, make_states
from tests.support.sync import AGENCY
from tests.test_portal_page_cache import _counter


class Pair:
    """The database, the app as served and the app without the fast path."""

    def __init__(self, portal: ThreadedPortal, made: dict[str, Made]):
        self.storage: Any = portal.storage
        self.made = list(made.values())
        self.fast = create_app(self.storage)
        self.full = create_app(self.storage, status_fast_path=False)
        self.loop = asyncio.new_event_loop()

    def ask(self, app: Any, method: str, path: str, host: str, encoding: str) -> httpx.Response:
        async def go() -> httpx.Response:
            # (Starlette's error layer answers, then raises again for the server to log; the
            # fast path answers the same and has logged it: compare the answers.)
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as c:
                return await c.request(method, path, headers={"accept-encoding": encoding})

        return self.loop.run_until_complete(go())

    def same(self, method: str, path: str, host: str = "portal", encoding: str = "gzip") -> int:
        """Ask both apps; require the same answer; its status."""
        a = self.ask(self.fast, method, path, host, encoding)
        b = self.ask(self.full, method, path, host, encoding)
        assert a.status_code == b.status_code, path
        assert sorted(a.headers.multi_items()) == sorted(b.headers.multi_items()), path
        assert a.content == b.content, path
        for name in (*SECURITY_HEADERS, "content-security-policy", "cache-control"):
            assert name in a.headers, (name, path)
        return a.status_code


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    tmp = tmp_path_factory.mktemp("page-fast")
    with ThreadedPortal(
        tmp / "portal.db", lookup_max_failures=10**6, lookup_max_prefix_failures=10**6
    ) as portal:
        code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
        counter = _counter(tmp, portal, code)
        try:
            assert sync_once(counter.store, counter.config).ok
            made = make_states(counter, portal)
        finally:
            counter.desk.close()
        p = Pair(portal, made)
        yield p
        p.loop.close()


def _segments(m: Made) -> list[str]:
    """[prefix, code, device, uuid, token] of a receipt's page."""
    return m.url.split("/", 3)[3].split("/")


def _swap(text: str) -> str:
    """The same length, the first character changed: a forged or mistyped part (the first:
    the last of a base32 UUID carries padding bits)."""
    return ("B" if text[0] != "B" else "C") + text[1:]


ALTERATIONS = (
    "none",
    "token",
    "uuid",
    "device",
    "code",
    "lower",
    "prefix",
    "qr",
    "other-device",
)


def _path(pair: Pair, index: int, alteration: str, rated: bool) -> str:
    parts = _segments(pair.made[index % len(pair.made)])
    other = _segments(pair.made[(index + 1) % len(pair.made)])
    if alteration == "token":
        parts[4] = _swap(parts[4])
    elif alteration == "uuid":
        parts[3] = _swap(parts[3])
    elif alteration == "device":
        parts[2] = _swap(parts[2])
    elif alteration == "code":
        parts[1] = parts[1] + "9"
    elif alteration == "lower":
        parts = [x.lower() for x in parts]
    elif alteration == "prefix":
        parts[0] = "TRA-CUUX"
    elif alteration == "qr":
        parts.append("qr.svg")
    elif alteration == "other-device":
        parts[3] = other[3]  # another receipt's dossier under this token
    return "/" + "/".join(parts) + ("?danh-gia=ok" if rated else "")


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    index=st.integers(0, 30),
    alteration=st.sampled_from(ALTERATIONS),
    rated=st.booleans(),
    method=st.sampled_from(["GET", "GET", "HEAD"]),
    encoding=st.sampled_from(["gzip", "identity", "gzip, deflate, br"]),
    upper_host=st.booleans(),
)
def test_the_fast_path_answers_what_the_full_stack_answers(
    pair: Pair,
    index: int,
    alteration: str,
    rated: bool,
    method: str,
    encoding: str,
    upper_host: bool,
) -> None:
    path = _path(pair, index, alteration, rated)
    host = "PORTAL.EXAMPLE" if upper_host else "portal.example"
    status = pair.same(method, path, host, encoding)
    if alteration in ("none", "lower"):
        assert status == 200
    elif alteration not in ("qr",):
        assert status == 404


def test_every_state_and_a_repeat_view_match(pair: Pair) -> None:
    """Each state's page twice (rendered, then kept), compressed and not."""
    for m in pair.made:
        path = "/" + m.url.split("/", 3)[3]
        for encoding in ("gzip", "identity", "gzip", "identity"):
            assert pair.same("GET", path, encoding=encoding) == 200


def test_a_waiting_address_gets_the_same_429(pair: Pair) -> None:
    """Failures past the free ones: the same 429 page, Retry-After and headers both ways
    (the clock stands still, so the delay left is the same for both answers)."""
    storage = pair.storage
    clock, free = storage.clock, storage.lookup_max_failures
    now = clock()
    storage.clock = lambda: now + timedelta(days=400)  # a window of its own
    storage.lookup_max_failures = 1
    try:
        path = _path(pair, 0, "token", False)
        for _ in range(3):
            assert pair.same("GET", path) == 429
    finally:
        storage.clock, storage.lookup_max_failures = clock, free


def test_a_failing_database_gets_the_same_error_page(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_: object, **__: object) -> object:
        raise OSError("database unreachable")

    monkeypatch.setattr(pair.storage, "citizen_view", down)
    monkeypatch.setattr(pair.storage, "devices_by_short_id", down)
    path = "/" + pair.made[0].url.split("/", 3)[3] + "?danh-gia=ok"
    for encoding in ("gzip", "identity"):
        # Starlette answers a failure from its outermost layer, outside GZip and
        # SecurityHeaders, so the full stack's error page lacks the security headers; the fast
        # path's has them (and gzip): the same page, with more protection, never less.
        a = pair.ask(pair.fast, "GET", path, "portal", encoding)
        b = pair.ask(pair.full, "GET", path, "portal", encoding)
        assert a.status_code == b.status_code == 500
        assert a.content == b.content and "unreachable" not in a.text
        fast_headers = {k: v for k, v in a.headers.items() if k not in ("content-length",)}
        for name, value in b.headers.items():
            if name != "content-length":
                assert fast_headers[name] == value, name
        for name in (*SECURITY_HEADERS, "content-security-policy", "cache-control"):
            assert name in a.headers, name
        assert a.headers["retry-after"] == "60"


def test_posts_and_other_paths_take_the_full_stack(pair: Pair) -> None:
    """A rating POST without its form token, the home page, an unknown API path and a 404
    elsewhere are answered alike (they never reach the fast path)."""
    path = "/" + pair.made[0].url.split("/", 3)[3]
    for method, where in (
        ("POST", path),
        ("GET", "/"),
        ("GET", "/api/v1/nothing"),
        ("GET", "/x/y"),
    ):
        pair.same(method, where)


def test_the_receipt_page_is_served_by_the_fast_path(pair: Pair, tmp_path: Path) -> None:
    """The fast path is really taken: with the router unable to serve the page (its routes
    removed), the page still answers."""
    app = create_app(pair.storage)
    app.router.routes.clear()
    path = "/" + pair.made[0].url.split("/", 3)[3]
    assert pair.ask(app, "GET", path, "portal", "gzip").status_code == 200
    assert pair.ask(app, "GET", path + "/qr.svg", "portal", "gzip").status_code == 404
