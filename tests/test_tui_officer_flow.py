"""The officer's keyboard can never hurt a dossier, and one citizen takes one key to the next.

Stray typing and scanner bursts on the dossier screen change nothing and print nothing; the
action menu, its confirmations and undo; ID card scans routed; the form kept as a draft; the
"received" dialog leading to the next citizen.
"""

from __future__ import annotations

import string

import pytest
from textual.widgets import Input, Static

from counter.desk import Desk
from counter.dossiers import Dossier
from counter.queue_client import LocalQueue
from screens.app import CounterApp
from screens.dossier import DossierScreen
from screens.intake import IntakeScreen
from screens.main import MainScreen
from screens.modals import ActionForm, ActionMenu, ReceivedModal
from screens.search import SearchScreen
from tests.support.tui import BIRTH, make_app, receive, text, wait_for

CARD = "001303012345|012345678|Lê Thị Hoa|15082003|Nữ|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|20042021"
# Everything a person or a scanner might type: letters (both cases), digits, punctuation but
# "/" (search, tried last), and Vietnamese letters as an IME delivers them.
STRAY = (
    [c for c in string.ascii_letters + string.digits]
    + [c for c in string.punctuation if c != "/"]
    + list("ăâđêôơưáàảãạếềểễệốồổỗộứừửữựĐƯ")
    + ["space", "enter", "tab", "backspace", "delete"]
)


def _state(desk: Desk, dossier: Dossier) -> tuple[str, int, int]:
    """(status, events, print jobs) of one dossier: what a stray key must never change."""
    conn = desk.store.conn
    events = conn.execute(
        "SELECT count(*) FROM dossier_events WHERE dossier_uuid = ?", (dossier.uuid,)
    ).fetchone()[0]
    jobs = conn.execute("SELECT count(*) FROM print_jobs").fetchone()[0]
    return desk.get(dossier.uuid).status, events, jobs


async def _open(pilot, dossier: Dossier) -> DossierScreen:
    app = pilot.app
    await app.open_dossier(dossier)
    await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
    return app.screen


@pytest.mark.parametrize(
    "setup",
    [
        [],
        [("start_processing", {})],
        [("request_supplement", {"items": ["Bản sao"], "reason": "Thiếu"})],
        [("result_ready", {})],
    ],
)
async def test_no_typed_key_changes_a_dossier_or_prints(
    officer_desk: Desk, setup: list[tuple[str, dict]]
) -> None:
    desk = officer_desk
    dossier = receive(desk)
    for action, details in setup:
        desk.act(dossier.uuid, action, **details)
    before = _state(desk, dossier)
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot, dossier)
        await pilot.press(*STRAY)
        await pilot.pause()
        assert app.screen is screen
        assert _state(desk, dossier) == before
        # A chip ID card scanned here offers a choice, and its letters did nothing either.
        await pilot.press(*CARD, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionMenu))
        assert "Lê Thị Hoa" in text(app.screen.query_one(".title"))
        await pilot.press("escape")
        await pilot.press("/", *"khai sinh")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        assert _state(desk, dossier) == before


async def test_a_key_that_is_not_in_the_menu_closes_it(officer_desk: Desk) -> None:
    desk = officer_desk
    dossier = receive(desk)
    before = _state(desk, dossier)
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot, dossier)
        # "tra cứu" after an accidental Ctrl+X: 't' is not one of the menu's letters ('h' now
        # is: Mẫu 04). The menu closes on the first letter that is not one of its own, and the
        # rest falls on the screen, where letters do nothing.
        await pilot.press("ctrl+x", *"tra cuu")
        await wait_for(pilot, lambda: app.screen is screen)
        assert _state(desk, dossier) == before


async def test_reversible_action_then_undo(officer_desk: Desk) -> None:
    desk = officer_desk
    dossier = receive(desk)
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot, dossier)
        await pilot.press("ctrl+x", "x")
        await wait_for(pilot, lambda: desk.get(dossier.uuid).status == "processing")
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: desk.get(dossier.uuid).status == "received")
        assert screen.dossier.status == "received"
        assert "Hoàn tác" in text(screen.query_one("#detail-timeline"))
        await pilot.press("ctrl+z")  # nothing more to undo: said, nothing changes
        await pilot.pause()
        assert desk.get(dossier.uuid).status == "received"


