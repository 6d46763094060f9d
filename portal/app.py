"""The portal's HTTP API (protocol v1), a Starlette ASGI app served by uvicorn.

Starlette rather than FastAPI: the API is six small JSON endpoints whose bodies we validate by
hand anyway (limits are checked before parsing, entries are processed one by one), so
pydantic would cost memory and start-up time for little; the OpenAPI description is written
out in `portal.openapi` and a test checks that it names exactly the routes served.

The same app serves the citizen pages (`portal.page`: the receipt QR's status page and the
rating form) and a small back-office API under `/api/v1/admin/` that takes the admin token of
the portal's config, never a device token (and a device token never works there).

The endpoints are module-level handlers in `portal.api` (grouped by concern, routed by its
`ROUTES`), reading the storage, the witness, the limits and the pages from `app.state`; this
module assembles the app: state, routes, error handlers, middleware and the lifespan.

Every API error answers `{"error": {"class": ..., "code": ..., "message": ...}}` where `class` tells
the counter what to do: `retry` (later, with backoff), `rejected` (this request will never be
accepted as is), `reauth` (enroll again).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from counter.protocol import API, PROTOCOL_VERSION
from portal.api import ROUTES
from portal.api.admin import ADMIN_TOKEN_MIN_CHARS, check_admin_token
from portal.api.errors import ApiError, http_error, server_error
from portal.api.requests import MAX_INT, Limits
from portal.page import CitizenPages
from portal.page_cache import GZIP_LEVEL, GZIP_MIN_BYTES
from portal.storage import Storage
from portal.witness import Witness

__all__ = [
    "ADMIN_TOKEN_MIN_CHARS",
    "API",
    "MAX_INT",
    "PROTOCOL_VERSION",
    "ApiError",
    "Limits",
    "SecurityHeaders",
    "StatusPageFastPath",
    "check_admin_token",
    "create_app",
]

log = logging.getLogger("portal")

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"


_ADDED_HEADERS = [
    (key.encode(), value.encode())
    for key, value in {
        **SECURITY_HEADERS,
        "content-security-policy": DEFAULT_CSP,
        "cache-control": "no-store",
    }.items()
]


def with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` and every security header they do not set (a page sets its own CSP)."""
    present = {k.lower() for k, _ in headers}
    return headers + [(k, v) for k, v in _ADDED_HEADERS if k not in present]


class SecurityHeaders:
    """Adds the security headers to every response (a page sets its own CSP: style by hash)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, with_headers)


# The status page's route (`portal.api.ROUTES`: `/{prefix}/{code}/{device}/{uuid}/{token}`,
# Starlette's `str` parameters), for a prefix that is the receipt's "TRA-CUU" in any case.
_STATUS_PATH = re.compile(
    r"/(?P<prefix>[^/]+)/(?P<code>[^/]+)/(?P<device>[^/]+)"
    r"/(?P<uuid>[^/]+)/(?P<token>[^/]+)"
)


class StatusPageFastPath:
    """A receipt's status page (GET), the portal's busiest request, without the generic layers.

    Starlette's router, its exception layer, the GZip middleware and `SecurityHeaders` cost
    about a fifth of a page's CPU in a worker (py-spy under `bench.bench_portal_open`), while
    the page needs none of their work: its answer is already gzipped (`portal.page_cache`) and
    names its own CSP and cache policy. This goes to `CitizenPages.status` directly and adds
    the security headers; any answer the page did not compress itself (a 404, a 429, the
    error page) still goes through `SecurityHeaders` and gzip as before. A failure gets the
    same error page (`server_error`, which logs it), here with the security headers, which
    Starlette's outermost error layer sends without. Every other request, a POST (rating)
    included, takes the full stack. `tests/test_portal_page_fast.py` requires both paths to
    give the same status, headers and bytes.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = (
            _STATUS_PATH.fullmatch(scope["path"])
            if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path")
            else None
        )
        if match is None or match["prefix"].lower() != "tra-cuu":
            await self.app(scope, receive, send)
            return
        scope["path_params"] = match.groupdict()
        request = Request(scope, receive)
        pages: CitizenPages = scope["app"].state.pages
        try:
            response = await pages.status(request)
        except Exception as exc:  # the error page the full stack gives (logged there)
            response = await server_error(request, exc)
        if b"content-encoding" in (k for k, _ in response.raw_headers):
            response.raw_headers = with_security_headers(response.raw_headers)
            await response(scope, receive, send)
            return
        wrapped = GZipMiddleware(
            SecurityHeaders(response), minimum_size=GZIP_MIN_BYTES, compresslevel=GZIP_LEVEL
        )
        await wrapped(scope, receive, send)


def create_app(
    storage: Storage,
    limits: Limits | None = None,
    *,
    admin_token: str = "",
    on_shutdown: Callable[[], None] | None = None,
    witness_key: Ed25519PrivateKey | None = None,
    status_fast_path: bool = True,
) -> Starlette:
    """The ASGI app over one storage backend; `admin_token` enables `/api/v1/admin/`.

    `witness_key` signs witnessed audit heads; the server passes the key file's. Without one
    (tests that do not look at receipts) a key lives as long as the app.
    `status_fast_path=False` serves the status page through the full stack (the tests compare).
    """
    check_admin_token(admin_token)
    lim = limits or Limits()
    if witness_key is None:
        log.info("no witness key given: receipts are signed with a key of this run only")
        witness_key = Ed25519PrivateKey.generate()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        aclose = getattr(storage, "aclose", None)
        if aclose is not None:  # the page's asyncio pool lives in this loop: close it here
            await aclose()
        if on_shutdown is not None:
            on_shutdown()

    app = Starlette(
        routes=ROUTES,
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    app.add_middleware(SecurityHeaders)
    # Text answers (pages, JSON) shrink to about a third (a status page 11.5 → 3.6 KB, for
    # about 0.2 ms of CPU: bench.bench_page). Level 6, zlib's default: Starlette's 9 gave a
    # page no smaller.
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=GZIP_LEVEL)
    if status_fast_path:  # outermost of ours: a status page skips the layers above
        app.add_middleware(StatusPageFastPath)
    # What the handlers (`portal.api`) read from `request.app.state`.
    app.state.storage = storage
    # Witness takes the SQL storage both backends are; `Storage` is the narrower protocol.
    app.state.witness = Witness(storage, witness_key)  # type: ignore[arg-type]
    app.state.limits = lim
    app.state.pages = CitizenPages(storage, max_form_bytes=lim.max_form_bytes)
    app.state.admin_token = admin_token
    return app
