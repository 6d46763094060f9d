"""Helpers for the TUI tests: build the app on a test desk, wait for conditions, read widgets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from textual.pilot import Pilot
from textual.widget import Widget

from counter.desk import Desk
from counter.dossiers import Applicant, Dossier, DossierDraft, documents_from_procedure
from counter.lookup import lookup_token, lookup_url
from screens.app import CounterApp

BIRTH = "1.001193"  # Đăng ký khai sinh: same day, free
CONTRACT = "2.001035"  # Chứng thực hợp đồng: 2 working days, 50 000 đ


def make_app(desk: Desk, lang: str = "vi") -> CounterApp:
    return CounterApp(desk, lang=lang)


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
