"""Login screen: success, wrong PIN, lockout, and the demo hint only with demo data."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from counter.desk import Desk
from screens.login import LoginScreen
from screens.main import MainScreen
from tests.support.clock import FrozenClock
from tests.support.config import make_config
from tests.support.tui import make_app, text, wait_for


async def _login(pilot, username: str, secret: str) -> None:
    app = pilot.app
    app.screen.query_one("#login-username").value = ""
    app.screen.query_one("#login-username").focus()
    await pilot.press(*username, "enter", *secret, "enter")
    await pilot.pause()


async def test_login_ok_opens_main(desk: Desk) -> None:
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, LoginScreen)
        await _login(pilot, "canbo", "1234")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert desk.officer is not None and desk.officer.username == "canbo"
        bar = text(app.screen.query_one("#status-bar"))
        assert "Trần Thị Mai" in bar
        assert "Quầy số 3" in bar
        assert "Máy in: sẵn sàng (preview)" in bar
        assert "Đồng bộ: chưa cấu hình" in bar


async def test_wrong_pin_shows_message_inline(desk: Desk) -> None:
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await _login(pilot, "canbo", "9999")
        error = app.screen.query_one("#login-error", Static)
        assert error.display
        assert "Sai tên đăng nhập hoặc mã PIN/mật khẩu" in text(error)
        assert "lần thử" not in text(error)  # no tell of a known username
        assert isinstance(app.screen, LoginScreen)
        assert desk.officer is None
        assert app.screen.query_one("#login-secret").value == ""


async def test_lockout_after_five_failures(desk: Desk) -> None:
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(5):
            await _login(pilot, "canbo", "0000")
        error = app.screen.query_one("#login-error", Static)
        assert "tài khoản bị khóa 15 phút" in text(error)
        # Even the right PIN is refused while locked.
        await _login(pilot, "canbo", "1234")
        assert "Tài khoản tạm khóa đến" in text(error)
        assert isinstance(app.screen, LoginScreen)
        assert desk.officer is None


async def test_demo_hint_only_with_demo_data(tmp_path: Path, desk: Desk) -> None:
    app = make_app(desk)
    async with app.run_test(size=(80, 24)):
        assert not app.screen.query("#login-demo")
    config = make_config(tmp_path / "demo", counter={"demo_data": True})
    demo_desk = Desk.open(config, clock=FrozenClock())
    try:
        app = make_app(demo_desk)
        async with app.run_test(size=(80, 24)):
            hint = text(app.screen.query_one("#login-demo"))
            assert hint.startswith("Tài khoản mẫu: canbo / 1234")
    finally:
        demo_desk.close()


async def test_logout_returns_to_login(officer_desk: Desk) -> None:
    app = make_app(officer_desk)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, MainScreen)
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen))
        assert officer_desk.officer is None


async def test_keys_typed_in_one_burst_follow_tab_into_the_next_field(desk: Desk) -> None:
    """A password manager, a remote terminal or a scanner ending in Tab delivers
    "canbo<Tab>1234<Enter>" at once; Tab must move the focus before the next keys land
    (Textual's own Tab binding acts only after the key bubbled up from the field)."""
    from textual import events

    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one("#login-username").focus()
        await pilot.pause()
        burst = [*"canbo", "tab", *"1234", "enter"]
        for key in burst:  # queued together, as one read from the terminal delivers them
            char = key if len(key) == 1 else ("\t" if key == "tab" else "\r")
            app.post_message(events.Key(key, char))
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert desk.officer is not None and desk.officer.username == "canbo"
