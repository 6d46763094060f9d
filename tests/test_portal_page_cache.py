"""The kept citizen pages (`portal.page_cache`): a kept page is always the page a fresh
render would give, never another receipt's page and never an older status.

The drill runs the real app (Starlette, Jinja2, gzip, a real SQLite portal database filled by
a real counter's sync) twice over the same database: once as served (pages kept) and once
with nothing kept (the oracle). Random views of every state's receipt (gzip or not, the
thank-you flag, the host's letter case) interleave with the changes that must show at once:
a status changed by the portal, a snapshot field a newer counter sends, a rating, the date
turning. Every view must be byte-for-byte the oracle's.
"""

from __future__ import annotations

import asyncio
import gzip
import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import portal.page as page_module
from counter.sync import sync_once
from portal import admin
from portal.app import create_app
from portal.page_cache import CachedPage, PageCache, page_key
from portal.server import ThreadedPortal
from portal.storage import utc_now
from tests.support.portal_states import Made, make_states, patch_snapshot
from tests.support.sync import AGENCY, make_counter

STATUSES = ("received", "processing", "supplement_requested", "result_ready", "returned")


class Site:
    """The database with its receipts, the served app and the no-cache oracle app."""

    def __init__(self, served_by: ThreadedPortal, made: dict[str, Made]):
        self.portal = served_by
        self.storage: Any = served_by.storage
        self.by_state = made
        self.made = list(made.values())
        self.kept = PageCache()
        real = page_module.PageCache
        try:
            page_module.PageCache = lambda: self.kept  # type: ignore[assignment,misc]
            self.served = create_app(self.storage)
            page_module.PageCache = lambda: PageCache(0)  # type: ignore[assignment,misc]
            self.oracle = create_app(self.storage)
        finally:
            page_module.PageCache = real
        self.loop = asyncio.new_event_loop()
        self.days = 0
        base = self.storage.clock
        self.storage.clock = lambda: base() + timedelta(days=self.days)

    def get(self, app: Any, path: str, host: str, encoding: str) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as c:
                return await c.get(path, headers={"accept-encoding": encoding})

        return self.loop.run_until_complete(go())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("page-cache")
    with ThreadedPortal(tmp / "portal.db") as portal:
        code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
        counter = make_counter(tmp, 3, portal.url, code, lookup_website=portal.url)
        try:
            assert sync_once(counter.store, counter.config).ok
            made = make_states(counter, portal)
        finally:
            counter.desk.close()
        s = Site(portal, made)
        yield s
        s.loop.close()


def _path(m: Made) -> str:
    return "/" + m.url.split("/", 3)[3]


