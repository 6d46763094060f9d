"""The components of the OpenAPI description: the security schemes and the request and
answer schemas of protocol v1 (`counter.protocol` holds the same payloads as types), with
the live limits of this portal.

Its own home because it is the second half of the description; `portal.openapi` assembles
it with the paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from portal.api.requests import Limits


def api_components(limits: Limits) -> dict[str, Any]:
    """The security schemes and schemas; `Limits` states this portal's live limits."""
    return {
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
                    "protocol": {
                        "type": "integer",
                        "description": "the protocol version the counter speaks; the portal "
                        "answers with its own, which the counter checks",
                    },
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
    }
