"""Issue 19, finding 7 and the rest, replayed: hub body limits, keyed hashes, https for a
remote portal, admin token strength, malformed manifests, no pid in public answers, idle
logout."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from counter.config import ConfigError, parse_config
from counter.desk import Desk
from counter.queue import QueueSettings
from counter_cli.export import run_audit_verify
from portal.app import check_admin_token
from portal.hub import app as hub_app
from portal.hub.app import Hub, create_app
from portal.hub.server import RunningHub, serve_in_thread
from portal.server import ThreadedPortal, load_settings
from portal.storage import SQLiteStorage
from tests.support.clock import FrozenClock
from tests.support.config import make_config


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[RunningHub]:
    h = Hub(tmp_path / "hub.db", QueueSettings(), clock=FrozenClock())
    running = serve_in_thread(create_app(h))
    yield running
    running.stop()


def test_hub_refuses_a_declared_huge_body_before_reading_it(hub: RunningHub) -> None:
    """A 300 MB POST took the hub to 636 MB: now the declared length is refused at once."""
    host, port = hub.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(
            b"POST /api/tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 300000000\r\n\r\n{"
        )
        answer = s.recv(4096)  # answered without the other 299,999,999 bytes
    assert answer.startswith(b"HTTP/1.1 413"), answer[:80]


def test_hub_stops_reading_a_chunked_body_past_the_limit(hub: RunningHub) -> None:
    """A chunked body with no declared length is refused once it passes the limit, without
    waiting for (or holding) the rest: the body here never ends, and the answer comes."""
    host, port = hub.url.removeprefix("http://").split(":")
    chunk = b" " * (hub_app.MAX_BODY + 1)
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(
            b"POST /api/tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        )
        answer = s.recv(4096)  # no terminating chunk was ever sent
    assert answer.startswith(b"HTTP/1.1 413"), answer[:80]


def test_portal_client_hashes_are_keyed(tmp_path: Path) -> None:
    """Unsalted SHA-256 of an address is undone by hashing them all; keyed, it is not."""
    import hashlib

    a = SQLiteStorage(tmp_path / "a.db")
    b = SQLiteStorage(tmp_path / "b.db")
    a.lookup_failed("203.0.113.7")
    (stored,) = [r[0] for r in a.query("SELECT client FROM lookup_failures")]
    assert stored != hashlib.sha256(b"203.0.113.7").hexdigest()
    assert stored == a.client_hash("203.0.113.7") != b.client_hash("203.0.113.7")
    # The key survives a restart (every worker and every start use the same one).
    again = SQLiteStorage(tmp_path / "a.db")
    assert again.client_hash("203.0.113.7") == stored
    for s in (a, b, again):
        s.close()


@pytest.mark.parametrize(
    "url",
    ["http://portal.example.vn", "http://10.0.0.5:8700", "http://192.168.1.2"],
)
def test_a_remote_portal_needs_https(url: str) -> None:
    with pytest.raises(ConfigError, match="https"):
        parse_config({"portal": {"url": url}})


@pytest.mark.parametrize(
    "url", ["https://portal.example.vn", "http://127.0.0.1:8700", "http://localhost:8700", ""]
)
def test_https_or_loopback_is_accepted(url: str) -> None:
    assert parse_config({"portal": {"url": url}}).portal.url == url


@pytest.mark.parametrize("token", ["x", "secret", "a" * 40, "0123456789abcdefghij"])
def test_a_weak_admin_token_is_refused(token: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="admin_token"):
        check_admin_token(token)
    config = tmp_path / "portal.toml"
    config.write_text(f'[security]\nadmin_token = "{token}"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="admin_token"):
        load_settings(config)
    with pytest.raises(ValueError, match="admin_token"):
        ThreadedPortal(tmp_path / "p.db", admin_token=token)


def test_health_shows_no_process_id_to_the_public(tmp_path: Path) -> None:
    admin = "an-admin-token-of-enough-length-0123"
    with ThreadedPortal(tmp_path / "p.db", admin_token=admin) as p:
        public = httpx.get(f"{p.url}/api/v1/health").json()
        assert "worker" not in public and public["status"] == "ok"
        own = httpx.get(
            f"{p.url}/api/v1/health", headers={"authorization": f"Bearer {admin}"}
        ).json()
        assert isinstance(own["worker"], int)


MALFORMED = [
    b"",
    b"\xff\xfe not utf-8",
    b"[]",
    b'"text"',
    b"[" * 100_000,
    b'{"files": 5}',
    b'{"files": [1, 2]}',
    b'{"files": [{"name": 5}]}',
    b'{"files": [{"name": "a.csv", "sha256": ["x"]}]}',
    b'{"files": [{"name": "a.csv", "sha256": "x", "chunk_lines": "many"}]}',
    b'{"files": [{"name": "a.csv", "sha256": "x", "chunk_lines": 0}]}',
    b'{"public_key": 7, "files": []}',
    b'{"public_key": "zz", "audit_entry": "x"}',
    b'{"audit_entry": {"id": "NaN", "hash": []}, "files": []}',
]


def test_a_malformed_manifest_is_a_finding_not_a_traceback(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    Desk.open(config, clock=FrozenClock()).close()
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a.csv").write_text("x\r\n", encoding="utf-8")
    for i, data in enumerate(MALFORMED):
        manifest = folder / f"m{i}.manifest.json"
        manifest.write_bytes(data)
        ok, report = run_audit_verify(config, [manifest])
        assert not ok and "hỏng" in report, (data[:40], report)
    ok, report = run_audit_verify(config, [folder])  # all together, as a folder
    assert not ok and report.count("hỏng") >= len(MALFORMED)


async def test_idle_officer_is_logged_out(desk: Desk) -> None:
    from screens.login import LoginScreen
    from tests.support.tui import make_app

    app = make_app(desk)
    now = [1000.0]
    app.idle_clock = lambda: now[0]
    desk.login("canbo", "1234")
    async with app.run_test(size=(100, 30)) as pilot:
        app.last_input = now[0]
        now[0] += 9 * 60
        await app.logout_if_idle()
        assert desk.officer is not None  # 9 minutes: still logged in
        await pilot.press("f1")  # a key resets the clock
        await pilot.press("escape")
        assert app.last_input == now[0]
        now[0] += 10 * 60
        await app.logout_if_idle()
        await pilot.pause()
        assert desk.officer is None and isinstance(app.screen, LoginScreen)


def test_idle_logout_is_configurable() -> None:
    assert parse_config({}).auth.idle_logout_minutes == 10
    assert parse_config({"auth": {"idle_logout_minutes": 0}}).auth.idle_logout_minutes == 0
    with pytest.raises(ConfigError):
        parse_config({"auth": {"idle_logout_minutes": -1}})


async def test_an_empty_store_without_demo_says_how_to_make_the_first_supervisor(
    tmp_path: Path,
) -> None:
    from tests.support.tui import make_app, text

    desk = Desk.open(make_config(tmp_path), clock=FrozenClock())
    app = make_app(desk)
    async with app.run_test(size=(100, 30)):
        hint = text(app.screen.query_one("#login-setup"))
        assert "counter setup" in hint
        assert not app.screen.query("#login-demo")  # and no demo accounts offered
    desk.close()
