"""Push: the outbox in `seq` order, in batches, acknowledged only after the portal answered.

Its own home because it holds the sequence-chain repairs (a lost answer, a restored store, a
restored portal) and the narrowing of a refused batch to the one entry refused: an entry that
cannot go out is sent as a stub and rejected, never blocking the ones after it. Above 300
lines because `push` is one loop whose branches are the protocol's answers, read top to bottom.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any, cast

import httpx

from counter.config import Config
from counter.protocol import ApiPath, ErrorClass, ErrorCode, PushEntry, PushRequest, PushResponse
from counter.store import Store
from counter.sync.enrollment import _raise_sequence, rebase_from_portal
from counter.sync.state import (
    _PENDING,
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_BODY,
    K_CHAIN,
    K_MAX_BATCH,
    K_MAX_BODY,
    SyncError,
    _auth,
    _check_epoch,
    _error_of,
    _int_setting,
    _skew,
    log,
)
from counter.sync.status import SyncReport
from counter.timeutil import Clock, iso, system_clock

_SURROGATE = re.compile("[\ud800-\udfff]")


def _entry_bytes(entry: PushEntry, payload_json: str | None) -> bytes:
    """One entry of the push body: the typed envelope, with the stored payload JSON spliced
    in verbatim (parsing and dumping every payload again would cost the push its speed and
    could change bytes the portal hashes). `payload_json` None sends `"payload":null`."""
    envelope = json.dumps({k: v for k, v in entry.items() if k != "payload"}, separators=(",", ":"))
    return f'{envelope[:-1]},"payload":{payload_json or "null"}}}'.encode()


def _entry(seq: int, kind: str, version: int, created_at: str) -> PushEntry:
    return {
        "seq": int(seq),
        "kind": kind,
        "schema_version": int(version),
        "created_at": created_at,
        "payload": None,  # spliced in by `_entry_bytes`
    }


def _stub(seq: int, kind: str, version: int, created_at: str, reason: str) -> bytes:
    """An entry sent without its payload, for the portal to record as rejected with
    `reason`, so that the sequence goes on (the entry stays here, with its reason)."""
    entry = _entry(seq, kind, version, created_at)
    entry["local_reject"] = reason
    return _entry_bytes(entry, None)


def _payload_problem(payload: str, thorough: bool = False) -> str:
    """Why a stored payload cannot go out as it is ('' when it can): not JSON, or text
    holding a character the portal cannot store (older stores accepted them).

    The payload is our own `json.dumps` output, so only an escape that may be NUL or a
    surrogate needs a closer look; `thorough` also parses it (after the portal answered
    `bad_json`, to find the entry that is not JSON)."""
    if not isinstance(payload, str):
        return "the stored entry is not text"
    if (
        not thorough
        and "\x00" not in payload
        and "\\u0000" not in payload
        and ("\\ud" not in payload.lower())
    ):
        return ""
    try:
        value = json.loads(payload)
    except ValueError as exc:
        return f"the stored entry is not valid JSON ({exc})"
    if _unsendable(value):
        return "the entry holds a NUL character or a lone surrogate, which the portal cannot store"
    return ""


def _unsendable(value: Any) -> bool:
    """Whether a decoded payload holds text no database can store: NUL, lone surrogates."""
    if isinstance(value, str):
        return "\x00" in value or _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_unsendable(k) or _unsendable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_unsendable(v) for v in value)
    return False


def _renumber_pending(store: Store, first: int, above: int) -> int:
    """Move the pending entries from seq `first` on to fresh numbers past `above` (and past
    every number used here), in their order: the portal holds other entries under their
    numbers (this store was restored, or another holder of the credential used them).
    Returns how many moved. Runs inside the caller's write transaction."""
    local_max = store.conn.execute(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0), "
        "coalesce((SELECT max(seq) FROM outbox), 0))"
    ).fetchone()[0]
    _raise_sequence(store, "outbox", max(int(above), int(local_max)))
    columns = [
        r[1] for r in store.conn.execute("PRAGMA table_info(outbox)").fetchall() if r[1] != "seq"
    ]
    names = ", ".join(columns)
    moved = 0
    for (seq,) in store.conn.execute(
        f"SELECT seq FROM outbox WHERE seq >= ? AND {_PENDING} ORDER BY seq", (first,)
    ).fetchall():
        store.conn.execute(
            f"INSERT INTO outbox({names}) SELECT {names} FROM outbox WHERE seq = ?", (seq,)
        )
        store.conn.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
        moved += 1
    return moved


