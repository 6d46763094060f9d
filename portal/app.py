"""The portal's HTTP API (protocol v1), a Starlette ASGI app served by uvicorn.

Starlette rather than FastAPI: the API is six small JSON endpoints whose bodies we validate by
hand anyway (limits are checked before parsing, entries are processed one by one), so
pydantic would cost memory and start-up time for little; the OpenAPI description is written
out in `portal.openapi` and a test checks that it names exactly the routes served.

Every error answers `{"error": {"class": ..., "code": ..., "message": ...}}` where `class` tells
the counter what to do: `retry` (later, with backoff), `rejected` (this request will never be
accepted as is), `reauth` (enroll again).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from portal.openapi import openapi_spec
from portal.storage import (
    PROTOCOL_VERSION,
    SUPPORTED_KINDS,
    Device,
    Entry,
    Storage,
    StorageError,
    utc_now,
)

API = "/api/v1"


@dataclass(frozen=True)
class Limits:
    max_batch: int = 500
    max_body_bytes: int = 4 * 1024 * 1024
    max_pull: int = 500


class ApiError(Exception):
    def __init__(self, status: int, error_class: str, code: str, message: str, **extra: Any):
        super().__init__(message)
        self.status = status
        self.error_class = error_class
        self.code = code
        self.message = message
        self.extra = extra


_STORAGE_STATUS = {
    "unauthenticated": (401, "reauth"),
    "device_revoked": (401, "reauth"),
    "invalid_code": (403, "rejected"),
    "code_used": (403, "rejected"),
    "code_expired": (403, "rejected"),
    "counter_mismatch": (403, "rejected"),
    "counter_taken": (409, "rejected"),
}


def _error(status: int, error_class: str, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(
        {"error": {"class": error_class, "code": code, "message": message, **extra}},
        status_code=status,
    )


def create_app(storage: Storage, limits: Limits | None = None) -> Starlette:
    """The ASGI app over one storage backend."""
    lim = limits or Limits()

    async def body_json(request: Request) -> Any:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > lim.max_body_bytes:
            raise ApiError(
                413,
                "retry",
                "body_too_large",
                f"the body is {declared} bytes, the limit is {lim.max_body_bytes}: "
                "send smaller batches",
                max_body_bytes=lim.max_body_bytes,
                max_batch=lim.max_batch,
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > lim.max_body_bytes:
                raise ApiError(
                    413,
                    "retry",
                    "body_too_large",
                    f"the body exceeds {lim.max_body_bytes} bytes: send smaller batches",
                    max_body_bytes=lim.max_body_bytes,
                    max_batch=lim.max_batch,
                )
            chunks.append(chunk)
        try:
            return json.loads(b"".join(chunks))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, "retry", "bad_json", f"the body is not JSON: {exc}") from None

    async def device_of(request: Request) -> Device:
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            raise ApiError(401, "reauth", "unauthenticated", "missing bearer credential")
        return await run_in_threadpool(storage.authenticate, auth[7:].strip())

    async def health(request: Request) -> Response:
        return JSONResponse(
            {"status": "ok", "protocol": PROTOCOL_VERSION, "server_time": utc_now().isoformat()}
        )

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_spec(lim))

    async def enroll(request: Request) -> Response:
        body = await body_json(request)
        fields = _require(
            body,
            {
                "enrollment_code": str,
                "device_id": str,
                "device_secret": str,
                "agency_code": str,
                "counter_no": int,
            },
        )
        device, token = await run_in_threadpool(
            storage.enroll,
            fields["enrollment_code"],
            fields["device_id"],
            fields["device_secret"],
            fields["agency_code"],
            fields["counter_no"],
        )
        return JSONResponse(
            {
                "protocol": PROTOCOL_VERSION,
                "device_id": device.device_id,
                "token": token,
                "agency_code": device.agency_code,
                "counter_no": device.counter_no,
                "last_seq": device.last_seq,
                "limits": _limits(lim),
            }
        )

    async def device_info(request: Request) -> Response:
        device = await device_of(request)
        return JSONResponse(
            {
                "protocol": PROTOCOL_VERSION,
                "device_id": device.device_id,
                "agency_code": device.agency_code,
                "counter_no": device.counter_no,
                "last_seq": device.last_seq,
                "limits": _limits(lim),
                "kinds": SUPPORTED_KINDS,
                "server_time": utc_now().isoformat(),
            }
        )

    async def push(request: Request) -> Response:
        device = await device_of(request)
        body = await body_json(request)
        fields = _require(body, {"after_seq": int, "entries": list})
        raw_entries: list[Any] = fields["entries"]
        if len(raw_entries) > lim.max_batch:
            raise ApiError(
                413,
                "retry",
                "batch_too_large",
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
                "rejected",
                "unordered_batch",
                "entries must be in strictly increasing sequence order, after after_seq",
            )
        outcome = await run_in_threadpool(storage.ingest, device, fields["after_seq"], entries)
        answer: dict[str, Any] = {
            "last_seq": outcome.last_seq,
            "accepted_through": outcome.accepted_through,
            "applied": outcome.applied,
            "duplicates": outcome.duplicates,
            "rejected": [{"seq": s, "reason": r} for s, r in outcome.rejected],
            "halt": None,
            "server_time": utc_now().isoformat(),
        }
        if outcome.halt is not None:
            h = outcome.halt
            answer["halt"] = {
                "class": h.error_class,
                "code": h.code,
                "message": h.message,
                **h.extra,
            }
        return JSONResponse(answer)

    async def changes(request: Request) -> Response:
        device = await device_of(request)
        try:
            after = int(request.query_params.get("after", "0"))
            limit = int(request.query_params.get("limit", str(lim.max_pull)))
        except ValueError:
            raise ApiError(
                422, "rejected", "bad_query", "after and limit must be integers"
            ) from None
        if after < 0 or limit < 1:
            raise ApiError(
                422,
                "rejected",
                "bad_query",
                "after must be ≥ 0 and limit ≥ 1",
                max_pull=lim.max_pull,
            )
        limit = min(limit, lim.max_pull)  # a larger page is simply cut to the limit
        found, more = await run_in_threadpool(storage.changes_since, device.device_id, after, limit)
        return JSONResponse(
            {
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
        )

    def guarded(
        endpoint: Callable[[Request], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            try:
                return await endpoint(request)
            except ApiError as exc:
                return _error(exc.status, exc.error_class, exc.code, exc.message, **exc.extra)
            except StorageError as exc:
                status, cls = _STORAGE_STATUS.get(exc.code, (422, "rejected"))
                return _error(status, cls, exc.code, exc.message)

        return run

    routes = [
        Route(f"{API}/health", guarded(health), methods=["GET"]),
        Route(f"{API}/openapi.json", guarded(openapi), methods=["GET"]),
        Route(f"{API}/enroll", guarded(enroll), methods=["POST"]),
        Route(f"{API}/device", guarded(device_info), methods=["GET"]),
        Route(f"{API}/push", guarded(push), methods=["POST"]),
        Route(f"{API}/changes", guarded(changes), methods=["GET"]),
    ]

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _error(exc.status_code, "rejected", "http_error", str(exc.detail))

    async def server_error(request: Request, exc: Exception) -> Response:
        return _error(500, "retry", "server_error", f"the portal failed: {type(exc).__name__}")

    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    app.state.storage = storage
    app.state.limits = lim
    return app


def _limits(lim: Limits) -> dict[str, int]:
    return {
        "max_batch": lim.max_batch,
        "max_body_bytes": lim.max_body_bytes,
        "max_pull": lim.max_pull,
    }


def _require(body: Any, spec: dict[str, type]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(422, "rejected", "bad_request", "the body must be a JSON object")
    out: dict[str, Any] = {}
    for key, kind in spec.items():
        value = body.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ApiError(
                422, "rejected", "bad_request", f"{key}: expected {kind.__name__}, got {value!r}"
            )
        out[key] = value
    return out


def _entry(index: int, raw: Any) -> Entry:
    if not isinstance(raw, dict):
        raise ApiError(422, "rejected", "bad_entry", f"entries[{index}] is not an object")
    seq, kind, version = raw.get("seq"), raw.get("kind"), raw.get("schema_version")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise ApiError(422, "rejected", "bad_entry", f"entries[{index}].seq: positive integer")
    if not isinstance(kind, str) or not isinstance(version, int) or isinstance(version, bool):
        raise ApiError(
            422, "rejected", "bad_entry", f"entries[{index}]: kind and schema_version required"
        )
    return Entry(
        seq=seq,
        kind=kind,
        schema_version=version,
        created_at=str(raw.get("created_at", "")),
        payload=raw.get("payload"),
        local_reject=str(raw.get("local_reject") or ""),
    )
