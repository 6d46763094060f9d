"""The officer's day, measured: keys per dossier and how fast a screen is ready for typing.

Keys are counted by driving the real app (Pilot) through a typical intake (procedure,
applicant, documents as pre-filled, save, next citizen) and checking the dossier it saved:
with a scanned chip ID card, typed by hand, and the baseline of the old way between citizens
(open the dossier, Esc back, F2) typed by hand. Screen-change latency is the time from the key
(F2, or Enter on the "received" dialog) until the new form is ready for input, in the app's own
event loop, wall and CPU time: a frame of it has been drawn, its first field has the focus, and
the app's key gate (screens/keygate.py) has opened again, i.e. the next key the officer types
goes straight into that field. The baseline is pushing a bare screen with one field in the same
app, to the same end. The next form is built while the officer looks at the screen before (a
second here).

Method: the end is watched every half millisecond with asyncio.sleep, the way the key gate
itself watches. (Until #11's last round the bench waited with Pilot.pause(0), which queues a
callback on every widget of the screen and forces a layout and a full repaint on each turn, and
whose busy loop counted as the app's CPU: it measured Pilot's work on a 95-widget form as much
as the app's, and it ended at the focus, before the form was drawn.)

    python -m bench.bench_officer [--rounds 30] [--no-pause] [--latency-only]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Input

from bench import pct
from counter.config import parse_config
from counter.desk import Desk
from counter.text import fold

PROCEDURE = "1.001193"  # Đăng ký khai sinh, the commonest intake at a commune centre
NAME, NUMBER = "Lê Thị Hoa", "001303012345"
CARD = f"{NUMBER}|012345678|{NAME}|15082003|Nữ|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|20042021"


def _desk(folder: Path) -> Desk:
    config = parse_config(
        {
            "counter": {"data_dir": str(folder), "demo_data": False, "number": 3},
            "printer": {"transport": "preview", "target": str(folder / "receipts")},
        },
        source=folder / "config.toml",
    )
    desk = Desk.open(config)
    desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    desk.login("canbo", "1234")
    return desk


def shortest_query(desk: Desk, code: str) -> str:
    """The fewest letters, from the start of any word of the procedure's name (no diacritics),
    that put it first; what an officer learns to type for a procedure done every day."""
    name = fold(desk.catalogue.get(code).name)
    starts = [0] + [i + 1 for i, ch in enumerate(name) if ch == " "]
    best = code
    for start in starts:
        for end in range(start + 1, len(name) + 1):
            query = name[start:end]
            if len(query) >= len(best):
                break
            found = desk.catalogue.search(query, limit=1)
            if found and found[0].code == code:
                best = query
                break
    return best


async def _until(pilot: Any, condition: Callable[[], bool], tries: int = 4000) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0)
    raise RuntimeError("the app never got there")


async def _intake(desk: Desk, keys: list[str], between: list[str]) -> int:
    """Drive two citizens; return the keys of the second (the steady state) after checking
    that both were saved as typed."""
    from screens.app import CounterApp

    app = CounterApp(desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await _until(pilot, lambda: type(app.screen).__name__ == "IntakeScreen")
        before = desk.today().total
        await pilot.press(*keys)
        await _until(pilot, lambda: desk.today().total == before + 1)
        await pilot.press(*between, *keys)
        await _until(pilot, lambda: desk.today().total == before + 2)
        saved = desk.today().dossiers[0]
        assert saved.procedure_code == PROCEDURE, saved.procedure_code
        assert (saved.applicant.name, saved.applicant.id_number) == (NAME, NUMBER)
    return len(between) + len(keys)


def bench_keys() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        desk = _desk(Path(tmp))
        shortest = shortest_query(desk, PROCEDURE)
        query = "khai sinh"  # what officers type; the shortest that works is printed too
        procedure = [*query, "enter"]
        by_hand = [*procedure, *NAME, "tab", *NUMBER, "ctrl+s"]
        # A scanner's characters are not keys the officer presses: the card counts as 0.
        scanned = [*CARD, "enter"]
        with_card = [*procedure, *scanned, "ctrl+s"]
        old_way = asyncio.run(_intake(desk, by_hand, ["ctrl+o", "escape", "f2"]))
        hand = asyncio.run(_intake(desk, by_hand, ["enter"]))
        card = asyncio.run(_intake(desk, with_card, ["enter"])) - len(scanned)
        desk.close()
    print(f'keys per dossier (procedure typed as "{query}" + Enter, then save, next citizen;')
    print(f'  "{shortest}" alone would already put it first):')
    print(f"  with the chip ID card scanned: {card} keys  (target ≤ 15)")
    print(f"  typed by hand:                 {hand} keys  (target ≤ 35)")
    print(f"  baseline, the old way between citizens (open, Esc, F2), by hand: {old_way} keys")
    print(f"  ratio card / baseline {card / old_way:.2f}, by hand / baseline {hand / old_way:.2f}")


# An officer never presses F2 the instant the list appears, nor Enter the instant the
# "received" dialog does (they hand over the receipt first): a second is short for either.
# The next form is built in that moment (CounterApp.prebuild_intake); `--no-pause` measures
# the worst case, a key pressed at once, when the form is still being built.
OFFICER_PAUSE_S = 1.0


class Timing:
    """Wall and CPU time of one screen change. On a shared machine the wall time is mostly
    waiting for a core; the CPU time is the app's own work."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.full_collections = 0  # Python's gen-2 collections inside the measured changes