async def test_reprint_only_from_the_menu(officer_desk: Desk) -> None:
    desk = officer_desk
    dossier = receive(desk)
    jobs = _state(desk, dossier)[2]
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, dossier)
        await pilot.press("i", "i", "v")
        await pilot.pause()
        assert _state(desk, dossier)[2] == jobs
        await pilot.press("ctrl+x", "i")
        await wait_for(pilot, lambda: _state(desk, dossier)[2] == jobs + 1)


async def test_terminal_action_shows_the_code_and_needs_ctrl_s(officer_desk: Desk) -> None:
    desk = officer_desk
    dossier = receive(desk)
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, dossier)
        await pilot.press("ctrl+x", "r")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionForm))
        warning = text(app.screen.query_one("#action-warning"))
        assert dossier.code in warning and "Không hoàn tác được" in warning


async def test_id_card_fills_the_intake_applicant(officer_desk: Desk) -> None:
    app = make_app(officer_desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        form = app.screen
        await pilot.press(*"khai", *CARD, "enter")
        await wait_for(pilot, lambda: form.query_one("#applicant-id", Input).value != "")
        assert form.query_one("#applicant-name", Input).value == "Lê Thị Hoa"
        assert form.query_one("#applicant-id", Input).value == "001303012345"
        assert form.query_one("#applicant-address", Input).value.startswith("Số 1 Tràng Tiền")
        assert "15/08/2003" in text(form.query_one("#card-info", Static))
        await wait_for(pilot, lambda: form.query_one("#procedure", Input).value == "khai")


async def test_id_card_elsewhere_offers_a_new_dossier(officer_desk: Desk) -> None:
    app = make_app(officer_desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press(*CARD, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionMenu))
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        form = app.screen
        await wait_for(pilot, lambda: form.query_one("#applicant-name", Input).value != "")
        assert form.query_one("#applicant-name", Input).value == "Lê Thị Hoa"
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press(*CARD, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionMenu))
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        assert app.screen.query_one("#search-input", Input).value == "001303012345"


async def test_unknown_qr_gets_a_notice(officer_desk: Desk) -> None:
    app = make_app(officer_desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press(*"SHOP|1234|ABC", "enter")
        await wait_for(pilot, lambda: len(app._notifications) > 0)
        assert "không phải giấy biên nhận" in next(iter(app._notifications)).message
        assert isinstance(app.screen, MainScreen)


async def test_draft_survives_escape_and_language_and_asks_before_discard(
    officer_desk: Desk,
) -> None:
    desk = officer_desk
    app = make_app(desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        await pilot.press(*"khai sinh")
        assert app.screen.query_one("#procedure-options").display
        await pilot.press("escape")  # meant to close the suggestions: only that
        assert isinstance(app.screen, IntakeScreen)
        await pilot.press("enter", *"Phạm Thu Trang", "escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        draft = desk.load_draft()
        assert draft is not None and draft["fields"]["applicant-name"] == "Phạm Thu Trang"
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        form = app.screen
        await wait_for(pilot, lambda: form.query_one("#applicant-name", Input).value != "")
        assert form.query_one("#applicant-name", Input).value == "Phạm Thu Trang"
        assert form.procedure is not None and form.procedure.code == BIRTH
        await pilot.press("f12")  # English: the form comes back, still filled
        await wait_for(
            pilot, lambda: isinstance(app.screen, IntakeScreen) and app.screen is not form
        )
        form = app.screen
        await wait_for(pilot, lambda: form.query_one("#applicant-name", Input).value != "")
        assert form.query_one("#applicant-name", Input).value == "Phạm Thu Trang"
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionMenu))
        await pilot.press("enter")  # the first answer keeps it
        await wait_for(pilot, lambda: app.screen is form)
        assert desk.load_draft() is not None
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionMenu))
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert desk.load_draft() is None


