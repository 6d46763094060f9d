"""One typing soak, run in a fresh process so its RSS is its own: the real app or the bare form.

    python -m bench.soak_typing {app,bare} FOLDER DOSSIERS WARM_UP

Types the same keys of an intake `DOSSIERS` times into the real counter app (F2, procedure,
name, ID number, phone, ctrl+s, back to the list) or into a bare Textual form of the same
fields (the baseline), and prints "RSS after warm-up (MB), RSS at the end (MB), CPU seconds
per dossier after warm-up". `bench/bench_soak.py` runs both and compares them.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Footer, Input, Static

NAME_KEYS = [*"Nguyen Van Duc", "tab", *"001090012345", "tab", *"0912345678"]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


class BareForm(App[None]):
    """The baseline: the intake's fields and its save key, nothing of the counter behind them."""

    BINDINGS = [("ctrl+s", "save", "Save")]  # noqa: RUF012
    saved = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="due")
        for name in ("procedure", "name", "id", "phone"):
            yield Input(id=name)
        yield Footer()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.screen.focus_next()

    def action_save(self) -> None:
        self.saved += 1
        for field in self.query(Input):
            field.value = ""
        self.query_one("#due", Static).update(f"saved {self.saved}")
        self.query_one("#procedure", Input).focus()


def bare(folder: Path) -> tuple[App[Any], Callable[[Pilot[Any]], Awaitable[None]]]:
    async def one(pilot: Pilot[Any]) -> None:
        await pilot.press(*"khai sinh", "enter")
        await pilot.press(*NAME_KEYS)
        await pilot.press("ctrl+s")
        await pilot.pause()

    return BareForm(), one


def real_app(folder: Path) -> tuple[App[Any], Callable[[Pilot[Any]], Awaitable[None]]]:
    from counter.desk import Desk
    from screens.intake import IntakeScreen
    from screens.main import MainScreen
    from screens.modals import ReceivedModal
    from tests.support.clock import FrozenClock
    from tests.support.config import make_config
    from tests.support.tui import make_app, wait_for

    desk = Desk.open(make_config(folder), clock=FrozenClock())
    desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    desk.login("canbo", "1234")
    app = make_app(desk)

    async def one(pilot: Pilot[Any]) -> None:
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        await pilot.press(*"khai sinh", "enter")
        await pilot.press(*NAME_KEYS)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReceivedModal))
        while not isinstance(app.screen, MainScreen):
            await pilot.press("escape")
            await pilot.pause()

    return app, one


FORMS = {"app": real_app, "bare": bare}


async def soak(form: str, folder: Path, n: int, warm: int) -> tuple[float, float, float]:
    app, one = FORMS[form](folder)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(warm):
            await one(pilot)
        at_warm = rss_mb()
        t = time.process_time()
        for _ in range(n - warm):
            await one(pilot)
        cpu = (time.process_time() - t) / (n - warm)
        return at_warm, rss_mb(), cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("form", choices=sorted(FORMS))
    parser.add_argument("folder", type=Path)
    parser.add_argument("dossiers", type=int)
    parser.add_argument("warm", type=int)
    args = parser.parse_args()
    print(*asyncio.run(soak(args.form, args.folder, args.dossiers, args.warm)))


if __name__ == "__main__":
    main()
