"""Reading a request safely: the body within the limits, JSON without NUL, the fields a
handler requires with their types, and the device behind a bearer credential.

Its own home because every endpoint reads its request through these, before any storage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from counter.protocol import ErrorClass, ErrorCode, LimitsPayload
from portal.api.errors import ApiError
from portal.storage import Device, Storage

MAX_INT = 2**63 - 1  # what both databases store; larger numbers are malformed requests


@dataclass(frozen=True)
class Limits:
    """What the portal accepts in one request (and tells counters at enrollment)."""

    max_batch: int = 500
    max_body_bytes: int = 4 * 1024 * 1024
    max_pull: int = 500
    max_form_bytes: int = 16 * 1024


def limits_payload(lim: Limits) -> LimitsPayload:
    return {
        "max_batch": lim.max_batch,
        "max_body_bytes": lim.max_body_bytes,
        "max_pull": lim.max_pull,
    }


def limits_of(request: Request) -> Limits:
    limits: Limits = request.app.state.limits
    return limits


def storage_of(request: Request) -> Storage:
    storage: Storage = request.app.state.storage
    return storage


def _too_large(lim: Limits, message: str) -> ApiError:
    return ApiError(
        413,
        ErrorClass.RETRY,
        ErrorCode.BODY_TOO_LARGE,
        message,
        max_body_bytes=lim.max_body_bytes,
        max_batch=lim.max_batch,
    )


async def body_json(request: Request, *, nul_ok: bool = False) -> Any:
    """The request's JSON body, read no further than the limit; without NUL unless `nul_ok`."""
    lim = limits_of(request)
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > lim.max_body_bytes:
        raise _too_large(
            lim,
            f"the body is {declared} bytes, the limit is {lim.max_body_bytes}: "
            "send smaller batches",
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > lim.max_body_bytes:
            raise _too_large(
                lim, f"the body exceeds {lim.max_body_bytes} bytes: send smaller batches"
            )
        chunks.append(chunk)
    try:
        value = json.loads(b"".join(chunks))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ApiError(
            400, ErrorClass.RETRY, ErrorCode.BAD_JSON, f"the body is not JSON: {exc}"
        ) from None
    if not nul_ok and has_nul(value):
        raise ApiError(
            422, ErrorClass.REJECTED, ErrorCode.BAD_REQUEST, "text must not hold NUL characters"
        )
    return value


def bearer(request: Request) -> str:
    """The bearer credential of the request, or ''."""
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


async def device_of(request: Request) -> Device:
    """The device whose credential the request bears (StorageError when unknown, revoked)."""
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        raise ApiError(
            401, ErrorClass.REAUTH, ErrorCode.UNAUTHENTICATED, "missing bearer credential"
        )
    return await storage_of(request).authenticate_async(auth[7:].strip())


def has_nul(value: Any, depth: int = 0) -> bool:
    """Whether any key or text in a decoded JSON value holds NUL (PostgreSQL text cannot)."""
    if isinstance(value, str):
        return "\x00" in value
    if depth > 64:
        return False
    if isinstance(value, dict):
        return any(has_nul(k, depth + 1) or has_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v, depth + 1) for v in value)
    return False


def require(body: Any, spec: dict[str, type]) -> dict[str, Any]:
    """The fields of `spec` from a JSON object body, each of its type (bad_request if not)."""
    if not isinstance(body, dict):
        raise ApiError(
            422, ErrorClass.REJECTED, ErrorCode.BAD_REQUEST, "the body must be a JSON object"
        )
    out: dict[str, Any] = {}
    for key, kind in spec.items():
        value = body.get(key)
        if (
            not isinstance(value, kind)
            or (kind is int and isinstance(value, bool))
            or (isinstance(value, int) and not -MAX_INT <= value <= MAX_INT)
        ):
            raise ApiError(
                422,
                ErrorClass.REJECTED,
                ErrorCode.BAD_REQUEST,
                f"{key}: expected {kind.__name__}, got {value!r}",
            )
        out[key] = value
    return out
