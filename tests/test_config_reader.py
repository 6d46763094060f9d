"""The one TOML reader: every key of every file refuses a wrong value with the file, the key
and what is expected; one time-of-day rule; the config loads without the queue engine."""

from __future__ import annotations

import copy
import subprocess
import sys
import tomllib
from datetime import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counter.catalogue import CatalogueError, catalogue_from_tables
from counter.config import ConfigError, parse_config, parse_queue_config
from counter.queue import QueueConfigError
from counter.timeutil import parse_time_of_day

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))
CATALOGUE = (ROOT / "counter" / "data" / "catalogue.toml").read_text(encoding="utf-8")
WRONG = {"a": {"nested": "table"}}  # no key of any file takes a table of this shape


def _every_config_key() -> list[tuple[str, ...]]:
    """(section, key) and (section, sub, key) for every key the shipped example sets."""
    paths: list[tuple[str, ...]] = []
    for section, table in SHIPPED.items():
        for key, value in table.items():
            if isinstance(value, dict) and section in ("holidays",):
                paths += [(section, key, inner) for inner in value]
            else:
                paths.append((section, key))
    return paths


@pytest.mark.parametrize("path", _every_config_key(), ids=".".join)
def test_every_key_of_config_toml_refuses_a_wrong_value_by_name(
    tmp_path: Path, path: tuple[str, ...]
) -> None:
    """The drill behind the example cases in test_config.py: whatever key is wrong, the
    error names the file, the key and what was expected, and no config is made."""
    raw = copy.deepcopy(SHIPPED)
    table = raw
    for part in path[:-1]:
        table = table[part]
    table[path[-1]] = WRONG
    file = tmp_path / "config.toml"
    with pytest.raises(ConfigError) as err:
        parse_config(raw, source=file)
    assert str(file) in str(err.value)
    named = [p for p in err.value.problems if path[-1] in p and "expected" in p]
    assert named, err.value.problems
    assert all(p.startswith(("[", '"')) for p in err.value.problems), err.value.problems


def _first_procedure_keys() -> list[str]:
    return list(tomllib.loads(CATALOGUE)["procedure"][0])


@pytest.mark.parametrize("key", _first_procedure_keys())
def test_every_key_of_a_procedure_refuses_a_wrong_value_by_name(key: str) -> None:
    raw = tomllib.loads(CATALOGUE)
    raw["procedure"][0][key] = WRONG
    with pytest.raises(CatalogueError) as err:
        catalogue_from_tables(raw, "shipped-catalogue.toml")
    assert "shipped-catalogue.toml" in str(err.value)
    named = [p for p in err.value.problems if f"key {key!r}" in p and "expected" in p]
    assert named and all(p.startswith("procedure #1 (") for p in named), err.value.problems


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00", time(8, 0)),
        ("8:05", time(8, 5)),
        (" 16:30 ", time(16, 30)),
        ("23:59", time(23, 59)),
        ("24:00", None),
        ("12:60", None),
        ("1200", None),
        ("12:5", None),
        ("", None),
        (8, None),
        (time(8, 0, 30), time(8, 0)),
    ],
)
def test_one_time_of_day_rule(text: object, expected: time | None) -> None:
    assert parse_time_of_day(text) == expected


@settings(deadline=None, max_examples=60)  # three whole readers per example: no wall-clock bound
@given(st.text(max_size=8) | st.times().map(lambda t: t.isoformat("minutes")))
def test_the_three_files_agree_on_what_a_time_of_day_is(text: str) -> None:
    """config.toml's office hours, [queue]'s issuing hours and a procedure's cut-off accept
    and refuse exactly the same strings (they were three hand-written rules)."""
    accepted = parse_time_of_day(text) is not None

    def office_ok() -> bool:
        end = {"morning_end": "23:59", "afternoon_start": "23:59", "afternoon_end": "23:59"}
        try:
            parse_config({"office_hours": {"morning_start": text, **end}})
        except ConfigError as exc:
            return not any("morning_start: expected a time" in p for p in exc.problems)
        return True

    def queue_ok() -> bool:
        try:
            parse_queue_config({"issue_start": text, "issue_end": "23:59"})
        except QueueConfigError as exc:
            return not any("issue_start: expected a time" in p for p in exc.problems)
        return True

    def cutoff_ok() -> bool:
        raw = tomllib.loads(CATALOGUE)
        raw["procedure"][0]["cutoff"] = text
        try:
            catalogue_from_tables(raw)
        except CatalogueError as exc:
            return not any("key 'cutoff': expected a time" in p for p in exc.problems)
        return True

    assert office_ok() == queue_ok() == cutoff_ok() == accepted


def test_queue_settings_name_the_key_and_keep_every_problem() -> None:
    bad: dict[str, Any] = {
        "interleave": 99,
        "hall_sound": "loud",
        "issue_start": "25:00",
        "area": [{"prefix": "a1", "name": ""}],
        "counter": {"x": ["A"]},
    }
    with pytest.raises(QueueConfigError) as err:
        parse_queue_config(bad)
    text = "\n".join(err.value.problems)
    for expected in (
        "[queue] interleave: expected 0–50",
        "[queue] hall_sound: expected one of voice, browser, chime, off, got 'loud'",
        "[queue] issue_start: expected a time \"HH:MM\", got '25:00'",
        "[[queue.area]] #1 prefix: expected one or two capital letters",
        "[[queue.area]] #1 name: expected the area's name",
        "[queue.counter] x: expected a counter number 1–99",
    ):
        assert expected in text


def test_the_config_loads_without_the_queue_engine() -> None:
    """config.py used to import the engine; the settings now live with the other sections."""
    code = (
        "import sys, counter.config\n"
        "bad = sorted(m for m in sys.modules if m.startswith('counter.queue'))\n"
        "print(bad); raise SystemExit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_hubs_file_is_named_with_its_wrong_key(tmp_path: Path) -> None:
    """The hub reads `[queue]` from its own centre.toml: its errors name that file too."""
    from portal.hub import load_hub_config

    centre = tmp_path / "centre.toml"
    centre.write_text('[queue]\ninterleave = "ba"\n', encoding="utf-8")
    with pytest.raises(QueueConfigError) as err:
        load_hub_config(centre)
    assert str(centre) in str(err.value)
    assert "[queue] interleave: expected an integer, got 'ba'" in str(err.value)
