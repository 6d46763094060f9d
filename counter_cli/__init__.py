"""`counter` on the command line: the one place that knows every part.

Kept thin and outside the core; the UI, the printers and the servers are imported lazily so
`counter --help` is instant and `counter/` never reaches up into them.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from counter.config import Config, ConfigError, load_config
from counter.errors import CounterError
from counter.private import UMASK
from counter_cli.export import add_audit_arguments, add_export_arguments


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="counter",
        description="Phần mềm quầy một cửa — one-stop counter. With no command, opens the app.",
    )
    p.add_argument(
        "--config", type=Path, help="config file (default: $COUNTER_CONFIG or ./config.toml)"
    )
    p.add_argument("--lang", choices=["vi", "en"], help="interface language (overrides config)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("tui", help="open the counter app (the default)")
    sub.add_parser("check-config", help="validate the config file and say what is wrong")
    demo = sub.add_parser("demo", help="fill an empty store with demo officers and dossiers")
    demo.add_argument("--days", type=int, default=4)
    setup = sub.add_parser(
        "setup", help="create the first supervisor of an empty store (once; asks for the PIN)"
    )
    setup.add_argument("username")
    setup.add_argument("full_name")
    off = sub.add_parser(
        "officer-add",
        help="supervisor: create an officer account (asks for both PINs, or $COUNTER_PIN)",
    )
    off.add_argument("username")
    off.add_argument("full_name")
    off.add_argument("--role", choices=["officer", "supervisor"], default="officer")
    off.add_argument("--user", required=True, help="supervisor username (logs in first)")
    role = sub.add_parser("officer-role", help="supervisor: change an account's role")
    role.add_argument("username")
    role.add_argument("role", choices=["officer", "supervisor"])
    role.add_argument("--user", required=True, help="supervisor username (logs in first)")
    sub.add_parser("doctor", help="check config, store, printers, portal; say what is wrong")
    cleanup = sub.add_parser(
        "cleanup",
        help="release what the [retention] policy no longer keeps (it also runs by itself)",
    )
    cleanup.add_argument("--dry-run", action="store_true", help="only say what would be freed")
    printer = sub.add_parser("printer", help="printer tools")
    printer_sub = printer.add_subparsers(dest="printer_command", metavar="ACTION", required=True)
    test = printer_sub.add_parser("test", help="print a test page with every Vietnamese letter")
    test.add_argument("--printer", help="printer name from config (default: the first)")
    sub.add_parser("sync", help="run one sync with the portal now and report what it did")
    sub.add_parser(
        "backup", help="copy the store now into [backup] folder (safe while the app runs)"
    )
    restore = sub.add_parser(
        "restore",
        help="put a backup back (close the app first); the replaced store is kept, and the "
        "counter rebases on what the portal knows so nothing is numbered twice",
    )
    restore.add_argument("file", type=Path)
    # Listed for --help only: _main hands their arguments to their own parsers.
    sub.add_parser("portal", help="run the central portal (same as counter-portal)")
    sub.add_parser("hub", help="run the centre queue hub (shared queue, waiting-hall board)")
    sub.add_parser("board", help="full-screen waiting-hall board in this terminal")
    kiosk = sub.add_parser("kiosk", help="citizens' number kiosk (prints tickets)")
    kiosk.add_argument(
        "--reception", action="store_true", help="reception-desk mode: an officer issues numbers"
    )
    export = sub.add_parser(
        "export",
        help="supervisor: export the daily log (Sổ theo dõi hồ sơ), "
        "statistics or the queue log, signed",
    )
    add_export_arguments(export)
    audit_cmd = sub.add_parser("audit", help="supervisor: verify the audit trail and exports")
    audit_sub = audit_cmd.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    add_audit_arguments(
        audit_sub.add_parser(
            "verify", help="check the store's hash-chained audit trail and exported files"
        )
    )
    find = sub.add_parser("search", help="search dossiers by code, name, ID number or phone")
    find.add_argument("query")
    return p


def _as_supervisor(desk: Any, username: str, command: str) -> None:
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


def main(argv: list[str] | None = None) -> None:
    os.umask(UMASK)  # files made by libraries (previews, logs) are owner-only too
    try:
        _main(argv)
    except BrokenPipeError:  # `counter search … | head`: the reader left, which is fine
        sys.stderr.close()


def _run_server(name: str, argv: list[str]) -> None:
    """The portal and the queue hub have their own options and config, not the counter's."""
    if name == "portal":
        from portal.cli import main as portal_main

        raise SystemExit(portal_main(argv))
    from portal.hub import main as hub_main

    hub_main(argv)


def _server_command(raw: list[str]) -> int | None:
    """Index of `portal`/`hub` when it is the command, past counter's own options; its
    arguments are handed on untouched (argparse would take their --help for counter's)."""
    i = 0
    while i < len(raw):
        if raw[i] in ("portal", "hub"):
            return i
        if raw[i] in ("--config", "--lang"):
            i += 2
        elif raw[i].startswith(("--config=", "--lang=")):
            i += 1
        else:
            return None
    return None


