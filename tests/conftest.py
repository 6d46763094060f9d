"""Shared fixtures: a throwaway store per test, a frozen Vietnam clock, no developer config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from counter import auth
from counter.config import Config
from counter.desk import Desk
from tests.support.clock import FrozenClock
from tests.support.config import make_config


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
