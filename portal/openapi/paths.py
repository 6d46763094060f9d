"""The paths of the OpenAPI description: each endpoint the portal serves, keyed by
`counter.protocol.ApiPath`, with its parameters and answers (the citizens' pages too).

Its own home because it is the longest part of the description; `portal.openapi` assembles
it with the schemas. Above 300 lines: it is one table, one entry per route, read top to bottom.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from counter.protocol import ApiPath

if TYPE_CHECKING:
    from portal.api.requests import Limits

_ERROR = {"$ref": "#/components/schemas/Error"}


def _resp(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Body is not JSON (class retry)",
        401: "Missing, replaced or revoked credential (class reauth)",
        403: "Enrollment refused (class rejected)",
        409: "Counter already held by another device (class rejected)",
        413: "Batch or body over the limits (class retry: send smaller batches)",
        422: "Malformed request (class rejected)",
        500: "Portal failure (class retry)",
    }
    if 403 in codes and 401 in codes:  # the admin API
        text[403] = "The admin API is off: no admin token in the portal's config"
    return {str(c): _resp(text[c], _ERROR) for c in codes}


def _html(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


_LOOKUP_PARAMS = [
    {
        "name": "prefix",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[Tt][Rr][Aa]-[Cc][Uu][Uu]$"},
        "description": "TRA-CUU, any letter case",
    },
    {
        "name": "code",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "example": "000.00.12.H26-261126-030001"},
    },
    {
        "name": "device",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[A-Za-z2-7]{8}$"},
    },
    {
        "name": "uuid",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[A-Za-z2-7]{26}$"},
    },
    {
        "name": "token",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "pattern": "^[A-Za-z2-7]{24}$"},
    },
]


def _page_responses(*extra: int) -> dict[str, Any]:
    text = {
        200: "The dossier's status page (or: received at the counter, being updated)",
        303: "Rating recorded: back to the status page",
        403: "The rating form's token or origin is wrong",
        404: "Unknown receipt or wrong token (the same page whatever was wrong)",
        409: "Already rated, or the result is not returned yet",
        413: "The form is larger than max_form_bytes",
        422: "The rating form is incomplete",
        429: "Too many failed lookups from this client (Retry-After)",
    }
    return {str(c): _html(text[c]) for c in (200, 404, 429, *extra)}


def api_paths(limits: Limits) -> dict[str, Any]:
    """Every route the app serves (`tests/test_portal_api.py` checks: no more, no fewer)."""
    bearer: list[dict[str, list[str]]] = [{"device": []}]
    admin: list[dict[str, list[str]]] = [{"admin": []}]
    return {
        ApiPath.HEALTH: {
            "get": {
                "summary": "Liveness and protocol version (no credential)",
                "responses": {
                    "200": _resp("Up", {"$ref": "#/components/schemas/Health"}),
                },
            }
        },
        ApiPath.OPENAPI: {
            "get": {
                "summary": "This description",
                "responses": {"200": _resp("OpenAPI document", {"type": "object"})},
            }
        },
        ApiPath.ENROLL: {
            "post": {
                "summary": "Register a device with a one-time enrollment code",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/EnrollRequest"}
                        }
                    },
                },
                "responses": {
                    "200": _resp("Enrolled", {"$ref": "#/components/schemas/Enrolled"}),
                    **_errors(400, 403, 409, 413, 422, 500),
                },
            }
        },
        ApiPath.DEVICE: {
            "get": {
                "summary": "The authenticated device, its last applied sequence, the limits",
                "security": bearer,
                "responses": {
                    "200": _resp("Device", {"$ref": "#/components/schemas/DeviceInfo"}),
                    **_errors(401, 500),
                },
            }
        },
        ApiPath.PUSH: {
            "post": {
                "summary": "Apply a batch of outbox entries, each (device, seq) once, in order",
                "security": bearer,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/PushRequest"}}
                    },
                },
                "responses": {
                    "200": _resp("What was applied", {"$ref": "#/components/schemas/PushResult"}),
                    **_errors(400, 401, 413, 422, 500),
                },
            }
        },
        ApiPath.PROFILE: {
            "put": {
                "summary": (
                    "The centre profile (agency, centre, address, hours, hotline) shown on "
                    "this device's receipt pages; sent at enrollment and on change"
                ),
                "security": bearer,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ProfileRequest"}
                        }
                    },
                },
                "responses": {
                    "200": _resp("Stored", {"type": "object"}),
                    **_errors(400, 401, 413, 422, 500),
                },
            }
        },
        ApiPath.CHANGES: {
            "get": {
                "summary": "Changes made centrally for this device's dossiers since a cursor",
                "security": bearer,
                "parameters": [
                    {
                        "name": "after",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 0, "default": 0},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "default": limits.max_pull,
                            "description": f"pages are cut to {limits.max_pull}",
                        },
                    },
                ],
                "responses": {
                    "200": _resp("Changes", {"$ref": "#/components/schemas/Changes"}),
                    **_errors(401, 422, 500),
                },
            }
        },
        ApiPath.WITNESS: {
            "post": {
                "summary": "Witness this device's audit head (and register its signing key); "
                "answers the portal's signed receipt",
                "security": bearer,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/WitnessRequest"}
                        }
                    },
                },
                "responses": {
                    "200": _resp("The signed receipt", {"type": "object"}),
                    **_errors(400, 401, 409, 413, 422, 500),
                },
            },
            "get": {
                "summary": "This device's witness file: registered keys and witnessed heads, "
                "signed by the portal",
                "security": bearer,
                "responses": {
                    "200": _resp("Witness file", {"type": "object"}),
                    **_errors(401, 500),
                },
            },
        },
        ApiPath.ADMIN_WITNESS: {
            "get": {
                "summary": "The witness file of one device or of every device of an agency",
                "security": admin,
                "parameters": [
                    {"name": "device", "in": "query", "schema": {"type": "string"}},
                    {"name": "agency", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": _resp("Witness file", {"type": "object"}),
                    **_errors(401, 403, 422, 500),
                },
            }
        },
        ApiPath.ADMIN_VERIFY: {
            "post": {
                "summary": "Verify an export manifest against the registered device keys "
                "and the witnessed heads",
                "security": admin,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/VerifyRequest"}
                        }
                    },
                },
                "responses": {
                    "200": _resp("Verdict, signer and findings", {"type": "object"}),
                    **_errors(400, 401, 403, 413, 422, 500),
                },
            }
        },
        ApiPath.ADMIN_STATUS: {
            "post": {
                "summary": "Back office: move a dossier to a new status (queued for its counter)",
                "security": admin,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/StatusRequest"}
                        }
                    },
                },
                "responses": {
                    "200": _resp("Queued", {"type": "object"}),
                    **_errors(400, 401, 403, 413, 422, 500),
                },
            }
        },
        ApiPath.ADMIN_REJECTIONS: {
            "get": {
                "summary": "Entries the portal rejected, with their reasons",
                "security": admin,
                "parameters": [{"name": "device", "in": "query", "schema": {"type": "string"}}],
                "responses": {
                    "200": _resp("Rejections", {"type": "object"}),
                    **_errors(401, 403, 500),
                },
            }
        },
        ApiPath.ADMIN_RATINGS: {
            "get": {
                "summary": "Citizens' ratings, newest first (supervisor)",
                "security": admin,
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 5000},
                    }
                ],
                "responses": {
                    "200": _resp("Ratings", {"type": "object"}),
                    **_errors(401, 403, 422, 500),
                },
            }
        },
        "/": {
            "get": {
                "summary": "Citizen start page (HTML)",
                "responses": {"200": _html("How to look a dossier up")},
            }
        },
        "/{prefix}/{code}/{device}/{uuid}/{token}/qr.svg": {
            "get": {
                "summary": "The status page's own address as a QR code (SVG), for printing",
                "parameters": _LOOKUP_PARAMS,
                "responses": {
                    "200": {
                        "description": "QR code",
                        "content": {"image/svg+xml": {"schema": {"type": "string"}}},
                    },
                    **{k: v for k, v in _page_responses().items() if k != "200"},
                },
            }
        },
        "/{prefix}/{code}/{device}/{uuid}/{token}": {
            "get": {
                "summary": "The receipt QR's status page (HTML, Vietnamese)",
                "parameters": _LOOKUP_PARAMS,
                "responses": _page_responses(),
            },
            "post": {
                "summary": "Submit the satisfaction rating (HTML form, once per dossier)",
                "parameters": _LOOKUP_PARAMS,
                "requestBody": {
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {"$ref": "#/components/schemas/RatingForm"}
                        }
                    }
                },
                "responses": _page_responses(303, 403, 409, 413, 422),
            },
        },
    }
