"""No key that types a character acts where a person may be typing: a walk over every binding.

Every class of the `screens` package (screens, dialogs, widgets) is found and each of its own
bindings checked: a key that types text (a letter, digit, space, punctuation) may only do
something harmless (open the search, tick a paper on the form being filled). Every other
binding id must be one `check-config` refuses to remap onto such a key, so no configuration
brings the class back. The F3 screen, whose r/k/c/m once retried, answered and moved print
jobs, is also attacked with every key a person might type.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import string
from pathlib import Path

from textual.binding import Binding
from textual.dom import DOMNode

import screens
from counter import spool
from counter.keymap import KEYS, NEEDS_MODIFIER, NO_TEXT_KEY, check_keymap, types_text
from screens.app import CounterApp
from screens.main import MainScreen
from screens.status import SystemStatusScreen
from tests.support.clock import FrozenClock
from tests.support.tui import uncertain_desk, wait_for

# Plain keys that are harmless, and why. Anything else on a key that types text fails.
TYPED_KEY_OK = {
    "app.search_slash": "opens the search screen; changes nothing (a field takes '/' first)",
    "docs.toggle": "ticks a paper on the form being filled; nothing is saved before Ctrl+S",
    "docs.more": "counts a paper on the form being filled",
    "docs.less": "counts a paper on the form being filled",
    "docs.form": "original/copy of a paper on the form being filled",
}
# Ids that change nothing whatever key they are on: moving, opening, closing, showing.
HARMLESS = {
    "app.help",
    "app.search",
    "app.palette",
    "app.today",
    "app.logout",  # the form in progress is kept as a draft
    "app.language",  # the form in progress is kept as a draft
    "app.quit",  # the form in progress is kept as a draft
    "app.status",
    "app.sync_now",  # sends what is already saved
    "app.supervisor",
    "app.focus_next",
    "app.focus_previous",
    "dossier.new",
    "main.refresh",
    "main.next_page",
    "main.prev_page",
    "form.kind",
    "form.representative",
    "form.cancel",  # keeps the draft
    "picker.down",
    "picker.up",
    "dossier.back",
    "receipt.close",
    "status.back",
    "search.next_page",
    "search.prev_page",
    "search.results",
    "search.back",
    "received.close",
    "modal.cancel",
    "help.close",
    "supervisor.refresh",
    "supervisor.back",
    "drilldown.back",
    "export.back",
    "kiosk.quit",
    "board.quit",
}


def _screen_classes() -> list[type[DOMNode]]:
    classes: dict[str, type[DOMNode]] = {}
    for info in pkgutil.iter_modules([str(Path(screens.__file__).parent)]):
        module = importlib.import_module(f"screens.{info.name}")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, DOMNode) and cls.__module__.startswith("screens."):
                classes[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return list(classes.values())


def _own_bindings() -> list[tuple[str, Binding]]:
    found = []
    for cls in _screen_classes():
        for item in cls.__dict__.get("BINDINGS", []):
            binding = item if isinstance(item, Binding) else Binding(*item)
            found.append((cls.__qualname__, binding))
    return found


def test_the_walk_finds_the_screens_and_their_bindings() -> None:
    """The walk itself: it must see the screens whose keys matter (else it proves nothing)."""
    names = {owner for owner, _b in _own_bindings()}
    assert {"CounterApp", "IntakeScreen", "DossierScreen", "SystemStatusScreen"} <= names
    assert {"ReceivedModal", "ActionForm", "DocumentList", "SearchScreen"} <= names
    assert len(_own_bindings()) >= 50


def test_no_key_that_types_text_acts_on_any_screen() -> None:
    wrong = [
        f"{owner}: {key!r} → {binding.action} ({binding.id})"
        for owner, binding in _own_bindings()
        for key in binding.key.split(",")
        if types_text(key.strip()) and binding.id not in TYPED_KEY_OK
    ]
    assert wrong == [], "a typed character would act here:\n" + "\n".join(wrong)


def test_every_acting_id_is_guarded() -> None:
    """An id that acts must be one `[keys]` cannot put on a key that types text. (An id outside
    the table cannot be remapped at all: `check-config` refuses unknown ids.)"""
    unguarded = []
    for owner, binding in _own_bindings():
        if binding.id not in KEYS or binding.id in HARMLESS | set(TYPED_KEY_OK):
            continue
        if binding.id not in NEEDS_MODIFIER | NO_TEXT_KEY:
            unguarded.append(f"{owner}: {binding.id}")
    assert unguarded == [], "acting ids a config could put on a letter:\n" + "\n".join(unguarded)


def test_check_config_refuses_a_typed_key_for_every_acting_id() -> None:
    for binding_id in sorted(NEEDS_MODIFIER | NO_TEXT_KEY):
        for key in ("x", "5", "space", "slash", "shift+x"):
            problems = check_keymap({binding_id: key})
            assert any(p.startswith(f"[keys] {binding_id}:") for p in problems), (binding_id, key)
    assert check_keymap({"status.cancel": "ctrl+delete"}) == []
    assert check_keymap({"status.retry": "f5"}) == []


def test_types_text() -> None:
    assert all(types_text(k) for k in ("a", "z", "0", "space", "slash", "plus", "shift+a"))
    assert not any(
        types_text(k) for k in ("enter", "delete", "escape", "tab", "f3", "ctrl+r", "alt+k")
    )


STRAY = [*string.ascii_letters, *string.digits, *(c for c in string.punctuation if c != "/")]
STRAY += [*"ăâđêôơưáàảãạếềểễệ", "space"]


async def test_typing_on_the_status_screen_changes_no_print_job(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """F3 with two jobs waiting for "did it print?": every typed key leaves both as they are
    (the old r/c/k/m among them), and the modifier keys still work."""
    desk, (first, second) = uncertain_desk(tmp_path, clock)
    app = CounterApp(desk)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, SystemStatusScreen))
        jobs = desk.store.conn.execute("SELECT * FROM print_jobs ORDER BY id").fetchall()
        audit = desk.store.conn.execute("SELECT count(*) FROM audit").fetchone()[0]
        for key in STRAY:
            await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, SystemStatusScreen)
        assert desk.store.conn.execute("SELECT * FROM print_jobs ORDER BY id").fetchall() == jobs
        assert desk.store.conn.execute("SELECT count(*) FROM audit").fetchone()[0] == audit
        await pilot.press("ctrl+y")
        await wait_for(pilot, lambda: spool.get_job(desk.store, first).status == "sent")
        assert spool.get_job(desk.store, second).status == "uncertain"
