"""The ticket kiosk (`counter kiosk`): a citizen presses one digit and gets a queue number.

Before that the citizen may scan the QR code of their chip ID card (a keyboard-wedge scanner
types it and Enter): the ticket then counts toward that person's limits (at most 2 a day, 1 per
area, `[queue]`), a citizen aged 75 or more gets the elderly priority without asking, and the
screen greets them by their masked name. A scan and a press are told apart by the time between
keys as the terminal delivered them (a scanner types a whole line within milliseconds; a person
presses one key), grouped once the keys have settled, so a slow moment of the kiosk PC never
turns a person's presses into a "scan". The keys are timed by `key_clock` (monotonic seconds,
by default the clock Textual stamps each key with as the terminal delivers it): tests pass a
clock they advance, and call `settle_keys()`, instead of waiting on the wall clock.

Large and simple: one big line per service area, numbered 1, 2, 3…; `0` first for the
priority groups (elderly, disabilities, pregnant women, small children…). The ticket is a print
job written with the number (local engine) or right after the hub's answer, and printed by the
spool worker; the number stays on screen a few seconds. `reception=True` is the same screen for
the reception desk (channel "counter"). `lang` ("vi", the default, or "en": config
`[counter] language`) picks the words; area and priority names come from the settings as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import events, work
from textual._time import get_time as textual_time
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Static

from counter.errors import AuthError, CounterError
from counter.idcard import IdCard, read_id_card_qr
from counter.queue import QueueSettings, Ticket
from counter.queue_client import HubUnavailable, QueueService, open_queue
from counter.timeutil import fmt_vn, system_clock, to_vn
from counter.validation import mask_name
from screens.i18n import LANGS, tr
from screens.keys import bind, translate_bindings
from screens.terminal import quit_when_terminal_closes

RESULT_SECONDS = 8.0
# Keys closer together than this (by the time the terminal delivered them) are one scan.
KEY_BURST_GAP = 0.03
# How long after the last key the kiosk decides what the keys were.
KEY_SETTLE_SECONDS = 0.12
ELDERLY_AGE = 75


class KioskApp(App[None]):
    """One screen: the areas by digit; after a press, the number in big letters."""

    CSS = """
    Screen { align: center middle; background: #0b2545; color: white; }
    #kiosk { width: 100%; height: 100%; padding: 1 4; }
    #kiosk-title { text-align: center; text-style: bold; color: #ffd166; height: 3;
        content-align: center middle; }
    .area { height: 3; content-align: left middle; text-style: bold; padding: 0 2;
        background: #13315c; margin: 0 0 1 0; }
    #kiosk-priority { height: auto; color: #ffd166; padding: 0 2; }
    #kiosk-result { height: auto; text-align: center; content-align: center middle;
        background: #8d0801; padding: 1 2; }
    #kiosk-hint { height: auto; text-align: center; color: #9fb3c8; }
    .hidden { display: none; }
    """
    BINDINGS = [  # noqa: RUF012
        bind("kiosk.quit", "quit", show=False),
    ]

    mode: reactive[str] = reactive("areas")  # areas | priority | result

    def __init__(
        self,
        service: QueueService,
        *,
        centre: str = "",
        printer: str | None = None,
        reception: bool = False,
        result_seconds: float = RESULT_SECONDS,
        on_issued: Callable[[Ticket], None] | None = None,
        lang: str = "vi",
        on_terminal: bool = False,
        key_clock: Callable[[], float] = textual_time,
    ):
        super().__init__()
        self.on_terminal = on_terminal  # run for real: quit if the terminal goes away
        self.lang = lang if lang in LANGS else "vi"
        translate_bindings(self, self.lang)
        self._shown = False
        self.service = service
        self.settings: QueueSettings = service.settings
        self.centre = centre
        self.printer = printer
        self.channel = "counter" if reception else "kiosk"
        self.result_seconds = result_seconds
        self.priority = ""
        self.last_ticket: Ticket | None = None
        self.last_error = ""
        self._timer: Any = None
        self.on_issued = on_issued
        self.card: IdCard | None = None  # scanned for the next ticket
        self._keys: list[tuple[float, str, str]] = []  # (delivered at, key, character)
        self._settle_timer: Any = None
        # Must be the clock of `events.Key.time` (Textual's; a test's when it sets both).
        self.key_clock = key_clock

    def on_mount(self) -> None:
        self._shown = True
        if self.on_terminal:
            quit_when_terminal_closes(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="kiosk"):
            yield Static(self._title(), id="kiosk-title")
            for i, area in enumerate(self.settings.areas_def[:9], 1):
                yield Static(
                    Text.assemble((f" {i} ", "reverse bold"), f"  {area.prefix}  {area.name}"),
                    classes="area",
                    id=f"area-{area.prefix}",
                )
            yield Static("", id="kiosk-priority", classes="hidden")
            yield Static("", id="kiosk-result", classes="hidden")
            yield Static(self._hint(), id="kiosk-hint")

    def t(self, key: str, **values: object) -> str:
        return tr(self.lang, key, **values)

    def _title(self) -> str:
        return self.t("kiosk.title", head=self.centre or self.t("citizen.centre"))

    def _hint(self) -> str:
        if self.mode == "priority":
            return self.t("kiosk.hint.priority")
        hello = self.t("kiosk.hello", name=mask_name(self.card.name)) + "\n" if self.card else ""
        if self.priority:
            name = self.settings.priority_name(self.priority)
            return hello + self.t("kiosk.hint.chosen", name=name)
        if self.card:
            return hello + self.t("kiosk.hint.card")
        return self.t("kiosk.hint")

    def _when(self, moment: Any) -> str:
        if self.lang == "en":
            m = to_vn(moment)
            return f"{m:%H:%M}, {m:%d/%m/%Y}"
        return fmt_vn(moment)

    def watch_mode(self, mode: str) -> None:
        if not self._shown:
            return
        pri = self.query_one("#kiosk-priority", Static)
        result = self.query_one("#kiosk-result", Static)
        pri.set_class(mode != "priority", "hidden")
        result.set_class(mode != "result", "hidden")
        for w in self.query(".area"):
            w.set_class(mode == "result", "hidden")
        if mode == "priority":
            lines = Text()
            for i, p in enumerate(self.settings.priority_classes[:9], 1):
                lines.append(f" {i} ", "reverse bold")
                lines.append(f"  {p.name}\n")
            pri.update(lines)
        self.query_one("#kiosk-hint", Static).update(self._hint())

    def on_key(self, event: events.Key) -> None:
        key = event.key
        if key == "escape":
            self._keys.clear()
            self._reset()
            event.stop()
            return
        char = event.character or ""
        if key != "enter" and not (char and char.isprintable()):
            return
        event.stop()
        self._keys.append((event.time, key, char))
        if self._settle_timer is None:
            self._settle_timer = self.set_timer(KEY_SETTLE_SECONDS, self.settle_keys)

    def settle_keys(self) -> None:
        """Once no key came for KEY_SETTLE_SECONDS by `key_clock`, decide what the keys were;
        until then look again when that much time will have passed since the last key."""
        self._settle_timer = None
        if not self._keys:
            return
        quiet = self.key_clock() - self._keys[-1][0]
        if quiet < KEY_SETTLE_SECONDS:
            self._settle_timer = self.set_timer(KEY_SETTLE_SECONDS - quiet, self.settle_keys)
            return
        self._settle()

    def _settle(self) -> None:
        """Split the keys into a person's presses and scanned lines, by delivery time."""
        if self._settle_timer is not None:
            self._settle_timer.stop()
            self._settle_timer = None
        keys, self._keys = self._keys, []
        groups: list[list[tuple[str, str]]] = []
        last: float | None = None
        for at, key, char in keys:
            if last is None or at - last > KEY_BURST_GAP:
                groups.append([])
            groups[-1].append((key, char))
            last = at
        for group in groups:
            if len(group) == 1:
                self._press(group[0][1])
            else:
                self._scanned("".join(char for key, char in group if key != "enter"))

    def _scanned(self, text: str) -> None:
        clock = getattr(self.service, "clock", system_clock)
        today = to_vn(clock()).date()
        card = read_id_card_qr(text, today=today)
        if card is None:
            self.query_one("#kiosk-hint", Static).update(self.t("kiosk.card_unreadable"))
            return
        if self.mode == "result":
            self._reset()
        self.card = card
        codes = {p.code for p in self.settings.priority_classes}
        if not self.priority and card.age_on(today) >= ELDERLY_AGE and "elderly" in codes:
            self.priority = "elderly"
        self.mode = "areas"
        self.query_one("#kiosk-hint", Static).update(self._hint())
        self._schedule_reset(3 * self.result_seconds)  # walked away: forget the card

    def _press(self, char: str) -> None:
        if not char.isdigit():
            return
        digit = int(char)
        if self.mode == "result":
            self._reset()
            if digit == 0:
                self.mode = "priority"
            return
        if self.mode == "priority":
            if 1 <= digit <= len(self.settings.priority_classes):
                self.priority = self.settings.priority_classes[digit - 1].code
                self.mode = "areas"
                self.query_one("#kiosk-hint", Static).update(self._hint())
            return
        if digit == 0:
            if self.settings.priority_classes:
                self.mode = "priority"
            return
        if 1 <= digit <= min(9, len(self.settings.areas_def)):
            self.take(self.settings.areas_def[digit - 1].prefix)

    def take(self, prefix: str) -> None:
        """Issue a number of `prefix` (and print it), in the background."""
        self._issue(prefix, self.priority)

    @work(thread=True, exclusive=True, group="kiosk-issue")
    def _issue(self, prefix: str, priority: str) -> None:
        person = self.card.number if self.card else ""
        try:
            ticket = self.service.issue(
                prefix,
                priority=priority,
                person=person,
                channel=self.channel,
                printer=self.printer,
            )
        except CounterError as exc:
            self.call_from_thread(self._show_error, exc)
            return
        self.call_from_thread(self._show_ticket, ticket)

    def _show_ticket(self, t: Ticket) -> None:
        self.last_ticket = t
        self.last_error = ""
        if self.on_issued:
            self.on_issued(t)
        area = self.settings.area(t.area)
        ahead = (
            self.t("kiosk.nobody_ahead")
            if t.people_ahead == 0
            else self.t("kiosk.ahead", n=t.people_ahead)
        )
        body = Text(justify="center")
        body.append(self.t("kiosk.your_number") + "\n\n")
        body.append(f"  {t.number}  \n", "bold reverse")
        body.append(f"\n{area.name}\n", "bold")
        body.append(f"{ahead}\n")
        body.append(self.t("kiosk.issued_at", at=self._when(t.issued_at)) + "\n")
        if self.printer:
            body.append(self.t("kiosk.take_ticket"), "italic")
        self.query_one("#kiosk-result", Static).update(body)
        self.priority = ""
        self.card = None
        self.mode = "result"
        self._schedule_reset()

    def _show_error(self, exc: CounterError) -> None:
        self.last_error = exc.vi
        # The hub down or refusing this kiosk's token is the centre's problem, not the
        # citizen's: they are sent to the information desk, the details stay in last_error.
        system = isinstance(exc, HubUnavailable | AuthError)
        msg = self.t("kiosk.hub_down") if system else exc.message(self.lang)
        self.query_one("#kiosk-result", Static).update(Text(msg, style="bold", justify="center"))
        self.priority = ""
        self.card = None
        self.mode = "result"
        self._schedule_reset()

    def _schedule_reset(self, seconds: float | None = None) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(seconds or self.result_seconds, self._reset)

    def _reset(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.priority = ""
        self.card = None
        self.mode = "areas"
        if self._shown:
            self.query_one("#kiosk-hint", Static).update(self._hint())


def run_kiosk(config: Any, *, reception: bool = False) -> None:
    """`counter kiosk`: the kiosk (or reception desk) on this PC's first printer."""
    from printing.spool_worker import SpoolWorker

    service = open_queue(config)
    # Its own worker for its own ticket printer: a stuck receipt printer never holds it up.
    worker = SpoolWorker(config, interval=1.0, printers=(config.printers[0].name,))
    worker.start()
    try:
        app = KioskApp(
            service,
            centre=config.agency.centre,
            printer=config.printers[0].name,
            reception=reception,
            on_issued=lambda _t: worker.wake(),
            lang=config.counter.language,
            on_terminal=True,
        )
        app.run()
    finally:
        worker.stop()
        service.close()
