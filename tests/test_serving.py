"""The serving processes (the portal, the queue hub) set up the interpreter before they answer:
start-up objects frozen out of the garbage collector's walks, short GIL turns.

Each was measured (`portal.serving`); here the real entry points run up to the moment they
hand the app to uvicorn, which is stopped there, and what they set is read at that moment.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from portal.hub import main as hub_main
from portal.server import load_settings, serve


@pytest.fixture
def at_serving(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """What the process had set when it started serving; undone afterwards."""
    seen: dict[str, Any] = {}
    interval = sys.getswitchinterval()

    def started(app: Any = None, **_kw: Any) -> None:
        seen["frozen"] = gc.get_freeze_count()
        seen["interval"] = sys.getswitchinterval()
        seen["app"] = app

    monkeypatch.setattr(uvicorn, "run", started)
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, **kw: started(self.config.app))
    assert gc.get_freeze_count() == 0
    try:
        yield seen
    finally:
        gc.unfreeze()
        sys.setswitchinterval(interval)


def test_the_hub_freezes_its_start_up_and_shortens_gil_turns(
    tmp_path: Path, at_serving: dict[str, Any]
) -> None:
    config = tmp_path / "hub.toml"
    config.write_text('[queue]\nhall_sound = "off"\n', encoding="utf-8")
    hub_main(["--db", str(tmp_path / "hub.sqlite3"), "--config", str(config)])
    at_serving["app"].state.hub.close()
    assert at_serving["frozen"] > 10_000  # the modules, the app, the engine
    assert at_serving["interval"] == pytest.approx(0.0005)


def test_the_portal_freezes_its_start_up_and_shortens_gil_turns(
    tmp_path: Path, at_serving: dict[str, Any]
) -> None:
    serve(replace(load_settings(), db_path=tmp_path / "portal.db"))
    assert at_serving["frozen"] > 10_000
    assert at_serving["interval"] == pytest.approx(0.0005)
