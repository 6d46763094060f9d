"""The OpenAPI 3.1 description of protocol v1, served at /api/v1/openapi.json.

Written by hand (the app is Starlette, not FastAPI); `tests/test_portal_api.py` checks that
it names exactly the routes the app serves and that the limits it states are the live ones.
A package of two halves, each below 500 lines: `paths` (one entry per route) and
`components` (security schemes and schemas).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from counter.protocol import PROTOCOL_VERSION
from portal.openapi.components import api_components
from portal.openapi.paths import api_paths

if TYPE_CHECKING:
    from portal.api.requests import Limits


def openapi_spec(limits: Limits) -> dict[str, Any]:
    """The whole description, with `limits` as this portal's live limits."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Counter ↔ portal sync API",
            "version": str(PROTOCOL_VERSION),
            "description": (
                "Protocol v1 between one-stop counter devices and the central portal. "
                "See docs/sync-protocol.md for the ordering and exactly-once argument."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": api_paths(limits),
        "components": api_components(limits),
    }
