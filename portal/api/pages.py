"""The citizens' pages the portal serves beside the API: home, a receipt's status page and
its rating form, and the QR of the page (`portal.page` renders them).

Its own home so that the page route's handler (`lookup_page`) is one function that moves as
one piece; it reads the app's `CitizenPages` from `request.app.state.pages`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from portal.page import CitizenPages


def _pages(request: Request) -> CitizenPages:
    pages: CitizenPages = request.app.state.pages
    return pages


async def home(request: Request) -> Response:
    return await _pages(request).home(request)


async def qr(request: Request) -> Response:
    return await _pages(request).qr(request)


async def lookup_page(request: Request) -> Response:
    """A receipt's page: its status (GET), or the citizen's rating of it (POST)."""
    pages = _pages(request)
    if request.method == "POST":
        return await pages.rate(request)
    return await pages.status(request)
