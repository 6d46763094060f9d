"""`counter` on the command line: the one place that knows every part.

Kept thin and outside the core; each command group has its own module (`apps`,
`maintenance`, `accounts`, `export`) that registers its subcommands with
`set_defaults(func=…)`; this module builds the parser and runs the chosen function. The UI,
the printers and the servers are imported lazily so `counter --help` is instant and
`counter/` never reaches up into them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from counter.errors import CounterError
from counter.private import UMASK
from counter_cli import accounts, apps, export_args, maintenance
from counter_cli.command import Command, Invocation
from counter_cli.vi_argparse import ViParser


def build_parser() -> ViParser:
    """Every command of `counter`, in the order `counter --help` lists them."""
    parser = ViParser(
        prog="counter",
        description="Phần mềm quầy một cửa. Không ghi lệnh thì mở phần mềm quầy (tui).",
    )
    parser.add_argument(
        "--config",
        type=Path,
        help="tệp cấu hình (mặc định: $COUNTER_CONFIG hoặc ./config.toml)",
    )
    parser.add_argument(
        "--lang", choices=["vi", "en"], help="ngôn ngữ giao diện (thay cho cấu hình)"
    )
    parser.set_defaults(func=apps.run_tui)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="lệnh")
    apps.register(commands)
    maintenance.register(commands)
    accounts.register(commands)
    export_args.register(commands)
    return parser


def main(argv: list[str] | None = None) -> None:
    os.umask(UMASK)  # files made by libraries (previews, logs) are owner-only too
    try:
        _main(argv)
    except BrokenPipeError:  # `counter search … | head`: the reader left, which is fine
        sys.stderr.close()


def _main(argv: list[str] | None) -> None:
    args = build_parser().parse_args(argv)
    run = Invocation(args)
    func: Command = args.func
    try:
        status = func(run)
    except CounterError as exc:
        print(exc.message(run.language), file=sys.stderr)
        raise SystemExit(1) from None
    if status:
        raise SystemExit(status)
