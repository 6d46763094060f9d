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
from collections.abc import AsyncIterator, Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
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
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = dict(SECURITY_HEADERS)
                extra.setdefault("content-security-policy", DEFAULT_CSP)
                extra.setdefault("cache-control", "no-store")
                for key, value in extra.items():
                    if key.encode() not in present:
                        headers.append((key.encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(
    storage: Storage,
    limits: Limits | None = None,
    *,
    admin_token: str = "",
    on_shutdown: Callable[[], None] | None = None,
    witness_key: Ed25519PrivateKey | None = None,
) -> Starlette:
    """The ASGI app over one storage backend; `admin_token` enables `/api/v1/admin/`.

    `witness_key` signs witnessed audit heads; the server passes the key file's. Without one
    (tests that do not look at receipts) a key lives as long as the app.
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
    # What the handlers (`portal.api`) read from `request.app.state`.
    app.state.storage = storage
    # Witness takes the SQL storage both backends are; `Storage` is the narrower protocol.
    app.state.witness = Witness(storage, witness_key)  # type: ignore[arg-type]
    app.state.limits = lim
    app.state.pages = CitizenPages(storage, max_form_bytes=lim.max_form_bytes)
    app.state.admin_token = admin_token
    return app
