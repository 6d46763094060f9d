"""The supervisor's figures: SQL aggregates checked against a plain-Python reading of the store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from counter import stats
from counter.config import Config
from counter.desk import Desk
from counter.dossiers import Dossier
from counter.errors import AuthError
from counter.timeutil import VN_TZ
from tests.support.builders import BIRTH, CERTIFY, draft_for, seed_demo_store, supervisor_on_copy
from tests.support.clock import FrozenClock

# Đăng ký lại khai sinh: 5 working days, so finishing on day one is early.
RELATE_BIRTH = "1.004884"

ACTION_OF = {
    "returned": ("return_result",),
    "supplement": ("request_supplement", "intake_supplement"),
    "refused": ("refuse", "intake_refuse"),
    "withdrawn": ("withdraw",),
    "stopped": ("stop",),
}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten days of demo dossiers, made once per module (seeding logs in for every dossier)."""
    return seed_demo_store(tmp_path_factory.mktemp("demo"), FrozenClock(), days=10, per_day=12)


@pytest.fixture
def demo_desk(demo_db: Path, config: Config, clock: FrozenClock) -> Iterator[Desk]:
    """A copy of the demo store with the supervisor logged in."""
    desk = supervisor_on_copy(demo_db, config, clock)
    yield desk
    desk.close()


def _all(desk: Desk) -> list[Dossier]:
    uuids = [r[0] for r in desk.store.conn.execute("SELECT uuid FROM dossiers")]
    return [desk.get(u) for u in uuids]


def expected_sets(desk: Desk, start: date, end: date, now: datetime) -> dict[str, set[str]]:
    """Each figure's dossiers, computed the slow obvious way from Dossier objects."""
    lo = datetime.combine(start, datetime.min.time(), tzinfo=VN_TZ)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=VN_TZ)
    next_day = desk.calendar.next_working_day(now.date())
    out: dict[str, set[str]] = {k: set() for k in stats.FIGURE_KEYS}
    for d in _all(desk):
        if lo <= d.received_at < hi:
            out["received"].add(d.uuid)
        actions = {e.action for e in desk.timeline(d.uuid) if lo <= e.at < hi}
        for key, kinds in ACTION_OF.items():
            if actions & set(kinds):
                out[key].add(d.uuid)
        # Every judgement comes from the one timeliness function, never from SQL.
        judged = d.timeliness(now)
        if d.status in stats.RESOLVED and d.finished_at and lo <= d.finished_at < hi:
            assert judged in ("early", "on_time", "late")
            out[judged].add(d.uuid)
        if judged == "overdue" and d.due_at is not None and start <= d.due_at.date() <= end:
            out["late_open"].add(d.uuid)
        if judged in ("overdue", "due_today"):
            out[judged].add(d.uuid)
        if d.status in stats.RUNNING and d.due_at is not None and d.due_at.date() == next_day:
            out["due_next"].add(d.uuid)
    return out


@pytest.mark.parametrize("days_back", [0, 3, 10])
def test_figures_and_drill_down_match_the_dossiers(demo_desk: Desk, days_back: int) -> None:
    now = demo_desk.now()
    start, end = now.date() - timedelta(days=days_back), now.date()
    figures = stats.range_figures(demo_desk, start, end)
    expected = expected_sets(demo_desk, start, end, now)
    assert figures.counts == {k: len(v) for k, v in expected.items()}
    assert sum(figures.counts.values()) > 0
    for key in stats.FIGURE_KEYS:
        got = stats.drill_down_uuids(demo_desk.store, demo_desk.calendar, key, start, end, now)
        assert set(got) == expected[key], key
        assert len(got) == len(set(got))


def test_groups_add_up_and_drill_down_per_group(demo_desk: Desk) -> None:
    now = demo_desk.now()
    start = now.date() - timedelta(days=10)
    figures = stats.range_figures(demo_desk, start, now.date())
    assert set(figures.groups) == {"officer", "counter", "field"}
    for dim, rows in figures.groups.items():
        for key in stats.FIGURE_KEYS:
            assert sum(g.counts[key] for g in rows) == figures.counts[key], (dim, key)
        for g in rows:
            for key in ("received", "overdue"):
                rows_behind = stats.figure_dossiers(
                    demo_desk, key, start, now.date(), dimension=dim, key=g.key
                )
                assert len(rows_behind) == g.counts[key]
    officers = figures.groups["officer"]
    assert [g.label for g in officers] == ["Trần Thị Mai"]
    assert figures.groups["counter"][0].label == "Quầy 3"
    fields = {g.label for g in figures.groups["field"]}
    assert fields <= {p.field for p in demo_desk.catalogue}


