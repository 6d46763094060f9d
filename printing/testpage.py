"""The printer self-test page: every Vietnamese letter, each weight and size, a QR.

An IT officer prints it once per printer model to see that nothing turns into "?".
"""

from __future__ import annotations

from counter.documents import SelfTestPage, self_test_page
from counter.timeutil import fmt_vn

from .blocks import QR, Block, Rule, Span, Text, kv, para
from .letters import LOWER, UPPER

build_self_test = self_test_page  # the name `counter doctor` imports; built in the core


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
