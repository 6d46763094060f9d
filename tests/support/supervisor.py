"""The supervisor's screens outside the app: a one-screen harness and a day of seeded dossiers."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App
from textual.screen import Screen

from counter.desk import Desk
from tests.support.builders import BIRTH, CERTIFY, draft_for

SIZE = (120, 50)


class Harness(App[None]):
    """A bare app that shows one screen (the real app wires these in itself)."""

    def __init__(self, make: Callable[[], Screen[None]]) -> None:
        super().__init__()
        self.make = make

    def on_mount(self) -> None:
        self.push_screen(self.make())


def seed(desk: Desk) -> list[str]:
    """Four dossiers: one in supplement, one refused, one ready, one received; giamsat logged in."""
    desk.login("canbo", "1234")
    made = [desk.receive(draft_for(desk, CERTIFY)) for _ in range(3)]
    made.append(desk.receive(draft_for(desk, BIRTH)))
    desk.act(made[0].uuid, "request_supplement", items=["Bản chính"], reason="Thiếu bản chính")
    desk.act(made[1].uuid, "refuse", reason="Không thuộc thẩm quyền")
    desk.act(made[2].uuid, "result_ready")
    desk.logout()
    desk.login("giamsat", "5678")
    return [d.uuid for d in made]
