"""`counter check-config|doctor|cleanup|printer test|sync|backup|restore`: looking after a
counter PC. Their own home because none of them opens the app or logs an officer in; each
prints what it found or did, in Vietnamese, and exits non-zero when something is wrong.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from counter_cli.command import Invocation, add_command
from counter_cli.vi_argparse import ViParser


def _check_config(run: Invocation) -> int:
    config = run.config(check_printers=True, file_log=False)
    print(f"OK: {config.source or '(built-in defaults)'}")
    return 0


def _doctor(run: Invocation) -> int:
    from counter_cli.doctor import run_doctor

    ok, checks = run_doctor(run.config())
    print("\n".join(c.line() for c in checks))
    return 0 if ok else 1


def _cleanup(run: Invocation) -> int:
    from counter.retention import run_cleanup_command

    print(run_cleanup_command(run.config(), dry_run=run.args.dry_run))
    return 0


def _printer_test(run: Invocation) -> int:
    from counter_cli.doctor import print_test_page

    print(print_test_page(run.config(), run.args.printer))
    return 0


def _sync(run: Invocation) -> int:
    from counter.sync import run_sync_command

    print(run_sync_command(run.config()))
    return 0


def _backup(run: Invocation) -> int:
    from counter.backup import make_backup, prune

    config = run.config()
    path = make_backup(config)
    prune(path.parent, config.backup.keep)
    print(f"Đã sao lưu kho dữ liệu vào {path}")
    return 0


def _restore(run: Invocation) -> int:
    from counter.backup import restore_store

    print(restore_store(run.config(), run.args.file).text())
    return 0


def register(commands: argparse._SubParsersAction[ViParser]) -> None:
    add_command(
        commands,
        "check-config",
        _check_config,
        "kiểm tra tệp cấu hình và nói chỗ sai",
    )
    add_command(
        commands,
        "doctor",
        _doctor,
        "kiểm tra cấu hình, kho dữ liệu, máy in, cổng; nói chỗ hỏng",
    )
    cleanup = add_command(
        commands,
        "cleanup",
        _cleanup,
        "giải phóng những gì chính sách [retention] không còn giữ (cũng tự chạy định kỳ)",
    )
    cleanup.add_argument(
        "--dry-run", action="store_true", help="chỉ nói sẽ giải phóng gì, không xóa"
    )
    printer = commands.add_parser("printer", help="công cụ máy in", description="Công cụ máy in")
    actions = printer.add_subparsers(
        dest="printer_command", metavar="ACTION", required=True, title="thao tác"
    )
    test = add_command(actions, "test", _printer_test, "in trang thử có đủ mọi chữ cái tiếng Việt")
    test.add_argument("--printer", help="tên máy in trong cấu hình (mặc định: máy đầu tiên)")
    add_command(commands, "sync", _sync, "đồng bộ một lần với cổng ngay bây giờ và báo đã làm gì")
    add_command(
        commands,
        "backup",
        _backup,
        "sao lưu kho dữ liệu ngay vào thư mục [backup] (an toàn khi phần mềm đang chạy)",
    )
    restore = add_command(
        commands,
        "restore",
        _restore,
        "khôi phục một bản sao lưu (đóng phần mềm trước); kho bị thay được giữ lại, và quầy "
        "đánh số tiếp theo những gì cổng đã biết nên không số nào bị cấp hai lần",
    )
    restore.add_argument("file", type=Path, help="tệp sao lưu")
