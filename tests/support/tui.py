"""Helpers for the TUI tests: build the app on a test desk, wait for conditions, read widgets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widget import Widget

from counter import spool
from counter.config import parse_config
from counter.desk import Desk
from counter.dossiers import Applicant, Dossier, DossierDraft, documents_from_procedure
from counter.lookup import lookup_token, lookup_url
from screens.app import CounterApp
from tests.support.clock import FrozenClock

BIRTH = "1.001193"  # Đăng ký khai sinh: same day, free
CONTRACT = "2.001035"  # Chứng thực hợp đồng: 2 working days, 50 000 đ


def make_app(desk: Desk, lang: str = "vi") -> CounterApp:
    return CounterApp(desk, lang=lang)


def stop_idle_clock(app: CounterApp) -> list[float]:
    """Make the app's idle clock stand still; the test moves it by changing item 0.

    Five seconds without a key are a moment between citizens (old screens removed, a full
    collection if due). A loaded machine can spend that long between two keys of a test, so
    a test that asserts what happens, or not, between citizens holds the clock itself."""
    now = [0.0]
    app.idle_clock = lambda: now[0]
    app.last_input = now[0]
    return now


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], tries: int = 200) -> None:
    """Let the app process messages until `condition` holds (never sleeps on wall time)."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause()
    raise AssertionError("condition not reached")


def text(widget: Widget) -> str:
    """The plain text a Static/Label shows."""
    content = getattr(widget, "content", None)
    if content is None:
        content = widget.render()
    return str(content)


def receive(
    desk: Desk, name: str = "Nguyễn Văn Đức", procedure: str = BIRTH, **changes: Any
) -> Dossier:
    proc = desk.catalogue.get(procedure)
    draft = DossierDraft(
        procedure_code=proc.code,
        applicant=Applicant(
            name=name,
            id_number=changes.pop("id_number", "001090012345"),
            phone="0912345678",
            address="Số 5 Hàng Bạc, phường Hoàn Kiếm, Hà Nội",
        ),
        documents=documents_from_procedure(proc),
        delivery=proc.delivery[0],
    )
    return desk.receive(replace(draft, **changes))


def receipt_url(desk: Desk, dossier: Dossier) -> str:
    """The URL the receipt QR carries (what a scanner types)."""
    token = lookup_token(desk.device_secret, desk.device_id, dossier.uuid, dossier.code)
    return lookup_url(
        desk.config.agency.lookup_website, dossier.code, token, desk.device_id, dossier.uuid
    )


def uncertain_desk(tmp_path: Path, clock: FrozenClock) -> tuple[Desk, list[int]]:
    """A desk whose two receipts were sent to a printer that never answered: F3 asks."""
    cfg = parse_config(
        {
            "counter": {"data_dir": str(tmp_path / "data"), "demo_data": False},
            "printer": {"name": "quay", "transport": "preview", "target": str(tmp_path / "p")},
        },
        source=tmp_path / "config.toml",
    )
    desk = Desk.open(cfg, clock=clock)
    desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    desk.login("canbo", "1234")
    jobs = []
    for _ in range(2):
        job_id = desk.print_jobs(receive(desk).uuid)[0].id
        assert spool.claim(desk.store, job_id, "elsewhere:1:gone")
        spool.mark_uncertain(desk.store, job_id, "Máy in 127.0.0.1:9100 không phản hồi")
        jobs.append(job_id)
    return desk, jobs
