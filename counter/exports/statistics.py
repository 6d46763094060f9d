"""The statistics workbook's tables and the queue log's columns: small tables (one row per
day, officer, counter or field), apart from the book and the file plumbing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from counter import stats
from counter.store import Store
from counter.timeutil import VN_TZ, parse_iso
from counter.worktime import WorkCalendar

QUEUE_LOG_COLUMNS: tuple[tuple[str, str], ...] = (
    ("ticket", "Số thứ tự"),
    ("area", "Khu vực / lĩnh vực"),
    ("priority", "Ưu tiên"),
    ("issued_at", "Giờ lấy số"),
    ("called_at", "Giờ gọi"),
    ("counter_no", "Quầy"),
    ("served_at", "Bắt đầu phục vụ"),
    ("finished_at", "Kết thúc"),
    ("status", "Trạng thái"),
    ("dossier_code", "Mã hồ sơ"),
)


RANGE_FIGURES = tuple(f for f in stats.FIGURES if not f.snapshot)
RATE_HEADER = "Tỷ lệ trước hạn và đúng hạn"
CASHLESS_HEADER = "Tỷ lệ thu phí không dùng tiền mặt"
DAY_FEE_HEADERS = ("Phí thu tiền mặt (đồng)", "Phí chuyển khoản (đồng)", CASHLESS_HEADER)
FEE_STATE_VI = {
    "paid_cash": "tiền mặt",
    "paid_transfer": "đã chuyển khoản",
    "to_pay_transfer": "chờ chuyển khoản",
    "exempt": "miễn",
}


def _rate_value(rate: float | None) -> float | str:
    return "" if rate is None else round(rate, 4)


def stats_tables(
    store: Store,
    calendar: WorkCalendar,
    start: date,
    end: date,
    as_of: datetime,
    queue: stats.QueueFiguresProvider | None = None,
) -> list[tuple[str, str, list[str], list[list[Any]]]]:
    """The statistics workbook's tables; small (one row per day / officer / counter / field)."""
    keys = [f.key for f in RANGE_FIGURES]
    labels = [f.vi for f in RANGE_FIGURES]
    whole = stats.compute_figures(store, calendar, start, end, as_of, queue=queue)
    summary: list[list[Any]] = [[f.vi, whole.counts[f.key]] for f in RANGE_FIGURES]
    summary.append([RATE_HEADER, _rate_value(whole.on_time_rate)])
    if whole.queue is not None:
        q = whole.queue
        summary += [
            ["Số thứ tự đã cấp", q.issued],
            ["Đã phục vụ", q.served],
            ["Vắng mặt khi gọi", q.no_shows],
            ["Thời gian chờ trung bình (phút)", q.average_wait_minutes or ""],
            ["Thời gian phục vụ trung bình (phút)", q.average_service_minutes or ""],
        ]
    else:
        summary.append(["Hàng đợi", stats.NO_QUEUE_DATA])
    fees = whole.fees
    summary += [
        [f"Phí, lệ phí – {FEE_STATE_VI[k]} (số hồ sơ)", fees.count.get(k, 0)] for k in FEE_STATE_VI
    ]
    summary += [
        [f"Phí, lệ phí – {FEE_STATE_VI[k]} (đồng)", fees.amount.get(k, 0)]
        for k in ("paid_cash", "paid_transfer", "to_pay_transfer")
    ]
    summary += [
        [CASHLESS_HEADER, _rate_value(fees.cashless_share)],
        ["Mục tiêu thanh toán không dùng tiền mặt", stats.CASHLESS_GOAL],
    ]
    by_day: list[list[Any]] = []
    day = start
    while day <= end:
        f = stats.compute_figures(store, calendar, day, day, as_of, groups=())
        by_day.append(
            [
                f"{day:%d/%m/%Y}",
                *(f.counts[k] for k in keys),
                _rate_value(f.on_time_rate),
                f.fees.cash,
                f.fees.cashless,
                _rate_value(f.fees.cashless_share),
            ]
        )
        day += timedelta(days=1)
    tables: list[tuple[str, str, list[str], list[list[Any]]]] = [
        ("Tổng hợp", "Tổng hợp", ["Chỉ tiêu", "Số hồ sơ"], summary),
        (
            "Theo ngày",
            "Theo ngày",
            ["Ngày", *labels, RATE_HEADER, *DAY_FEE_HEADERS],
            by_day,
        ),
    ]
    for dim, sheet in (
        ("officer", "Theo cán bộ"),
        ("counter", "Theo quầy"),
        ("field", "Theo lĩnh vực"),
    ):
        head = stats.DIMENSIONS[dim][0]
        rows = [
            [g.label, *(g.counts[k] for k in keys), _rate_value(g.on_time_rate)]
            for g in whole.groups[dim]
        ]
        tables.append((sheet, sheet, [head, *labels, RATE_HEADER], rows))
    return tables


def queue_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(VN_TZ).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            return parse_iso(value).replace(tzinfo=None)
        except ValueError:
            return value
    if isinstance(value, bool):
        return "Có" if value else ""
    return "" if value is None else value
