"""The printer self-test page: every Vietnamese letter, each weight and size, a QR.

An IT officer prints it once per printer model to see that nothing turns into "?".
"""

from __future__ import annotations

from datetime import datetime

from counter.config import PrinterConfig
from counter.timeutil import fmt_vn

from .blocks import QR, Block, Rule, Span, Text, kv, para
from .documents import SelfTestPage
from .letters import LOWER, UPPER


def build_self_test(printer: PrinterConfig, at: datetime) -> SelfTestPage:
    return SelfTestPage(printer.name, printer.profile, printer.mode, printer.paper_width_dots, at)


def self_test_blocks(d: SelfTestPage) -> list[Block]:
    return [
        para("TRANG IN THỬ", bold=True, align="center", size="large"),
        kv("Máy in", d.printer_name),
        kv("Cấu hình", f"{d.profile}, {d.mode}, {d.paper_width_dots} chấm"),
        kv("Lúc", fmt_vn(d.at)),
        Rule(),
        para("Chữ thường:", bold=True),
        para(" ".join(LOWER)),
        para("Chữ hoa:", bold=True),
        para(" ".join(UPPER)),
        Text((Span("Đậm: ", True), Span("Nguyễn Thị Hằng, Đặng Quốc Bảo", True))),
        para("Nhỏ: Cộng hòa xã hội chủ nghĩa Việt Nam", size="small"),
        para("Lớn: Độc lập - Tự do - Hạnh phúc", size="large"),
        Rule(dashed=True),
        QR("https://example.vn/tra-cuu/TEST", "Mã QR thử: điện thoại phải đọc được"),
        Rule(),
    ]