def _refuse_unprintable(config: Config, command: str) -> None:
    """The printers against their profiles (escpos-printer-db): a config that can never print
    is refused by check-config and at the start of the app and the kiosk, not discovered job
    by job in the spool."""
    if command not in ("check-config", "tui", "kiosk"):
        return
    from printing.checks import config_problems

    problems = config_problems(config)
    if problems:
        error = ConfigError(config.source, problems)
        print(f"Cấu hình không hợp lệ / invalid configuration: {error}", file=sys.stderr)
        raise SystemExit(2)


def _main(argv: list[str] | None) -> None:
    raw = list(sys.argv[1:] if argv is None else argv)
    at = _server_command(raw)
    if at is not None:
        _run_server(raw[at], raw[at + 1 :])
        return
    args = _parser().parse_args(raw)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"Cấu hình không hợp lệ / invalid configuration: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    _refuse_unprintable(config, args.command or "tui")
    command = args.command or "tui"
    if command not in ("check-config", "tui"):  # the app sets up its own log
        from counter.logs import setup_file_logging

        setup_file_logging(config.data_dir)
    if command == "check-config":
        print(f"OK: {config.source or '(built-in defaults)'}")
        return
    try:
        if command == "doctor":
            from counter_cli.doctor import run_doctor

            ok, checks = run_doctor(config)
            print("\n".join(c.line() for c in checks))
            raise SystemExit(0 if ok else 1)
        if command == "cleanup":
            from counter.retention import run_cleanup_command

            print(run_cleanup_command(config, dry_run=args.dry_run))
            return
        if command == "printer":
            from counter_cli.doctor import print_test_page

            print(print_test_page(config, args.printer))
            return
        if command == "sync":
            from counter.sync import run_sync_command

            print(run_sync_command(config))
            return
        if command == "backup":
            from counter.backup import make_backup, prune

            path = make_backup(config)
            prune(path.parent, config.backup.keep)
            print(f"Đã sao lưu kho dữ liệu vào {path}")
            return
        if command == "restore":
            from counter.backup import restore_store

            print(restore_store(config, args.file).text())
            return
        if command == "board":
            from screens.board import run_board

            run_board(config)
            return
        if command == "kiosk":
            from screens.kiosk import run_kiosk

            run_kiosk(config, reception=args.reception)
            return
        if command == "export":
            from counter.queue_client import open_queue
            from counter.queue_reports import log_provider
            from counter_cli.export import run_export_command

            # The queue log comes from where the queue runs: this store, or the centre hub.
            queue = open_queue(config)
            try:
                print(run_export_command(config, args, queue_log=log_provider(queue)))
            finally:
                queue.close()
            return
        if command == "audit":
            from counter_cli.export import run_audit_command

            ok, report = run_audit_command(config, args)
            print(report)
            raise SystemExit(0 if ok else 1)
        if command == "tui":
            from screens.app import run_app

            run_app(config, lang=args.lang)
            return
        from counter.desk import Desk

        desk = Desk.open(config)
        try:
            if command == "demo":
                from counter.demo import seed_demo

                made = seed_demo(desk, days=args.days)
                print(f"{made} hồ sơ mẫu đã được tạo" if made else "Kho dữ liệu đã có dữ liệu")
            elif command == "setup":
                if desk.has_officers():
                    print(
                        "Kho dữ liệu đã có tài khoản: dùng `counter officer-add … --user "
                        "<giám sát>` / the store has accounts: use officer-add",
                        file=sys.stderr,
                    )
                    raise SystemExit(1)
                secret = _new_secret(f"Mã PIN / mật khẩu mới của {args.username}: ")
                officer = desk.create_officer(args.username, args.full_name, "supervisor", secret)
                print(f"Đã tạo tài khoản giám sát đầu tiên {officer.username}")
            elif command == "officer-add":
                _as_supervisor(desk, args.user, command)
                secret = _new_secret(f"Mã PIN / mật khẩu mới của {args.username}: ")
                officer = desk.create_officer(args.username, args.full_name, args.role, secret)
                print(f"Đã tạo tài khoản {officer.username} ({officer.role})")
            elif command == "officer-role":
                _as_supervisor(desk, args.user, command)
                officer = desk.set_officer_role(args.username, args.role)
                print(f"Tài khoản {officer.username}: {officer.role}")
            elif command == "search":
                for d in desk.search(args.query).dossiers:
                    print(f"{d.code}\t{d.applicant.name}\t{d.procedure_name}\t{d.status_label()}")
        finally:
            desk.close()
    except CounterError as exc:
        print(exc.message(args.lang or config.counter.language), file=sys.stderr)
        raise SystemExit(1) from None
