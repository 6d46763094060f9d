"""The one reader of TOML tables: config.toml's sections, `[queue]`, the procedure catalogue.

Every value is converted and checked here, and every problem is collected (never the first
only) in one wording: where (the section or entry), the key, what was expected, what was
found. The caller puts the file's name in front (`ConfigError`, `CatalogueError`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import time
from typing import Any, TypeVar

from counter.timeutil import parse_time_of_day

_T = TypeVar("_T")
_D = TypeVar("_D")

KIND_NAMES: dict[type, str] = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    list: "a list",
    dict: "a table",
}


class TableReader:
    """Reads one TOML table, appending each problem to a shared list and using the default.

    `where` names the table as the file's reader sees it ("[queue]", "[[queue.area]] #2",
    "procedure #3 (1.001193):"); `key_style` says how a key follows it: "{where} {key}"
    (config.toml's style) or "{where} key {key!r}" (the catalogue's).
    """

    def __init__(
        self,
        table: Mapping[str, Any],
        where: str,
        problems: list[str],
        *,
        key_style: str = "{where} {key}",
    ):
        self.table = table
        self.where = where
        self.problems = problems
        self.key_style = key_style

    # -- reporting --

    def name(self, key: str) -> str:
        """How a key of this table is named in a problem."""
        return self.key_style.format(where=self.where, key=key)

    def fail(self, key: str, expected: str) -> None:
        """A problem with one key: '<where> <key>: <expected>'."""
        self.problems.append(f"{self.name(key)}: {expected}")

    def fail_table(self, expected: str) -> None:
        """A problem with the table as a whole: '<where>: <expected>'."""
        self.problems.append(f"{self.where.rstrip(':')}: {expected}")

    def unknown_keys(self, known: Collection[str], *, style: str = "known") -> None:
        """Name every key the table should not have (a typo would otherwise be ignored)."""
        listed = ", ".join(sorted(known) if style == "known" else known)
        for key in self.table:
            if key not in known:
                if style == "known":
                    self.fail(key, f"unknown key (known: {listed})")
                else:
                    self.fail(key, f"unknown key; expected one of {listed}")

    # -- values --

    def has(self, key: str) -> bool:
        return key in self.table

    def raw(self, key: str, default: Any = None) -> Any:
        """The value as TOML gave it (for checks the typed readers below do not cover)."""
        return self.table.get(key, default)

    def typed(self, key: str, kind: type[_T], default: _T, what: str | None = None) -> _T:
        """The value if it is a `kind` (an int is a float; a bool is not an int), else the
        default and a problem naming what was expected."""
        if key not in self.table:
            return default
        value = self.table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return value
        self.fail(key, f"expected {what or KIND_NAMES.get(kind, kind.__name__)}, got {value!r}")
        return default

    def text(self, key: str, default: str = "", what: str | None = None) -> str:
        return self.typed(key, str, default, what)

    def integer(self, key: str, default: int, what: str | None = None) -> int:
        return self.typed(key, int, default, what)

    def number(self, key: str, default: float, what: str | None = None) -> float:
        return self.typed(key, float, default, what)

    def flag(self, key: str, default: bool) -> bool:
        return self.typed(key, bool, default)

    def time_of_day(self, key: str, default: _D, example: str = "") -> time | _D:
        """A clock time: a TOML local time (08:00:00) or a string "HH:MM" (one home of the
        rule: `counter.timeutil.parse_time_of_day`)."""
        if key not in self.table:
            return default
        value = self.table[key]
        parsed = parse_time_of_day(value)
        if parsed is None:
            such = f' such as "{example}"' if example else ""
            self.fail(key, f'expected a time "HH:MM"{such}, got {value!r}')
            return default
        return parsed

    def choice(self, key: str, choices: Collection[str], default: str, what: str = "") -> str:
        """One of `choices` (a string); else the default and a problem listing them."""
        value = self.typed(key, str, default)
        if value not in choices:
            self.fail(key, f"expected {what or 'one of ' + ', '.join(choices)}, got {value!r}")
            return default
        return value

    def within(self, key: str, default: int, low: int, high: int, what: str) -> int:
        """An integer from `low` to `high`; else the default and '<what>, got <value>'."""
        value = self.integer(key, default)
        if not low <= value <= high:
            self.fail(key, f"expected {what}, got {value}")
            return default
        return value

    def section(self, key: str, where: str | None = None) -> TableReader:
        """A reader of the sub-table `key` (empty, with a problem, if it is not a table)."""
        value = self.table.get(key, {})
        name = where or f"[{key}]"
        if not isinstance(value, Mapping):
            self.problems.append(f"{name}: expected a table (section), got {value!r}")
            value = {}
        return TableReader(value, name, self.problems, key_style=self.key_style)