def _batch_body(
    store: Store,
    max_batch: int,
    max_body: int,
    clock: Clock,
    stubs: dict[int, str] | None = None,
    thorough: bool = False,
) -> tuple[int, list[int], bytes] | None:
    """The next batch as request bytes: the stored payload JSON goes out verbatim.

    An entry in `stubs` (one the portal refused on its own), or whose payload cannot go out,
    is sent as a stub: rejected, recorded on both sides, never blocking the ones after it.
    """
    stubs = stubs if stubs is not None else {}
    rows = store.conn.execute(
        f"SELECT seq, kind, schema_version, payload, created_at FROM outbox WHERE {_PENDING} "
        "ORDER BY seq LIMIT ?",
        (max_batch,),
    ).fetchall()
    if not rows:
        return None
    after = store.conn.execute(
        "SELECT coalesce(max(seq), 0) FROM outbox WHERE seq < ?", (rows[0][0],)
    ).fetchone()[0]
    chain = _int_setting(store, K_CHAIN, 0)
    if after < chain < rows[0][0]:
        after = chain  # the portal's entries this store lacks (a restored backup) come first
    request: PushRequest = {"after_seq": int(after), "entries": []}  # entries: spliced below
    head, tail = json.dumps(request, separators=(",", ":")).encode().split(b"[]")
    head += b"["
    parts: list[bytes] = []
    size = len(head) + 2
    seqs: list[int] = []
    for seq, kind, version, payload, created_at in rows:
        problem = stubs.get(int(seq)) or _payload_problem(payload, thorough)
        if problem:
            part = _stub(seq, kind, version, created_at, problem)
        else:
            part = _entry_bytes(_entry(seq, kind, version, created_at), payload)
        if size + len(part) + 1 > max_body:
            if parts:
                break
            # One entry larger than the portal accepts: send a stub so the portal records
            # the rejection and the sequence goes on (the entry stays here, with its reason).
            reason = f"entry is {len(part)} bytes, over the portal's limit of {max_body}"
            part = _stub(seq, kind, version, created_at, reason)
            parts.append(part)
            seqs.append(int(seq))
            break
        parts.append(part)
        seqs.append(int(seq))
        size += len(part) + 1
    return int(after), seqs, head + b",".join(parts) + b"]" + tail


def _mark_failed(store: Store, seqs: list[int], error: str) -> None:
    if not seqs:
        return
    with store.write():
        store.conn.execute(
            f"UPDATE outbox SET attempts = attempts + 1, last_error = ? "
            f"WHERE seq BETWEEN ? AND ? AND {_PENDING}",
            (error[:500], seqs[0], seqs[-1]),
        )


