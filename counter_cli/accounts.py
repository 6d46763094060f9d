"""`counter demo|setup|officer-add|officer-role|search`: the commands that open the store
through the `Desk`, as the app does. Their own home because they share the Desk's rules: a
privileged command logs a supervisor in first so its audit entry names who did it.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from counter_cli.command import Command, Invocation, add_command
from counter_cli.vi_argparse import ViParser

if TYPE_CHECKING:
    from counter.desk import Desk

ROLES = ["officer", "supervisor"]


def _on_desk(body: Callable[[Desk, argparse.Namespace], int]) -> Command:
    """`body` run on an open Desk, closed afterwards whatever happens."""

    def run_on_desk(run: Invocation) -> int:
        from counter.desk import Desk

        desk = Desk.open(run.config())
        try:
            return body(desk, run.args)
        finally:
            desk.close()

    return run_on_desk


def _as_supervisor(desk: Desk, username: str, command: str) -> None:
    """Every privileged command logs a supervisor in first (PIN from $COUNTER_PIN or a
    prompt), so its audit entry names who did it; an officer's PIN is refused (audited)."""
    from counter_cli.export import read_pin

    desk.login(username, read_pin(username))
    desk.require_supervisor(f"cli.{command}")


def _new_secret(prompt: str) -> str:
    """The new account's PIN, typed twice at a terminal, or one line from a pipe."""
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Nhập lại / again: ") != first:
            print("Hai lần nhập không khớp / the two entries differ", file=sys.stderr)
            raise SystemExit(1)
        return first
    return sys.stdin.readline().rstrip("\r\n") if sys.stdin is not None else ""


def _demo(desk: Desk, args: argparse.Namespace) -> int:
    from counter.demo import seed_demo

    made = seed_demo(desk, days=args.days)
    print(f"{made} hồ sơ mẫu đã được tạo" if made else "Kho dữ liệu đã có dữ liệu")
    return 0


def _setup(desk: Desk, args: argparse.Namespace) -> int:
    if desk.has_officers():
        print(
            "Kho dữ liệu đã có tài khoản: dùng `counter officer-add … --user "
            "<giám sát>` / the store has accounts: use officer-add",
            file=sys.stderr,
        )
        return 1
    secret = _new_secret(f"Mã PIN / mật khẩu mới của {args.username}: ")
    officer = desk.create_officer(args.username, args.full_name, "supervisor", secret)
    print(f"Đã tạo tài khoản giám sát đầu tiên {officer.username}")
    return 0


def _officer_add(desk: Desk, args: argparse.Namespace) -> int:
    _as_supervisor(desk, args.user, "officer-add")
    secret = _new_secret(f"Mã PIN / mật khẩu mới của {args.username}: ")
    officer = desk.create_officer(args.username, args.full_name, args.role, secret)
    print(f"Đã tạo tài khoản {officer.username} ({officer.role})")
    return 0


def _officer_role(desk: Desk, args: argparse.Namespace) -> int:
    _as_supervisor(desk, args.user, "officer-role")
    officer = desk.set_officer_role(args.username, args.role)
    print(f"Tài khoản {officer.username}: {officer.role}")
    return 0


def _search(desk: Desk, args: argparse.Namespace) -> int:
    for d in desk.search(args.query).dossiers:
        print(f"{d.code}\t{d.applicant.name}\t{d.procedure_name}\t{d.status_label()}")
    return 0


def register(commands: argparse._SubParsersAction[ViParser]) -> None:
    demo = add_command(
        commands,
        "demo",
        _on_desk(_demo),
        "điền cán bộ và hồ sơ mẫu vào một kho dữ liệu trống",
    )
    demo.add_argument("--days", type=int, default=4, help="số ngày hồ sơ mẫu (mặc định 4)")
    setup = add_command(
        commands,
        "setup",
        _on_desk(_setup),
        "tạo tài khoản giám sát đầu tiên của kho trống (một lần; hỏi mã PIN)",
    )
    setup.add_argument("username", help="tên đăng nhập")
    setup.add_argument("full_name", help="họ và tên")
    add = add_command(
        commands,
        "officer-add",
        _on_desk(_officer_add),
        "giám sát: tạo tài khoản cán bộ (hỏi cả hai mã PIN, hoặc lấy từ $COUNTER_PIN)",
    )
    add.add_argument("username", help="tên đăng nhập của tài khoản mới")
    add.add_argument("full_name", help="họ và tên")
    add.add_argument("--role", choices=ROLES, default="officer", help="vai trò (mặc định officer)")
    add.add_argument("--user", required=True, help="tên đăng nhập của giám sát (đăng nhập trước)")
    role = add_command(
        commands, "officer-role", _on_desk(_officer_role), "giám sát: đổi vai trò một tài khoản"
    )
    role.add_argument("username", help="tên đăng nhập")
    role.add_argument("role", choices=ROLES, help="vai trò mới")
    role.add_argument("--user", required=True, help="tên đăng nhập của giám sát (đăng nhập trước)")
    search = add_command(
        commands,
        "search",
        _on_desk(_search),
        "tìm hồ sơ theo mã, tên, số giấy tờ hoặc số điện thoại",
    )
    search.add_argument("query", help="điều cần tìm")
