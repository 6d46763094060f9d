"""Test configs: a counter config in a temp folder and the calendar overrides of config.toml."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from counter.config import Config, HolidayOverrides, parse_config

# The overrides shipped in config.toml: make-up Saturdays the `holidays` package does not know.
HOLIDAY_OVERRIDES = {
    "2025": {"working_days": ["2025-04-26"]},
    "2026": {"working_days": ["2026-08-22"]},
}
# The same overrides, parsed, for tests that build a `WorkCalendar` directly.
CALENDAR_OVERRIDES = {
    2025: HolidayOverrides(working_days=frozenset({date(2025, 4, 26)})),
    2026: HolidayOverrides(working_days=frozenset({date(2026, 8, 22)})),
}


def make_config(tmp_path: Path, **sections: dict[str, Any]) -> Config:
    """A counter config with its data and receipts under `tmp_path`; `sections` override keys."""
    raw: dict[str, Any] = {
        "counter": {"data_dir": str(tmp_path / "data"), "number": 3, "demo_data": False},
        "holidays": HOLIDAY_OVERRIDES,
        "printer": {"transport": "preview", "target": str(tmp_path / "receipts")},
    }
    for name, values in sections.items():
        raw.setdefault(name, {}).update(values)
    return parse_config(raw, source=tmp_path / "config.toml")
