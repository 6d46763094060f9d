"""The citizen status page behind the receipt QR, the rating, the admin API, headers, limits.

Every test runs against a real portal (uvicorn on 127.0.0.1) on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from counter.sync import sync_once
from portal import admin
from portal.server import ThreadedPortal
from tests.support.pg import pg_cluster, portal_db  # noqa: F401  (fixtures)
from tests.support.portal import ADMIN, CRITERIA, lookup_counter, receive, text_of
from tests.support.sync import AGENCY, Counter


@pytest.fixture
def portal(portal_db: str) -> Iterator[ThreadedPortal]:  # noqa: F811
    with ThreadedPortal(portal_db, admin_token=ADMIN, lookup_max_failures=4) as p:
        yield p


@pytest.fixture
def counter(tmp_path: Path, portal: ThreadedPortal) -> Iterator[Counter]:
    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    c = lookup_counter(tmp_path, 3, portal, code)
    assert sync_once(c.store, c.config).ok  # enrolled: the portal knows the device secret
    yield c
    c.desk.close()


def test_receipt_url_verifies_before_and_after_sync(
    portal: ThreadedPortal, counter: Counter
) -> None:
    uuid, url = receive(counter)
    assert url.startswith(portal.url.upper().replace("HTTP://", "HTTP://"))
    # Not synced yet (the counter is offline): the receipt still verifies.
    r = httpx.get(url)
    assert r.status_code == 200
    assert "đang được cập nhật" in text_of(r)
    code = counter.desk.get(uuid).code
    assert code in r.text
    assert r.headers["cache-control"] == "no-store"

    assert sync_once(counter.store, counter.config).ok
    r = httpx.get(url)
    page = text_of(r)
    assert r.status_code == 200
    assert "Hồ sơ đã được tiếp nhận" in page and code in page
    assert "Nguyễn V. Đ." in page  # masked
    for secret in ("Nguyễn Văn Đức", "001090012345", "0912 345 678", "912345678", "Hàng Bạc"):
        assert secret not in r.text, secret
    assert "Trần Thị Mai" not in r.text  # no officer either
    assert "Tiếp nhận hồ sơ" in page  # the timeline

    # The path matches whatever the letter case (a scanner with Caps Lock on).
    assert httpx.get(url.lower()).status_code == 200
    assert httpx.get(url + "/", follow_redirects=True).status_code == 200

    admin.set_dossier_status(portal.storage, uuid, "processing", by="Phòng Tư pháp")
    assert "Hồ sơ đang được giải quyết" in text_of(httpx.get(url))
    admin.set_dossier_status(portal.storage, uuid, "result_ready", by="Phòng Tư pháp")
    page = text_of(httpx.get(url))
    assert "Đã có kết quả – mời ông/bà đến nhận tại quầy số 3" in page
    # The timeline follows once the counter has applied the change and echoed it back
    # (a round pushes, then pulls: the echo goes out with the next round).
    assert sync_once(counter.store, counter.config).ok
    assert sync_once(counter.store, counter.config).ok
    page = text_of(httpx.get(url))
    assert "Đã có kết quả giải quyết" in page and "Chuyển hồ sơ đến bộ phận" in page


def test_forged_or_mistyped_receipts_reveal_nothing_and_are_rate_limited(
    portal: ThreadedPortal, counter: Counter
) -> None:
    _uuid, url = receive(counter)
    assert sync_once(counter.store, counter.config).ok
    head, _token = url.rsplit("/", 1)
    forged = f"{head}/{'A' * 24}"
    other = url.replace("-0", "-9", 1) if "-0" in url else url[:-30] + "Q" + url[-29:]
    answers = [httpx.get(u) for u in (forged, other, portal.url + "/TRA-CUU/X/Y/Z/W")]
    for r in answers:
        assert r.status_code == 404
        assert "Không tìm thấy hồ sơ" in text_of(r)
        assert "Nguyễn" not in r.text and "Hồ sơ đã được tiếp nhận" not in r.text
    assert answers[0].text.count("Không tìm thấy") == answers[1].text.count("Không tìm thấy")
    # The fourth failure from this address is refused and its next one must wait; a good
    # receipt from the same address is still served (#18: a centre's one public address).
    r = httpx.get(forged)
    assert r.status_code == 429
    assert "Quá nhiều lần thử, vui lòng thử lại sau" in text_of(r)
    assert 1 <= int(r.headers["retry-after"]) <= 2
    assert httpx.get(url).status_code == 200
    # The counters are in the database (shared by every worker), keyed by a hash: the
    # address (4 failures) and the receipts' code prefix (3; the junk URL names none).
    rows = portal.storage.query("SELECT client, failures FROM lookup_failures")
    assert sorted(r[1] for r in rows) == [3, 4]
    assert not any("127.0.0.1" in r[0] or "H26" in r[0] for r in rows)


def _rating_form(resp: httpx.Response) -> dict[str, str]:
    m = re.search(r'name="form_token" value="([0-9a-f]+)"', resp.text)
    assert m, "no rating form"
    return {"form_token": m.group(1), **CRITERIA, "overall": "very_satisfied"}


def test_rating_once_after_the_result_is_returned_reaches_the_counter(
    portal: ThreadedPortal, counter: Counter
) -> None:
    uuid, url = receive(counter)
    assert sync_once(counter.store, counter.config).ok
    assert 'name="form_token"' not in httpx.get(url).text  # not before the result
    admin.set_dossier_status(portal.storage, uuid, "result_ready", by="bo")
    admin.set_dossier_status(portal.storage, uuid, "returned", by="bo", to="người nộp")
    page = httpx.get(url)
    assert "Đánh giá mức độ hài lòng" in text_of(page)
    form = _rating_form(page)

    incomplete = {k: v for k, v in form.items() if k != "c5"}
    r = httpx.post(url, data=incomplete)
    assert r.status_code == 422 and "Xin ông/bà chọn một mức" in text_of(r)
    r = httpx.post(url, data={**form, "form_token": "0" * 32})
    assert r.status_code == 403
    r = httpx.post(url, data=form, headers={"origin": "https://evil.example"})
    assert r.status_code == 403
    assert portal.storage.rating_of(uuid) is None

    r = httpx.post(url, data={**form, "c9": "1", "comment": "Cán bộ nhiệt tình"})
    assert r.status_code == 303
    r = httpx.get(url, params={"danh-gia": "ok"})
    assert "Cảm ơn ông/bà đã đánh giá" in text_of(r) and "Rất hài lòng" in text_of(r)
    assert 'name="form_token"' not in r.text
    again = httpx.post(url, data=form)
    assert again.status_code == 409
    assert "đã được đánh giá" in text_of(again)
    rating = portal.storage.rating_of(uuid)
    assert rating is not None and rating.overall == "very_satisfied" and rating.criteria["c9"] == 1
    assert portal.storage.query("SELECT count(*) FROM ratings") == [(1,)]

    # It reaches the counter with the next pull, and the supervisor through the admin API.
    report = sync_once(counter.store, counter.config)
    assert report.ok and report.pull_applied >= 1, report.text()
    rows = counter.store.conn.execute("SELECT score, comment FROM ratings").fetchall()
    assert [tuple(r) for r in rows] == [(5, "Cán bộ nhiệt tình")]
    audit = counter.store.conn.execute(
        "SELECT details FROM audit WHERE action = 'sync.rating'"
    ).fetchone()
    assert audit is not None
    details = json.loads(audit[0])
    assert details["overall"] == "very_satisfied" and details["criteria"]["c9"] == 1
    ratings = httpx.get(
        f"{portal.url}/api/v1/admin/ratings", headers={"authorization": f"Bearer {ADMIN}"}
    ).json()["ratings"]
    assert ratings[0]["overall"] == "very_satisfied" and ratings[0]["criteria"]["c9"] == 1


def test_security_headers_and_limits(portal: ThreadedPortal, counter: Counter) -> None:
    _uuid, url = receive(counter)
    page = httpx.get(url)
    csp = page.headers["content-security-policy"]
    # The one style element is allowed by its own SHA-256, computed here from the served bytes.
    styles = re.findall(r"<style>(.*?)</style>", page.text, re.S)
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    assert len(styles) == 1 and f"style-src 'sha256-{digest}';" in csp
    assert "nonce" not in csp and "<style " not in page.text
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "http" not in re.sub(r'(href|action)=""', "", page.text.split("</head>")[0])
    for r in (page, httpx.get(f"{portal.url}/api/v1/health")):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-frame-options"] == "DENY"
    big = httpx.post(url, content=b"comment=" + b"x" * 20000)
    assert big.status_code == 413
    assert httpx.get(f"{portal.url}/khong-co").status_code == 404


def test_admin_api_takes_the_admin_token_never_a_device_token(
    portal: ThreadedPortal, counter: Counter
) -> None:
    uuid, _url = receive(counter)
    assert sync_once(counter.store, counter.config).ok
    device_token = counter.store.get_setting("sync.token")
    api = f"{portal.url}/api/v1/admin"
    body = {"dossier": uuid, "to_status": "processing", "by": "Phòng Tư pháp"}
    for headers in ({}, {"authorization": f"Bearer {device_token}"}):
        assert httpx.post(f"{api}/status", json=body, headers=headers).status_code == 401
        assert httpx.get(f"{api}/rejections", headers=headers).status_code == 401
    auth = {"authorization": f"Bearer {ADMIN}"}
    r = httpx.post(f"{api}/status", json=body, headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["change"]["data"]["to_status"] == "processing"
    bad = httpx.post(f"{api}/status", json={**body, "to_status": "returned"}, headers=auth)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "illegal_transition"
    assert httpx.get(f"{api}/rejections", headers=auth).json() == {"rejections": []}
    # ... and the admin token is no device credential.
    r = httpx.get(f"{portal.url}/api/v1/device", headers=auth)
    assert r.status_code == 401
    report = sync_once(counter.store, counter.config)
    assert report.ok and counter.desk.get(uuid).status == "processing"


def test_admin_api_is_off_without_a_token(tmp_path: Path) -> None:
    with ThreadedPortal(tmp_path / "p.db") as p:
        r = httpx.get(f"{p.url}/api/v1/admin/ratings", headers={"authorization": "Bearer x"})
        assert r.status_code == 403 and r.json()["error"]["code"] == "admin_disabled"


def test_no_personal_data_in_logs(
    portal: ThreadedPortal, counter: Counter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    uuid, url = receive(counter)
    assert sync_once(counter.store, counter.config).ok
    httpx.get(url)
    httpx.get(url[:-3] + "AAA")
    admin.set_dossier_status(portal.storage, uuid, "result_ready", by="bo")
    admin.set_dossier_status(portal.storage, uuid, "returned", by="bo", to="người nộp")
    httpx.post(url, data=_rating_form(httpx.get(url)))
    assert sync_once(counter.store, counter.config).ok
    server = ("portal", "uvicorn", "starlette", "psycopg")  # not the test's own httpx client
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(server))
    assert "push device=" in logged  # the portal does log, just nothing personal
    for secret in ("Nguyễn", "Đức", "001090012345", "0912 345 678", "912345678", "Hàng Bạc"):
        assert secret not in logged, secret
    token = url.rsplit("/", 1)[1]
    assert token not in logged and token.lower() not in logged


def test_device_cache_of_another_worker_verifies_a_replaced_secret_at_once(
    tmp_path: Path,
) -> None:
    """Two workers on one database: the one holding a cached device secret still verifies a
    receipt made with the secret a re-enrollment (on the other worker) put in its place; the old
    secret verifies there only until `device_cache_seconds` runs out (0 here: at once)."""
    import os
    import uuid
    from datetime import date

    from counter.codes import format_code
    from counter.lookup import LookupRef, lookup_token, lookup_url, parse_lookup_url
    from portal.page import CitizenPages
    from portal.storage import SQLiteStorage

    reader, writer = SQLiteStorage(tmp_path / "p.db"), SQLiteStorage(tmp_path / "p.db")
    try:
        device_id, dossier = str(uuid.uuid4()), str(uuid.uuid4())
        code = admin.create_enrollment_code(writer, AGENCY, 5)
        old, new = os.urandom(32).hex(), os.urandom(32).hex()

        number = format_code(AGENCY, date(2026, 11, 26), 5, 1)

        def ref(secret: str) -> LookupRef:
            token = lookup_token(bytes.fromhex(secret), device_id, dossier, number)
            found = parse_lookup_url(lookup_url("http://p", number, token, device_id, dossier))
            assert found is not None
            return found

        writer.enroll(code, device_id, old, AGENCY, 5)
        pages = CitizenPages(reader)
        assert pages._load("c", ref(old))[1] is not None  # now cached
        # The operator revokes the device and issues a code for it: it comes back, new secret.
        writer.revoke(device_id)
        again = admin.create_enrollment_code(writer, AGENCY, 5, device_id=device_id)
        writer.enroll(again, device_id, new, AGENCY, 5)
        assert pages._load("c", ref(new))[1] is not None
        reader.device_cache_seconds = 0
        assert pages._load("c", ref(old)) == (0, None)
        # Enrolling through the same storage empties its cache at once.
        reader.device_cache_seconds = 30
        assert pages._load("c", ref(new))[1] is not None
        writer.revoke(device_id)
        third = admin.create_enrollment_code(writer, AGENCY, 5, device_id=device_id)
        reader.enroll(third, device_id, old, AGENCY, 5)
        assert pages._load("c", ref(new)) == (0, None)
    finally:
        reader.close()
        writer.close()


def test_pages_asked_for_at_once_each_show_their_own_dossier(
    portal: ThreadedPortal, counter: Counter
) -> None:
    """Pages that arrive together are read together on PostgreSQL (`portal.batching`): each
    must still show its own dossier and nobody else's."""
    import asyncio

    made = [receive(counter) for _ in range(5)]
    assert sync_once(counter.store, counter.config).ok
    code_of = {url: counter.desk.get(uuid).code for uuid, url in made}
    urls = [url for _, url in made] * 4

    async def ask_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=20) as http:
            return list(await asyncio.gather(*(http.get(u) for u in urls)))

    for url, resp in zip(urls, asyncio.run(ask_all()), strict=True):
        assert resp.status_code == 200
        page = text_of(resp)
        assert code_of[url] in page
        assert [c for c in code_of.values() if c in page] == [code_of[url]]


def test_a_failing_database_gives_the_citizen_a_page_not_json(
    portal: ThreadedPortal, counter: Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, url = receive(counter)
    assert sync_once(counter.store, counter.config).ok

    def down(*_: object) -> object:
        raise OSError("database unreachable")

    async def down_async(*_: object) -> object:
        raise OSError("database unreachable")

    if hasattr(portal.storage, "citizen_view_async"):
        monkeypatch.setattr(portal.storage, "citizen_view_async", down_async)
        monkeypatch.setattr(portal.storage, "page_read_async", down_async)
    else:
        monkeypatch.setattr(portal.storage, "citizen_view", down)
    r = httpx.get(url)
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
    assert r.headers["retry-after"] == "60"
    assert "tạm thời gián đoạn" in text_of(r) and "unreachable" not in r.text
    # The sync API keeps answering in its own terms.
    api = httpx.get(portal.url + "/api/v1/health")
    assert api.status_code == 200 and api.headers["content-type"].startswith("application/json")
