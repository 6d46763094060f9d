"""Config: the shipped example runs as is; every wrong value names the file, key and expectation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from counter.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_example_is_valid_and_complete() -> None:
    cfg = load_config(ROOT / "config.toml")
    assert cfg.agency.code == "000.00.12.H26"
    assert cfg.counter.language == "vi"
    assert cfg.printers[0].transport == "preview"
    assert cfg.holidays[2026].working_days  # make-up Saturday 22/8/2026
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    for section in (
        "[agency]",
        "[counter]",
        "[office_hours]",
        "[holidays.2026]",
        "[auth]",
        "[printer]",
        "[portal]",
        "[queue]",
        "[bank]",
        "[keys]",
    ):
        assert section in text


def test_defaults_without_any_file() -> None:
    cfg = load_config(None)
    assert cfg.source is None
    assert cfg.counter.number == 1


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[counter]\nnumber = 0", "[counter] number: expected a counter number from 1 to 99"),
        ('[counter]\nnumber = "ba"', "[counter] number: expected an integer"),
        ('[counter]\nlanguage = "fr"', '[counter] language: expected "vi" or "en"'),
        ('[counter]\ntimezone = "UTC"', "[counter] timezone"),
        ('[counter]\ndevice_id = "abc"', '[counter] device_id: expected "auto" or a UUID'),
        ('[agency]\ncode = "h26 x"', "[agency] code: expected the agency's mã định danh"),
        ('[office_hours]\nmorning_start = "25:00"', "[office_hours] morning_start: expected"),
        ('[office_hours]\nmorning_end = "14:00"', "morning_start < morning_end"),
        ("[office_hours]\nweekdays = [0, 8]", "[office_hours] weekdays"),
        ('[holidays.2026]\nworking_days = ["2026-02-30"]', "expected a date YYYY-MM-DD"),
        ('[holidays.2026]\ndays_off = ["2025-01-01"]', "is not in 2026"),
        (
            '[holidays.2026]\ndays_off = ["2026-08-22"]\nworking_days = ["2026-08-22"]',
            "both a day off and a working day",
        ),
        ('[printer]\ntransport = "bluetooth"', "[printer] transport: expected one of"),
        ("[printer]\npaper_width_dots = 600", "[printer] paper_width_dots"),
        ('[printer]\nmode = "utf8"', "[printer] mode"),
        ('[portal]\nurl = "ftp://x"', "[portal] url"),
        ('[bank]\nbin = "97041"\naccount = "1"', "[bank] bin"),
        ('[bank]\nbin = "970415"', "set both bin and account"),
        ('[keys]\n"dossier.new" = ""', "[keys] dossier.new"),
        ('[keys]\n"dossier.nwe" = "f2"', "[keys] dossier.nwe: unknown binding id"),
        ('[keys]\n"queue.finish" = "ctrl+kk"', '[keys] queue.finish: "ctrl+kk" is not a key name'),
        ('[keys]\n"dossier.new" = "f6"', '"f6" is also queue.call_next on the main screen'),
        ('[keys]\n"dossier.actions" = "a"', '[keys] dossier.actions: "a" — expected a key with'),
        ("[counterr]\nnumber = 1", "[counterr]: unknown section"),
        ("[counter]\nnumbr = 1", "[counter] numbr: unknown key"),
        ("[counter\n", "not valid TOML"),
    ],
)
def test_each_wrong_value_is_named(tmp_path: Path, toml: str, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(path) in str(err.value)
    assert expected in str(err.value)


def test_all_problems_reported_at_once() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"counter": {"number": 100, "language": "fr"}, "auth": {"lockout_minutes": 0}})
    assert len(err.value.problems) == 3


def test_cli_refuses_to_start_half_configured(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[counter]\nnumber = 123\n", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from counter_cli import main; main()",
            "--config",
            str(path),
            "check-config",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "[counter] number" in result.stderr
    assert not (tmp_path / "data").exists()  # nothing was created


def test_cli_help_lists_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from counter_cli import main; main()", "--help"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    for command in ("demo", "search", "officer-add", "check-config"):
        assert command in result.stdout


def test_cli_hands_portal_and_hub_their_own_arguments() -> None:
    """`counter [--lang …] hub --help` reaches the hub's parser, not counter's."""
    for argv, expected in (
        (["hub", "--help"], "--db DB"),
        (["--lang", "vi", "hub", "--help"], "--db DB"),
        (["--config=x.toml", "portal", "--help"], "enroll-code"),
    ):
        result = subprocess.run(
            [sys.executable, "-c", "from counter_cli import main; main()", *argv],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        assert expected in result.stdout
