"""The full-screen terminal board (`counter board`): for a TV driven by a small PC.

In step with the hub's web board: the latest call in large letters, each counter's current
number, the last calls and the waiting count per area, the time in Vietnam. It polls the
queue every half second in a thread worker (a lost hub shows a line and the board recovers by
itself) and asks for every call after the last one it saw, so a burst of calls is shown one
after another, none lost, none twice. The counters are laid out in as many columns as the
terminal is wide and turn pages when they do not fit. No sound: the web board speaks. `lang`
("vi", the default, or "en": config `[counter] language`) picks the words.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Static

from counter.errors import CounterError
from counter.queue import Call, QueueView
from counter.queue_client import QueueService, open_queue
from counter.timeutil import to_vn
from screens.i18n import LANGS, tr
from screens.keys import bind, translate_bindings
from screens.terminal import quit_when_terminal_closes

POLL_SECONDS = 0.5
HOLD_SECONDS = 2.5  # each call stays alone in the large panel at least this long (as on the web)
PAGE_SECONDS = 8.0  # a page of counters stays this long when they need several pages
CELL_WIDTH = 20  # "Quầy 12   A0015" and a gap


def announcement(number: str, counter_no: int, lang: str = "vi") -> str:
    return tr(lang, "board.announce", number=number, counter=counter_no)


class BoardApp(App[None]):
    CSS = """
    Screen { background: #0b2545; color: white; }
    #board-top { height: 1; background: #8d0801; text-style: bold; }
    #board-head { width: 1fr; padding: 0 1; }
    #board-clock { width: 7; padding: 0 1; }
    #board-current { width: 2fr; }
    #board-latest { height: 7; content-align: center middle; text-align: center;
        background: #13315c; color: #ffd166; text-style: bold; margin: 1 2; }
    #board-body { height: 1fr; }
    #board-current, #board-calls, #board-waiting { width: 1fr; padding: 0 2; }
    #board-status { height: 1; color: #ff6b6b; padding: 0 1; }
    """
    BINDINGS = [bind("board.quit", "quit", show=False)]  # noqa: RUF012

    view: reactive[QueueView | None] = reactive(None)
    problem: reactive[str] = reactive("")

    def __init__(
        self,
        service: QueueService,
        *,
        centre: str = "",
        poll: float = POLL_SECONDS,
        hold: float = HOLD_SECONDS,
        page_seconds: float = PAGE_SECONDS,
        lang: str = "vi",
        on_terminal: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__()
        # Monotonic seconds that pace the calls and the pages; a test passes one it advances,
        # and calls `tick()`, instead of waiting on the wall clock.
        self.clock = clock
        self.on_terminal = on_terminal  # run for real: quit if the terminal goes away
        self.lang = lang if lang in LANGS else "vi"
        translate_bindings(self, self.lang)
        self._shown = False
        self.service = service
        self.centre = centre
        self.poll = poll
        self.hold = hold
        self.page_seconds = page_seconds
        self._seen: int | None = None  # the last call's sequence number; None: not started
        self._pending: deque[Call] = deque()  # calls received, not yet shown
        self._recent: deque[Call] = deque(maxlen=8)  # calls shown, newest first
        self._shown_at = 0.0
        self._page = 0
        self._page_at = 0.0
        self.shown: list[int] = []  # every call shown, in order (for the drills)
        self.current_page: tuple[int, int, list[int]] = (1, 1, [])  # page, pages, counters

    def t(self, key: str, **values: object) -> str:
        return tr(self.lang, key, **values)

    def compose(self) -> ComposeResult:
        with Horizontal(id="board-top"):
            yield Static(self.centre or self.t("citizen.centre"), id="board-head")
            yield Static(self._clock(), id="board-clock")
        yield Static("", id="board-latest")
        with Horizontal(id="board-body"):
            with Vertical(id="board-current"):
                yield Static("", id="board-current-table")
            with Vertical(id="board-calls"):
                yield Static("", id="board-calls-table")
            with Vertical(id="board-waiting"):
                yield Static("", id="board-waiting-table")
        yield Static("", id="board-status")

    @staticmethod
    def _clock() -> str:
        """Vietnam time, whatever the zone the PC driving the TV is set to."""
        return f"{to_vn(datetime.now(UTC)):%H:%M}"

    def on_mount(self) -> None:
        self._shown = True
        self.refresh_view()
        self.set_interval(self.poll, self.refresh_view)
        self.set_interval(min(self.poll, 0.25), self.tick)
        if self.on_terminal:
            quit_when_terminal_closes(self)

    @work(thread=True, exclusive=True, group="board")
    def refresh_view(self) -> None:
        try:
            view = self.service.view()
            seen = self._seen
            calls = [] if seen is None else self.service.calls_since(seen)
        except CounterError as exc:
            self.call_from_thread(setattr, self, "problem", exc.message(self.lang))
            return
        self.call_from_thread(self._update, view, calls)

    def _update(self, view: QueueView, calls: list[Call]) -> None:
        self.problem = ""
        if self._seen is None:  # the first look: what was called before is listed, not replayed
            self._recent.extend(view.calls)
            self._seen = max((c.id for c in view.calls), default=0)
        for c in calls:
            if c.id > self._seen:  # never twice
                self._pending.append(c)
                self._seen = c.id
        if self.view is None or view.version != self.view.version:
            self.view = view
        self.tick()

    def tick(self) -> None:
        """Show the next waiting call once the current one had its time; turn the page."""
        if not self._shown or not self.query("#board-clock"):  # not yet, or closing
            return
        now = self.clock()
        if self._pending and now - self._shown_at >= self.hold:
            call = self._pending.popleft()
            self._recent.appendleft(call)
            self.shown.append(call.id)
            self._shown_at = now
            self._render_latest()
            self._render_calls()
        if now - self._page_at >= self.page_seconds:
            self._page_at = now
            self._page += 1
            self._render_current()
        self.query_one("#board-clock", Static).update(self._clock())

    def watch_problem(self, value: str) -> None:
        if self._shown:
            self.query_one("#board-status", Static).update(value)

    def watch_view(self, view: QueueView | None) -> None:
        if view is None or not self._shown:
            return
        self._render_latest()
        self._render_current()
        self._render_calls()
        wait = Table(
            self.t("board.col.area"),
            self.t("board.col.waiting"),
            expand=True,
            box=None,
            header_style="bold",
        )
        for prefix, n in view.waiting.items():
            wait.add_row(f"{prefix} {view.area_names.get(prefix, '')}", str(n))
        self.query_one("#board-waiting-table", Static).update(wait)

    def _render_latest(self) -> None:
        latest = self.query_one("#board-latest", Static)
        if self._recent:
            c = self._recent[0]
            latest.update(
                Text.assemble(
                    (f"{c.number}\n", "bold"),
                    (self.t("board.to_counter", n=c.counter_no) + "\n\n", "bold"),
                    announcement(c.number, c.counter_no, self.lang),
                )
            )
        else:
            latest.update(self.t("board.idle"))

    def _render_current(self) -> None:
        """Each counter's number, in as many columns as fit; pages when the rows do not."""
        if self.view is None:
            return
        box = self.query_one("#board-current", Vertical)
        width, height = max(box.content_size.width, CELL_WIDTH), max(box.content_size.height, 3)
        cols = max(1, width // CELL_WIDTH)
        rows = max(1, height - 2)  # the heading and a page line
        items = sorted(self.view.current.items())
        pages = max(1, -(-len(items) // (cols * rows)))
        page = self._page % pages
        shown = items[page * cols * rows : (page + 1) * cols * rows]
        grid = Table.grid(expand=True, padding=(0, 1))
        for _ in range(cols):
            grid.add_column(ratio=1)
        cells = [
            Text.assemble(
                (self.t("board.counter", n=no) + " ", "#9fb3c8"), (t.number, "bold #ffd166")
            )
            for no, t in shown
        ]
        for r in range(0, len(cells), cols):  # row by row, like the web board
            row = cells[r : r + cols]
            grid.add_row(*row, *([""] * (cols - len(row))))
        title = Text(self.t("board.col.serving"), style="bold #9fb3c8")
        if pages > 1:
            title.append(f"   {page + 1}/{pages}")
        table = Table.grid(expand=True)
        table.add_row(title)
        table.add_row(grid)
        self.current_page = (page + 1, pages, [no for no, _t in shown])
        self.query_one("#board-current-table", Static).update(table)

    def _render_calls(self) -> None:
        calls = Table(
            self.t("board.col.called"),
            self.t("board.col.counter"),
            self.t("board.col.at"),
            expand=True,
            box=None,
            header_style="bold",
        )
        for c in self._recent:
            calls.add_row(Text(c.number, style="bold #ffd166"), str(c.counter_no), f"{c.at:%H:%M}")
        self.query_one("#board-calls-table", Static).update(calls)


def run_board(config: Any) -> None:
    """`counter board`: the full-screen board of this centre's queue."""
    service = open_queue(config)
    try:
        BoardApp(
            service, centre=config.agency.centre, lang=config.counter.language, on_terminal=True
        ).run()
    finally:
        service.close()
