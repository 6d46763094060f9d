"""The counter ↔ portal contract (`counter.protocol`) and the lifecycle rules both sides use."""

from __future__ import annotations

import pytest

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
        "applicant_id_number",
        "applicant_phone",
        "applicant_email",
        "applicant_address",
        "note",
        "officer_id",
        "search_text",
    }
