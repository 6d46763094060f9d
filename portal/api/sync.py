"""The two data flows of the protocol: a counter pushes its outbox (`POST /push`) and pulls
the central changes meant for it (`GET /changes`).

Its own home because these carry the dossiers: batches are checked (size, order) here and
each entry on its own in `portal.storage`, so one bad entry never refuses a batch.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any, cast

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from counter.protocol import ChangesResponse, ErrorClass, ErrorCode, Halt, PushResponse
from portal.api.errors import ApiError
from portal.api.requests import (
    MAX_INT,
    body_json,
    device_of,
    has_nul,
    limits_of,
    require,
    storage_of,
)
from portal.storage import Entry, utc_now

log = logging.getLogger("portal")


async def push(request: Request) -> Response:
    storage = storage_of(request)
    lim = limits_of(request)
    device = await device_of(request)
    # NUL is allowed through here: the entry that holds it is rejected on its own below,
    # so one odd character never refuses (and so blocks) the whole batch.
    body = await body_json(request, nul_ok=True)
    fields = require(body, {"after_seq": int, "entries": list})
    raw_entries: list[Any] = fields["entries"]
    if len(raw_entries) > lim.max_batch:
        raise ApiError(
            413,
            ErrorClass.RETRY,
            ErrorCode.BATCH_TOO_LARGE,
            f"{len(raw_entries)} entries in one batch, the limit is {lim.max_batch}",
            max_batch=lim.max_batch,
            max_body_bytes=lim.max_body_bytes,
        )
    entries = [_entry(i, e) for i, e in enumerate(raw_entries)]
    seqs = [e.seq for e in entries]
    if any(b <= a for a, b in itertools.pairwise(seqs)) or (
        seqs and seqs[0] <= fields["after_seq"]
    ):
        raise ApiError(
            422,
            ErrorClass.REJECTED,
            ErrorCode.UNORDERED_BATCH,
            "entries must be in strictly increasing sequence order, after after_seq",
        )
    outcome = await run_in_threadpool(storage.ingest, device, fields["after_seq"], entries)
    log.info(
        "push device=%s entries=%d applied=%d duplicates=%d rejected=%d last_seq=%d",
        device.device_id,
        len(entries),
        outcome.applied,
        outcome.duplicates,
        len(outcome.rejected),
        outcome.last_seq,
    )
    answer: PushResponse = {
        "last_seq": outcome.last_seq,
        "accepted_through": outcome.accepted_through,
        "applied": outcome.applied,
        "duplicates": outcome.duplicates,
        "rejected": [{"seq": s, "reason": r} for s, r in outcome.rejected],
        "halt": None,
        "epoch": await run_in_threadpool(storage.epoch),
        "server_time": utc_now().isoformat(),
    }
    if outcome.halt is not None:
        h = outcome.halt
        halt = {"class": h.error_class, "code": h.code, "message": h.message, **h.extra}
        answer["halt"] = cast(Halt, halt)  # the extras are the halt's own (last_seq, kind …)
    return JSONResponse(answer)


async def changes(request: Request) -> Response:
    storage = storage_of(request)
    lim = limits_of(request)
    device = await device_of(request)
    try:
        after = int(request.query_params.get("after", "0"))
        limit = int(request.query_params.get("limit", str(lim.max_pull)))
    except ValueError:
        raise ApiError(
            422, ErrorClass.REJECTED, ErrorCode.BAD_QUERY, "after and limit must be integers"
        ) from None
    if not 0 <= after <= MAX_INT or limit < 1:
        raise ApiError(
            422,
            ErrorClass.REJECTED,
            ErrorCode.BAD_QUERY,
            "after must be ≥ 0 and limit ≥ 1",
            max_pull=lim.max_pull,
        )
    limit = min(limit, lim.max_pull)  # a larger page is simply cut to the limit
    found, more = await storage.changes_since_async(device.device_id, after, limit)
    answer: ChangesResponse = {
        "epoch": await run_in_threadpool(storage.epoch),
        "changes": [
            {
                "id": c.id,
                "kind": c.kind,
                "dossier_uuid": c.dossier_uuid,
                "created_at": c.created_at,
                "data": c.data,
            }
            for c in found
        ],
        "cursor": found[-1].id if found else after,
        "more": more,
        "server_time": utc_now().isoformat(),
    }
    if not found and after > 0:
        # Nothing after the cursor: say where this device's changes end, so a counter
        # whose cursor is ahead (the portal was restored) pulls again from the start.
        answer["latest"] = await run_in_threadpool(storage.latest_change_id, device.device_id)
    return JSONResponse(answer)


def _entry(index: int, raw: Any) -> Entry:
    """One pushed entry. Only an entry without a readable `seq` refuses the batch (nothing
    could record it); anything else wrong with an entry becomes its `problem`, and storage
    rejects that entry alone with the reason, so the sequence moves on (issue #13)."""
    if not isinstance(raw, dict):
        raise ApiError(
            422, ErrorClass.REJECTED, ErrorCode.BAD_ENTRY, f"entries[{index}] is not an object"
        )
    seq, kind, version = raw.get("seq"), raw.get("kind"), raw.get("schema_version")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_INT:
        raise ApiError(
            422,
            ErrorClass.REJECTED,
            ErrorCode.BAD_ENTRY,
            f"entries[{index}].seq: positive integer",
        )
    problem = ""
    if (
        not isinstance(kind, str)
        or not isinstance(version, int)
        or isinstance(version, bool)
        or not -MAX_INT <= version <= MAX_INT
    ):
        problem = "the entry's kind and schema_version are required"
        kind = str(kind)[:100] if isinstance(kind, str) else "?"
        version = 0
    elif has_nul(raw):
        problem = "the entry holds a NUL character"
    created_at = raw.get("created_at", "")
    return Entry(
        seq=seq,
        kind=_no_nul(kind),
        schema_version=version,
        created_at=_no_nul(created_at if isinstance(created_at, str) else str(created_at)),
        payload=raw.get("payload"),
        local_reject=_no_nul(str(raw.get("local_reject") or "")),
        problem=problem,
    )


def _no_nul(text: str) -> str:
    """Text a PostgreSQL column can hold (the entry is rejected; its columns still stored)."""
    return text.replace("\x00", "\ufffd")