# Python's full (gen-2) collections seen: (inside a measured change?)
_FULL: list[bool] = []
_MEASURING = [False]


def _watch_collector(phase: str, info: dict[str, int]) -> None:
    if phase == "start" and info["generation"] == 2:
        _FULL.append(_MEASURING[0])


# The end of a screen change is checked this often (the key gate checks as often).
POLL_S = 0.0005


async def _latency(rounds: int, pause: float) -> tuple[Timing, Timing, Timing]:
    from screens.app import CounterApp

    class Bare(Screen[None]):
        def compose(self) -> ComposeResult:
            yield Input(id="bare")

        def on_mount(self) -> None:
            self.query_one(Input).focus()

    with tempfile.TemporaryDirectory() as tmp:
        desk = _desk(Path(tmp))
        app = CounterApp(desk, quiet_gc=True)  # as run_app starts it
        f2, after_save, bare = Timing(), Timing(), Timing()
        drawn: list[Screen[Any]] = []  # the screens a frame was drawn of, since the key
        display = app._display

        def drawing(screen: Screen[Any], update: Any) -> None:
            if update is not None and screen is app.screen:
                drawn.append(screen)
            display(screen, update)

        app._display = drawing  # type: ignore[method-assign,assignment]
        gate = app._key_gate

        def ready_for_input(field_id: str) -> bool:
            """Drawn, focused, and the key gate open: the next key lands in the field."""
            focused = app.focused
            return (
                focused is not None
                and focused.id == field_id
                and app.screen in drawn
                and not gate.closed
                and not gate.held
            )

        def form_ready() -> bool:
            return type(app.screen).__name__ == "IntakeScreen" and ready_for_input("procedure")

        def push_bare() -> None:
            app.push_screen(Bare())
            gate.close()  # as after a key: the gate settles the change

        async with app.run_test(size=(120, 40)) as pilot:

            async def timed(into: Timing, start: Callable[[], object], ready: Any) -> None:
                await asyncio.sleep(pause)
                await pilot.pause()
                drawn.clear()
                full = len(_FULL)
                _MEASURING[0] = True
                t0, c0 = time.perf_counter(), time.process_time()
                start()
                for _ in range(int(30 / POLL_S)):
                    await asyncio.sleep(POLL_S)
                    if ready():
                        break
                else:
                    raise RuntimeError("the screen never became ready")
                into.wall.append(time.perf_counter() - t0)
                into.cpu.append(time.process_time() - c0)
                _MEASURING[0] = False
                into.full_collections += len(_FULL) - full

            for _ in range(rounds):
                await _until(pilot, lambda: type(app.screen).__name__ == "MainScreen")
                await timed(f2, lambda: app.post_message(events.Key("f2", None)), form_ready)
                await pilot.press(*"khai sinh", "enter", *NAME, "tab", *NUMBER, "ctrl+s")
                await _until(pilot, lambda: type(app.screen).__name__ == "ReceivedModal")
                await timed(
                    after_save,
                    lambda: app.post_message(events.Key("enter", "\r")),
                    lambda: (
                        form_ready() and app.screen.query_one("#applicant-name", Input).value == ""
                    ),
                )
                await pilot.press("escape")
                await _until(pilot, lambda: type(app.screen).__name__ == "MainScreen")
                await timed(
                    bare,
                    push_bare,
                    lambda: type(app.screen) is Bare and ready_for_input("bare"),
                )
                app.pop_screen()
        desk.close()
    return f2, after_save, bare


def bench_latency(rounds: int, pause: float) -> None:
    gc.callbacks.append(_watch_collector)
    try:
        f2, after_save, bare = asyncio.run(_latency(rounds, pause))
    finally:
        gc.callbacks.remove(_watch_collector)

    def ms(values: list[float], q: float) -> float:
        return pct(values, q) * 1000

    def line(label: str, t: Timing) -> str:
        return (
            f"  {label:<34} wall p50 {ms(t.wall, 0.5):6.1f} ms, p95 {ms(t.wall, 0.95):6.1f} ms;"
            f"  CPU p50 {ms(t.cpu, 0.5):6.1f} ms, p95 {ms(t.cpu, 0.95):6.1f} ms"
        )

    print(
        f"screen change → ready for input ({rounds} rounds, in the app's event loop, "
        f"key pressed {pause:.1f} s after the screen before it appeared; target p95 ≤ 50 ms):"
    )
    print(line("F2 → new form focused:", f2))
    print(line("save, Enter → fresh form:", after_save))
    print(line("baseline, a bare screen, one field:", bare))
    for label, t in (("F2", f2), ("Enter", after_save)):
        print(
            f"  ratio {label} / baseline (p95): wall "
            f"{ms(t.wall, 0.95) / max(ms(bare.wall, 0.95), 1e-6):.1f}×, CPU "
            f"{ms(t.cpu, 0.95) / max(ms(bare.cpu, 0.95), 1e-6):.1f}×"
        )
    inside = f2.full_collections + after_save.full_collections + bare.full_collections
    print(
        f"  Python's full collections: {len(_FULL)} in the run, {inside} inside a measured "
        "change (the app runs them between citizens: screens/collector.py)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument(
        "--no-pause", action="store_true", help="press each key the instant its screen is up"
    )
    parser.add_argument("--latency-only", action="store_true")
    args = parser.parse_args(argv)
    print("== officer: keys per dossier, screen changes ==")
    if not args.latency_only:
        bench_keys()
    bench_latency(args.rounds, 0.0 if args.no_pause else OFFICER_PAUSE_S)


if __name__ == "__main__":
    main()
