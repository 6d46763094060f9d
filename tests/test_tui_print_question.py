"""F3 asks "Máy in có in ra không?" for a job that may or may not have printed; the officer's
answer (c: yes / k: no, print it) changes the job and is audited; the status bar says so."""

from __future__ import annotations

from pathlib import Path

from counter import spool
from screens.app import CounterApp
from screens.main import MainScreen
from screens.status import SystemStatusScreen
from screens.widgets import StatusBar
from tests.support.clock import FrozenClock
from tests.support.tui import text, uncertain_desk, wait_for


async def test_f3_asks_did_it_print_and_the_answer_is_audited(
    tmp_path: Path, clock: FrozenClock
) -> None:
    desk, (first, second) = uncertain_desk(tmp_path, clock)
    app = CounterApp(desk)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert "2 phiếu chưa rõ đã in" in str(app.screen.query_one(StatusBar).render())
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, SystemStatusScreen))
        question = text(app.screen.query_one("#status-question"))
        assert "Máy in có in ra không?" in question and f"số {first}" in question
        assert "CHƯA RÕ ĐÃ IN" in str(app.screen.query_one("#print-jobs").get_row_at(0))
        await pilot.press("ctrl+r")  # "retry" is refused: the question must be answered first
        assert spool.get_job(desk.store, first).status == "uncertain"
        await pilot.press(*"ckrm ")  # typed letters (the old keys among them) do nothing
        assert spool.get_job(desk.store, first).status == "uncertain"
        assert spool.get_job(desk.store, second).status == "uncertain"
        assert "Ctrl+Y = có, đã in ra" in question
        await pilot.press("ctrl+y")
        await wait_for(pilot, lambda: spool.get_job(desk.store, first).status == "sent")
        await wait_for(
            pilot, lambda: f"số {second}" in text(app.screen.query_one("#status-question"))
        )
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: spool.get_job(desk.store, second).status == "pending")
        assert text(app.screen.query_one("#status-question")) == ""
    rows = desk.store.conn.execute(
        "SELECT action, username, object FROM audit WHERE action LIKE 'print.%' ORDER BY id"
    ).fetchall()
    assert rows == [
        ("print.printed", "canbo", f"print_job:{first}"),
        ("print.not_printed", "canbo", f"print_job:{second}"),
    ]


async def test_scanning_a_receipt_on_f3_never_answers_the_question(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """The answer keys are lower-case letters a lookup URL holds (c in its hex); a scan on
    F3 opens the dossier and leaves the question alone."""
    from screens.dossier import DossierScreen

    desk, jobs = uncertain_desk(tmp_path, clock)
    dossier = desk.print_jobs()[0].ref
    url = desk.lookup_url(desk.get(dossier))
    app = CounterApp(desk)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, SystemStatusScreen))
        await pilot.press(*url.lower(), "enter")  # "tra-cuu" alone holds a c
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
    assert [spool.get_job(desk.store, j).status for j in jobs] == ["uncertain"] * 2
