"""Citizen page benchmark: what the office block, the per-state words and gzip cost a page.

In process (the ASGI app called directly, SQLite storage, no sockets), so the figures are the
page's own CPU, not the network's. Measured in the same run:

- baseline: the same receipt's page from a device that sent no centre profile, uncompressed
  (what a page cost before the office block and gzip, with today's template);
- the page with the office block rendered afresh, uncompressed; then gzipped at level 6
  (what the portal uses);
- the same page kept (`portal.page_cache`: a repeat view of an unchanged dossier), gzipped:
  the database read and the token check remain, the render and the gzip do not;
- the QR code of the page's address encoded per request (what an inline QR would cost every
  page view; the page defers it to `…/qr.svg`, fetched only for printing).

    python -m bench.bench_page [--runs 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import pct
from bench.bench_intake import fmt_ms


def _time(runs: int, call: Any) -> tuple[list[float], int]:
    times: list[float] = []
    size = 0
    for _ in range(runs):
        t0 = time.perf_counter()
        size = call()
        times.append(time.perf_counter() - t0)
    return times, size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args(argv)
    from counter.sync import sync_once
    from portal import admin
    from portal.app import create_app
    from portal.page import qr_svg
    from portal.server import ThreadedPortal
    from tests.support.portal import lookup_counter
    from tests.support.portal_states import make_states
    from tests.support.sync import AGENCY

    print("== citizen page ==")
    with tempfile.TemporaryDirectory() as tmp, ThreadedPortal(Path(tmp) / "p.db") as portal:
        code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
        counter = lookup_counter(Path(tmp), 3, portal, code)
        try:
            assert sync_once(counter.store, counter.config).ok
            made = make_states(counter, portal)["returned"]
        finally:
            counter.desk.close()
        storage: Any = portal.storage
        path = "/" + made.url.split("/", 3)[3]
        loop = asyncio.new_event_loop()

        def fetch_with(client: httpx.AsyncClient, encoding: str) -> int:
            async def go() -> int:
                r = await client.get(path, headers={"accept-encoding": encoding})
                assert r.status_code == 200, r.status_code
                return int(r.headers.get("content-length") or len(r.content))

            return loop.run_until_complete(go())

        def client_for(kept: bool) -> httpx.AsyncClient:
            import portal.page
            from portal.page_cache import PageCache

            # The app builds its cache through portal.page's name: swap it for one that
            # keeps nothing to measure the fresh render.
            served = vars(portal.page)["PageCache"]
            if not kept:
                vars(portal.page)["PageCache"] = lambda: PageCache(0)
            try:
                app = create_app(storage)
            finally:
                vars(portal.page)["PageCache"] = served
            return httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://portal"
            )

        fresh, kept = client_for(False), client_for(True)
        for c in (fresh, kept):
            fetch_with(c, "gzip")  # warm: templates compiled, device cached, the page kept

        profile = storage.query("SELECT profile FROM devices")[0][0]
        storage.query("SELECT 1")
        with storage._tx() as c:
            c.execute("UPDATE devices SET profile = ''")
        storage._cache().clear()
        fetch_with(fresh, "identity")
        base, base_size = _time(args.runs, lambda: fetch_with(fresh, "identity"))
        with storage._tx() as c:
            c.execute("UPDATE devices SET profile = ?", (profile,))
        storage._cache().clear()
        fetch_with(fresh, "identity")
        # Interleaved, so that the machine's drift (other work on shared cores) falls on all
        # three alike.
        plain: list[float] = []
        zipped6: list[float] = []
        zipped_kept: list[float] = []
        plain_size = size6 = size_kept = 0
        for _ in range(args.runs):
            for times, call in (
                (plain, lambda: fetch_with(fresh, "identity")),
                (zipped6, lambda: fetch_with(fresh, "gzip")),
                (zipped_kept, lambda: fetch_with(kept, "gzip")),
            ):
                t0 = time.perf_counter()
                size = call()
                times.append(time.perf_counter() - t0)
                if times is plain:
                    plain_size = size
                elif times is zipped6:
                    size6 = size
                else:
                    size_kept = size
        qr_svg.cache_clear()
        qr_times, _ = _time(
            max(20, args.runs // 10),
            lambda: qr_svg.__wrapped__(made.url).__len__(),
        )
        for c in (fresh, kept):
            loop.run_until_complete(c.aclose())
        loop.close()

    b95 = pct(base, 0.95)
    print(f"baseline: no office block, uncompressed ({args.runs}×): {fmt_ms(base)}, {base_size} B")
    print(
        f"with the office block, uncompressed: {fmt_ms(plain)}, {plain_size} B; "
        f"time ratio p50 {pct(plain, 0.5) / pct(base, 0.5):.2f}×, p95 {pct(plain, 0.95) / b95:.2f}×"
    )
    print(
        f"with the office block, rendered afresh, gzip 6: {fmt_ms(zipped6)}, {size6} B on the wire "
        f"({size6 / plain_size:.0%} of uncompressed); time ratio to baseline p50 "
        f"{pct(zipped6, 0.5) / pct(base, 0.5):.2f}×"
    )
    print(
        f"the same page kept (a repeat view), gzip 6: {fmt_ms(zipped_kept)}, {size_kept} B; "
        f"time ratio to the fresh render p50 {pct(zipped_kept, 0.5) / pct(zipped6, 0.5):.2f}×, "
        f"to baseline {pct(zipped_kept, 0.5) / pct(base, 0.5):.2f}×"
    )
    print(
        f"QR of the page address encoded per request (not done; deferred to qr.svg): "
        f"{fmt_ms(qr_times)}, ratio to the whole page p50 "
        f"{pct(qr_times, 0.5) / pct(zipped6, 0.5):.1f}×"
    )


if __name__ == "__main__":
    main()