def test_on_time_split_follows_domain_4(desk: Desk, clock: FrozenClock) -> None:
    """Finishing before / on / after the due DATE; an unfinished one past due is late too."""
    desk.login("canbo", "1234")
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=VN_TZ)
    clock.now = monday
    early = desk.receive(draft_for(desk, RELATE_BIRTH))
    on_time = desk.receive(draft_for(desk, CERTIFY))
    late = desk.receive(draft_for(desk, CERTIFY))
    still_open = desk.receive(draft_for(desk, CERTIFY))
    clock.now = monday + timedelta(hours=2)
    desk.act(on_time.uuid, "result_ready")
    desk.act(early.uuid, "result_ready")
    clock.now = monday + timedelta(days=1)
    desk.act(late.uuid, "result_ready")
    clock.now = datetime(2026, 11, 26, 9, 30, tzinfo=VN_TZ)
    desk.logout()
    desk.login("giamsat", "5678")
    figures = stats.range_figures(desk, monday.date(), clock.now.date())
    assert (figures.counts["early"], figures.counts["on_time"], figures.counts["late"]) == (1, 1, 1)
    assert figures.counts["late_open"] == 1
    assert figures.counts["overdue"] == 1
    behind = stats.figure_dossiers(desk, "late_open", monday.date(), clock.now.date())
    assert [r.uuid for r in behind] == [still_open.uuid]
    judged = sum(figures.counts[k] for k in ("early", "on_time", "late", "late_open"))
    good = figures.counts["early"] + figures.counts["on_time"]
    assert figures.on_time_rate == pytest.approx(good / judged)


def test_today_figures_and_snapshot(desk: Desk, clock: FrozenClock) -> None:
    desk.login("canbo", "1234")
    a = desk.receive(draft_for(desk, CERTIFY))
    b = desk.receive(draft_for(desk, BIRTH))
    desk.act(a.uuid, "request_supplement", items=["Bản chính"], reason="Thiếu bản chính")
    desk.act(b.uuid, "refuse", reason="Không thuộc thẩm quyền")
    desk.logout()
    desk.login("giamsat", "5678")
    f = stats.today_figures(desk)
    assert f.start == f.end == date(2026, 11, 26)
    assert f.counts["received"] == 2
    assert f.counts["supplement"] == 1 and f.counts["refused"] == 1
    assert f.counts["due_today"] == 0  # paused and refused dossiers are not due
    assert f.queue is None and f.queue_note == stats.NO_QUEUE_DATA
    assert stats.hourly_received(desk)[2] == 2  # 09:xx is the third hour from 07:00
    assert "27/11" in f.label("due_next")


def test_queue_figures_come_from_the_provider(desk: Desk) -> None:
    desk.login("giamsat", "5678")
    seen: list[tuple[date, date]] = []

    def provider(start: date, end: date) -> stats.QueueFigures:
        seen.append((start, end))
        return stats.QueueFigures(
            issued=12, waiting=3, served=8, no_shows=1, average_wait_minutes=7.5
        )

    f = stats.today_figures(desk, queue=provider)
    assert seen == [(date(2026, 11, 26), date(2026, 11, 26))]
    assert f.queue is not None and f.queue.waiting == 3 and f.queue_note == ""


def test_officers_without_the_supervisor_role_are_refused(desk: Desk) -> None:
    with pytest.raises(AuthError):
        stats.today_figures(desk)  # nobody logged in
    desk.login("canbo", "1234")
    with pytest.raises(AuthError, match="lãnh đạo"):
        stats.today_figures(desk)
    with pytest.raises(AuthError):
        stats.figure_dossiers(desk, "received", date(2026, 11, 26), date(2026, 11, 26))


def test_bad_range_and_figure_are_refused(desk: Desk) -> None:
    with pytest.raises(ValueError):
        stats.day_bounds(date(2026, 11, 26), date(2026, 11, 25))
    with pytest.raises(ValueError):
        stats.drill_down(
            desk.store, desk.calendar, "nope", date(2026, 11, 26), date(2026, 11, 26), desk.now()
        )
