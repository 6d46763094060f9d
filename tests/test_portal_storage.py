"""The portal's storage applies the lifecycle's rules, not a copy of them.

The back office moves a dossier with `set_status`: which action that is comes from
`counter.lifecycle.find_action`, and what the action cannot go without (a reason, a
recipient) from `counter.lifecycle.require_details`, the check the counter's desk runs. Swept
over every status and every target, so a rule added to the lifecycle holds on the portal too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from counter.lifecycle import REASON_REQUIRED, STATUSES, find_action
from counter.protocol import ErrorCode
from portal.storage import SQLiteStorage, StorageError


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[SQLiteStorage]:
    s = SQLiteStorage(tmp_path / "portal.db")
    yield s
    s.close()


def _dossier(storage: SQLiteStorage, n: int, status: str) -> str:
    """A dossier the portal holds in `status` (as a counter's push would leave it)."""
    uuid = f"u-{n}"
    storage.conn.execute(
        "INSERT INTO dossiers(uuid, device_id, code, agency_code, counter_no, procedure_code, "
        "procedure_name, applicant_name, status, status_code, received_at, due_at, version, "
        "updated_at, synced_at, snapshot) VALUES (?, 'dev', ?, 'A', 3, 'p', 'P', 'N', ?, 0, "
        "'2026-11-26', '2026-12-01', 1, 'x', 'x', ?)",
        (uuid, f"A-261126-03{n:04d}", status, json.dumps({"paused_from_status": "processing"})),
    )
    return uuid


def test_the_back_office_needs_what_the_counter_needs(storage: SQLiteStorage) -> None:
    n = 0
    seen: set[str] = set()
    for status in STATUSES:
        for target in STATUSES:
            action = find_action(status, target, "processing")
            n += 1
            uuid = _dossier(storage, n, status)
            if action is None:
                with pytest.raises(StorageError) as refused:
                    storage.set_status(uuid, target, by="bo")
                assert refused.value.code == ErrorCode.ILLEGAL_TRANSITION
                continue
            seen.add(action)
            if action in REASON_REQUIRED:
                with pytest.raises(StorageError) as missing:
                    storage.set_status(uuid, target, by="bo")
                assert missing.value.code == ErrorCode.REASON_REQUIRED
                assert storage.dossier(uuid)["status"] == status  # type: ignore[index]
            elif action == "return_result":
                with pytest.raises(StorageError) as missing:
                    storage.set_status(uuid, target, by="bo")
                assert missing.value.code == ErrorCode.RECIPIENT_REQUIRED
                assert storage.set_status(uuid, target, by="bo", to="Nguyễn Văn A").data["to"] == (
                    "Nguyễn Văn A"
                )
                continue
            change = storage.set_status(uuid, target, by="bo", note="lý do")
            assert change.data["action"] == action
            assert storage.dossier(uuid)["status"] == target  # type: ignore[index]
    # The sweep met every kind of rule (an empty lifecycle would pass it vacuously).
    assert seen >= REASON_REQUIRED and "return_result" in seen and "start_processing" in seen