async def test_enter_after_saving_calls_the_next_citizen(officer_desk: Desk) -> None:
    desk = officer_desk
    queue = LocalQueue.for_config(desk.config, clock=desk.clock)
    try:
        first = queue.issue("A", channel="kiosk")
        second = queue.issue("A", channel="kiosk")
        app = CounterApp(desk, queue=queue)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
            await pilot.press("f6")
            await wait_for(pilot, lambda: app.current_ticket() == first.number, tries=2000)
            await pilot.press("f2")
            await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
            await pilot.press(*BIRTH, "enter", *"Nguyễn Văn Đức", "tab", *"001090012345")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, ReceivedModal))
            saved = desk.today().dossiers[0]
            assert saved.code in text(app.screen.query_one("#received-full"))
            await pilot.press("enter", *"khai")
            await wait_for(
                pilot,
                lambda: (
                    isinstance(app.screen, IntakeScreen)
                    and app.screen.query_one("#procedure", Input).value == "khai"
                ),
            )
            assert app.screen.query_one("#applicant-name", Input).value == ""
            await wait_for(pilot, lambda: app.current_ticket() == second.number, tries=2000)
            # Esc leaves the fresh form (nothing in it: nothing kept), and the list is there.
            await pilot.press("ctrl+u", "escape")
            await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
            assert desk.load_draft() is None
    finally:
        queue.close()


@pytest.mark.parametrize(("lang", "words"), [("vi", "Tạm dừng tính thời gian"), ("en", "paused")])
async def test_paused_clock_is_shown(officer_desk: Desk, lang: str, words: str) -> None:
    desk = officer_desk
    dossier = receive(desk)
    app = make_app(desk, lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot, dossier)
        assert not screen.query_one("#detail-paused").display
        desk.act(dossier.uuid, "request_supplement", items=["Bản sao"], reason="Thiếu")
        screen.reload()
        await pilot.pause()
        assert screen.query_one("#detail-paused").display
        assert words in text(screen.query_one("#detail-paused"))


async def test_english_form_has_no_vietnamese_hints_or_times(officer_desk: Desk) -> None:
    app = make_app(officer_desk, lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        form = app.screen
        assert form.query_one("#applicant-id", Input).placeholder == "12 digits"
        await pilot.press(*BIRTH, "enter")
        due = text(form.query_one("#due"))
        assert "giờ" not in due and "phút" not in due and ":" in due


async def test_id_card_birth_and_sex_go_from_scan_to_store_to_dossier(officer_desk: Desk) -> None:
    """Scan → form → save → stored → shown: the card's date of birth and sex are kept."""
    app = make_app(officer_desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        form = app.screen
        await pilot.press(*"khai sinh", "enter", *CARD, "enter")
        await wait_for(pilot, lambda: form.query_one("#applicant-birth", Input).value != "")
        assert form.query_one("#applicant-birth", Input).value == "15/08/2003"
        assert form.query_one("#applicant-sex", Input).value == "Nữ"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReceivedModal))
        (saved,) = officer_desk.today().dossiers
        assert saved.applicant.birth_date == "2003-08-15"
        assert saved.applicant.sex == "female"
        assert saved.applicant.address.startswith("Số 1 Tràng Tiền")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
        shown = text(app.screen.query_one("#detail-applicant", Static))
        assert "Ngày sinh: 15/08/2003" in shown and "Giới tính: Nữ" in shown


@pytest.mark.parametrize(
    ("typed", "words"),
    [("31/02/1990", "không phải một ngày có thật"), ("01/01/2030", "chưa tới")],
)
async def test_a_bad_birth_date_is_shown_and_saves_nothing(
    officer_desk: Desk, typed: str, words: str
) -> None:
    app = make_app(officer_desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        form = app.screen
        await pilot.press(*"khai sinh", "enter", *"Lê Thị Hoa", "tab", *"001190012345")
        form.query_one("#applicant-birth", Input).focus()
        await pilot.press(*typed, "tab")
        error = form.query_one("#applicant-birth-error", Static)
        await wait_for(pilot, lambda: bool(error.display))
        assert words in text(error)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, IntakeScreen)
        assert app.focused is form.query_one("#applicant-birth")
        assert officer_desk.today().total == 0
