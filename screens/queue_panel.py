"""The queue panel of the counter screen: waiting per area, the current ticket, single keys.

Every queue call runs in a thread worker (the hub may be slow or gone), so the screen never
waits on the network; results come back as messages. When the hub is unreachable the panel
says so in one clear line and everything else on the counter keeps working.

Keys (ids remappable through `[keys]`): F6 call next, F7 recall, F8 no-show, F9 hold, F10
transfer, F11 finish, Shift+F6 call a number (a held or late ticket). F5 is left to the main
screen's reload.

The current ticket is `panel.ticket_number` (for `DossierDraft.ticket`); after the dossier is
saved, `panel.link_dossier(code)` links it to the ticket (and serving starts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Static

from counter.errors import CounterError
from counter.queue import QueueView, Ticket
from counter.queue_client import HubUnavailable, QueueService
from screens.i18n import pick
from screens.keys import KEYS

# The queue keys live in the app's one table of bindings (screens/keys.py).
QUEUE_KEYS: dict[str, tuple[str, str, str]] = {
    k: v for k, v in KEYS.items() if k.startswith("queue.") and k != "queue.dialog.cancel"
}
_ACTIONS = {
    "queue.call_next": "queue_call_next",
    "queue.recall": "queue_recall",
    "queue.no_show": "queue_no_show",
    "queue.hold": "queue_hold",
    "queue.transfer": "queue_transfer",
    "queue.finish": "queue_finish",
    "queue.call_number": "queue_call_number",
}


def queue_bindings(keys: dict[str, str] | None = None, lang: str = "vi") -> list[BindingType]:
    """The panel's bindings; `keys` overrides defaults by id (the app's keymap, built from
    `[keys]` in config.toml, remaps them too since each has an id).

    A screen that docks the panel can also put these on itself (same action names) and
    forward `action_queue_*` to the panel, so the keys work whatever has focus."""
    out: list[BindingType] = []
    for binding_id, (default, vi, en) in QUEUE_KEYS.items():
        out.append(
            Binding(
                (keys or {}).get(binding_id, default),
                _ACTIONS[binding_id],
                pick((vi, en), lang),
                id=binding_id,
                show=False,  # the panel lists them itself: the footer is too narrow at 80
            )
        )
    return out


class _AskDialog(ModalScreen[str | None]):
    """One line of input: a ticket number, or the area/counter to transfer to."""

    DEFAULT_CSS = """
    _AskDialog { align: center middle; }
    _AskDialog > Vertical { width: 60; height: auto; border: thick $accent; padding: 1 2;
        background: $surface; }
    _AskDialog #ask-error { color: $error; }
    """
    BINDINGS = [Binding("escape", "cancel", "Hủy", id="queue.dialog.cancel")]  # noqa: RUF012

    def __init__(self, title: str, hint: str, check: Callable[[str], str | None]):
        super().__init__()
        self._title = title
        self._hint = hint
        self._check = check

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self._title, style="bold"))
            yield Static(self._hint)
            yield Input(id="ask-input")
            yield Static("", id="ask-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        problem = self._check(value)
        if problem:
            self.query_one("#ask-error", Static).update(problem)
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class QueuePanel(Widget, can_focus=True):
    """The counter's queue: what waits, what is being served, and the keys to move it."""

    DEFAULT_CSS = """
    QueuePanel { height: auto; border: round $primary; padding: 0 1; }
    QueuePanel:focus-within { border: round $accent; }
    QueuePanel #queue-current { text-style: bold; }
    QueuePanel #queue-status.error { color: $error; }
    """
    BINDINGS = queue_bindings()

    current_ticket: reactive[Ticket | None] = reactive(None)
    snapshot: reactive[QueueView | None] = reactive(None)
    status: reactive[str] = reactive("")
    hub_down: reactive[bool] = reactive(False)

    class CurrentChanged(Message):
        """The counter's current ticket changed (None: nobody at the counter)."""

        def __init__(self, ticket: Ticket | None):
            super().__init__()
            self.ticket = ticket

    def __init__(
        self,
        service: QueueService,
        *,
        lang: str = "vi",
        poll_seconds: float = 3.0,
        id: str | None = "queue-panel",
    ):
        super().__init__(id=id)
        self.service = service
        self.lang = lang
        self.poll_seconds = poll_seconds

    # -- public API for the main screen ------------------------------------------------

    @property
    def ticket_number(self) -> str:
        """The current ticket's number ('' if none): goes into DossierDraft.ticket."""
        t = self.current_ticket
        return t.number if t else ""

    def link_dossier(self, code: str) -> None:
        """Link a dossier just received from the current ticket (in the background)."""
        if self.current_ticket is not None and code:
            self._run("link", lambda: self.service.link_dossier(code))

    def reload(self) -> None:
        self._poll()

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(self._t("Hàng đợi", "Queue"), classes="title")
        yield Static(self._current_text(), id="queue-current")
        yield Static("", id="queue-waiting")
        yield Static("", id="queue-status")
        yield Static(self._keys_text(), id="queue-keys", classes="hint")

    def _keys_text(self) -> Text:
        """The queue keys as remapped, since the footer hides them (it has no room at 80)."""
        keymap = getattr(self.app, "_keymap", {})
        out = Text()
        for i, (binding_id, (default, vi, en)) in enumerate(QUEUE_KEYS.items()):
            key = str(keymap.get(binding_id) or default).split(",")[0]
            if i:
                out.append(" · ", style="dim")
            out.append(key.upper().replace("SHIFT+", "⇧"), style="bold")
            out.append(" " + self._t(vi, en))
        return out

    def on_mount(self) -> None:
        self._poll()
        if self.poll_seconds > 0:
            self.set_interval(self.poll_seconds, self._poll)

    def _t(self, vi: str, en: str) -> str:
        return pick((vi, en), self.lang)

    def _current_text(self) -> Text:
        t = self.current_ticket
        if t is None:
            return Text(self._t("Chưa gọi số nào", "No ticket called"))
        out = Text()
        out.append(self._t("Đang phục vụ số ", "Now serving "), style="bold")
        out.append(f" {t.number} ", style="bold reverse")
        out.append(f"  {t.status_label(self.lang)}")
        if t.priority:
            out.append(self._t("  · ưu tiên", "  · priority"), style="bold")
        if t.call_count > 1:
            out.append(self._t(f"  · gọi {t.call_count} lần", f"  · called {t.call_count}×"))
        if t.dossiers:
            out.append("  · " + ", ".join(t.dossiers))
        return out

    def _waiting_text(self) -> Text:
        v = self.snapshot
        if v is None:
            return Text("")
        out = Text()
        serves = self.service.settings.serves
        for prefix, n in v.waiting.items():
            if serves and prefix not in serves:
                continue
            prio = v.waiting_priority.get(prefix, 0)
            out.append(f"{prefix} ", style="bold")
            out.append(f"{n}" + (f" ({prio} ưt)" if prio else "") + "   ")
        if v.on_hold:
            out.append(self._t("\nTạm hoãn: ", "\nOn hold: "))
            out.append(", ".join(t.number for t in v.on_hold))
        return out

    def watch_current_ticket(self, old: Ticket | None, new: Ticket | None) -> None:
        if self.is_mounted:
            self.query_one("#queue-current", Static).update(self._current_text())
        if (old and old.id, old and old.status) != (new and new.id, new and new.status):
            self.post_message(self.CurrentChanged(new))

    def watch_snapshot(self) -> None:
        if self.is_mounted:
            self.query_one("#queue-waiting", Static).update(self._waiting_text())

    def watch_status(self, value: str) -> None:
        if self.is_mounted:
            widget = self.query_one("#queue-status", Static)
            widget.update(value)
            widget.set_class(self.hub_down or value.startswith("⚠"), "error")

    # -- background calls --------------------------------------------------------------

    @work(thread=True, exclusive=True, group="queue-poll")
    def _poll(self) -> None:
        try:
            view = self.service.view()
            current = self.service.current()
        except CounterError as exc:
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self._polled, view, current)

    def _polled(self, view: QueueView, current: Ticket | None) -> None:
        if self.hub_down:
            self.hub_down = False
            self.status = ""
        self.snapshot = view
        self.current_ticket = current

    def _failed(self, exc: CounterError) -> None:
        self.hub_down = isinstance(exc, HubUnavailable)
        if self.hub_down:
            self.status = "⚠ " + self._t(
                "Mất kết nối máy chủ hàng đợi — hồ sơ, in, tra cứu vẫn dùng được",
                "Queue hub unreachable — dossiers, printing and search still work",
            )
        else:
            self.status = "⚠ " + exc.message(self.lang)

    def _run(self, name: str, fn: Callable[[], Any], done: str = "") -> None:
        self._op(name, fn, done)

    @work(thread=True, group="queue-op")
    def _op(self, name: str, fn: Callable[[], Any], done: str) -> None:
        try:
            result = fn()
        except CounterError as exc:
            self.app.call_from_thread(self._failed, exc)
            return
        self.app.call_from_thread(self._done, name, result, done)

    def _done(self, name: str, result: Any, done: str) -> None:
        self.hub_down = False
        if name == "call_next" and result is None:
            self.status = self._t("Không còn ai chờ", "Nobody is waiting")
        elif isinstance(result, Ticket):
            self.status = done.format(number=result.number) if done else ""
        else:
            self.status = done
        self._poll()

    # -- actions -----------------------------------------------------------------------

    def action_queue_call_next(self) -> None:
        self._run(
            "call_next",
            self.service.call_next,
            self._t("Đã gọi số {number}", "Called {number}"),
        )

    def action_queue_recall(self) -> None:
        self._run("recall", self.service.recall, self._t("Gọi lại {number}", "Recalled {number}"))

    def action_queue_no_show(self) -> None:
        self._run(
            "no_show", self.service.no_show, self._t("{number}: vắng mặt", "{number}: no-show")
        )

    def action_queue_hold(self) -> None:
        self._run("hold", self.service.hold, self._t("{number}: tạm hoãn", "{number}: on hold"))

    def action_queue_finish(self) -> None:
        self._run("finish", self.service.finish, self._t("{number}: xong", "{number}: done"))

    def action_queue_transfer(self) -> None:
        if self.current_ticket is None:
            self.status = "⚠ " + self._t("Chưa gọi số nào", "No ticket called")
            return
        prefixes = [a.prefix for a in self.service.settings.areas_def]

        def check(value: str) -> str | None:
            v = value.upper()
            if v in prefixes or (v.isdigit() and 1 <= int(v) <= 99):
                return None
            return self._t(
                f"Nhập mã lĩnh vực ({', '.join(prefixes)}) hoặc số quầy 1–99",
                f"Enter an area ({', '.join(prefixes)}) or a counter 1–99",
            )

        def chosen(value: str | None) -> None:
            if not value:
                return
            v = value.upper()
            if v.isdigit():
                fn: Callable[[], Any] = lambda: self.service.transfer(counter=int(v))  # noqa: E731
            else:
                fn = lambda: self.service.transfer(area=v)  # noqa: E731
            self._run("transfer", fn, self._t(f"{{number}} → {v}", f"{{number}} → {v}"))

        areas = ", ".join(f"{a.prefix} {a.name}" for a in self.service.settings.areas_def)
        self.app.push_screen(
            _AskDialog(
                self._t("Chuyển số đang phục vụ", "Transfer the current ticket"),
                self._t(f"Lĩnh vực ({areas}) hoặc số quầy:", f"Area ({areas}) or counter:"),
                check,
            ),
            chosen,
        )

    def action_queue_call_number(self) -> None:
        def check(value: str) -> str | None:
            return None if value else self._t("Nhập số thứ tự, ví dụ A015", "Enter e.g. A015")

        def chosen(value: str | None) -> None:
            if not value:
                return
            v = value.upper()
            held = self.snapshot is not None and any(t.number == v for t in self.snapshot.on_hold)
            self._run(
                "call",
                lambda: self.service.call(v),
                self._t("Đã gọi số {number}", "Called {number}")
                + (self._t(" (từ tạm hoãn)", " (from hold)") if held else ""),
            )

        self.app.push_screen(
            _AskDialog(
                self._t("Gọi một số cụ thể", "Call a given number"),
                self._t(
                    "Số thứ tự (đang chờ, tạm hoãn hoặc vắng mặt):",
                    "Ticket (waiting, held or no-show):",
                ),
                check,
            ),
            chosen,
        )
