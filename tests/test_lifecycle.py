"""`lifecycle.transition`: the one place an action's side effects on a dossier row live, for
the counter's own actions and for changes pulled from the portal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from counter.config import OfficeHours
from counter.errors import IllegalTransition
from counter.lifecycle import STATUSES, transition
from counter.timeutil import VN_TZ, iso
from counter.worktime import WorkCalendar
from tests.support.config import CALENDAR_OVERRIDES

CAL = WorkCalendar(OfficeHours(), CALENDAR_OVERRIDES)


def vn(d: int, h: int, mi: int = 0) -> datetime:
    return datetime(2026, 11, d, h, mi, tzinfo=VN_TZ)


def row(status: str, **more: Any) -> dict[str, Any]:
    return {
        "status": status,
        "paused_from_status": None,
        "paused_at": None,
        "due_at": iso(vn(30, 17)),  # Monday 30/11, end of day
        "version": 4,
        **more,
    }


def test_a_supplement_request_pauses_and_the_supplement_pushes_the_due_date_back() -> None:
    asked, effects = transition("request_supplement", row("processing"), vn(26, 9), CAL)
    assert asked["status"] == "supplement_requested" and effects == {}
    assert asked["paused_from_status"] == "processing" and asked["version"] == 5
    paused = row(
        "supplement_requested", **{k: asked[k] for k in ("paused_at", "paused_from_status")}
    )
    # Back Friday 27/11 at 09:00: one full working day (8 hours) later.
    back, effects = transition("supplement", paused, vn(27, 9), CAL)
    assert back["status"] == "processing"  # back where it was paused from
    assert back["paused_at"] is None and back["paused_from_status"] is None
    assert effects["paused_minutes"] == 8 * 60
    pushed = CAL.extend_for_pause(vn(30, 17), vn(26, 9), vn(27, 9))
    assert back["due_at"] == effects["due_at"] == iso(pushed) and pushed > vn(30, 17)
    assert back["status_code"] == STATUSES["processing"].dvcqg


def test_finishing_returning_and_closing_record_when_who_and_why() -> None:
    ready, effects = transition("result_ready", row("processing"), vn(27, 10), CAL)
    assert ready["finished_at"] == iso(vn(27, 10)) and effects == {"timeliness": "early"}
    _, effects = transition("result_ready", row("processing"), vn(30, 16), CAL)
    assert effects == {"timeliness": "on_time"}  # the due date itself
    given, _ = transition("return_result", row("result_ready"), vn(28, 8), CAL, to="Nguyễn Văn An")
    assert (given["status"], given["returned_to"]) == ("returned", "Nguyễn Văn An")
    refused, _ = transition("refuse", row("received"), vn(26, 8), CAL, reason="Thiếu giấy tờ")
    assert (refused["status"], refused["closed_reason"]) == ("refused", "Thiếu giấy tờ")


def test_an_action_the_status_does_not_allow_is_refused_by_name() -> None:
    with pytest.raises(IllegalTransition, match="Đã trả kết quả"):
        transition("request_supplement", row("returned"), vn(26, 9), CAL)
