"""Undo of the last reversible action: the row comes back exactly, the record stays."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from counter.desk import UNDO_WINDOW, Desk
from counter.errors import IllegalTransition
from counter.lifecycle import ACTIONS, REVERSIBLE, TERMINAL_ACTIONS
from tests.support.builders import draft_for
from tests.support.clock import FrozenClock

# Columns undo may legitimately change besides restoring the rest.
_BOOKKEEPING = {"updated_at", "version"}

# (setup actions, reversible action): every reversible action from every status it starts from.
CASES = [
    ([], "start_processing"),
    ([], "result_ready"),
    (["start_processing"], "result_ready"),
    ([("request_supplement", {"items": ["Bản sao"], "reason": "Thiếu"})], "supplement"),
    (
        ["start_processing", ("request_supplement", {"items": ["Bản sao"], "reason": "Thiếu"})],
        "supplement",
    ),
]


def _row(desk: Desk, uuid: str) -> dict[str, object]:
    row = next(iter(desk.store.db.query("SELECT * FROM dossiers WHERE uuid = ?", [uuid])))
    return {k: v for k, v in row.items() if k not in _BOOKKEEPING}


def _setup(desk: Desk, clock: FrozenClock, steps: list) -> str:
    dossier = desk.receive(draft_for(desk))
    for step in steps:
        clock.now += timedelta(hours=2)
        action, details = step if isinstance(step, tuple) else (step, {})
        desk.act(dossier.uuid, action, **details)
    clock.now += timedelta(hours=3)
    return dossier.uuid


@pytest.mark.parametrize(("steps", "action"), CASES)
def test_undo_restores_the_row_exactly(
    officer_desk: Desk, clock: FrozenClock, steps: list, action: str
) -> None:
    uuid = _setup(officer_desk, clock, steps)
    before = _row(officer_desk, uuid)
    outbox = officer_desk.store.conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
    officer_desk.act(uuid, action)
    assert _row(officer_desk, uuid) != before
    clock.now += timedelta(minutes=2)
    dossier, undone = officer_desk.undo(uuid)
    assert undone == action
    assert _row(officer_desk, uuid) == before
    assert dossier.status == before["status"]
    # The record stays: both events are in the timeline and both go to the portal.
    actions = [e.action for e in officer_desk.timeline(uuid)]
    assert actions[-2:] == [action, "undo"]
    assert officer_desk.store.conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == (
        outbox + 2
    )
    payload = json.loads(
        officer_desk.store.conn.execute(
            "SELECT payload FROM outbox ORDER BY seq DESC LIMIT 1"
        ).fetchone()[0]
    )
    assert payload["dossier"]["status"] == before["status"]
    # Once is enough: the undo itself cannot be undone.
    with pytest.raises(IllegalTransition):
        officer_desk.undo(uuid)


def test_only_reversible_actions_can_be_undone(officer_desk: Desk, clock: FrozenClock) -> None:
    assert not REVERSIBLE & TERMINAL_ACTIONS
    # Neither undone nor terminal: receiving (undoing it is refusing), the supplement request
    # and the new date (Mẫu 02/04: a letter the citizen already holds), and the two intake
    # outcomes (Mẫu 02/03 handed over at the counter instead of a receipt).
    not_undone = {"receive", "request_supplement", "extend", "intake_refuse", "intake_supplement"}
    assert REVERSIBLE | TERMINAL_ACTIONS | not_undone == set(ACTIONS)
    fresh = officer_desk.receive(draft_for(officer_desk))
    with pytest.raises(IllegalTransition):  # receiving is not undone: that is refusing
        officer_desk.undo(fresh.uuid)
    cases: list[tuple[str, dict[str, object]]] = [
        ("refuse", {"reason": "Sai thẩm quyền"}),
        ("withdraw", {"reason": "Công dân rút"}),
        ("stop", {"reason": "Dừng"}),
        ("request_supplement", {"items": ["Bản sao"], "reason": "Thiếu"}),
        ("extend", {"new_day": "03/12/2026", "reason": "Chờ xác minh"}),
    ]
    for action, details in cases:
        d = officer_desk.receive(draft_for(officer_desk))
        officer_desk.act(d.uuid, action, **details)
        status = officer_desk.get(d.uuid).status
        with pytest.raises(IllegalTransition):
            officer_desk.undo(d.uuid)
        assert officer_desk.get(d.uuid).status == status


def test_undo_is_refused_late_or_by_another_officer(officer_desk: Desk, clock: FrozenClock) -> None:
    late = officer_desk.receive(draft_for(officer_desk))
    officer_desk.act(late.uuid, "start_processing")
    clock.now += UNDO_WINDOW + timedelta(seconds=1)
    with pytest.raises(IllegalTransition):
        officer_desk.undo(late.uuid)
    assert officer_desk.get(late.uuid).status == "processing"

    other = officer_desk.receive(draft_for(officer_desk))
    officer_desk.act(other.uuid, "start_processing")
    officer_desk.logout()
    officer_desk.login("giamsat", "5678")
    with pytest.raises(IllegalTransition):
        officer_desk.undo(other.uuid)
    assert officer_desk.get(other.uuid).status == "processing"
