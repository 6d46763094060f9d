"""The counter ↔ portal contract (`counter.protocol`) and the lifecycle rules both sides use."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from counter import history
from counter.errors import InvalidInput
from counter.lifecycle import (
    ACTIONS,
    CREATING,
    REASON_REQUIRED,
    STATUSES,
    find_action,
    next_status,
    require_details,
)
from counter.protocol import SNAPSHOT_FIELDS, ApiPath, ErrorClass, ErrorCode, reason, reason_code
from tests.support.builders import draft_for
from tests.support.sync import make_counter


@pytest.mark.parametrize("paused_from", [None, "received", "processing"])
def test_find_action_names_an_action_that_makes_exactly_that_move(paused_from: str | None) -> None:
    """For every pair of statuses: the action found is legal from the first and lands on the
    second; when none is found, no (non-creating, status-changing) action makes that move."""
    for status in STATUSES:
        for to_status in STATUSES:
            found = find_action(status, to_status, paused_from)
            makes_it = [
                a.key
                for a in ACTIONS.values()
                if a.key not in CREATING
                and not a.keeps_status
                and status in a.sources
                and next_status(a.key, status, paused_from) == to_status
            ]
            if found is None:
                assert makes_it == [], (status, to_status)
            else:
                assert found in makes_it, (status, to_status, found)


def test_find_action_examples() -> None:
    assert find_action("received", "processing", None) == "start_processing"
    assert find_action("supplement_requested", "processing", "processing") == "supplement"
    assert find_action("returned", "processing", None) is None
    assert find_action("received", "received", None) is None  # `extend` keeps the status


@pytest.mark.parametrize("action", sorted(REASON_REQUIRED))
def test_a_closing_action_needs_a_reason(action: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        require_details(action, reason="")
    assert caught.value.field == "reason"
    require_details(action, reason="Công dân đề nghị")


def test_returning_a_result_needs_a_recipient() -> None:
    with pytest.raises(InvalidInput) as caught:
        require_details("return_result", to="")
    assert caught.value.field == "to"
    require_details("return_result", to="Nguyễn Văn A")
    require_details("start_processing")  # nothing required


def test_protocol_names_are_unique_and_well_formed() -> None:
    assert len({p.value for p in ApiPath}) == len(ApiPath)
    assert all(p.startswith("/api/v1/") for p in ApiPath)
    assert {c.value for c in ErrorClass} == {"retry", "rejected", "reauth"}
    assert all(c.value.isidentifier() and c.value.islower() for c in ErrorCode)
    assert reason_code(reason(ErrorCode.MALFORMED, "a: b")) == "malformed"


def test_the_snapshot_declares_no_personal_contact_field() -> None:
    """The declared payload is the privacy boundary: none of these may ever leave."""
    assert not SNAPSHOT_FIELDS & {
        "applicant_id",
        "representative_id",
        "representative_phone",
        "documents",
        "applicant_phone",
        "applicant_email",
        "applicant_address",
        "note",
        "officer_id",
        "search_text",
    }


def test_a_local_column_never_leaves_the_counter(tmp_path: Path) -> None:
    """A column the counter adds to its own dossiers table (a later migration, a local note)
    is not part of the declared payload, so no outbox entry carries it: what leaves is what
    `DossierSnapshot` declares, and a field is declared on purpose, not by accident."""
    c = make_counter(tmp_path, 3, "http://127.0.0.1:9", "")
    secret = "LOCAL-ONLY-9f1c"
    with c.store.write():
        c.store.conn.execute(
            f"ALTER TABLE dossiers ADD COLUMN local_only_note TEXT NOT NULL DEFAULT '{secret}'"
        )
    d = c.desk.receive(draft_for(c.desk))
    c.desk.act(d.uuid, "start_processing")
    c.desk.act(d.uuid, "stop", reason="Hồ sơ không đúng thẩm quyền")
    payloads = [json.loads(p) for (p,) in c.store.conn.execute("SELECT payload FROM outbox")]
    assert len(payloads) == 3
    for payload in payloads:
        assert secret not in json.dumps(payload, ensure_ascii=False)
        assert set(payload["dossier"]) <= SNAPSHOT_FIELDS
        assert "local_only_note" not in payload["dossier"]
    # and the row itself does hold it: the column was there to be dropped
    row = c.store.conn.execute("SELECT local_only_note FROM dossiers").fetchone()
    assert row[0] == secret


def test_every_dossier_column_is_declared_or_kept_at_the_counter(tmp_path: Path) -> None:
    """The snapshot of a real row is exactly the row's declared columns (plus timeliness):
    a declared field is never dropped on the way, an undeclared one never sent."""
    c = make_counter(tmp_path, 3, "http://127.0.0.1:9", "")
    d = c.desk.receive(draft_for(c.desk))
    cur = c.store.conn.execute("SELECT * FROM dossiers WHERE uuid = ?", (d.uuid,))
    row = dict(zip([col[0] for col in cur.description], cur.fetchone(), strict=True))
    snap = history.snapshot(row, datetime.now(UTC))
    assert set(snap) == (set(row) & SNAPSHOT_FIELDS) | {"timeliness"}
    assert {"applicant_phone", "applicant_id", "representative_id", "note"} <= set(row) - set(snap)
