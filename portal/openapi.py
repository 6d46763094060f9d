"""The OpenAPI 3.1 description of protocol v1, served at /api/v1/openapi.json.

Written by hand (the app is Starlette, not FastAPI); `tests/test_portal_api.py` checks that
it names exactly the routes the app serves and that the limits it states are the live ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from portal.app import Limits

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


def openapi_spec(limits: Limits) -> dict[str, Any]:
    bearer: list[dict[str, list[str]]] = [{"device": []}]
    admin: list[dict[str, list[str]]] = [{"admin": []}]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Counter ↔ portal sync API",
            "version": "1",
            "description": (
                "Protocol v1 between one-stop counter devices and the central portal. "
                "See docs/sync-protocol.md for the ordering and exactly-once argument."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/health": {
                "get": {
                    "summary": "Liveness and protocol version (no credential)",
                    "responses": {
                        "200": _resp("Up", {"$ref": "#/components/schemas/Health"}),
                    },
                }
            },
            "/api/v1/openapi.json": {
                "get": {
                    "summary": "This description",
                    "responses": {"200": _resp("OpenAPI document", {"type": "object"})},
                }
            },
            "/api/v1/enroll": {
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
            "/api/v1/device": {
                "get": {
                    "summary": "The authenticated device, its last applied sequence, the limits",
                    "security": bearer,
                    "responses": {
                        "200": _resp("Device", {"$ref": "#/components/schemas/DeviceInfo"}),
                        **_errors(401, 500),
                    },
                }
            },
            "/api/v1/push": {
                "post": {
                    "summary": "Apply a batch of outbox entries, each (device, seq) once, in order",
                    "security": bearer,
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/PushRequest"}
                            }
                        },
                    },
                    "responses": {
                        "200": _resp(
                            "What was applied", {"$ref": "#/components/schemas/PushResult"}
                        ),
                        **_errors(400, 401, 413, 422, 500),
                    },
                }
            },
            "/api/v1/profile": {
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
            "/api/v1/changes": {
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
            "/api/v1/witness": {
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
            "/api/v1/admin/witness": {
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
            "/api/v1/admin/verify": {
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
            "/api/v1/admin/status": {
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
            "/api/v1/admin/rejections": {
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
            "/api/v1/admin/ratings": {
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
        },
        "components": {
            "securitySchemes": {
                "device": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The token returned by /api/v1/enroll",
                },
                "admin": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "[security] admin_token of the portal's config",
                },
            },
            "schemas": {
                "WitnessRequest": {
                    "type": "object",
                    "required": ["audit_head"],
                    "properties": {
                        "audit_head": {
                            "type": "object",
                            "required": ["seq", "hash"],
                            "properties": {
                                "seq": {"type": "integer", "minimum": 1},
                                "hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                            },
                        },
                        "checkpoints": {
                            "type": "array",
                            "description": "[seq, hash] of export entries since the last "
                            "witnessed head, before this one",
                            "items": {"type": "array", "minItems": 2, "maxItems": 2},
                        },
                        "signing_public_key": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    },
                },
                "VerifyRequest": {
                    "type": "object",
                    "required": ["manifest", "signature"],
                    "properties": {
                        "manifest": {"type": "string", "description": "the manifest's text"},
                        "signature": {"type": "string", "description": "the .sig file, base64"},
                        "files": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                            "description": "file name → SHA-256 of the file as received",
                        },
                    },
                },
                "StatusRequest": {
                    "type": "object",
                    "required": ["dossier", "to_status"],
                    "properties": {
                        "dossier": {"type": "string", "description": "code or UUID"},
                        "to_status": {"type": "string", "example": "processing"},
                        "by": {"type": "string"},
                        "note": {"type": "string"},
                        "to": {"type": "string", "description": "who collected the result"},
                    },
                },
                "ProfileRequest": {
                    "type": "object",
                    "required": ["profile"],
                    "properties": {
                        "profile": {
                            "type": "object",
                            "description": "see counter/profile.py",
                            "required": ["v", "agency_name", "hours", "weekdays"],
                            "properties": {
                                "v": {"const": 1},
                                "agency_name": {"type": "string", "maxLength": 200},
                                "centre_name": {"type": "string", "maxLength": 200},
                                "address": {"type": "string", "maxLength": 300},
                                "hotline": {"type": "string", "example": "1900 1234"},
                                "hours": {
                                    "type": "array",
                                    "items": {"type": "array", "items": {"type": "string"}},
                                    "example": [["08:00", "12:00"], ["13:00", "17:00"]],
                                },
                                "weekdays": {"type": "array", "items": {"type": "integer"}},
                                "years": {"type": "array", "items": {"type": "integer"}},
                                "closed": {"type": "object"},
                                "open": {"type": "array", "items": {"type": "string"}},
                            },
                        }
                    },
                },
                "RatingForm": {
                    "type": "object",
                    "properties": {
                        "form_token": {"type": "string"},
                        "overall": {"enum": ["very_satisfied", "satisfied", "dissatisfied"]},
                        **{f"c{i}": {"enum": ["2", "1", "0"]} for i in range(1, 10)},
                        "comment": {"type": "string", "maxLength": 1000},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["class", "code", "message"],
                            "properties": {
                                "class": {"enum": ["retry", "rejected", "reauth"]},
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "max_batch": {"type": "integer"},
                                "max_body_bytes": {"type": "integer"},
                            },
                        }
                    },
                },
                "Health": {
                    "type": "object",
                    "properties": {
                        "status": {"const": "ok"},
                        "protocol": {"const": 1},
                        "server_time": {"type": "string", "format": "date-time"},
                    },
                },
                "Limits": {
                    "type": "object",
                    "properties": {
                        "max_batch": {"type": "integer", "const": limits.max_batch},
                        "max_body_bytes": {"type": "integer", "const": limits.max_body_bytes},
                        "max_pull": {"type": "integer", "const": limits.max_pull},
                    },
                },
                "EnrollRequest": {
                    "type": "object",
                    "required": [
                        "enrollment_code",
                        "device_id",
                        "device_secret",
                        "agency_code",
                        "counter_no",
                    ],
                    "properties": {
                        "enrollment_code": {"type": "string", "example": "K7QM-3XWD-P9TA"},
                        "device_id": {"type": "string", "format": "uuid"},
                        "device_secret": {
                            "type": "string",
                            "description": "hex key of the receipt lookup tokens",
                        },
                        "agency_code": {"type": "string", "example": "000.00.12.H26"},
                        "counter_no": {"type": "integer", "minimum": 1, "maximum": 99},
                        "signing_public_key": {
                            "type": "string",
                            "description": "the device's Ed25519 export-signing key, 64 hex; "
                            "registered once, replaced only after an admin allows a rotation",
                        },
                        "demo_data": {
                            "type": "boolean",
                            "description": "the store holds demo data: always refused",
                        },
                    },
                },
                "Enrolled": {
                    "type": "object",
                    "properties": {
                        "protocol": {"const": 1},
                        "device_id": {"type": "string"},
                        "token": {"type": "string"},
                        "agency_code": {"type": "string"},
                        "counter_no": {"type": "integer"},
                        "last_seq": {"type": "integer"},
                        "max_event_id": {"type": "integer"},
                        "code_sequences": {"$ref": "#/components/schemas/CodeSequences"},
                        "epoch": {
                            "type": "string",
                            "description": "this database's lifetime; new after a restore",
                        },
                        "limits": {"$ref": "#/components/schemas/Limits"},
                    },
                },
                "CodeSequences": {
                    "type": "object",
                    "description": "Highest dossier-code sequence per day (ISO date) "
                    "this counter number used in the last 7 days, from any device",
                    "additionalProperties": {"type": "integer", "minimum": 1},
                },
                "DeviceInfo": {
                    "type": "object",
                    "properties": {
                        "protocol": {"const": 1},
                        "device_id": {"type": "string"},
                        "agency_code": {"type": "string"},
                        "counter_no": {"type": "integer"},
                        "last_seq": {"type": "integer"},
                        "max_event_id": {"type": "integer"},
                        "code_sequences": {"$ref": "#/components/schemas/CodeSequences"},
                        "epoch": {
                            "type": "string",
                            "description": "this database's lifetime; new after a restore",
                        },
                        "limits": {"$ref": "#/components/schemas/Limits"},
                        "kinds": {"type": "object", "additionalProperties": {"type": "integer"}},
                        "server_time": {"type": "string", "format": "date-time"},
                    },
                },
                "Entry": {
                    "type": "object",
                    "required": ["seq", "kind", "schema_version", "created_at", "payload"],
                    "properties": {
                        "seq": {"type": "integer", "minimum": 1},
                        "kind": {"enum": ["dossier.event", "dossier.change_outcome"]},
                        "schema_version": {"type": "integer", "minimum": 1},
                        "created_at": {"type": "string", "format": "date-time"},
                        "payload": {"type": ["object", "null"]},
                        "local_reject": {
                            "type": "string",
                            "description": "set by the counter for an entry it cannot send",
                        },
                    },
                },
                "PushRequest": {
                    "type": "object",
                    "required": ["after_seq", "entries"],
                    "properties": {
                        "after_seq": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "seq of the outbox entry just before the first one",
                        },
                        "entries": {
                            "type": "array",
                            "maxItems": limits.max_batch,
                            "items": {"$ref": "#/components/schemas/Entry"},
                        },
                    },
                },
                "PushResult": {
                    "type": "object",
                    "properties": {
                        "last_seq": {"type": "integer"},
                        "accepted_through": {"type": "integer"},
                        "applied": {"type": "integer"},
                        "duplicates": {"type": "integer"},
                        "rejected": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "seq": {"type": "integer"},
                                    "reason": {"type": "string"},
                                },
                            },
                        },
                        "halt": {
                            "oneOf": [
                                {"type": "null"},
                                {
                                    "type": "object",
                                    "properties": {
                                        "class": {"enum": ["retry", "rejected", "reauth"]},
                                        "code": {
                                            "enum": [
                                                "sequence_gap",
                                                "schema_unsupported",
                                                "foreign_entry",
                                            ]
                                        },
                                        "message": {"type": "string"},
                                        "last_seq": {"type": "integer"},
                                    },
                                },
                            ]
                        },
                        "epoch": {
                            "type": "string",
                            "description": "this database's lifetime; new after a restore",
                        },
                        "server_time": {"type": "string", "format": "date-time"},
                    },
                },
                "Change": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "kind": {"enum": ["dossier.status", "dossier.correction", "rating"]},
                        "dossier_uuid": {"type": "string", "format": "uuid"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "data": {"type": "object"},
                    },
                },
                "Changes": {
                    "type": "object",
                    "properties": {
                        "changes": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Change"},
                        },
                        "cursor": {"type": "integer"},
                        "more": {"type": "boolean"},
                        "epoch": {
                            "type": "string",
                            "description": "this database's lifetime; new after a restore",
                        },
                        "latest": {
                            "type": "integer",
                            "description": "on an empty page: this device's newest change id",
                        },
                        "server_time": {"type": "string", "format": "date-time"},
                    },
                },
            },
        },
    }
