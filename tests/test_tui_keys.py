"""F1 help, remapped keys from config.keys, the command palette and the language switch."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette

from counter.desk import Desk
from screens.app import CounterApp
from screens.intake import IntakeScreen
from screens.keys import KEYS, keymap_table
from screens.main import MainScreen
from screens.modals import HelpScreen
from tests.support.clock import FrozenClock
from tests.support.config import make_config
from tests.support.tui import make_app, text, wait_for


async def test_f1_opens_help_for_the_screen(officer_desk: Desk) -> None:
    app = make_app(officer_desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_text = text(app.screen.query_one("#help-keys"))
        assert "Hồ sơ mới" in help_text
        assert "Danh sách hồ sơ nhận hôm nay" in text(app.screen.query_one("#help-guide"))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("f2", "f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert "Lưu" in text(app.screen.query_one("#help-keys"))
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))


async def test_remapped_key_from_config(tmp_path: Path) -> None:
    # Free keys: "f6"/"f9" would take Call next / Hold away, and check-config refuses that.
    config = make_config(tmp_path, keys={"dossier.new": "ctrl+n", "app.help": "ctrl+g"})
    desk = Desk.open(config, clock=FrozenClock())
    try:
        desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
        desk.login("canbo", "1234")
        app = CounterApp(desk)
        async with app.run_test(size=(80, 24)) as pilot:
            # The old key is gone. Keys are handled in order, so once the help opened by the
            # key pressed after it shows, F2 has been handled: had it acted, the new-dossier
            # screen would lie under the help.
            await pilot.press("f2", "ctrl+g")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
            assert [type(s) for s in app.screen_stack[1:]] == [MainScreen, HelpScreen]
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
            await pilot.press("ctrl+n")
            await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
            await pilot.press("ctrl+g")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
    finally:
        desk.close()


async def test_command_palette_and_language(officer_desk: Desk) -> None:
    app = make_app(officer_desk)
    async with app.run_test(size=(80, 24)) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("Tiếp nhận hồ sơ mới", "Tìm hồ sơ", "Danh sách hồ sơ hôm nay", "Đăng xuất"):
            assert title in titles
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("f12")
        await wait_for(pilot, lambda: app.lang == "en" and isinstance(app.screen, MainScreen))
        await pilot.pause()
        assert "Dossiers received today" in text(app.screen.query_one("#main-title"))
        assert "New dossier" in [c.title for c in app.get_system_commands(app.screen)]


def test_every_binding_has_an_id_in_the_table() -> None:
    from screens.board import BoardApp
    from screens.dossier import DossierScreen
    from screens.export_screen import ExportScreen
    from screens.intake import ProcedurePicker
    from screens.kiosk import KioskApp
    from screens.modals import ActionForm, ReceivedModal
    from screens.search import SearchScreen
    from screens.supervisor import DrillDownScreen, SupervisorScreen
    from screens.widgets import DocumentList

    for cls in (
        CounterApp,
        MainScreen,
        IntakeScreen,
        ProcedurePicker,
        DocumentList,
        DossierScreen,
        SearchScreen,
        HelpScreen,
        ActionForm,
        ReceivedModal,
        SupervisorScreen,
        DrillDownScreen,
        ExportScreen,
        KioskApp,
        BoardApp,
    ):
        for binding in cls.BINDINGS:
            assert not isinstance(binding, tuple)
            assert binding.id in KEYS, (cls, binding)
    assert "| `dossier.save` | `ctrl+s` |" in keymap_table()
