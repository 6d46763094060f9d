"""How the portal's API answers an error: `ApiError`, the JSON error body and the wrapper
every API handler runs in (`guarded`), which turns ApiError and StorageError into answers.

Its own home because every endpoint module raises these and the app installs the handlers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from counter.protocol import ErrorClass, ErrorCode
from portal.page import UNAVAILABLE, CitizenPages
from portal.security_headers import with_security_headers
from portal.storage import StorageError

log = logging.getLogger("portal")

Handler = Callable[[Request], Awaitable[Response]]


class ApiError(Exception):
    """An error answer: the HTTP status, what the counter should do (`error_class`), the
    code, words for a person, and extras (the limits, when a body was too large)."""

    def __init__(
        self, status: int, error_class: ErrorClass, code: ErrorCode, message: str, **extra: Any
    ):
        super().__init__(message)
        self.status = status
        self.error_class = error_class
        self.code = code
        self.message = message
        self.extra = extra


# The HTTP status and class of a storage refusal; any other code is 422 rejected.
STORAGE_STATUS: dict[str, tuple[int, ErrorClass]] = {
    ErrorCode.UNAUTHENTICATED: (401, ErrorClass.REAUTH),
    ErrorCode.DEVICE_REVOKED: (401, ErrorClass.REAUTH),
    ErrorCode.ENROLLMENT_REFUSED: (403, ErrorClass.REJECTED),
    ErrorCode.KEY_MISMATCH: (409, ErrorClass.REJECTED),
    ErrorCode.AUDIT_ROLLBACK: (409, ErrorClass.REJECTED),
    ErrorCode.AUDIT_FORK: (409, ErrorClass.REJECTED),
}


def error_response(
    status: int, error_class: str, code: str, message: str, **extra: Any
) -> JSONResponse:
    """`{"error": {"class", "code", "message", ...extras}}` with `status`."""
    return JSONResponse(
        {"error": {"class": error_class, "code": code, "message": message, **extra}},
        status_code=status,
    )


def guarded(endpoint: Handler) -> Handler:
    """`endpoint` with the API's error answers: a query holding NUL is refused, ApiError and
    StorageError become JSON errors (anything else reaches `server_error`)."""

    async def run(request: Request) -> Response:
        try:
            if any("\x00" in k + v for k, v in request.query_params.multi_items()):
                raise ApiError(
                    422, ErrorClass.REJECTED, ErrorCode.BAD_QUERY, "NUL characters in the query"
                )
            return await endpoint(request)
        except ApiError as exc:
            return error_response(exc.status, exc.error_class, exc.code, exc.message, **exc.extra)
        except StorageError as exc:
            status, cls = STORAGE_STATUS.get(exc.code, (422, ErrorClass.REJECTED))
            return error_response(status, cls, exc.code, exc.message)

    run.__name__ = run.__qualname__ = endpoint.__name__
    run.__doc__ = endpoint.__doc__
    return run


async def http_error(request: Request, exc: Exception) -> Response:
    """A 404, 405 …: JSON under /api/, a page in words elsewhere."""
    assert isinstance(exc, HTTPException)
    if not request.url.path.startswith("/api/"):
        pages: CitizenPages = request.app.state.pages
        if exc.status_code == 404:
            return pages.not_found()
        return pages.render("error.html", status=exc.status_code, message=str(exc.detail))
    return error_response(
        exc.status_code, ErrorClass.REJECTED, ErrorCode.HTTP_ERROR, str(exc.detail)
    )


async def server_error(request: Request, exc: Exception) -> Response:
    """A bug: logged with its type and where (never the message or locals: they may hold
    personal data), answered `retry`."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"
    log.error("server error %s at %s on %s", type(exc).__name__, where, request.url.path[:40])
    if not request.url.path.startswith("/api/"):  # a citizen's page: words, not JSON
        pages: CitizenPages = request.app.state.pages
        response = pages.render(
            "error.html", status=500, headers={"retry-after": "60"}, message=UNAVAILABLE
        )
    else:
        response = error_response(
            500,
            ErrorClass.RETRY,
            ErrorCode.SERVER_ERROR,
            f"the portal failed: {type(exc).__name__}",
        )
    # Starlette sends this answer from its outermost layer, outside `SecurityHeaders`.
    response.raw_headers = with_security_headers(response.raw_headers)
    return response
