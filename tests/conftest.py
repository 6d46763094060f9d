"""Shared fixtures: a throwaway store per test, a frozen Vietnam clock, no developer config."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from counter import auth
from counter.config import Config, parse_config
from counter.desk import Desk
from counter.timeutil import VN_TZ

# A Thursday morning, a normal working day (26/11/2026).
FROZEN_NOW = datetime(2026, 11, 26, 9, 30, tzinfo=VN_TZ)

HOLIDAY_OVERRIDES = {
    "2025": {"working_days": ["2025-04-26"]},
    "2026": {"working_days": ["2026-08-22"]},
}


class FrozenClock:
    """A clock tests move by hand: `clock.now = …`."""

    def __init__(self, now: datetime = FROZEN_NOW):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(autouse=True, scope="session")
def _light_argon2() -> Iterator[None]:
    """Hash PINs with light argon2 parameters: the production ones cost ~0.2 s per hash on
    purpose, and the suite makes thousands. tests/test_security_auth.py checks the production
    parameters; `python -m bench.bench_auth` measures them."""
    production = auth._HASHER
    auth._HASHER = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    yield
    auth._HASHER = production


@pytest.fixture(autouse=True)
def _no_developer_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never read the developer's own config or write into the checkout."""
    monkeypatch.delenv("COUNTER_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _detach_log_files() -> Iterator[None]:
    """A command run in a test sets up the log file of its temp data folder (process-wide):
    take it off afterwards, so later tests do not write into a deleted folder."""
    yield
    import logging

    for name in ("counter", "printing", "screens", "portal"):
        logger = logging.getLogger(name)
        for handler in [h for h in logger.handlers if hasattr(h, "_counter_marker")]:
            logger.removeHandler(handler)
            handler.close()


def make_config(tmp_path: Path, **sections: dict) -> Config:
    raw: dict = {
        "counter": {"data_dir": str(tmp_path / "data"), "number": 3, "demo_data": False},
        "holidays": HOLIDAY_OVERRIDES,
        "printer": {"transport": "preview", "target": str(tmp_path / "receipts")},
    }
    for name, values in sections.items():
        raw.setdefault(name, {}).update(values)
    return parse_config(raw, source=tmp_path / "config.toml")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def desk(config: Config, clock: FrozenClock) -> Iterator[Desk]:
    """A desk with one officer (canbo/1234) and one supervisor (giamsat/5678), logged out."""
    d = Desk.open(config, clock=clock)
    first = d.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    # The published demo PIN, below the production policy: straight to the accounts table.
    auth.create_officer(
        d.store,
        username="giamsat",
        full_name="Lê Văn Hùng",
        role="supervisor",
        secret="5678",
        now=d.now(),
        by=first,
    )
    yield d
    d.close()


@pytest.fixture
def officer_desk(desk: Desk) -> Desk:
    desk.login("canbo", "1234")
    return desk
