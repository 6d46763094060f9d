"""A burst of keys posted all at once (as a terminal's read hands them over) in Pilot.

`pilot.press` waits after every key, which hides dropped keys; here every key event is queued
before the app handles the first, like the bytes of one read from a real terminal (the real
terminal itself is driven in tests/test_tui_pty.py).
"""

from __future__ import annotations

from textual import events

from counter.desk import Desk
from screens.intake import IntakeScreen
from screens.main import MainScreen
from screens.modals import ReceivedModal
from tests.support.tui import BIRTH, make_app, wait_for


def _keys(*parts: str) -> list[events.Key]:
    out: list[events.Key] = []
    for part in parts:
        if part in ("f2", "enter", "tab", "ctrl+s", "escape"):
            out.append(events.Key(part, "\r" if part == "enter" else None))
        else:
            out += [events.Key("space" if c == " " else c, c) for c in part]
    return out


async def test_a_whole_intake_posted_at_once_saves(officer_desk: Desk) -> None:
    desk = officer_desk
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        burst = _keys("f2", "khai sinh", "enter", "Đỗ Thị Hà", "tab", "001203012345", "ctrl+s")
        for key in burst:
            app.post_message(key)
        await wait_for(pilot, lambda: isinstance(app.screen, ReceivedModal), tries=2000)
        saved = desk.today().dossiers[0]
        assert saved.procedure_code == BIRTH
        assert saved.applicant.name == "Đỗ Thị Hà"
        assert saved.applicant.id_number == "001203012345"
        # Enter then the next citizen's first keys, at once: they land in the fresh form.
        for key in _keys("enter", "chung thuc"):
            app.post_message(key)
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, IntakeScreen)
                and app.screen.query_one("#procedure").value == "chung thuc"
            ),
            tries=2000,
        )
