"""`counter tui|board|kiosk|portal|hub`: the commands that open an app or run a server.

Their own home because they hand over to another part (the Textual screens, the portal, the
hub) and do nothing else; each part is imported only when its command runs, so
`counter --help` stays instant.
"""

from __future__ import annotations

import argparse
import gc

from counter_cli.command import Command, Invocation, add_command
from counter_cli.vi_argparse import ViParser


def run_tui(run: Invocation) -> int:
    """The counter app (also what `counter` with no command does).

    The cyclic garbage collector is held off until the login screen is ready (the app turns
    it back on in `on_ready`): the start allocates a great deal and frees almost nothing, and
    the collections it triggered were 7 % of the start (#18)."""
    gc.disable()
    try:
        from screens.app import run_app

        run_app(run.config(check_printers=True, file_log=False), lang=run.args.lang)
    finally:
        gc.enable()
    return 0


def _board(run: Invocation) -> int:
    from screens.board import run_board

    run_board(run.config())
    return 0


def _kiosk(run: Invocation) -> int:
    from screens.kiosk import run_kiosk

    run_kiosk(run.config(check_printers=True), reception=run.args.reception)
    return 0


def _portal(run: Invocation) -> int:
    """The portal has its own options and config, not the counter's."""
    from portal.cli import main as portal_main

    return portal_main(run.args.server_args)


def _hub(run: Invocation) -> int:
    from portal.hub import main as hub_main

    hub_main(run.args.server_args)
    return 0


def _server(
    commands: argparse._SubParsersAction[ViParser], name: str, func: Command, help: str
) -> None:
    """A server command whose arguments go to the server's own parser untouched, `--help`
    included: no prefix character is an option here, so argparse takes them all as words."""
    server = add_command(commands, name, func, help, add_help=False, prefix_chars="\0")
    server.add_argument("server_args", nargs=argparse.REMAINDER, metavar="…")


def register(commands: argparse._SubParsersAction[ViParser]) -> None:
    add_command(commands, "tui", run_tui, "mở phần mềm quầy (mặc định khi không ghi lệnh)")
    add_command(
        commands, "board", _board, "bảng gọi số của phòng chờ, toàn màn hình ở terminal này"
    )
    kiosk = add_command(commands, "kiosk", _kiosk, "máy lấy số thứ tự cho công dân (in phiếu)")
    kiosk.add_argument(
        "--reception",
        action="store_true",
        help="chế độ bàn tiếp đón: cán bộ cấp số cho công dân",
    )
    _server(commands, "portal", _portal, "chạy cổng trung tâm (như counter-portal)")
    _server(
        commands,
        "hub",
        _hub,
        "chạy máy chủ hàng đợi của trung tâm (hàng đợi chung, bảng phòng chờ)",
    )
