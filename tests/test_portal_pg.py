"""City scale: `uvicorn --workers 2` over PostgreSQL behaves as one portal.

The portal runs as `counter-portal serve --workers 2` in a subprocess on 127.0.0.1 and a free
port; every request opens a new connection, so the two worker processes share the work. The
test shows that both answer, that one push sent many times at once (to both workers) is
applied once, that the rate limit counts failures across workers, and that sync, the page,
the admin API and the rating work through them.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import uuid as uuidlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from counter.sync import sync_once
from portal import admin
from portal.pg import PostgresStorage
from portal.server import ThreadedPortal
from portal.storage import CitizenView
from tests.support.pg import PgCluster, pg_cluster  # noqa: F401  (fixture)
from tests.support.portal import CRITERIA, lookup_counter, receive, text_of
from tests.support.servers import free_port, python_env, start_server, stop_server
from tests.support.sync import AGENCY, Counter, outbox_entries

ADMIN = "pg-admin-token-0123456789abc"


class Workers:
    """`python -m portal serve --workers 2` against a PostgreSQL database."""

    def __init__(self, tmp_path: Path, url: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = tmp_path / "portal.toml"
        self.config.write_text(
            "[security]\nlookup_max_failures = 5\n"
            f'witness_key_path = "{tmp_path / "witness-key.pem"}"\n'
            "[storage]\npool_size = 4\n",
            encoding="utf-8",
        )
        env = {
            **python_env(),
            "COUNTER_PORTAL_DATABASE_URL": url,
            "COUNTER_PORTAL_ADMIN_TOKEN": ADMIN,
        }
        command = [sys.executable, "-m", "portal", "--config", str(self.config), "serve"]
        command += ["--port", str(self.port), "--workers", "2"]
        self.proc = start_server(
            command, ready=[f"{self.url}/api/v1/health"], what="the portal's workers", env=env
        )

    def stop(self) -> None:
        stop_server(self.proc)


@pytest.fixture
def db_url(pg_cluster: PgCluster) -> str:  # noqa: F811
    return pg_cluster.create_database()


@pytest.fixture
def workers(tmp_path: Path, db_url: str) -> Iterator[Workers]:
    w = Workers(tmp_path, db_url)
    try:
        yield w
    finally:
        w.stop()


@pytest.fixture
def storage(db_url: str, workers: Workers) -> Iterator[PostgresStorage]:
    s = PostgresStorage(db_url, max_size=2)
    yield s
    s.close()


def _fresh(method: str, url: str, **kw: object) -> httpx.Response:
    """One request on a new connection (so either worker may take it)."""
    with httpx.Client(timeout=20) as c:
        return c.request(method, url, **kw)  # type: ignore[arg-type]


def test_two_workers_over_postgresql_behave_as_one_portal(
    tmp_path: Path, workers: Workers, storage: PostgresStorage
) -> None:
    admin = {"authorization": f"Bearer {ADMIN}"}
    pids = {
        _fresh("GET", f"{workers.url}/api/v1/health", headers=admin).json()["worker"]
        for _ in range(60)
    }
    assert len(pids) == 2, "both workers answer"

    # Sync through both workers; the receipt page verifies on either.
    code = storage.create_enrollment_code(AGENCY, 3)

    class _P:  # what lookup_counter needs of a portal
        url = workers.url

    c: Counter = lookup_counter(tmp_path, 3, _P(), code)  # type: ignore[arg-type]
    assert sync_once(c.store, c.config).ok
    uuid, url = receive(c)
    # The same push, eight times at once, on eight connections: applied once.
    token = c.store.get_setting("sync.token")
    seqs = [r[0] for r in c.store.conn.execute("SELECT seq FROM outbox ORDER BY seq")]
    body = {"after_seq": 0, "entries": outbox_entries(c.desk, seqs)}
    auth = {"authorization": f"Bearer {token}"}
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda _: _fresh("POST", f"{workers.url}/api/v1/push", json=body, headers=auth),
                range(8),
            )
        )
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert sum(a.json()["applied"] for a in answers) == len(seqs)
    assert storage.query("SELECT count(*) FROM ingest") == [(len(seqs),)]
    assert sync_once(c.store, c.config).ok  # the counter catches up: all duplicates

    for _ in range(4):
        assert "Hồ sơ đã được tiếp nhận" in text_of(_fresh("GET", url))

    # Back office through the admin API, then the rating, then the counter pulls it.
    api = f"{workers.url}/api/v1/admin/status"
    admin = {"authorization": f"Bearer {ADMIN}"}
    for to in ("result_ready", "returned"):
        r = _fresh(
            "POST", api, json={"dossier": uuid, "to_status": to, "to": "chủ hồ sơ"}, headers=admin
        )
        assert r.status_code == 200, r.text
    page = _fresh("GET", url)
    form_token = re.search(r'name="form_token" value="([0-9a-f]+)"', page.text)
    assert form_token is not None
    form = {"form_token": form_token.group(1), **CRITERIA, "overall": "satisfied"}
    with ThreadPoolExecutor(4) as pool:  # a double tap on "Gửi", on both workers
        posts = list(pool.map(lambda _: _fresh("POST", url, data=form), range(4)))
    # The same answers again are the same rating (#20): every tap lands on the thank-you,
    # and the database holds one rating.
    assert [p.status_code for p in posts] == [303, 303, 303, 303]
    assert storage.query("SELECT count(*) FROM ratings") == [(1,)]
    report = sync_once(c.store, c.config)
    assert report.ok, report.text()
    assert c.store.conn.execute("SELECT score FROM ratings").fetchall() == [(3,)]
    assert c.desk.get(uuid).status == "returned"

    # Failed lookups count across workers: the fifth from this address is refused; the
    # address's good receipt is still served.
    forged = url[:-24] + "A" * 24
    statuses = [_fresh("GET", forged).status_code for _ in range(5)]
    assert statuses == [404, 404, 404, 404, 429]
    assert _fresh("GET", url).status_code == 200
    c.desk.close()


def test_pages_are_read_together_in_one_statement_without_personal_data(
    tmp_path: Path, db_url: str
) -> None:
    """Page reads made at the same moment go to PostgreSQL as one statement, each answer
    is its own (dossier, unknown dossier, the same dossier twice), and no ID number, phone or
    address leaves the database for a page."""
    with ThreadedPortal(db_url) as portal:
        code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
        c: Counter = lookup_counter(tmp_path, 3, portal, code)
        assert sync_once(c.store, c.config).ok
        made = [receive(c) for _ in range(4)]
        assert sync_once(c.store, c.config).ok
        stored = portal.storage.query("SELECT snapshot FROM dossiers")
        # Issue 19: the ID number never reaches the portal's database at all.
        assert not any("001090012345" in row[0] for row in stored)
    reader = PostgresStorage(db_url, max_size=2)

    async def read_together() -> tuple[list[CitizenView], int]:
        await reader.citizen_view_async(made[0][0])  # opens the pool
        assert reader.page_reads is not None
        before = reader.page_reads.batches
        views = await asyncio.gather(
            *(reader.citizen_view_async(uuid) for uuid, _ in made),
            reader.citizen_view_async(str(uuidlib.uuid4())),
            reader.citizen_view_async(made[0][0]),
        )
        batches = reader.page_reads.batches - before
        await reader.aclose()
        return list(views), batches

    try:
        views, batches = asyncio.run(read_together())
    finally:
        reader.close()
    assert batches == 1
    for (uuid, _), view in zip(made, views[:4], strict=True):
        dossier = view.dossier
        assert dossier is not None
        assert dossier["code"] == c.desk.get(uuid).code
        assert [e["action"] for e in view.events] == ["receive"]
        assert json.loads(dossier["snapshot"])["delivery"]
    unknown, again = views[4], views[5]
    assert unknown.dossier is None
    assert again.dossier == views[0].dossier  # the same dossier twice in one batch
    sent = json.dumps([v.dossier for v in views[:4]], ensure_ascii=False)
    for personal in ("001090012345", "0912", "Hàng Bạc"):
        assert personal not in sent
    c.desk.close()
