"""The printer self-test page: every Vietnamese letter, each weight and size, a QR.

An IT officer prints it once per printer model to see that nothing turns into "?".
"""

from __future__ import annotations

from counter.documents import SelfTestPage, self_test_page
from counter.timeutil import fmt_vn

from .blocks import QR, Block, Rule, Span, Text, para
from .letters import LOWER, UPPER
from .parts import Form, field, fixed

build_self_test = self_test_page  # the name `counter doctor` imports; built in the core

TEST_PAGE: Form[SelfTestPage] = Form(
    (
        fixed(para("TRANG IN THỬ", bold=True, align="center", size="large")),
        field("Máy in", lambda d: d.printer_name),
        field("Cấu hình", lambda d: f"{d.profile}, {d.mode}, {d.paper_width_dots} chấm"),
        field("Lúc", lambda d: fmt_vn(d.at)),
        fixed(
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
        ),
    )
)


def self_test_blocks(d: SelfTestPage) -> list[Block]:
    return TEST_PAGE.blocks(d)
