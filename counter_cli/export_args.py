"""The arguments of `counter export` and `counter audit verify`, and their registration.

Apart from `counter_cli.export` (what the commands run) because building the parser must
stay light: that module imports the exports, the signing keys and httpx, over a second of
start-up that `counter --help` and every other command would pay (bench/bench_cli.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from counter_cli.command import Invocation, add_command
from counter_cli.vi_argparse import ViParser

PIN_ENV = "COUNTER_PIN"
# The export kinds, as `counter.exports.KINDS` names them (tests/test_cli.py checks they
# agree): written out so that listing them does not import the exports.
KINDS = ("book", "queue", "stats")


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `counter export`."""
    when = parser.add_mutually_exclusive_group()
    when.add_argument(
        "--date",
        help="một ngày: YYYY-MM-DD, DD/MM/YYYY, 'today' hoặc 'yesterday' (mặc định: hôm nay)",
    )
    when.add_argument("--from", dest="date_from", help="ngày đầu của một khoảng (cùng --to)")
    when.add_argument(
        "--month", help="cả một tháng: YYYY-MM, 'this' (tháng này) hoặc 'last' (tháng trước)"
    )
    parser.add_argument("--to", dest="date_to", help="ngày cuối của khoảng (cùng --from)")
    parser.add_argument(
        "--kind",
        choices=KINDS,
        default="book",
        help="book: Sổ theo dõi hồ sơ (Mẫu 07); stats: bảng thống kê; queue: nhật ký hàng đợi",
    )
    parser.add_argument(
        "--format", choices=["xlsx", "csv", "both"], default="both", help="mặc định: both (cả hai)"
    )
    books = parser.add_mutually_exclusive_group()
    books.add_argument("--field", help="chỉ lĩnh vực này (đúng tên, ví dụ 'Hộ tịch')")
    books.add_argument("--per-field", action="store_true", help="mỗi lĩnh vực một sổ")
    parser.add_argument("--out", type=Path, help="thư mục ghi tệp (mặc định: <data_dir>/exports)")
    parser.add_argument(
        "--user",
        required=True,
        help=f"tên đăng nhập của giám sát; mã PIN lấy từ ${PIN_ENV} hoặc được hỏi",
    )


def _hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 24 * 366:
        raise argparse.ArgumentTypeError(f"số giờ không hợp lệ: {text} (từ 0 đến 8784)")
    return value


def add_audit_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of `counter audit verify`."""
    parser.add_argument(
        "paths", nargs="*", type=Path, help="thư mục đã xuất hoặc tệp *.manifest.json cần kiểm tra"
    )
    parser.add_argument(
        "--no-store",
        action="store_true",
        help="chỉ kiểm tra các tệp, không kiểm tra nhật ký kiểm toán của kho",
    )
    parser.add_argument(
        "--public-key",
        action="append",
        default=[],
        help="khóa công khai tin cậy của thiết bị (hex, từ một bản kê đã kiểm tra); lặp lại được",
    )
    witnessed = parser.add_mutually_exclusive_group()
    witnessed.add_argument(
        "--online",
        action="store_true",
        help="đối chiếu với các đầu chuỗi cổng đã chứng thực và các khóa cổng đã đăng ký (trực tuyến)",
    )
    witnessed.add_argument(
        "--witness",
        type=Path,
        help="như trên, ngoại tuyến: tệp chứng thực xuất ở cổng (counter-portal witness-file)",
    )
    parser.add_argument(
        "--portal-key",
        metavar="FINGERPRINT",
        help="khóa chứng thực của cổng như `counter-portal witness-key` in ra (16 ký tự hex "
        "hoặc cả khóa): chứng thực phải được ký bằng khóa này, không phải khóa máy này nhớ",
    )
    parser.add_argument(
        "--max-witness-age",
        type=_hours,
        default=24.0,
        metavar="HOURS",
        help="tệp chứng thực cũ hơn số giờ này bị báo (tệp cũ bị phát lại); mặc định 24",
    )


def _export(run: Invocation) -> int:
    from counter.queue_client import open_queue
    from counter.queue_reports import log_provider
    from counter_cli.export import run_export_command

    config = run.config()
    # The queue log comes from where the queue runs: this store, or the centre hub.
    queue = open_queue(config)
    try:
        print(run_export_command(config, run.args, queue_log=log_provider(queue)))
    finally:
        queue.close()
    return 0


def _audit_verify(run: Invocation) -> int:
    from counter_cli.export import run_audit_command

    ok, report = run_audit_command(run.config(), run.args)
    print(report)
    return 0 if ok else 1


def register(commands: argparse._SubParsersAction[ViParser]) -> None:
    add_export_arguments(
        add_command(
            commands,
            "export",
            _export,
            "giám sát: xuất sổ theo dõi hồ sơ (Mẫu 07), thống kê hoặc nhật ký hàng đợi, có chữ ký",
        )
    )
    audit = commands.add_parser(
        "audit",
        help="giám sát: kiểm tra nhật ký kiểm toán và các tệp đã xuất",
        description="Giám sát: kiểm tra nhật ký kiểm toán và các tệp đã xuất",
    )
    actions = audit.add_subparsers(
        dest="audit_command", metavar="ACTION", required=True, title="thao tác"
    )
    add_audit_arguments(
        add_command(
            actions,
            "verify",
            _audit_verify,
            "kiểm tra chuỗi băm nhật ký kiểm toán của kho và các tệp đã xuất",
        )
    )
