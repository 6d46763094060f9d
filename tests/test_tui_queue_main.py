"""The queue on the main screen: F6 calls the next ticket wherever the focus is, and a
dossier received while serving a ticket is linked to it (both ways)."""

from __future__ import annotations

from counter.desk import Desk
from counter.queue_client import LocalQueue
from screens.app import CounterApp
from screens.intake import IntakeScreen
from screens.main import MainScreen
from screens.modals import ReceivedModal
from screens.queue_panel import QueuePanel
from tests.support.tui import wait_for


async def test_call_next_and_link_the_dossier(officer_desk: Desk) -> None:
    desk = officer_desk
    queue = LocalQueue.for_config(desk.config, clock=desk.clock)
    try:
        ticket = queue.issue("A", channel="kiosk")
        app = CounterApp(desk, queue=queue)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
            panel = app.screen.query_one(QueuePanel)
            await pilot.press("f6")  # focus is on the dossier table, not the panel
            await wait_for(pilot, lambda: panel.ticket_number == ticket.number, tries=2000)
            assert queue.current() is not None and queue.current().number == ticket.number
            await pilot.press("f2")
            await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
            assert app.current_ticket() == ticket.number
            await pilot.press(*"khai sinh", "enter")
            await pilot.press(*"Nguyễn Văn Đức", "tab", *"001090012345", "tab")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: isinstance(app.screen, ReceivedModal))
            dossier = desk.today().dossiers[0]
            assert dossier.ticket == ticket.number
            await wait_for(
                pilot,
                lambda: dossier.code in (queue.current().dossiers if queue.current() else ()),
                tries=2000,
            )
    finally:
        queue.close()
