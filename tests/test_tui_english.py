"""The supervisor's screens, the export form, the kiosk and the board in English."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.coordinate import Coordinate
from textual.geometry import Region
from textual.widgets import DataTable, Input, Static

from counter import stats
from counter.config import Config
from counter.desk import Desk
from counter.exports import ExportResult
from counter.queue import QueueSettings
from counter.queue_client import LocalQueue
from screens import board as board_module
from screens import kiosk as kiosk_module
from screens.board import BoardApp, announcement
from screens.export_screen import ExportScreen
from screens.kiosk import KioskApp
from screens.supervisor import DrillDownScreen, SupervisorScreen
from tests.support.clock import FrozenClock, SteppedClock
from tests.support.config import make_config
from tests.support.queue_tui import tap
from tests.support.supervisor import SIZE, Harness, seed
from tests.support.tui import make_app, text, wait_for


@pytest.fixture
def local(config: Config, clock: FrozenClock) -> Iterator[LocalQueue]:
    q = LocalQueue(
        config.db_path,
        QueueSettings(),
        counter_no=3,
        centre=config.agency.centre,
        clock=clock,
    )
    yield q
    q.close()


def footer_descriptions(node: Any) -> set[str]:
    return {b.description for bs in node._bindings.key_to_bindings.values() for b in bs}


async def test_supervisor_screen_in_english(desk: Desk) -> None:
    seed(desk)

    def provider(start, end) -> stats.QueueFigures:
        return stats.QueueFigures(issued=9, waiting=2, served=6, no_shows=1, average_wait_minutes=4)

    app = Harness(lambda: SupervisorScreen(desk, queue_figures=provider, lang="en"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SupervisorScreen)
        title = text(screen.query_one("#sup-title", Static))
        assert "Today at a glance" in title and "Thursday 26/11/2026" in title
        assert "updated" in title
        figures = screen.query_one("#sup-figures", DataTable)
        assert str(figures.get_cell("received", "label")) == "Received"
        assert str(figures.get_cell("rate", "label")) == "Early and on-time rate"
        assert "next working day" in str(figures.get_cell("due_next", "label"))
        bars = text(screen.query_one("#sup-bars", Static))
        assert "On time" in bars and "Early and on-time rate: 100%" in bars
        queue = text(screen.query_one("#sup-queue", Static))
        assert "Waiting: 2" in queue and "No-shows: 1" in queue and "4 min" in queue
        counters = screen.query_one("#sup-counter", DataTable)
        row = counters.coordinate_to_cell_key(Coordinate(0, 0)).row_key
        assert counters.get_cell(row, "label") == "Counter 3"
        captions = " ".join(text(w) for w in screen.query(".sup-caption"))
        assert "By officer" in captions and "Received per hour" in captions
        assert {"Reload", "Export", "Back"} <= footer_descriptions(screen)

        figures.focus()
        figures.move_cursor(row=0)
        await pilot.press("enter")
        await pilot.pause()
        drill = app.screen
        assert isinstance(drill, DrillDownScreen)
        assert text(drill.query_one("#drill-title", Static)) == "Received: 4 dossiers"
        table = drill.query_one(DataTable)
        labels = [str(c.label) for c in table.columns.values()]
        assert labels[:4] == ["Code", "Applicant", "Procedure", "Status"]
        assert "Back" in footer_descriptions(drill)


async def test_supervisor_refusal_and_no_queue_in_english(desk: Desk) -> None:
    desk.login("canbo", "1234")
    app = Harness(lambda: SupervisorScreen(desk, lang="en"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert text(app.screen.query_one("#sup-refused", Static)) == (
            "Only supervisors can use this"
        )
    desk.logout()
    desk.login("giamsat", "5678")
    app = Harness(lambda: SupervisorScreen(desk, lang="en"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert text(app.screen.query_one("#sup-queue", Static)) == "No queue data yet"


async def test_the_app_opens_the_supervisor_screens_in_its_language(desk: Desk) -> None:
    desk.login("giamsat", "5678")
    app = make_app(desk, lang="en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: isinstance(app.screen, SupervisorScreen))
        assert "Today at a glance" in text(app.screen.query_one("#sup-title", Static))
        await pilot.press("ctrl+e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen))
        await pilot.pause()
        screen = app.screen
        assert "Export the register" in " ".join(text(w) for w in screen.query(Static))
        assert {"Export", "Back"} <= footer_descriptions(screen)


async def test_export_screen_in_english(desk: Desk, tmp_path: Path) -> None:
    seed(desk)
    done: list[ExportResult] = []
    out = tmp_path / "out"
    app = Harness(lambda: ExportScreen(desk, default_dir=out, on_done=done.append, lang="en"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExportScreen)
        labels = [text(w) for w in screen.query("Label")]
        assert labels[:2] == ["From", "To"] and "Folder" in labels
        assert text(screen.query_one("#exp-kind #label")) == "Register book (form 07)"
        assert text(screen.query_one("#exp-field #label")) == "All fields (one book)"
        assert text(screen.query_one("#exp-format #label")) == "XLSX and CSV"
        await pilot.press("ctrl+s")
        await screen.workers.wait_for_complete()
        await pilot.pause()
        assert screen.result is not None and done == [screen.result]
        shown = text(screen.query_one("#exp-result", Static))
        assert "Exported" in shown and "Signed manifest" in shown and "rows" in shown
        # the files themselves stay Vietnamese (Mẫu 07 is a Vietnamese form)
        assert any(p.name.startswith("so-theo-doi-ho-so") for p in out.iterdir())

        screen.query_one("#exp-start", Input).value = "32/13/2026"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert text(screen.query_one("#exp-result", Static)).startswith("Export failed: ")


async def test_kiosk_in_english(local: LocalQueue) -> None:
    app = KioskApp(local, printer="p", result_seconds=60, lang="en", key_clock=SteppedClock())
    async with app.run_test(size=(120, 40)) as pilot:
        assert "TAKE A NUMBER" in text(app.query_one("#kiosk-title", Static))
        assert "One-stop service" in text(app.query_one("#kiosk-title", Static))
        assert "Press 0" in text(app.query_one("#kiosk-hint", Static))
        await tap(app, pilot, "0")  # a person's presses, a moment apart (a burst is a scan)
        assert "priority group" in text(app.query_one("#kiosk-hint", Static))
        await tap(app, pilot, "1")
        assert text(app.query_one("#kiosk-hint", Static)).startswith("Priority: ")
        await tap(app, pilot, "2")
        shown = str(app.query_one("#kiosk-result").render())
        assert "YOUR NUMBER" in shown and "B001" in shown
        assert "Nobody is waiting before you" in shown and "Taken at" in shown
        assert "Please take your ticket" in shown
        assert "Quit" in footer_descriptions(app)


async def test_board_in_english(local: LocalQueue) -> None:
    local.issue("A")
    app = BoardApp(local, poll=0.1, lang="en")
    async with app.run_test(size=(120, 40)) as pilot:

        def latest() -> str:
            return str(app.query_one("#board-latest").render())

        await wait_for(pilot, lambda: "Please take a number" in latest())
        assert text(app.query_one("#board-head", Static)) == "One-stop service"
        local.call_next()
        await wait_for(pilot, lambda: "A001" in latest())
        assert "COUNTER 3" in latest() and announcement("A001", 3, "en") in latest()
        assert "Number A001, please come to counter 3" in latest()
        assert app.current_page[2] == [3]
        drawn = "\n".join(
            s.text for s in app.query_one("#board-current-table").render_lines(Region(0, 0, 60, 3))
        )
        assert "Now serving" in drawn and "Counter 3 A001" in drawn
        assert "Quit" in footer_descriptions(app)
    assert announcement("A001", 3) == "Mời công dân có số thứ tự A001 đến quầy số 3"


def test_run_board_and_kiosk_take_the_language_from_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = make_config(tmp_path, counter={"language": "en"})
    langs: list[str] = []

    class FakeService:
        settings = QueueSettings()

        def close(self) -> None:
            pass

    def fake_run(self: Any) -> None:
        langs.append(self.lang)

    monkeypatch.setattr(board_module, "open_queue", lambda _c: FakeService())
    monkeypatch.setattr(kiosk_module, "open_queue", lambda _c: FakeService())
    monkeypatch.setattr(BoardApp, "run", fake_run)
    monkeypatch.setattr(KioskApp, "run", fake_run)

    class FakeWorker:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def start(self) -> None:
            pass

        def stop(self) -> None:
            pass

        def wake(self) -> None:
            pass

    import printing.spool_worker

    monkeypatch.setattr(printing.spool_worker, "SpoolWorker", FakeWorker)
    board_module.run_board(config)
    kiosk_module.run_kiosk(config)
    board_module.run_board(make_config(tmp_path / "vi"))
    assert langs == ["en", "en", "vi"]
