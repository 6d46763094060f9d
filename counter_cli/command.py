"""What a `counter` command is: a function of one `Invocation` returning its exit status,
registered with `add_command` (argparse's `set_defaults(func=…)`).

Its own home so the command modules (`apps`, `maintenance`, `accounts`, `export`) share one
way to load the config, start the log and report errors, and `__init__` only dispatches.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from counter_cli.vi_argparse import ViParser

if TYPE_CHECKING:
    from counter.config import Config


class Invocation:
    """One run of `counter`: the parsed arguments, and the config once a command asks for it.

    Commands load the config themselves (`config()`), so the portal and the hub, which have
    their own, never read the counter's."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.loaded: Config | None = None

    def config(self, *, check_printers: bool = False, file_log: bool = True) -> Config:
        """Load the config or exit 2 saying what is wrong; refuse printers that can never
        print when `check_printers`; start the file log unless the command keeps its own."""
        from counter.config import ConfigError, load_config

        try:
            config = load_config(self.args.config)
        except ConfigError as exc:
            print(f"Cấu hình không hợp lệ / invalid configuration: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        if check_printers:
            _refuse_unprintable(config)
        if file_log:
            from counter.logs import setup_file_logging

            setup_file_logging(config.data_dir)
        self.loaded = config
        return config

    @property
    def language(self) -> str:
        """The language of an error message: --lang, else the config's, else Vietnamese."""
        lang: str | None = self.args.lang
        if lang:
            return lang
        return self.loaded.counter.language if self.loaded is not None else "vi"


def _refuse_unprintable(config: Config) -> None:
    """The printers against their profiles (escpos-printer-db): a config that can never print
    is refused by check-config and at the start of the app and the kiosk, not discovered job
    by job in the spool."""
    from counter.config import ConfigError
    from printing.checks import config_problems

    problems = config_problems(config)
    if problems:
        error = ConfigError(config.source, problems)
        print(f"Cấu hình không hợp lệ / invalid configuration: {error}", file=sys.stderr)
        raise SystemExit(2)


Command = Callable[[Invocation], int]
"""What `set_defaults(func=…)` holds: runs one command, returns its exit status."""


def add_command(
    commands: argparse._SubParsersAction[ViParser],
    name: str,
    func: Command,
    help: str,
    *,
    add_help: bool = True,
    prefix_chars: str = "-",
) -> ViParser:
    """A subcommand with its Vietnamese help and its `func`; its description is the help
    line, so `counter NAME --help` says what NAME does."""
    parser = commands.add_parser(
        name,
        help=help,
        description=help[0].upper() + help[1:],
        add_help=add_help,
        prefix_chars=prefix_chars,
    )
    parser.set_defaults(func=func)
    return parser
