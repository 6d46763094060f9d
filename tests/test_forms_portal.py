"""The forms and the fee reach the citizen's page in plain words (SQLite and PostgreSQL portal).

A real portal on 127.0.0.1, a real counter syncing to it, the page read over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from counter.sync import sync_once
from portal import admin
from portal.server import ThreadedPortal
from tests.support.pg import pg_cluster, portal_db  # noqa: F401  (fixtures)
from tests.support.portal import ADMIN, lookup_counter, text_of
from tests.support.sync import AGENCY, Counter

RESIDENCE = "1.004194"


@pytest.fixture
def portal(portal_db: str) -> Iterator[ThreadedPortal]:  # noqa: F811
    with ThreadedPortal(portal_db, admin_token=ADMIN) as p:
        yield p


@pytest.fixture
def counter(tmp_path: Path, portal: ThreadedPortal) -> Iterator[Counter]:
    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    c = lookup_counter(tmp_path, 3, portal, code)
    assert sync_once(c.store, c.config).ok
    yield c
    c.desk.close()


def page(c: Counter, uuid: str) -> str:
    assert sync_once(c.store, c.config).ok
    r = httpx.get(c.desk.lookup_url(c.desk.get(uuid)))
    assert r.status_code == 200
    return text_of(r)


def test_forms_and_fees_reach_the_page(counter: Counter) -> None:
    from tests.support.builders import draft_for

    desk = counter.desk
    # Mẫu 02 at intake: not received, what to add, no appointment.
    draft = draft_for(desk, RESIDENCE)
    docs = list(draft.documents)
    docs[0] = replace(docs[0], received=False)
    turned_away = desk.decline_at_intake(replace(draft, documents=tuple(docs)), "supplement")
    text = page(counter, turned_away.uuid)
    assert "chưa được tiếp nhận" in text and "Giấy tờ cần bổ sung" in text
    assert docs[0].name in text and "Hẹn trả kết quả" not in text
    # Cash: paid, never asked again.
    cash = desk.receive(draft_for(desk, RESIDENCE, payment_method="cash"))
    text = page(counter, cash.uuid)
    assert "15.000" in text and "đã nộp bằng tiền mặt" in text and "VietQR" not in text
    # Transfer: to pay; then paid.
    transfer = desk.receive(draft_for(desk, RESIDENCE, payment_method="transfer"))
    assert "chưa nộp" in page(counter, transfer.uuid)
    desk.confirm_transfer(transfer.uuid)
    text = page(counter, transfer.uuid)
    assert "đã nộp bằng chuyển khoản" in text and "Đã nhận phí, lệ phí chuyển khoản" in text
    # Mẫu 04: the new date, and why.
    assert cash.due_at is not None
    new_day = desk.calendar.next_working_day(cash.due_at.date())  # the portal runs on real time
    desk.act(cash.uuid, "extend", new_day=f"{new_day:%d/%m/%Y}", reason="Chờ xác minh")
    text = page(counter, cash.uuid)
    assert "gia hạn" in text and f"{new_day:%d/%m/%Y}" in text and "Lý do: Chờ xác minh" in text
    # Mẫu 02 after acceptance, then Mẫu 05.
    desk.act(transfer.uuid, "request_supplement", items=["Bản sao sổ hộ khẩu"], reason="Thiếu")
    text = page(counter, transfer.uuid)
    assert "Giấy tờ cần bổ sung" in text and "Bản sao sổ hộ khẩu" in text
    desk.act(transfer.uuid, "withdraw", reason="Công dân đề nghị rút")
    text = page(counter, transfer.uuid)
    assert "Lý do rút hồ sơ" in text and "Công dân đề nghị rút" in text
    # Mẫu 03 at intake.
    refused = desk.decline_at_intake(
        draft_for(desk, RESIDENCE), "refusal", reason="Không thuộc thẩm quyền"
    )
    text = page(counter, refused.uuid)
    assert "không được tiếp nhận" in text and "Không thuộc thẩm quyền" in text
    assert "Hẹn trả kết quả" not in text
