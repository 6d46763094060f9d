"""Every lifecycle action from the detail screen's menu changes the stored status; illegal ones
do not. Each is reached as an officer does: Ctrl+X, then its letter."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static, TextArea

from counter.desk import Desk
from counter.dossiers import Dossier
from screens.dossier import DossierScreen
from screens.modals import ActionForm, ActionMenu
from tests.support.tui import make_app, receive, text, wait_for


async def _open(pilot, dossier: Dossier) -> DossierScreen:
    app = pilot.app
    await app.open_dossier(dossier)
    await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
    assert isinstance(app.screen, DossierScreen)
    return app.screen


def _status(desk: Desk, dossier: Dossier) -> str:
    return desk.get(dossier.uuid).status


@pytest.mark.parametrize(
    ("setup", "key", "expected"),
    [
        ([], "x", "processing"),
        ([], "k", "result_ready"),
        ([("request_supplement", {"items": ["Bản sao"], "reason": "Thiếu"})], "n", "received"),
    ],
)
async def test_direct_actions(
    officer_desk: Desk, setup: list[tuple[str, dict]], key: str, expected: str
) -> None:
    desk = officer_desk
    dossier = receive(desk)
    for action, details in setup:
        desk.act(dossier.uuid, action, **details)
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot, dossier)
        await pilot.press("ctrl+x", key)
        await wait_for(pilot, lambda: _status(desk, dossier) == expected)
        assert screen.dossier.status == expected
        timeline = text(screen.query_one("#detail-timeline"))
        assert timeline.count("\n") >= 3


async def test_request_supplement_with_items_and_reason(officer_desk: Desk) -> None:
    desk = officer_desk
    dossier = receive(desk)
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot, dossier)
        await pilot.press("ctrl+x", "b")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionForm))
        form = app.screen
        assert isinstance(app.focused, TextArea)
        await pilot.press(*"Bản sao giấy khai sinh", "enter", *"Giấy chứng sinh")
        # Confirming without a reason is refused inside the dialog; nothing changes.
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, ActionForm)
        assert "lý do" in text(form.query_one("#action-error", Static))
        assert _status(desk, dossier) == "received"
        assert app.focused is form.query_one("#field-reason")
        await pilot.press(*"Bản sao chưa chứng thực", "ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen)
        assert _status(desk, dossier) == "supplement_requested"
        event = desk.timeline(dossier.uuid)[-1]
        assert event.details["items"] == ["Bản sao giấy khai sinh", "Giấy chứng sinh"]
        assert event.details["reason"] == "Bản sao chưa chứng thực"
        assert "Giấy chứng sinh" in text(screen.query_one("#detail-timeline"))


async def test_refuse_with_reasons(officer_desk: Desk) -> None:
    desk = officer_desk
    dossier = receive(desk)
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, dossier)
        await pilot.press("ctrl+x", "r")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionForm))
        await pilot.press(*"Không thuộc thẩm quyền", "enter", *"Hồ sơ giả mạo", "ctrl+s")
        await wait_for(pilot, lambda: _status(desk, dossier) == "refused")
        assert desk.get(dossier.uuid).closed_reason == "Không thuộc thẩm quyền\nHồ sơ giả mạo"


async def test_return_result_prefilled_with_applicant(officer_desk: Desk) -> None:
    desk = officer_desk
    dossier = receive(desk)
    desk.act(dossier.uuid, "result_ready")
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, dossier)
        await pilot.press("ctrl+x", "g")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionForm))
        assert app.screen.query_one("#field-to", Input).value == "Nguyễn Văn Đức"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: _status(desk, dossier) == "returned")
        assert desk.get(dossier.uuid).returned_to == "Nguyễn Văn Đức"


@pytest.mark.parametrize(("key", "expected"), [("w", "withdrawn"), ("d", "stopped")])
async def test_withdraw_and_stop_need_a_reason(officer_desk: Desk, key: str, expected: str) -> None:
    desk = officer_desk
    dossier = receive(desk)
    desk.act(dossier.uuid, "start_processing")
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, dossier)
        await pilot.press("ctrl+x", key)
        await wait_for(pilot, lambda: isinstance(app.screen, ActionForm))
        # Ending a dossier says so, with its code, and Enter in the field never confirms.
        assert dossier.code in text(app.screen.query_one("#action-warning"))
        await pilot.press("ctrl+s")  # empty reason
        assert isinstance(app.screen, ActionForm)
        assert _status(desk, dossier) == "processing"
        await pilot.press(*"Công dân đề nghị", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ActionForm)
        assert _status(desk, dossier) == "processing"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: _status(desk, dossier) == expected)
        assert desk.get(dossier.uuid).closed_reason == "Công dân đề nghị"


async def test_cancelled_dialog_changes_nothing(officer_desk: Desk) -> None:
    desk = officer_desk
    dossier = receive(desk)
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot, dossier)
        await pilot.press("ctrl+x", "w")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionForm))
        await pilot.press(*"abc", "escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert _status(desk, dossier) == "received"


async def test_illegal_actions_are_refused(officer_desk: Desk) -> None:
    desk = officer_desk
    dossier = receive(desk)
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot, dossier)
        # Keys of actions the status does not allow are hidden and do nothing.
        actions = text(screen.query_one("#detail-actions"))
        assert "Trả kết quả" not in actions and "Nhận bổ sung" not in actions
        assert "Chuyển xử lý" in actions
        await pilot.press("ctrl+x")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionMenu))
        await pilot.press("g")  # not offered: the menu closes, nothing happens
        await wait_for(pilot, lambda: app.screen is screen)
        assert _status(desk, dossier) == "received"
        # The dossier changes elsewhere; the stale choice is refused by the desk, shown, no change.
        await pilot.press("ctrl+x")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionMenu))
        desk.act(dossier.uuid, "withdraw", reason="Rút tại quầy khác")
        await pilot.press("x")
        error = screen.query_one("#detail-error", Static)
        await wait_for(pilot, lambda: bool(error.display))
        assert "Không thể “Chuyển xử lý”" in text(error)
        assert _status(desk, dossier) == "withdrawn"
