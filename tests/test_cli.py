"""The `counter` command line as a whole: every command is reachable, runs a function, says
in Vietnamese what it does, and the README and docs name only commands that exist.

The per-command behaviour (exit codes, what is printed) is tested beside each command
(test_config, test_security_auth, test_backup, test_doctor, test_retention, test_exports);
these tests walk the parser so a command added, renamed or left without help is caught.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from counter_cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]")
# Commands whose options belong to another program (handed over untouched).
SERVERS = ("portal", "hub")


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser, str]]:
    """(words, parser, help line) of every command and sub-action, depth first."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*path, name), sub, helps.get(name, "")
                yield from _commands(sub, (*path, name))


def _leaves() -> list[tuple[tuple[str, ...], argparse.ArgumentParser, str]]:
    every = list(_commands(build_parser()))
    inner = {words[:-1] for words, _, _ in every}
    return [c for c in every if c[0] not in inner]


def test_every_command_is_listed_with_a_vietnamese_help_line() -> None:
    every = list(_commands(build_parser()))
    assert len(every) >= 20
    for words, _, help_line in every:
        assert VIETNAMESE.search(help_line), f"`counter {' '.join(words)}` has no Vietnamese help"


@pytest.mark.parametrize("words", [c[0] for c in _leaves()], ids=" ".join)
def test_every_command_runs_a_function_and_documents_its_arguments(
    words: tuple[str, ...],
) -> None:
    """A leaf command without `func` would silently fall back to opening the app; an option
    without help is an option nobody can find."""
    parser = dict((c[0], c[1]) for c in _leaves())[words]
    func = parser.get_default("func")
    assert callable(func), f"`counter {' '.join(words)}` runs nothing"
    if words[0] in SERVERS:
        return
    assert VIETNAMESE.search(parser.format_help()), parser.format_help()
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            assert action.help and VIETNAMESE.search(action.help)
        else:
            assert action.help, f"`counter {' '.join(words)}` {action.dest} has no help"


def test_each_command_help_is_vietnamese_in_a_real_process() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from counter_cli import main; main()", "backup", "--help"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("cách dùng: counter backup")
    assert "hiện trợ giúp này rồi thoát" in result.stdout
    assert "sao lưu kho dữ liệu" in result.stdout.lower()


def _documented_commands() -> set[str]:
    """Every `counter WORD` in the README and docs/: in code spans, and at the start of a
    line inside a fenced code block."""
    found: set[str] = set()
    word = r"counter (?:--[a-z]+(?:[ =]\S+)? )*([a-z][a-z-]+)"
    in_span = re.compile(r"(?:`|bin/)" + word)
    at_start = re.compile(r"^\s*(?:\$ )?" + word)
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        fenced = False
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            found |= set(in_span.findall(line))
            if fenced:
                found |= set(at_start.findall(line))
    return found


def test_the_docs_name_only_commands_that_exist() -> None:
    commands = {words[0] for words, _, _ in _commands(build_parser())}
    documented = _documented_commands()
    assert {"export", "doctor", "hub", "backup"} <= documented  # the scan reads the docs
    assert documented <= commands, sorted(documented - commands)


@pytest.mark.parametrize(
    "argv",
    [
        ["nope"],
        ["--lang", "xx", "doctor"],
        ["export"],  # --user is required
        ["printer"],  # an action is required
        ["audit"],
        ["officer-role", "an", "king", "--user", "root"],
        ["demo", "--days", "many"],
    ],
    ids=" ".join,
)
def test_bad_arguments_exit_2_with_a_vietnamese_error_and_change_nothing(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[counter]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["--config", str(config), *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "cách dùng: counter" in err and ": lỗi: " in err
    assert not (tmp_path / "data").exists()  # nothing was created


def test_a_servers_bad_option_is_refused_by_the_servers_own_parser() -> None:
    """`counter hub --bogus`: the hub's parser, not counter's, reads (and refuses) it."""
    result = subprocess.run(
        [sys.executable, "-c", "from counter_cli import main; main()", "hub", "--bogus"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "counter hub" in result.stderr and "--bogus" in result.stderr


def test_no_command_opens_the_app() -> None:
    args = build_parser().parse_args([])
    from counter_cli.apps import run_tui

    assert args.func is run_tui and args.command is None


def test_the_export_kinds_the_cli_offers_are_the_exports_kinds() -> None:
    from counter import exports
    from counter_cli.export_args import KINDS

    assert sorted(KINDS) == sorted(exports.KINDS)


HEAVY = ("httpx", "textual", "cryptography", "openpyxl", "xlsxwriter", "escpos", "PIL")
OURS_HEAVY = ("counter.exports", "counter.sync", "counter.desk", "screens", "printing", "portal")


def test_building_the_parser_imports_no_part_a_command_would_import_itself() -> None:
    """`counter --help` and every command pay for what the parser imports: each part is
    imported by the command that uses it (bench/bench_cli.py measures the start-up)."""
    probe = (
        "import sys; from counter_cli import build_parser; build_parser(); "
        "print('\\n'.join(sorted(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.split())
    assert "counter_cli.export_args" in loaded  # the probe sees our modules
    heavy = {m for m in loaded if m.split(".")[0] in HEAVY}
    ours = {m for m in loaded if any(m == o or m.startswith(o + ".") for o in OURS_HEAVY)}
    assert not heavy and not ours, sorted(heavy | ours)
