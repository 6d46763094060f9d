"""The back office's API under /api/v1/admin/: the admin token of the portal's config, never
a device token (and a device token never works here).

Its own home because it is a different caller with a different credential from the devices.
"""

from __future__ import annotations

import hmac
import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from counter.protocol import ErrorClass, ErrorCode
from portal.api.errors import ApiError
from portal.api.requests import bearer, body_json, require, storage_of
from portal.witness import Witness

log = logging.getLogger("portal")

ADMIN_TOKEN_MIN_CHARS = 24


def check_admin_token(token: str) -> None:
    """An admin token opens the back office for the whole city: refuse a guessable one."""
    if token and (len(token) < ADMIN_TOKEN_MIN_CHARS or len(set(token)) < 8):
        raise ValueError(
            f"security.admin_token: at least {ADMIN_TOKEN_MIN_CHARS} characters of varied "
            "text, e.g. python3 -c 'import secrets; print(secrets.token_urlsafe())'"
        )


def is_admin(request: Request) -> bool:
    """Whether the request bears the portal's admin token (compared in constant time)."""
    admin_token: str = request.app.state.admin_token
    given = bearer(request)
    return bool(admin_token and given) and hmac.compare_digest(given.encode(), admin_token.encode())


def admin_check(request: Request) -> None:
    if not request.app.state.admin_token:
        raise ApiError(
            403,
            ErrorClass.REJECTED,
            ErrorCode.ADMIN_DISABLED,
            "set [security] admin_token to use this API",
        )
    if not is_admin(request):
        raise ApiError(
            401,
            ErrorClass.REAUTH,
            ErrorCode.UNAUTHENTICATED,
            "missing or wrong admin credential",
        )


def _bad_query(message: str) -> ApiError:
    return ApiError(422, ErrorClass.REJECTED, ErrorCode.BAD_QUERY, message)


async def admin_witness(request: Request) -> Response:
    admin_check(request)
    witness: Witness = request.app.state.witness
    device = request.query_params.get("device") or None
    agency = request.query_params.get("agency") or None
    if (device is None) == (agency is None):
        raise _bad_query("give exactly one of device, agency")
    data = await run_in_threadpool(witness.file_bytes, device_id=device, agency_code=agency)
    return Response(data, media_type="application/json")


async def admin_verify(request: Request) -> Response:
    admin_check(request)
    witness: Witness = request.app.state.witness
    body = await body_json(request)
    fields = require(body, {"manifest": str, "signature": str})
    files = body.get("files") or {}
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in files.items()
    ):
        raise ApiError(
            422, ErrorClass.REJECTED, ErrorCode.BAD_REQUEST, "files: an object of name → sha256"
        )
    answer = await run_in_threadpool(
        witness.verify_manifest,
        fields["manifest"].encode("utf-8"),
        fields["signature"],
        files,
    )
    return JSONResponse(answer)


async def admin_status(request: Request) -> Response:
    admin_check(request)
    body = await body_json(request)
    fields = require(body, {"dossier": str, "to_status": str})
    extra = {k: body.get(k, "") for k in ("by", "note", "to")}
    if not all(isinstance(v, str) for v in extra.values()):
        raise ApiError(
            422, ErrorClass.REJECTED, ErrorCode.BAD_REQUEST, "by, note and to must be strings"
        )
    change = await run_in_threadpool(
        storage_of(request).set_status,
        fields["dossier"],
        fields["to_status"],
        by=extra["by"] or "back-office",
        note=extra["note"],
        to=extra["to"],
    )
    log.info("admin status change %d queued", change.id)
    return JSONResponse(
        {
            "change": {
                "id": change.id,
                "kind": change.kind,
                "dossier_uuid": change.dossier_uuid,
                "created_at": change.created_at,
                "data": change.data,
            }
        }
    )


async def admin_rejections(request: Request) -> Response:
    admin_check(request)
    device = request.query_params.get("device") or None
    rows = await run_in_threadpool(storage_of(request).rejections, device)
    return JSONResponse({"rejections": rows})


async def admin_ratings(request: Request) -> Response:
    admin_check(request)
    try:
        limit = int(request.query_params.get("limit", "500"))
    except ValueError:
        raise _bad_query("limit must be an integer") from None
    if not 1 <= limit <= 5000:
        raise _bad_query("limit must be 1–5000")
    rows = await run_in_threadpool(storage_of(request).ratings, limit)
    return JSONResponse({"ratings": rows})
