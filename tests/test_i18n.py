"""The one home of translations: the core and the screens read the same table, every entry
is whole, and no module picks its own half of a (vi, en) pair."""

from __future__ import annotations

import re
import string
from pathlib import Path

import counter.i18n
import screens.i18n
from counter import dossiers, stats, timeliness
from counter.i18n import (
    DIMENSION_LABELS,
    LANGS,
    PAYMENT_STATE_LABELS,
    TEXT,
    TIMELINESS_LABELS,
    pick,
    tr,
    weekday,
)

ROOT = Path(__file__).resolve().parent.parent
# Modules of engineers working on them in parallel this round (#17): their pickers move to
# `pick` when those branches land. The list may only shrink.
NOT_YET_MOVED = {
    "counter/timeutil.py",
    "counter/catalogue.py",
    "counter/stats.py",  # worded labels with a date inside, not a pair
    "screens/intake.py",
    "screens/main.py",
    "screens/kiosk.py",
}
CHOOSER = re.compile(r'lang\s*==\s*"en"')


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_screens_and_core_share_one_table() -> None:
    assert screens.i18n.TEXT is counter.i18n.TEXT
    assert screens.i18n.tr is counter.i18n.tr
    # the core's label tables are read where they always were, from the one home
    assert timeliness.LABELS is TIMELINESS_LABELS
    assert dossiers.PAYMENT_STATES is PAYMENT_STATE_LABELS
    assert stats.DIMENSIONS is DIMENSION_LABELS


def test_every_entry_has_both_languages_and_the_same_placeholders() -> None:
    tables = (TEXT, TIMELINESS_LABELS, PAYMENT_STATE_LABELS, DIMENSION_LABELS)
    for key, (vi, en) in (item for table in tables for item in table.items()):
        assert vi.strip() and en.strip(), key
        # a placeholder in one half only would raise KeyError on the screen in that language
        assert _fields(vi) == _fields(en), key


def test_pick_and_tr_choose_english_only_when_asked() -> None:
    assert pick(("Có", "Yes"), "en") == "Yes"
    assert pick(("Có", "Yes"), "vi") == "Có"
    assert pick(("Có", "Yes"), "fr") == "Có"  # an unknown language falls back to Vietnamese
    assert tr("vi", "app.counter", n=3) == "Quầy số 3"
    assert tr("en", "app.counter", n=3) == "Counter 3"
    assert tr("en", "no.such.key") == "no.such.key"  # visible, never a crash
    assert [weekday("vi", i) for i in (0, 6)] == ["Thứ Hai", "Chủ Nhật"]
    assert [weekday("en", i) for i in (0, 6)] == ["Monday", "Sunday"]
    assert LANGS == ("vi", "en")


def test_no_module_chooses_its_own_language_half() -> None:
    """The class of scattered pairs: a new `x.en if lang == "en" else x.vi` fails here."""
    offenders = []
    for folder in ("counter", "screens", "printing", "portal", "counter_cli"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel == "counter/i18n.py" or rel in NOT_YET_MOVED:
                continue
            if CHOOSER.search(path.read_text(encoding="utf-8")):
                offenders.append(rel)
    assert offenders == [], f"use counter.i18n.pick/tr instead in {offenders}"
