"""The desk: intake, codes, every lifecycle action, the clock pause, audit and outbox."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import pytest

from counter.audit import verify_chain
from counter.desk import Desk
from counter.dossiers import Applicant, Representative
from counter.errors import AuthError, IllegalTransition, InvalidInput, NotFound
from counter.timeutil import VN_TZ
from tests.support.builders import BIRTH, CERTIFY, draft_for
from tests.support.clock import FrozenClock

RESIDENCE = "1.004194"  # Đăng ký tạm trú: 3 working days


def counts(desk: Desk) -> tuple[int, int, int, int]:
    q = desk.store.conn.execute
    return tuple(
        q(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("dossiers", "dossier_events", "audit", "outbox")
    )


def test_receive_saves_row_event_audit_and_outbox(officer_desk: Desk) -> None:
    before = counts(officer_desk)
    d = officer_desk.receive(draft_for(officer_desk, RESIDENCE))
    after = counts(officer_desk)
    assert after[0] == before[0] + 1
    assert after[1] == before[1] + 1
    assert after[2] == before[2] + 1
    assert after[3] == before[3] + 1
    assert d.code == "000.00.12.H26-261126-030001"
    assert d.status == "received" and d.status_code == 2
    assert d.applicant.phone == "0912345678"
    assert d.applicant.name == "Nguyễn Văn Đức"
    # Thu 26/11/2026 09:30 + 3 working days = Tue 01/12/2026 09:30.
    assert d.due_at == datetime(2026, 12, 1, 9, 30, tzinfo=VN_TZ)
    assert d.officer_name == "Trần Thị Mai"
    payload = json.loads(
        officer_desk.store.conn.execute("SELECT payload FROM outbox").fetchone()[0]
    )
    assert payload["dossier_uuid"] == d.uuid
    assert payload["event"]["action"] == "receive"
    assert payload["device_id"] == officer_desk.device_id


def test_codes_follow_each_other_and_restart_each_day(
    officer_desk: Desk, clock: FrozenClock
) -> None:
    a = officer_desk.receive(draft_for(officer_desk))
    b = officer_desk.receive(draft_for(officer_desk))
    clock.now = clock.now + timedelta(days=1)
    c = officer_desk.receive(draft_for(officer_desk))
    assert a.code.endswith("261126-030001")
    assert b.code.endswith("261126-030002")
    assert c.code.endswith("261127-030001")


def test_cutoff_moves_same_day_procedure_to_next_working_day(
    officer_desk: Desk, clock: FrozenClock
) -> None:
    clock.now = datetime(2026, 11, 27, 15, 30, tzinfo=VN_TZ)  # Friday after 15:00
    d = officer_desk.receive(draft_for(officer_desk, CERTIFY))
    assert d.due_at.date() == datetime(2026, 11, 30).date()  # Monday


def test_invalid_draft_changes_nothing(officer_desk: Desk) -> None:
    before = counts(officer_desk)
    bad = draft_for(officer_desk, applicant=Applicant(name="Nguyễn Văn Đức", id_number="12345"))
    with pytest.raises(InvalidInput) as err:
        officer_desk.receive(bad)
    assert err.value.field == "applicant.id_number"
    assert "12 chữ số" in err.value.vi
    assert counts(officer_desk) == before
    # No code was consumed: the next good dossier still gets sequence 1.
    assert officer_desk.receive(draft_for(officer_desk)).code.endswith("030001")


def test_missing_required_document_is_refused(officer_desk: Desk) -> None:
    draft = draft_for(officer_desk, RESIDENCE)
    docs = list(draft.documents)
    docs[0] = docs[0].__class__(docs[0].name, docs[0].form, docs[0].count, False, True)
    with pytest.raises(InvalidInput, match="Thiếu giấy tờ bắt buộc"):
        officer_desk.receive(draft.__class__(**{**draft.__dict__, "documents": tuple(docs)}))


def test_representative_is_validated_and_searchable(officer_desk: Desk) -> None:
    rep = Representative("Trần Thị Hà", "001190054321", "0987654321", "Giấy ủy quyền số 12")
    d = officer_desk.receive(draft_for(officer_desk, representative=rep))
    assert d.representative == rep
    assert [x.uuid for x in officer_desk.search("tran thi ha").dossiers] == [d.uuid]
    with pytest.raises(InvalidInput) as err:
        officer_desk.receive(draft_for(officer_desk, representative=Representative("Hà", "1")))
    assert err.value.field == "representative.id_number"


def test_receive_needs_login(desk: Desk) -> None:
    with pytest.raises(AuthError):
        desk.receive(draft_for(desk))


def test_full_lifecycle_with_supplement_pause(officer_desk: Desk, clock: FrozenClock) -> None:
    d = officer_desk.receive(draft_for(officer_desk, RESIDENCE))
    due = d.due_at
    d = officer_desk.act(d.uuid, "start_processing")
    assert d.status == "processing" and d.status_code == 4
    d = officer_desk.act(
        d.uuid,
        "request_supplement",
        items=["Giấy tờ chứng minh chỗ ở"],
        reason="Hợp đồng thuê nhà chưa công chứng",
    )
    assert d.status == "supplement_requested" and d.status_code == 5
    # Paused from Thu 09:30 to Mon 09:30: two working days (Thu, Fri) of pause.
    clock.now = datetime(2026, 11, 30, 9, 30, tzinfo=VN_TZ)
    assert not d.is_overdue(clock.now + timedelta(days=30))  # clock stopped
    d = officer_desk.act(d.uuid, "supplement", note="Đã nộp bản công chứng")
    assert d.status == "processing"  # back where it was paused from
    assert due is not None
    assert d.due_at == officer_desk.calendar.add_working_minutes(due, 2 * 480)
    d = officer_desk.act(d.uuid, "result_ready")
    assert d.status == "result_ready" and d.finished_at == clock.now
    d = officer_desk.act(d.uuid, "return_result", to="Nguyễn Văn Đức")
    assert d.status == "returned" and d.status_code == 10 and d.returned_to == "Nguyễn Văn Đức"
    actions = [e.action for e in officer_desk.timeline(d.uuid)]
    assert actions == [
        "receive",
        "start_processing",
        "request_supplement",
        "supplement",
        "result_ready",
        "return_result",
    ]
    supplement = officer_desk.timeline(d.uuid)[3]
    assert supplement.details["paused_minutes"] == 2 * 480
    assert verify_chain(officer_desk.store.db) == []


@pytest.mark.parametrize(
    ("action", "details", "status", "code"),
    [
        ("refuse", {"reason": "Không thuộc thẩm quyền"}, "refused", 3),
        ("withdraw", {"reason": "Công dân xin rút"}, "withdrawn", 7),
        ("stop", {"reason": "Người yêu cầu đã chết"}, "stopped", 8),
    ],
)
def test_closing_actions(
    officer_desk: Desk, action: str, details: dict, status: str, code: int
) -> None:
    d = officer_desk.receive(draft_for(officer_desk, RESIDENCE))
    d = officer_desk.act(d.uuid, action, **details)
    assert (d.status, d.status_code, d.closed_reason) == (status, code, details["reason"])
    with pytest.raises(IllegalTransition):
        officer_desk.act(d.uuid, "start_processing")


def test_illegal_transitions_are_refused_and_change_nothing(officer_desk: Desk) -> None:
    d = officer_desk.receive(draft_for(officer_desk, RESIDENCE))
    before = counts(officer_desk)
    with pytest.raises(IllegalTransition, match="Đã tiếp nhận"):
        officer_desk.act(d.uuid, "return_result", to="A")
    with pytest.raises(IllegalTransition):
        officer_desk.act(d.uuid, "supplement")
    with pytest.raises(InvalidInput):
        officer_desk.act(d.uuid, "request_supplement", items=[], reason="x")
    with pytest.raises(InvalidInput):
        officer_desk.act(d.uuid, "refuse", reason="  ")
    with pytest.raises(NotFound):
        officer_desk.act("no-such-uuid", "start_processing")
    assert counts(officer_desk) == before
    assert officer_desk.get(d.uuid).version == 1


def test_overdue_is_computed_not_stored(officer_desk: Desk, clock: FrozenClock) -> None:
    d = officer_desk.receive(draft_for(officer_desk, RESIDENCE))
    assert d.due_at is not None
    assert not d.is_overdue(clock.now)
    # One lateness rule (dates): a minute after the due moment it is still "due today".
    assert not d.is_overdue(d.due_at + timedelta(minutes=1))
    assert d.timeliness(d.due_at + timedelta(minutes=1)) == "due_today"
    next_morning = datetime.combine(d.due_at.date() + timedelta(days=1), time(0, 0), VN_TZ)
    assert d.is_overdue(next_morning)
    d = officer_desk.act(d.uuid, "result_ready")
    assert d.due_at is not None
    assert not d.is_overdue(d.due_at + timedelta(days=10))


def test_today_pages_newest_first(officer_desk: Desk, clock: FrozenClock) -> None:
    for i in range(7):
        clock.now = datetime(2026, 11, 26, 8, i, tzinfo=VN_TZ)
        officer_desk.receive(draft_for(officer_desk))
    first = officer_desk.today(page=0, page_size=5)
    second = officer_desk.today(page=1, page_size=5)
    assert first.total == 7 and len(first.dossiers) == 5 and len(second.dossiers) == 2
    assert first.dossiers[0].code.endswith("030007")
    assert second.dossiers[-1].code.endswith("030001")


def test_by_code_and_unknown(officer_desk: Desk) -> None:
    d = officer_desk.receive(draft_for(officer_desk, BIRTH))
    assert officer_desk.by_code(d.code.lower()).uuid == d.uuid
    with pytest.raises(NotFound):
        officer_desk.by_code("000.00.12.H26-261126-039999")


def test_device_id_and_secret_persist(config, clock) -> None:
    a = Desk.open(config, clock=clock)
    ident, secret = a.device_id, a.device_secret
    a.close()
    b = Desk.open(config, clock=clock)
    assert (b.device_id, b.device_secret) == (ident, secret)
    assert len(secret) == 32
    b.close()
