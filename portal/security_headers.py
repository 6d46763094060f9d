"""The security headers every portal answer carries, and the middleware that adds them.

Their own home because three paths answer: the full stack (`SecurityHeaders`), the status
page's fast path (`portal.app.StatusPageFastPath`) and the server-error handler, whose answer
Starlette sends from its outermost layer, outside every middleware
(`portal.api.errors.server_error`).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
