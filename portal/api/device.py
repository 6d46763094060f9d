"""The device endpoints: health, the OpenAPI description, enrollment, what the portal knows
of a device (`GET /device`) and the centre profile.

Its own home because these make and describe a device's standing; the data flows (push,
changes) live in `portal.api.sync`.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from counter.profile import ProfileError, parse_profile
from counter.protocol import PROTOCOL_VERSION, DeviceInfo, ErrorClass, ErrorCode
from portal.api.admin import is_admin
from portal.api.errors import ApiError
from portal.api.requests import (
    body_json,
    device_of,
    limits_of,
    limits_payload,
    require,
    storage_of,
)
from portal.openapi import openapi_spec
from portal.storage import SUPPORTED_KINDS, utc_now
from portal.witness import Witness

log = logging.getLogger("portal")


async def health(request: Request) -> Response:
    info: dict[str, Any] = {
        "status": "ok",
        "protocol": PROTOCOL_VERSION,
        "server_time": utc_now().isoformat(),
    }
    if is_admin(request):  # which process answered: for the operator, not the public
        info["worker"] = os.getpid()
    return JSONResponse(info)


async def openapi(request: Request) -> Response:
    return JSONResponse(openapi_spec(limits_of(request)))


async def enroll(request: Request) -> Response:
    storage = storage_of(request)
    witness: Witness = request.app.state.witness
    body = await body_json(request)
    fields = require(
        body,
        {
            "enrollment_code": str,
            "device_id": str,
            "device_secret": str,
            "agency_code": str,
            "counter_no": int,
        },
    )
    if body.get("demo_data") is True:
        # Made-up people must never mix with a city's real dossiers.
        log.info("enrollment refused: the store holds demo data")
        raise ApiError(
            403,
            ErrorClass.REJECTED,
            ErrorCode.DEMO_STORE,
            "a store holding demo data cannot enroll",
        )
    key = body.get("signing_public_key")  # counters since the witness (docs/exports.md)
    register = None if key is None else witness.key_registration(fields["device_id"], key)
    device, token = await run_in_threadpool(
        storage.enroll,
        fields["enrollment_code"],
        fields["device_id"],
        fields["device_secret"],
        fields["agency_code"],
        fields["counter_no"],
        also=register,
    )
    sequences = await run_in_threadpool(
        storage.code_sequences, device.agency_code, device.counter_no
    )
    max_event = await run_in_threadpool(storage.max_event_id, device.device_id)
    log.info("enroll device=%s last_seq=%d", device.device_id, device.last_seq)
    answer: DeviceInfo = {
        "protocol": PROTOCOL_VERSION,
        "device_id": device.device_id,
        "token": token,
        "agency_code": device.agency_code,
        "counter_no": device.counter_no,
        "last_seq": device.last_seq,
        "max_event_id": max_event,
        "code_sequences": sequences,
        "epoch": await run_in_threadpool(storage.epoch),
        "limits": limits_payload(limits_of(request)),
    }
    return JSONResponse(answer)


async def device_info(request: Request) -> Response:
    storage = storage_of(request)
    device = await device_of(request)
    sequences = await run_in_threadpool(
        storage.code_sequences, device.agency_code, device.counter_no
    )
    answer: DeviceInfo = {
        "protocol": PROTOCOL_VERSION,
        "device_id": device.device_id,
        "agency_code": device.agency_code,
        "counter_no": device.counter_no,
        "last_seq": device.last_seq,
        "max_event_id": await run_in_threadpool(storage.max_event_id, device.device_id),
        "code_sequences": sequences,
        "epoch": await run_in_threadpool(storage.epoch),
        "limits": limits_payload(limits_of(request)),
        "kinds": SUPPORTED_KINDS,
        "server_time": utc_now().isoformat(),
    }
    return JSONResponse(answer)


async def profile(request: Request) -> Response:
    device = await device_of(request)
    body = await body_json(request)
    raw = require(body, {"profile": dict})["profile"]
    try:
        parsed = parse_profile(raw)
    except ProfileError as exc:
        raise ApiError(422, ErrorClass.REJECTED, ErrorCode.BAD_PROFILE, str(exc)) from None
    await run_in_threadpool(storage_of(request).set_profile, device.device_id, parsed.as_json())
    log.info("profile stored device=%s", device.device_id[:8])
    return JSONResponse({"ok": True})
