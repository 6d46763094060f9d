"""Search from anywhere: folded diacritics, paging, Enter opens."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from counter.desk import Desk
from screens.dossier import DossierScreen
from screens.search import SearchScreen
from tests.support.tui import make_app, receive, text, wait_for


async def test_search_duc_finds_duc_and_opens(officer_desk: Desk) -> None:
    desk = officer_desk
    duc = receive(desk, "Nguyễn Văn Đức")
    receive(desk, "Trần Thị Lan", id_number="001190012345")
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        await pilot.press(*"duc")
        table = app.screen.query_one("#search-results", DataTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        assert "Đức" in str(table.get_row_at(0)[2])
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
        assert app.screen.dossier.uuid == duc.uuid
        # Back to the results, still there.
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        assert app.screen.query_one("#search-input", Input).value == "duc"


async def test_slash_opens_search_and_pages(officer_desk: Desk) -> None:
    desk = officer_desk
    for i in range(23):
        receive(desk, "Nguyễn Văn An", id_number=f"0010900{i:05d}")
    app = make_app(desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        await pilot.press(*"nguyen an")
        table = screen.query_one("#search-results", DataTable)
        await wait_for(pilot, lambda: table.row_count == 20)
        assert "Trang 1/2 · 23 kết quả" in text(screen.query_one("#search-info"))
        await pilot.press("pagedown")
        await wait_for(pilot, lambda: table.row_count == 3)
        assert "Trang 2/2" in text(screen.query_one("#search-info"))
        await pilot.press("pageup")
        await wait_for(pilot, lambda: table.row_count == 20)
        # Arrow down into the results, pick the second one.
        await pilot.press("down", "down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
        assert screen.result is not None
        assert app.screen.dossier.uuid == screen.result.dossiers[1].uuid


async def test_search_nothing_found(officer_desk: Desk) -> None:
    app = make_app(officer_desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+f", *"khong co ai")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        assert "Không tìm thấy" in text(app.screen.query_one("#search-info"))
        await pilot.press("enter")
        assert isinstance(app.screen, SearchScreen)
