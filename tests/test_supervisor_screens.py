"""The supervisor's screens with Pilot: figures of a seeded store, drill-down, export, refusal."""

from __future__ import annotations

from pathlib import Path

from textual.coordinate import Coordinate
from textual.widgets import DataTable, Input, ProgressBar, Static

from counter import stats
from counter.desk import Desk
from counter.exports import ExportResult
from screens.export_screen import ExportScreen
from screens.supervisor import REFUSED, DrillDownScreen, SupervisorScreen
from tests.support.supervisor import SIZE, Harness, seed


def cell(table: DataTable, row: str, column: str) -> str:
    return str(table.get_cell(row, column))


async def test_figures_screen_shows_the_numbers_and_drills_down(desk: Desk) -> None:
    uuids = seed(desk)
    opened: list[str] = []
    expected = stats.today_figures(desk)
    app = Harness(lambda: SupervisorScreen(desk, open_dossier=opened.append))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SupervisorScreen)
        assert not screen.query_one("#sup-refused").display
        title = str(screen.query_one("#sup-title", Static).render())
        assert "Tổng quan hôm nay" in title and "26/11/2026" in title
        figures = screen.query_one("#sup-figures", DataTable)
        for key in ("received", "supplement", "refused", "on_time", "due_today"):
            assert cell(figures, key, "count") == str(expected.counts[key]), key
        assert cell(figures, "received", "count") == "4"
        assert cell(figures, "rate", "count") == "100%"
        bars = str(screen.query_one("#sup-bars", Static).render())
        assert "Đúng hạn" in bars and "█" in bars
        queue = str(screen.query_one("#sup-queue", Static).render())
        assert queue == "Chưa có dữ liệu hàng đợi"
        officers = screen.query_one("#sup-officer", DataTable)
        assert officers.row_count == 1
        officer_key = officers.coordinate_to_cell_key(Coordinate(0, 0)).row_key
        assert officers.get_cell(officer_key, "label") == "Trần Thị Mai"

        # Enter on "Tiếp nhận": the four dossiers, in order; Enter opens the first one.
        figures.focus()
        figures.move_cursor(row=0)
        await pilot.press("enter")
        await pilot.pause()
        drill = app.screen
        assert isinstance(drill, DrillDownScreen)
        assert drill.query_one(DataTable).row_count == 4
        await pilot.press("enter")
        assert opened == [uuids[0]]
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen

        # Enter on a per-field cell: that lĩnh vực's dossiers for that figure.
        fields = screen.query_one("#sup-field", DataTable)
        fields.focus()
        fields.cursor_coordinate = fields.get_cell_coordinate(
            fields.coordinate_to_cell_key(Coordinate(0, 0)).row_key, "received"
        )
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DrillDownScreen)
        first_field = fields.coordinate_to_cell_key(Coordinate(0, 0)).row_key.value
        want = stats.figure_dossiers(
            desk, "received", *([desk.now().date()] * 2), dimension="field", key=first_field
        )
        assert app.screen.query_one(DataTable).row_count == len(want) > 0


async def test_figures_screen_with_queue_provider(desk: Desk) -> None:
    desk.login("giamsat", "5678")

    def provider(start, end) -> stats.QueueFigures:
        return stats.QueueFigures(issued=9, waiting=2, served=6, no_shows=1, average_wait_minutes=4)

    app = Harness(lambda: SupervisorScreen(desk, queue_figures=provider))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        queue = str(app.screen.query_one("#sup-queue", Static).render())
        assert "Đang chờ: 2" in queue and "Vắng mặt: 1" in queue and "4 phút" in queue


async def test_an_officer_is_refused(desk: Desk) -> None:
    seed(desk)
    desk.logout()
    desk.login("canbo", "1234")
    app = Harness(lambda: SupervisorScreen(desk))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert str(screen.query_one("#sup-refused", Static).render()) == REFUSED
        assert not screen.query_one("#sup-body").display
        assert screen.figures is None
    app = Harness(lambda: ExportScreen(desk, default_dir=Path("out")))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert str(app.screen.query_one("#exp-refused", Static).render()) == REFUSED
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not Path("out").exists()
    # Each refusal on screen is in the audit trail, naming who tried what.
    refusals = desk.store.conn.execute(
        "SELECT username, object FROM audit WHERE action = 'access.refused' ORDER BY id"
    ).fetchall()
    assert refusals == [("canbo", "stats.today"), ("canbo", "export")]


async def test_export_screen_runs_in_a_worker_and_shows_the_manifest(
    desk: Desk, tmp_path: Path
) -> None:
    seed(desk)
    done: list[ExportResult] = []
    out = tmp_path / "xuat"
    app = Harness(lambda: ExportScreen(desk, default_dir=out, on_done=done.append))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ExportScreen)
        screen.query_one("#exp-start", Input).value = "20/11/2026"
        await pilot.press("ctrl+s")
        await screen.workers.wait_for_complete()
        await pilot.pause()
        assert screen.error == "" and screen.result is not None
        result_text = str(screen.query_one("#exp-result", Static).render())
        assert "Bản kê có chữ ký" in result_text and str(screen.result.manifest) in result_text
        bar = screen.query_one("#exp-progress", ProgressBar)
        assert bar.percentage == 1
        assert done == [screen.result]
        names = sorted(p.name for p in out.iterdir())
        assert "so-theo-doi-ho-so_2026-11-20_2026-11-26.xlsx" in names
        assert "so-theo-doi-ho-so_2026-11-20_2026-11-26.manifest.json.sig" in names

        # A bad date is refused with a message and exports nothing.
        screen.query_one("#exp-start", Input).value = "32/13/2026"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Ngày không hợp lệ" in screen.error
