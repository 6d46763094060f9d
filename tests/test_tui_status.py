"""Printer and sync state in the UI: the spool drains in the background, the status bar says
so, a failing printer shows in red, jobs are retried / cancelled / moved, the receipt preview
shows the printed words, reprints are queued, sync never blocks a key."""

from __future__ import annotations

from pathlib import Path

from counter.config import parse_config
from counter.desk import Desk
from screens.app import CounterApp
from screens.dossier import DossierScreen
from screens.main import MainScreen
from screens.status import ReceiptPreview, SystemStatusScreen
from screens.widgets import StatusBar
from tests.support.clock import FrozenClock
from tests.support.tui import receive, text, wait_for


def two_printer_desk(tmp_path: Path, clock: FrozenClock) -> Desk:
    cfg = parse_config(
        {
            "counter": {"data_dir": str(tmp_path / "data"), "demo_data": False},
            "printer": [
                {"name": "quay", "transport": "network", "target": "127.0.0.1:9"},
                {"name": "du-phong", "transport": "preview", "target": str(tmp_path / "p")},
            ],
        },
        source=tmp_path / "config.toml",
    )
    desk = Desk.open(cfg, clock=clock)
    desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    desk.login("canbo", "1234")
    return desk


async def test_spool_worker_prints_and_status_bar_follows(
    officer_desk: Desk, tmp_path: Path
) -> None:
    receive(officer_desk)
    app = CounterApp(officer_desk, background=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        bar = app.screen.query_one(StatusBar)
        await wait_for(pilot, lambda: officer_desk.print_jobs() == [], tries=2000)
        app.refresh_status()
        await wait_for(pilot, lambda: "sẵn sàng" in str(bar.render()))
        assert len(list((tmp_path / "receipts").glob("*.png"))) == 1


async def test_failing_printer_is_red_and_jobs_can_be_moved(
    tmp_path: Path, clock: FrozenClock
) -> None:
    desk = two_printer_desk(tmp_path, clock)
    dossier = receive(desk)
    from printing.spool_worker import drain_once

    drain_once(desk.store, desk.config, desk.now)  # the first printer refuses
    app = CounterApp(desk)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert "LỖI" in str(app.screen.query_one(StatusBar).render())
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, SystemStatusScreen))
        assert "từ chối kết nối" in str(app.screen.query_one("#print-jobs").get_row_at(0))
        await pilot.press("ctrl+o")  # move to the spare printer
        await wait_for(pilot, lambda: desk.print_jobs()[0].printer == "du-phong")
        drain_once(desk.store, desk.config, desk.now)
        assert desk.print_jobs() == []
        assert desk.print_jobs(dossier.uuid)[0].status == "sent"
        second = desk.reprint(dossier.uuid, printer="quay")
        app.screen.reload()
        await pilot.press("delete")
        await wait_for(pilot, lambda: desk.print_jobs(dossier.uuid)[-1].status == "cancelled")
        assert desk.print_jobs(dossier.uuid)[-1].id == second


async def test_receipt_preview_and_reprint(officer_desk: Desk) -> None:
    dossier = receive(officer_desk)
    app = CounterApp(officer_desk)
    async with app.run_test(size=(100, 40)) as pilot:
        await app.open_dossier(dossier)
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
        await pilot.press("ctrl+x", "v")  # from the dossier's action menu
        await wait_for(pilot, lambda: isinstance(app.screen, ReceiptPreview))
        paper = text(app.screen.query_one("#receipt-paper"))
        assert dossier.code in paper and "Nguyễn Văn Đức" in paper and "█" in paper
        await pilot.press("i")  # a plain letter prints nothing
        await pilot.pause()
        assert len(officer_desk.print_jobs(dossier.uuid)) == 1
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: len(officer_desk.print_jobs(dossier.uuid)) == 2)
        assert officer_desk.print_jobs(dossier.uuid)[-1].reprint
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
        await pilot.press("ctrl+x", "i")  # reprint from the dossier's action menu
        await wait_for(pilot, lambda: len(officer_desk.print_jobs(dossier.uuid)) == 3)


async def test_sync_now_without_portal_says_so(officer_desk: Desk) -> None:
    app = CounterApp(officer_desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("ctrl+u")
        await wait_for(
            pilot, lambda: any("Chưa cấu hình" in str(n.message) for n in app._notifications)
        )
        assert "chưa cấu hình" in str(app.screen.query_one(StatusBar).render())


async def test_hung_portal_and_printer_never_freeze_the_ui(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """Portal and printer both accept connections and never answer: keys still work."""
    from screens.intake import IntakeScreen
    from tests.support.printer_emulator import EmulatedPrinter

    hung = EmulatedPrinter("stall")
    try:
        cfg = parse_config(
            {
                "counter": {"data_dir": str(tmp_path / "data"), "demo_data": False},
                "printer": {"transport": "network", "target": hung.target},
                "portal": {
                    "url": f"http://{hung.target}",
                    "enrollment_code": "X",
                    "timeout_seconds": 30,
                },
            },
            source=tmp_path / "config.toml",
        )
        desk = Desk.open(cfg, clock=clock)
        desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
        desk.login("canbo", "1234")
        receive(desk)
        app = CounterApp(desk, background=True)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
            await pilot.press("ctrl+u")
            await pilot.press("f2")
            await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
            await pilot.press("f3")
            await wait_for(pilot, lambda: isinstance(app.screen, SystemStatusScreen))
            assert desk.get(desk.today().dossiers[0].uuid).status == "received"
    finally:
        hung.close()
