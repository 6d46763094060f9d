"""F1 explains every screen and dialog of the counter app by its name, never a raw key."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from textual.screen import Screen

import screens
from counter.desk import Desk
from screens.i18n import TEXT
from screens.modals import HelpScreen
from tests.support.tui import make_app, text, wait_for


def _screen_classes() -> list[type[Screen[object]]]:
    for info in pkgutil.iter_modules(screens.__path__):
        importlib.import_module(f"screens.{info.name}")
    found: list[type[Screen[object]]] = []
    todo: list[type] = [Screen]
    while todo:
        cls = todo.pop()
        sub: type
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("screens.") and sub.__name__ not in (
                "CounterScreen",
                "CounterModal",
            ):
                found.append(sub)
    return found


def test_every_screen_has_a_name_and_a_guide_in_both_languages() -> None:
    classes = _screen_classes()
    assert len(classes) >= 12
    missing = [
        f"{kind}.{cls.__name__}"
        for cls in classes
        for kind in ("screen", "guide")
        if f"{kind}.{cls.__name__}" not in TEXT or not all(TEXT[f"{kind}.{cls.__name__}"])
    ]
    assert not missing


@pytest.mark.parametrize("lang", ["vi", "en"])
async def test_f1_on_the_supervisor_screen(desk: Desk, lang: str) -> None:
    desk.login("giamsat", "5678")
    app = make_app(desk, lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "SupervisorScreen")
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        title = text(app.screen.query_one(".title"))
        assert "screen." not in title
        assert ("Today at a glance" if lang == "en" else "Tổng quan hôm nay") in title
        assert "guide." not in text(app.screen.query_one("#help-guide"))


@pytest.mark.parametrize("typed", ["tiep nhan", "TIEP NHAN", "tiếp nhận", "dong bo"])
async def test_palette_matches_without_diacritics(officer_desk: Desk, typed: str) -> None:
    from textual.command import CommandPalette
    from textual.fuzzy import Matcher

    from screens.palette import FoldedMatcher

    assert Matcher("tiep nhan").match("Tiếp nhận hồ sơ mới") == 0  # why the fold is needed
    matcher = FoldedMatcher(typed)
    assert matcher.match("Tiếp nhận hồ sơ mới") > 0 or matcher.match("Đồng bộ ngay") > 0
    assert str(matcher.highlight("Đồng bộ ngay")) == "Đồng bộ ngay"
    app = make_app(officer_desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*typed)
        palette = app.screen
        await wait_for(pilot, lambda: palette.query_one("CommandList").option_count > 0)
