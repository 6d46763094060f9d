"""A counter with one dossier in every state a citizen can find it in, synced to a portal.

Shared by the page tests over HTTP (`test_portal_states.py`) and in Chromium
(`test_portal_page_browser.py`, which also makes docs/img/ screenshots from them).
The states made by the counter's own actions are real; what #12's forms add to the
snapshot (Mẫu 04 extension, payment state) is written into the portal's copy of the snapshot,
as a counter sending those fields would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from counter.sync import sync_once
from portal.server import ThreadedPortal
from tests.support.builders import draft_for
from tests.support.sync import Counter

SUPPLEMENT_ITEMS = ["Bản sao Giấy chứng nhận kết hôn", "Giấy ủy quyền có chứng thực"]
SUPPLEMENT_REASON = "Thiếu giấy tờ chứng minh quan hệ với người được khai sinh"
REFUSAL = "Thủ tục không thuộc thẩm quyền của UBND phường\nThiếu tờ khai theo mẫu"
WITHDRAWAL = "Công dân đề nghị rút hồ sơ để bổ sung thông tin"
STOP = "Công dân không bổ sung hồ sơ trong thời hạn"
EXTENSION_REASON = "Cần xác minh thông tin tại cơ quan khác"
EXTENDED_TO = "2026-12-18T16:00:00+07:00"


@dataclass(frozen=True)
class Made:
    uuid: str
    url: str
    code: str


def patch_snapshot(portal: ThreadedPortal, uuid: str, **fields: Any) -> None:
    """Add fields to the portal's copy of a dossier snapshot (as a newer counter sends them)."""
    storage: Any = portal.storage
    with storage._tx() as c:
        row = c.execute("SELECT snapshot FROM dossiers WHERE uuid = ?", (uuid,)).fetchone()
        snap = json.loads(row["snapshot"])
        snap.update(fields)
        c.execute(
            "UPDATE dossiers SET snapshot = ? WHERE uuid = ?",
            (json.dumps(snap, ensure_ascii=False), uuid),
        )


def make_states(counter: Counter, portal: ThreadedPortal) -> dict[str, Made]:
    """One dossier per state (plus `extended` and `to_pay`), synced; `pending` is not."""
    desk = counter.desk
    out: dict[str, Made] = {}

    def receive(name: str) -> str:
        d = desk.receive(draft_for(desk, "1.004194"))
        out[name] = Made(d.uuid, desk.lookup_url(d), d.code)
        return d.uuid

    receive("received")
    desk.act(receive("processing"), "start_processing")
    desk.act(
        receive("supplement_requested"),
        "request_supplement",
        items=SUPPLEMENT_ITEMS,
        reason=SUPPLEMENT_REASON,
    )
    desk.act(receive("extended"), "start_processing")
    desk.act(receive("result_ready"), "result_ready")
    uuid = receive("returned")
    desk.act(uuid, "result_ready")
    desk.act(uuid, "return_result", to="Nguyễn Văn Đức")
    desk.act(receive("refused"), "refuse", reason=REFUSAL)
    desk.act(receive("withdrawn"), "withdraw", reason=WITHDRAWAL)
    desk.act(receive("stopped"), "stop", reason=STOP)
    receive("to_pay")
    report = sync_once(counter.store, counter.config)
    assert report.ok, report.text()
    patch_snapshot(
        portal,
        out["extended"].uuid,
        extended_due_at=EXTENDED_TO,
        extension_reason=EXTENSION_REASON,
    )
    patch_snapshot(portal, out["to_pay"].uuid, payment_state="to_pay_transfer", fee_amount=8000)
    receive("pending")  # received after the last sync: the portal has only the receipt
    return out