def push(
    store: Store,
    client: httpx.Client,
    report: SyncReport,
    *,
    clock: Clock = system_clock,
    max_batch: int | None = None,
    stop: threading.Event | None = None,
    config: Config | None = None,
) -> None:
    """Push every pending outbox entry, batch after batch; raise SyncError on failure."""
    batch = max_batch or _int_setting(store, K_MAX_BATCH, DEFAULT_MAX_BATCH)
    max_body = _int_setting(store, K_MAX_BODY, DEFAULT_MAX_BODY)
    repairs = 0  # sequence repairs in this push (a gap, reused numbers); a few at most
    rebased = False
    stubs: dict[int, str] = {}  # entries the portal refused on their own: sent as stubs
    narrow: int | None = None  # the batch size while a refused batch is being narrowed
    thorough = False  # parse every payload before sending (after a `bad_json` answer)
    while stop is None or not stop.is_set():
        built = _batch_body(store, narrow or batch, max_body, clock, stubs, thorough)
        if built is None:
            return
        after, seqs, body = built
        try:
            resp = client.post(
                ApiPath.PUSH,
                content=body,
                headers={**_auth(store), "content-type": "application/json"},
            )
        except httpx.HTTPError as exc:
            _mark_failed(store, seqs, f"network: {exc!r}")
            raise SyncError(
                ErrorClass.RETRY,
                ErrorCode.NETWORK,
                f"không kết nối được cổng dịch vụ công (portal unreachable): {exc!r}",
            ) from None
        if resp.status_code == 413:
            err = _error_of(resp)
            try:
                limit = int(resp.json()["error"].get("max_batch", 0))
                body_limit = int(resp.json()["error"].get("max_body_bytes", 0))
            except (ValueError, KeyError, TypeError, AttributeError):
                limit = body_limit = 0
            if body_limit:
                max_body = body_limit
                store.set_setting(K_MAX_BODY, str(body_limit))
            new_batch = min(limit, batch) if limit and limit < len(seqs) else len(seqs) // 2
            if new_batch < 1:
                raise err
            batch = max(1, new_batch)
            continue
        if resp.status_code != 200:
            err = _error_of(resp)
            if err.code == ErrorCode.BAD_JSON and not thorough:
                thorough = True  # a stored payload may not be JSON: find it, stub it
                continue
            if err.error_class == ErrorClass.REJECTED and 400 <= resp.status_code < 500:
                # The portal refused the whole batch for something in it. Narrow it down:
                # halve the batch until one entry is refused alone, then send that one as a
                # stub, rejected with the portal's reason. A rejected entry never blocks.
                if len(seqs) > 1:
                    narrow = max(1, len(seqs) // 2)
                    continue
                if seqs[0] not in stubs:
                    stubs[seqs[0]] = f"refused by the portal: {err.code}: {err.message}"[:500]
                    log.warning(
                        "push: entry %d refused alone (%s), sent as a stub", seqs[0], err.code
                    )
                    continue
            _mark_failed(store, seqs, err.message)
            raise err
        narrow = None
        try:
            data = cast(PushResponse, resp.json())
            through = int(data["accepted_through"])
            rejected = {int(r["seq"]): str(r["reason"]) for r in data.get("rejected") or []}
            halt = data.get("halt")
        except (ValueError, KeyError, TypeError) as exc:
            raise SyncError(
                ErrorClass.RETRY, ErrorCode.BAD_ANSWER, f"không đọc được trả lời của cổng: {exc!r}"
            ) from None
        now = iso(clock())
        # The portal holds other entries under some of these numbers: not rejections, but
        # entries to number again (below) and send after what the portal has.
        reused = sorted(s for s, r in rejected.items() if r.startswith(ErrorCode.SEQUENCE_REUSED))
        if reused and repairs < 3:
            rejected = {s: r for s, r in rejected.items() if s not in reused}
        else:
            reused = []
        with store.write():
            for seq, reason in rejected.items():
                if after < seq <= through:
                    store.conn.execute(
                        "UPDATE outbox SET rejected_reason = ?, acked_at = NULL, last_error = ? "
                        "WHERE seq = ?",
                        (reason, reason, seq),
                    )
            store.conn.execute(
                f"UPDATE outbox SET acked_at = ?, last_error = NULL "
                f"WHERE seq > ? AND seq <= ? AND {_PENDING} AND seq NOT IN "
                f"({','.join('?' * len(reused))})",
                (now, after, through, *reused),
            )
            if reused:
                # The store went back in time without `counter restore`: number what it
                # writes from now on past the portal too (events, codes), not only these.
                _raise_sequence(store, "outbox", int(data.get("last_seq", 0)))
                moved = _renumber_pending(store, reused[0], int(data.get("last_seq", 0)))
                log.warning(
                    "push: the portal holds other entries under %d of this store's numbers "
                    "(restored store or replaced PC); %d entries numbered again",
                    len(reused),
                    moved,
                )
            _check_epoch(store, data.get("epoch"), clock)
        if reused:
            repairs += 1
            if not rebased and config is not None:
                rebased = True
                try:
                    rebase_from_portal(store, config, client)
                except (SyncError, httpx.HTTPError, ValueError) as exc:
                    log.warning("rebase after reused numbers failed: %s", exc)
            continue
        done = sum(1 for s in seqs if s <= through)
        report.pushed += done
        report.rejected += sum(1 for s in rejected if after < s <= through)
        report.rejections += [(s, r) for s, r in rejected.items() if after < s <= through]
        report.applied += int(data.get("applied", 0))
        report.duplicates += int(data.get("duplicates", 0))
        _skew(store, data.get("server_time"), clock)
        if isinstance(halt, dict):
            code = str(halt.get("code", ErrorCode.HALT))
            message = str(halt.get("message", ""))
            portal_last = halt.get("last_seq")
            if code == ErrorCode.SEQUENCE_GAP and isinstance(portal_last, int) and repairs < 3:
                # The chain breaks where the portal stands. Behind this store (the portal was
                # restored): send again what it lost; it skips what it has. Ahead of it (this
                # store was restored, or is a replacement PC): go on after what the portal has.
                with store.write():
                    if portal_last < after:
                        store.conn.execute(
                            "UPDATE outbox SET acked_at = NULL, rejected_reason = NULL "
                            "WHERE seq > ?",
                            (portal_last,),
                        )
                    store.set_setting(K_CHAIN, str(portal_last))
                    _raise_sequence(store, "outbox", portal_last)
                log.warning(
                    "push: sequence gap, the portal stands at %d and this store at %d; chained on",
                    portal_last,
                    after,
                )
                repairs += 1
                continue
            raise SyncError(str(halt.get("class", ErrorClass.RETRY)), code, message)
        if done == 0:
            raise SyncError(
                ErrorClass.RETRY,
                ErrorCode.NO_PROGRESS,
                "cổng không nhận bản ghi nào của lô vừa gửi",
            )
