"""The full-screen terminal board (`counter board`): for a TV driven by a small PC.

The same content as the hub's web board: the latest call in large letters, each counter's
current number, the last calls and the waiting count per area. It polls the queue every half
second in a thread worker, so a lost hub shows a line and the board recovers by itself. `lang` ("vi", the default, or
"en": config `[counter] language`) picks the words.
"""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Static

from counter.errors import CounterError
from counter.queue import QueueView
from counter.queue_client import QueueService, open_queue
from screens.i18n import LANGS, tr
from screens.keys import bind, translate_bindings
from screens.terminal import quit_when_terminal_closes

POLL_SECONDS = 0.5


def announcement(number: str, counter_no: int, lang: str = "vi") -> str:
    return tr(lang, "board.announce", number=number, counter=counter_no)


class BoardApp(App[None]):
    CSS = """
    Screen { background: #0b2545; color: white; }
    #board-head { height: 1; background: #8d0801; text-style: bold; padding: 0 1; }
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
        lang: str = "vi",
        on_terminal: bool = False,
    ):
        super().__init__()
        self.on_terminal = on_terminal  # run for real: quit if the terminal goes away
        self.lang = lang if lang in LANGS else "vi"
        translate_bindings(self, self.lang)
        self._shown = False
        self.service = service
        self.centre = centre
        self.poll = poll

    def t(self, key: str, **values: object) -> str:
        return tr(self.lang, key, **values)

    def compose(self) -> ComposeResult:
        yield Static(self.centre or self.t("citizen.centre"), id="board-head")
        yield Static("", id="board-latest")
        with Horizontal(id="board-body"):
            with Vertical(id="board-current"):
                yield Static("", id="board-current-table")
            with Vertical(id="board-calls"):
                yield Static("", id="board-calls-table")
            with Vertical(id="board-waiting"):
                yield Static("", id="board-waiting-table")
        yield Static("", id="board-status")

    def on_mount(self) -> None:
        self._shown = True
        self.refresh_view()
        self.set_interval(self.poll, self.refresh_view)
        if self.on_terminal:
            quit_when_terminal_closes(self)

    @work(thread=True, exclusive=True, group="board")
    def refresh_view(self) -> None:
        try:
            view = self.service.view()
        except CounterError as exc:
            self.call_from_thread(setattr, self, "problem", exc.message(self.lang))
            return
        self.call_from_thread(self._update, view)

    def _update(self, view: QueueView) -> None:
        self.problem = ""
        if self.view is None or view.version != self.view.version:
            self.view = view

    def watch_problem(self, value: str) -> None:
        if self._shown:
            self.query_one("#board-status", Static).update(value)

    def watch_view(self, view: QueueView | None) -> None:
        if view is None or not self._shown:
            return
        latest = self.query_one("#board-latest", Static)
        if view.calls:
            c = view.calls[0]
            latest.update(
                Text.assemble(
                    (f"{c.number}\n", "bold"),
                    (self.t("board.to_counter", n=c.counter_no) + "\n\n", "bold"),
                    announcement(c.number, c.counter_no, self.lang),
                )
            )
        else:
            latest.update(self.t("board.idle"))
        cur = Table(
            self.t("board.col.counter"),
            self.t("board.col.serving"),
            expand=True,
            box=None,
            header_style="bold #9fb3c8",
        )
        for no, t in sorted(view.current.items()):
            cur.add_row(self.t("board.counter", n=no), Text(t.number, style="bold #ffd166"))
        self.query_one("#board-current-table", Static).update(cur)
        calls = Table(
            self.t("board.col.called"),
            self.t("board.col.counter"),
            self.t("board.col.at"),
            expand=True,
            box=None,
            header_style="bold",
        )
        for c in view.calls:
            calls.add_row(Text(c.number, style="bold #ffd166"), str(c.counter_no), f"{c.at:%H:%M}")
        self.query_one("#board-calls-table", Static).update(calls)
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


def run_board(config: Any) -> None:
    """`counter board`: the full-screen board of this centre's queue."""
    service = open_queue(config)
    try:
        BoardApp(
            service, centre=config.agency.centre, lang=config.counter.language, on_terminal=True
        ).run()
    finally:
        service.close()
