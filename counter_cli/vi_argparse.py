"""argparse that speaks Vietnamese: headings, `-h` and the error line of every `--help`.

Its own home so each command module only says what its command does; argparse's own words
("usage:", "options:", "show this help message and exit") would otherwise be English on
every screen of help. Option names stay English (`--from`, `--dry-run`), as the brief allows.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import Any, NoReturn


class ViHelpFormatter(argparse.HelpFormatter):
    """`cách dùng:` instead of `usage:`."""

    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        super().add_usage(usage, actions, groups, "cách dùng: " if prefix is None else prefix)


class ViParser(argparse.ArgumentParser):
    """An ArgumentParser whose headings, `-h` and error line are Vietnamese; subcommand
    parsers made from it (`add_subparsers().add_parser`) are ViParsers too."""

    def __init__(self, *, add_help: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", ViHelpFormatter)
        super().__init__(add_help=False, **kwargs)
        self._positionals.title = "đối số"
        self._optionals.title = "tùy chọn"
        if add_help:
            self.add_argument(
                "-h", "--help", action="help", help="hiện trợ giúp này rồi thoát (show this help)"
            )

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: lỗi: {message}\n")
