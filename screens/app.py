"""The counter's Textual app: screens, app-wide keys, command palette, and the scanner.

The barcode scanner is handled here, before any screen sees the keys, so a receipt scanned on
any screen (even into a focused field) opens its dossier.

Above 500 lines on purpose: the app is where screens meet (app-wide keys, the scanner's
routing, the palette, building the next form ahead, the workers' lifecycle), and each of those
is a handful of methods on the App itself that Textual calls; the standalone parts already
live in scan.py, palette.py, keygate.py and footer.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App, SystemCommand
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Input

from counter.backup import DailyBackup
from counter.config import Config
from counter.desk import Desk
from counter.dossiers import Dossier
from counter.errors import CounterError, NotFound
from counter.idcard import IdCard, find_id_card_qr
from counter.queue_client import QueueService, open_queue
from screens.collector import QuietCollector
from screens.dossier import DossierScreen
from screens.i18n import tr
from screens.intake import IntakeScreen
from screens.keygate import KeyGate
from screens.keys import KEYS, bind, translate_bindings
from screens.login import LoginScreen
from screens.main import MainScreen
from screens.modals import ActionMenu, HelpScreen, MenuItem
from screens.palette import FoldedSystemCommands
from screens.queue_panel import QueuePanel
from screens.scan import Scan, find_scan, in_url, looks_like_qr, looks_scanned
from screens.search import SearchScreen
from screens.status import SystemStatusScreen
from screens.terminal import quit_when_terminal_closes

if TYPE_CHECKING:
    from textual.widgets import TextArea

    from counter.retention import CleanupWorker
    from counter.stats import QueueFiguresProvider
    from counter.sync import SyncWorker
    from printing.spool_worker import SpoolWorker

__all__ = ["KEYS", "CounterApp", "run_app"]

_NEEDS_LOGIN = {
    "search",
    "today",
    "logout",
    "new_dossier",
    "status",
    "sync_now",
    "supervisor",
    "export",
}

log = logging.getLogger("screens.app")


class CounterApp(App[None]):
    """One officer at one counter, all day, keyboard first."""

    CSS_PATH = Path(__file__).with_name("counter.tcss")  # absolute: subclasses live elsewhere
    TITLE = "counter"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012
    COMMANDS = {FoldedSystemCommands}  # noqa: RUF012
    # Seconds a screen has to settle before the next intake form is built behind it.
    PREBUILD_DELAY_S = 0.15
    # Seconds without a key after which a due full collection runs (screens/collector.py).
    COLLECT_IDLE_S = 5.0
    BINDINGS = [  # noqa: RUF012
        bind("app.help", "help", key_display="F1"),
        bind("app.search", "search", priority=True, key_display="^F"),
        bind("app.search_slash", "search", show=False),
        bind("app.palette", "command_palette", show=False, priority=True),
        bind("app.today", "today", show=False),
        bind("app.logout", "logout", show=False),
        bind("app.language", "switch_language", show=False),
        bind("app.quit", "quit", show=False, priority=True),
        bind("app.status", "status", show=False),
        bind("app.sync_now", "sync_now", show=False),
        bind("app.supervisor", "supervisor", show=False),
        # Tab moves the focus at once, before the keys after it are delivered. Textual's own
        # Tab binding (on the screen) acts only after the key has bubbled up from the field,
        # so a burst such as "canbo<Tab>1234<Enter>" (a password manager, a remote terminal,
        # a scanner that ends with Tab) typed everything into the first field.
        bind("app.focus_next", "app.focus_next", show=False, priority=True),
        bind("app.focus_previous", "app.focus_previous", show=False, priority=True),
    ]

    def __init__(
        self,
        desk: Desk,
        lang: str = "vi",
        *,
        background: bool = False,
        queue: QueueService | None = None,
        quiet_gc: bool = False,
    ) -> None:
        """`background` starts the print spool and sync workers (run_app does; tests choose);
        `queue` docks the queue panel on the main screen (local engine or the centre hub);
        `quiet_gc` runs Python's full collections between citizens (screens/collector.py;
        run_app does, and the bench that measures it)."""
        super().__init__()
        self.desk = desk
        self.queue = queue
        self.lang = lang if lang in ("vi", "en") else "vi"
        self.scan_buffer = ""
        self.background = background
        self.spool_worker: SpoolWorker | None = None
        self.sync_worker: SyncWorker | None = None
        self._key_gate = KeyGate(self, self._deliver_key)
        self._next_form: IntakeScreen | None = None  # built ahead: see prebuild_intake
        self._next_form_lang = self.lang
        self._dropping: set[asyncio.Task[None]] = set()  # forms removed once built: _drop_form
        self._retired: list[str] = []  # screens left, removed between citizens: retire
        self.backup_worker: DailyBackup | None = None
        # Idle logout: a counter PC left logged in lets anyone at the desk act as the officer.
        self.idle_clock: Callable[[], float] = time.monotonic
        self.last_input = self.idle_clock()
        self.cleanup_worker: CleanupWorker | None = None
        self.collector = QuietCollector() if quiet_gc else None
        translate_bindings(self, self.lang)

    # -- background workers: the print spool and sync never block a keypress ---------------

    def _start_workers(self) -> None:
        # Imported here, not at the top: the print pipeline and the HTTP client are the
        # heaviest imports of the app and are needed only once the first screen is up.
        from counter.retention import CleanupWorker
        from printing.spool_worker import SpoolWorker

        config = self.desk.config
        self.spool_worker = SpoolWorker(config, on_change=lambda _results: self._from_worker())
        self.spool_worker.start()
        self.backup_worker = DailyBackup(config).start()
        if config.portal.url:
            from counter.sync import SyncWorker  # the HTTP client: only with a portal

            self.sync_worker = SyncWorker(
                config, on_status=lambda _status: self._from_worker()
            ).start()
        # Retention: a minute after start, then every 6 hours (counter/retention.py).
        self.cleanup_worker = CleanupWorker(config).start()

    def _from_worker(self) -> None:
        """Called in a worker thread; the app may be closing, which is no error."""
        if not self.is_running:
            return
        try:
            self.call_from_thread(self.refresh_status)
        except Exception:
            log.warning("status refresh from a worker failed", exc_info=True)

    async def action_quit(self) -> None:
        self._keep_drafts()
        await super().action_quit()

    def on_unmount(self) -> None:
        if self.collector is not None:
            self.collector.stop()
        # Daemon threads: a job cut short by quitting comes back uncertain at the next start
        # (F3 asks whether it printed), never resent behind the officer's back.
        if self.spool_worker is not None:
            self.spool_worker.stop(timeout=1.0)
        if self.sync_worker is not None:
            self.sync_worker.stop(timeout=1.0)
        if self.backup_worker is not None:
            self.backup_worker.stop(timeout=1.0)
        if self.cleanup_worker is not None:
            self.cleanup_worker.stop(timeout=1.0)

    def reprint_receipt(self, dossier: Dossier) -> None:
        """Queue the receipt again ("BẢN IN LẠI") and wake the spool; say what happened."""
        try:
            job = self.desk.reprint(dossier.uuid)
        except CounterError as exc:
            self.notify(exc.message(self.lang), severity="error")
            return
        self.wake_printer()
        self.notify(self.t("receipt.reprinted", job=job), timeout=3)

    def wake_printer(self) -> None:
        if self.spool_worker is not None:
            self.spool_worker.wake()

    def refresh_status(self) -> None:
        """A worker finished a round: redraw what shows printer and sync state."""
        if not self.screen_stack:
            return
        screen = self.screen
        if isinstance(screen, MainScreen):
            screen.update_status()
        elif isinstance(screen, SystemStatusScreen):
            screen.reload()

    def action_status(self) -> None:
        if not isinstance(self.screen, SystemStatusScreen):
            self.push_screen(SystemStatusScreen())

    def _queue_figures(self) -> QueueFiguresProvider | None:
        from counter.queue_reports import figures_provider

        return figures_provider(self.queue) if self.queue is not None else None

    def action_supervisor(self) -> None:
        """Today at a glance (supervisors only; others see the refusal on the screen)."""
        from screens.supervisor import SupervisorScreen

        self.push_screen(
            SupervisorScreen(
                self.desk,
                open_dossier=self._open_dossier_soon,
                open_export=self.action_export,
                queue_figures=self._queue_figures(),
                lang=self.lang,
            )
        )

    def _open_dossier_soon(self, dossier_uuid: str) -> None:
        self.run_worker(self.open_dossier_uuid(dossier_uuid))

    def action_export(self) -> None:
        from counter.queue_reports import log_provider
        from screens.export_screen import ExportScreen

        queue_log = log_provider(self.queue) if self.queue is not None else None
        self.push_screen(
            ExportScreen(
                self.desk, queue_figures=self._queue_figures(), queue_log=queue_log, lang=self.lang
            )
        )

    def action_sync_now(self) -> None:
        if not self.desk.config.portal.url:
            self.notify(self.t("app.sync_not_configured"), severity="warning", timeout=4)
            return
        if self.sync_worker is not None:
            self.sync_worker.sync_now()
        self.notify(self.t("app.sync_started"), timeout=2)

    def idle_expired(self) -> bool:
        """An officer is logged in and no key, click or paste came for `[auth]
        idle_logout_minutes`."""
        minutes = self.desk.config.auth.idle_logout_minutes
        return (
            bool(minutes)
            and self.desk.officer is not None
            and self.idle_clock() - self.last_input >= minutes * 60
        )

    async def logout_if_idle(self) -> None:
        """Log out an idle officer (checked every 15 s)."""
        if self.idle_expired():
            await self.action_logout()
            minutes = self.desk.config.auth.idle_logout_minutes
            self.notify(self.t("app.idle_logout", minutes=minutes), timeout=10)

    def _idle_tick(self) -> None:
        if self.idle_expired():
            self.run_worker(self.logout_if_idle(), group="idle-logout", exclusive=True)

    def on_ready(self) -> None:
        gc.enable()  # `counter` held the collector off while starting (counter_cli/apps.py)

    def on_mount(self) -> None:
        if self.desk.config.auth.idle_logout_minutes:
            self.set_interval(15, self._idle_tick)
        self.set_interval(self.COLLECT_IDLE_S, self._collect_if_idle)
        self.set_keymap(dict(self.desk.config.keys))
        if self.background:
            self.call_after_refresh(self._start_workers)
            quit_when_terminal_closes(self)
        self.title = tr(self.lang, "app.title")
        if self.desk.officer is None:
            self.push_screen(LoginScreen())
        else:
            self.push_screen(MainScreen())

    def t(self, key: str, **values: object) -> str:
        return tr(self.lang, key, **values)

    # -- screens ---------------------------------------------------------------------------

    def after_login(self) -> None:
        self.scan_buffer = ""
        self.switch_screen(MainScreen())

    def _keep_drafts(self) -> None:
        """A form about to close keeps what it holds (its officer is still logged in)."""
        for screen in self.screen_stack:
            if isinstance(screen, IntakeScreen):
                screen.keep_draft()

    async def _pop_to_base(self) -> None:
        self._keep_drafts()
        while len(self.screen_stack) > 2:
            await self.pop_screen()

    async def _pop_modals(self) -> None:
        while isinstance(self.screen, ModalScreen) and len(self.screen_stack) > 2:
            await self.pop_screen()

    async def open_dossier(self, dossier: Dossier) -> None:
        """Show one dossier on top of where the officer is (replacing an open dossier)."""
        await self._pop_modals()
        if isinstance(self.screen, DossierScreen):
            await self.switch_screen(DossierScreen(dossier))
        else:
            await self.push_screen(DossierScreen(dossier))

    async def open_dossier_uuid(self, dossier_uuid: str) -> None:
        try:
            dossier = self.desk.get(dossier_uuid)
        except NotFound as exc:
            self.notify(exc.message(self.lang), severity="error")
            return
        await self.open_dossier(dossier)

    def current_ticket(self) -> str:
        """The queue ticket being served at this counter ('' without a queue or ticket)."""
        panel = self._queue_panel()
        return panel.ticket_number if panel is not None else ""

    def link_ticket(self, dossier: Dossier) -> None:
        panel = self._queue_panel()
        if panel is not None and dossier.ticket:
            panel.link_dossier(dossier.code)

    def _queue_panel(self) -> QueuePanel | None:
        for screen in self.screen_stack:
            found = screen.query(QueuePanel)
            if found:
                return found.first()
        return None

    def after_received(self, dossier: Dossier, choice: str | None) -> None:
        """What the officer chose on the "received" dialog: the next citizen (the queue's
        next number is called and a fresh form opens), the dossier, or back to the list."""
        if choice == "next":
            panel = self._queue_panel()
            if panel is not None:
                panel.action_queue_call_next()
            replacement: Screen[Any] = self.intake_screen()
        elif choice == "open":
            replacement = DossierScreen(dossier)
        else:
            if isinstance(self.screen, IntakeScreen):
                self.retire(self.screen)
                self.pop_screen()
            return
        if isinstance(self.screen, IntakeScreen):
            self.retire(self.screen)
            self.switch_screen(replacement)
        else:
            self.push_screen(replacement)

    # -- app-wide actions ------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in _NEEDS_LOGIN and self.desk.officer is None)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen(self.screen))

    async def action_search(self) -> None:
        if isinstance(self.screen, SearchScreen):
            self.screen.focus_input()
            return
        await self._pop_modals()
        await self.push_screen(SearchScreen())

    async def action_today(self) -> None:
        await self._pop_to_base()
        if not isinstance(self.screen, MainScreen):
            await self.switch_screen(MainScreen())

    def action_new_dossier(self) -> None:
        if not isinstance(self.screen, IntakeScreen):
            self.push_screen(self.intake_screen())

    def intake_screen(self, card: IdCard | None = None) -> IntakeScreen:
        """A new intake form (with the officer's kept draft, if any).

        Building the form (about a hundred widgets) is most of the time between F2 and the
        first key landing, so the next form is built ahead of time, while the officer is on
        the list or reading the "received" dialog (`prebuild_intake`), and taken here. Each
        citizen still gets a form of their own: a form kept installed between citizens held
        on to every "received" dialog shown over it (a soak of 30 dossiers grew Textual's
        render caches by tens of thousands of entries)."""
        screen, self._next_form = self._next_form, None
        if screen is None or self.lang != self._next_form_lang:
            if screen is not None:
                self._drop_form(screen)
            screen = IntakeScreen()
        screen.card = card
        return screen

    def prebuild_intake(self) -> None:
        """Build the next intake form now, off screen, unless one is ready or nobody is
        logged in. Called when the officer has a moment (the list, the "received" dialog)."""
        if self.desk.officer is None or not self.is_running:
            return
        if self._next_form is not None:
            if self._next_form.is_mounted:
                self.between_citizens()  # built already: the moment is still a moment
            return
        if isinstance(self.screen, IntakeScreen) and not self.screen.saved:
            return  # the officer is typing: the build would hold their keys
        if self.collector is not None:
            self.collector.start()  # once: freezes what start-up built, before any form
        screen = IntakeScreen()
        screen.prebuilt = True
        self._next_form, self._next_form_lang = screen, self.lang
        self._load_screen_css(screen)
        self._register(self, screen)

    def retire(self, screen: Screen[Any]) -> None:
        """Keep `screen` (a saved form, the "received" dialog) from being removed as the
        officer leaves it; it is removed between citizens (`between_citizens`). Textual
        removes a screen popped or switched away in the same turn as the next one is shown:
        tearing down a hundred widgets, then a reflow and a second drawing of the new form
        (a removed screen relays out the app), while the officer waits for the fresh form."""
        name = f"retired-{id(screen)}"
        if screen.is_attached and not self.is_screen_installed(screen):
            self.install_screen(screen, name)
            self._retired.append(name)

    def _drop_retired(self) -> None:
        for name in list(self._retired):
            screen = self.get_screen(name)
            if any(screen in stack for stack in self._screen_stacks.values()):
                continue  # shown again (a dialog over it), dropped next time
            self._retired.remove(name)
            self.uninstall_screen(name)
            with contextlib.suppress(Exception):  # the app closing underneath
                screen.remove()

    def between_citizens(self) -> None:
        """The next form is built and laid out, the officer is on the list or the "received"
        dialog: the moment to remove the screens of the last citizen and, if one is due, for
        a full collection, unless a key is waiting."""
        if not self._key_gate.open:
            return
        self._drop_retired()
        if self.collector is not None:
            self.collector.collect_if_due()

    def _collect_if_idle(self) -> None:
        if self.idle_clock() - self.last_input >= self.COLLECT_IDLE_S:
            self.between_citizens()

    def prebuild_intake_soon(self) -> None:
        """After the screen now opening has settled, so its first keys never wait for it."""
        self.set_timer(self.PREBUILD_DELAY_S, self.prebuild_intake)

    def _drop_form(self, screen: IntakeScreen) -> None:
        """Remove a form that will not be shown, once its build has ended.

        A form built ahead composes and mounts its hundred widgets in tasks of their own.
        Removed halfway, a Select mounts after its children were pruned and the app crashes
        ("No nodes match '#label' on SelectCurrent"). The screen's mounted event is set only
        when every widget under it has mounted, so the removal waits for it."""
        if screen.is_mounted:
            with contextlib.suppress(Exception):  # the app closing underneath
                screen.remove()
            return
        task = asyncio.create_task(self._drop_when_built(screen), name="drop built-ahead form")
        self._dropping.add(task)
        task.add_done_callback(self._dropping.discard)

    async def _drop_when_built(self, screen: IntakeScreen) -> None:
        await screen._mounted_event.wait()
        with contextlib.suppress(Exception):
            await screen.remove()

    async def _shutdown(self) -> None:
        """As the app exits Textual stops starting widgets, so a form still being built
        (the officer quit right after the list appeared) would mount half-built and crash,
        for the reason in `_drop_form`: its build, a few milliseconds, ends first."""
        waits: list[asyncio.Future[Any]] = list(self._dropping)
        form = self._next_form
        if form is not None and not form.is_mounted:
            waits.append(asyncio.ensure_future(form._mounted_event.wait()))
        if waits:
            await asyncio.wait(waits, timeout=5)
        await super()._shutdown()

    def _drop_next_form(self) -> None:
        """Logout or a language change: the form built for that moment no longer fits."""
        screen, self._next_form = self._next_form, None
        if screen is not None:
            self._drop_form(screen)

    async def action_logout(self) -> None:
        self._keep_drafts()
        self._drop_next_form()
        self._drop_retired()
        self.desk.logout()
        self.scan_buffer = ""
        await self._pop_to_base()
        await self.switch_screen(LoginScreen())
        self.notify(self.t("app.logged_out"), timeout=3)

    async def action_switch_language(self) -> None:
        """Switch vi ⇄ en; the screens are rebuilt so every label follows."""
        self.lang = "en" if self.lang == "vi" else "vi"
        translate_bindings(self, self.lang)
        self.title = self.t("app.title")
        form_open = any(isinstance(s, IntakeScreen) for s in self.screen_stack)
        await self._pop_to_base()
        await self.switch_screen(MainScreen() if self.desk.officer else LoginScreen())
        if form_open and self.desk.officer is not None:
            await self.push_screen(self.intake_screen())  # the draft comes back with it
        self.notify(self.t("app.lang_switched"), timeout=3)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        t = self.t
        if self.desk.officer is not None:
            yield SystemCommand(t("cmd.new"), t("cmd.new.help"), self.action_new_dossier)
            yield SystemCommand(t("cmd.search"), t("cmd.search.help"), self.action_search)
            yield SystemCommand(t("cmd.today"), t("cmd.today.help"), self.action_today)
            yield SystemCommand(t("cmd.status"), t("cmd.status.help"), self.action_status)
            yield SystemCommand(t("cmd.sync"), t("cmd.sync.help"), self.action_sync_now)
            if self.desk.officer.is_supervisor:
                yield SystemCommand(
                    t("cmd.supervisor"), t("cmd.supervisor.help"), self.action_supervisor
                )
                yield SystemCommand(t("cmd.export"), t("cmd.export.help"), self.action_export)
            yield SystemCommand(t("cmd.logout"), t("cmd.logout.help"), self.action_logout)
        yield SystemCommand(t("cmd.language"), t("cmd.language.help"), self.action_switch_language)
        yield SystemCommand(t("cmd.help"), t("cmd.help.help"), self.action_help)
        yield SystemCommand(t("cmd.quit"), t("cmd.quit.help"), self.action_quit)

    # -- the barcode scanner ---------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown | events.Paste):
            self.last_input = self.idle_clock()
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self._key_gate.hold(event):
                return
            await self._deliver_key(event)
            self._key_gate.close()
            return
        if isinstance(event, events.Paste) and not event.is_forwarded:
            self.scan_buffer = (self.scan_buffer + event.text.strip())[-500:]
        await super().on_event(event)

    async def _deliver_key(self, event: events.Key) -> None:
        """One key, in order: the scanner sees it first, then bindings and the focused field."""
        if self.desk.officer is not None and await self._scanner_key(event):
            return
        await super().on_event(event)

    async def _scanner_key(self, event: events.Key) -> bool:
        """Feed one key to the scan buffer; True when the key was consumed by a scan."""
        if event.key in ("enter", "tab"):
            buffer, self.scan_buffer = self.scan_buffer, ""
            scan = find_scan(buffer, self.desk.config.agency.code)
            if event.key == "tab" and (scan is None or scan.dossier_uuid is None):
                # Some scanners end with Tab instead of Enter. Only a whole receipt URL
                # counts then (nobody types one): an officer's Tab just moves on.
                return False
            if scan is None:
                if in_url(buffer):
                    self.notify(self.t("app.not_found_scan", code=buffer), severity="error")
                    return True
                card = find_id_card_qr(buffer, today=self.desk.now().date())
                if card is not None:
                    self._remove_scanned(card[0])
                    self.scanned_card(card[1])
                    return True
                if looks_like_qr(buffer):
                    self._remove_scanned(buffer)
                    self.notify(self.t("app.unknown_scan"), severity="warning", timeout=4)
                    return True
                return False
            self._remove_scanned(scan.text)
            await self.open_scan(scan)
            return True
        if event.is_printable and event.character:
            self.scan_buffer = (self.scan_buffer + event.character)[-500:]
            # While a URL is being scanned its letters must not trigger screen keys.
            return in_url(self.scan_buffer) and not isinstance(self.focused, _text_fields())
        if event.key not in ("shift", "capslock"):
            self.scan_buffer = ""
        return False

    def scanned_card(self, card: IdCard) -> None:
        """A chip ID card was scanned: it fills the intake form's applicant; anywhere else the
        officer chooses between a new dossier for that person and a search for them."""
        screen = self.screen
        if isinstance(screen, IntakeScreen):
            screen.call_later(screen.fill_from_card, card)
            return
        items = [
            MenuItem("new", "1", self.t("card.new")),
            MenuItem("search", "2", self.t("card.search")),
        ]

        def chosen(choice: str | None) -> None:
            if choice == "new":
                self.run_worker(self._new_dossier_for(card))
            elif choice == "search":
                self.run_worker(self._search_for(card.number))

        title = self.t("card.title", name=card.name)
        self.push_screen(ActionMenu(title, items), chosen)

    async def _new_dossier_for(self, card: IdCard) -> None:
        await self._pop_modals()
        if isinstance(self.screen, IntakeScreen):
            self.screen.fill_from_card(card)
            return
        await self.push_screen(self.intake_screen(card))

    async def _search_for(self, query: str) -> None:
        await self._pop_modals()
        if isinstance(self.screen, SearchScreen):
            await self.switch_screen(SearchScreen(query))
        else:
            await self.push_screen(SearchScreen(query))

    def _remove_scanned(self, text: str) -> None:
        """Take the scanned text back out of the field it was typed into. A scanner's keys
        may still be queued at the field when the scan is recognised, so this runs from the
        field's own queue, after them."""
        focused = self.focused
        if isinstance(focused, _text_fields()):
            focused.call_later(_strip_tail, focused, text)

    async def open_scan(self, scan: Scan) -> None:
        dossier = None
        if scan.dossier_uuid:
            try:
                dossier = self.desk.get(scan.dossier_uuid)
            except NotFound:
                dossier = None
        if dossier is None:
            try:
                dossier = self.desk.by_code(scan.code)
            except NotFound:
                self.notify(self.t("app.not_found_scan", code=scan.code), severity="error")
                return
        await self.open_dossier(dossier)

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        """A lookup URL that reached an Input some other way (pasted, typed) opens too."""
        if self.desk.officer is None or not looks_scanned(event.value):
            return
        scan = find_scan(event.value.strip(), self.desk.config.agency.code)
        if scan is not None:
            event.input.value = ""
            await self.open_scan(scan)


def _text_fields() -> tuple[type[Widget], ...]:
    """The fields a scanner types into: Input, and TextArea once something has loaded it (no
    TextArea exists before; only a form with a multi-line field needs it, and importing it
    cost the start 6 ms)."""
    area = sys.modules.get("textual.widgets._text_area")
    return (Input,) if area is None else (Input, area.TextArea)


def _strip_tail(field: Input | TextArea, text: str) -> None:
    if isinstance(field, Input):
        if field.value.endswith(text):
            field.value = field.value[: len(field.value) - len(text)]
    elif field.text.endswith(text):
        field.text = field.text[: len(field.text) - len(text)]


def run_app(config: Config, lang: str | None = None) -> None:
    """Open the store, add demo data on a first run if configured, run until the officer quits."""
    from counter.demo import seed_demo
    from counter.logs import setup_file_logging

    setup_file_logging(config.data_dir)
    log.info("counter app starting")
    desk = Desk.open(config)
    try:
        if config.counter.demo_data and not desk.has_officers():
            seed_demo(desk)
        queue = open_queue(config)
        try:
            CounterApp(
                desk,
                lang=lang or config.counter.language,
                background=True,
                queue=queue,
                quiet_gc=True,
            ).run()
        finally:
            queue.close()
    finally:
        desk.close()