OPS = st.lists(
    st.one_of(
        st.tuples(
            st.just("view"),
            st.integers(0, 20),
            st.booleans(),  # gzip
            st.booleans(),  # ?danh-gia=ok
            st.booleans(),  # the host in upper case (the page prints its own address)
        ),
        st.tuples(st.just("status"), st.integers(0, 20), st.sampled_from(STATUSES)),
        st.tuples(st.just("fee"), st.integers(0, 20), st.integers(0, 500_000)),
        st.tuples(st.just("day"), st.integers(-3, 40)),
    ),
    min_size=5,
    max_size=40,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_a_kept_page_is_always_the_fresh_render(site: Site, ops: list[tuple[Any, ...]]) -> None:
    for op in ops:
        kind, *args = op
        if kind == "view":
            m = site.made[args[0] % len(site.made)]
            path = _path(m) + ("?danh-gia=ok" if args[2] else "")
            host = "portal.example.vn"
            host = host.upper() if args[3] else host
            encoding = "gzip" if args[1] else "identity"
            got = site.get(site.served, path, host, encoding)
            want = site.get(site.oracle, path, host, encoding)
            assert got.status_code == want.status_code
            assert got.content == want.content  # httpx decodes gzip: the text a phone shows
            assert got.headers["content-security-policy"] == want.headers["content-security-policy"]
            assert got.headers["cache-control"] == "no-store"
            assert (got.headers.get("content-encoding") == "gzip") == args[1]
            if got.status_code == 200 and "Hồ sơ đã được tiếp nhận tại Bộ phận" not in got.text:
                assert f'id="code">{m.code}<' in got.text
                others = {o.code for o in site.made} - {m.code}
                assert not any(f'id="code">{c}<' in got.text for c in others)
        elif kind == "status":
            m = site.made[args[0] % len(site.made)]
            with site.storage._tx() as c:
                c.execute("UPDATE dossiers SET status = ? WHERE uuid = ?", (args[1], m.uuid))
        elif kind == "fee":
            m = site.made[args[0] % len(site.made)]
            with site.storage._tx() as c:
                row = c.execute("SELECT 1 FROM dossiers WHERE uuid = ?", (m.uuid,)).fetchone()
            if row is not None:
                patch_snapshot(site.portal, m.uuid, fee_amount=args[1], payment_state="paid_cash")
        else:
            site.days = args[0]


def test_a_status_change_shows_at_once_and_receipts_never_share_a_page(site: Site) -> None:
    """The example beside the drill: a page is viewed (and kept), the portal changes the
    status, and the next view says the new status; a second receipt gets its own page."""
    site.days = 0
    processing = site.by_state["processing"]
    with site.storage._tx() as c:
        c.execute("UPDATE dossiers SET status = 'processing' WHERE uuid = ?", (processing.uuid,))
    first = site.get(site.served, _path(processing), "portal.vn", "gzip")
    hits = site.kept.hits
    again = site.get(site.served, _path(processing), "portal.vn", "gzip")
    assert site.kept.hits == hits + 1  # the second view was the kept page
    assert first.content == again.content and "Hồ sơ đang được giải quyết" in first.text
    with site.storage._tx() as c:
        c.execute("UPDATE dossiers SET status = 'result_ready' WHERE uuid = ?", (processing.uuid,))
    after = site.get(site.served, _path(processing), "portal.vn", "gzip")
    assert "Đã có kết quả" in after.text and "Hồ sơ đang được giải quyết" not in after.text
    pages = {site.get(site.served, _path(m), "portal.vn", "gzip").content for m in site.made}
    assert len(pages) == len(site.made)  # every receipt its own page


def test_a_kept_page_never_skips_the_token_check(site: Site) -> None:
    """A wrong token on a receipt whose page is kept is still "not found" (verification runs
    before the cache is asked), and the kept page is not disturbed."""
    m = site.made[0]
    good = site.get(site.served, _path(m), "portal.vn", "gzip")
    assert good.status_code == 200
    token = _path(m).rsplit("/", 1)[1]
    forged = _path(m).rsplit("/", 1)[0] + "/" + token[:-1] + ("A" if token[-1] != "A" else "B")
    bad = site.get(site.served, forged, "portal.vn", "gzip")
    assert bad.status_code == 404 and m.code not in bad.text
    assert site.get(site.served, _path(m), "portal.vn", "gzip").content == good.content


def test_the_cache_is_bounded_and_keys_follow_every_input() -> None:
    cache = PageCache(3)
    pages = [CachedPage(f"<p>{i}</p>".encode() * 200) for i in range(5)]
    keys = [page_key("receipt", i) for i in range(5)]
    for k, p in zip(keys, pages, strict=True):
        cache.put(k, p)
    assert len(cache) == 3 and cache.get(keys[0]) is None and cache.get(keys[4]) is pages[4]
    assert gzip.decompress(pages[4].gzipped) == pages[4].html == b"<p>4</p>" * 200
    # Inputs that differ anywhere, however deep, give different keys; equal ones equal keys.
    row = {"status": "processing", "snapshot": '{"fee_amount": 1}', "code": "X-1"}
    assert page_key(row, [row]) == page_key(dict(row), [dict(row)])
    for field, value in (
        ("status", "returned"),
        ("snapshot", '{"fee_amount": 2}'),
        ("code", "X-2"),
    ):
        assert page_key({**row, field: value}, [row]) != page_key(row, [row])
        assert page_key(row, [{**row, field: value}]) != page_key(row, [row])
    assert page_key("a", None) != page_key("a", "None") != page_key("a", 0)
    rng = random.Random(18)
    seen = {page_key(rng.random(), utc_now().isoformat(), i) for i in range(1000)}
    assert len(seen) == 1000
