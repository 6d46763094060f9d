"""The witness endpoints a device calls: have its audit head signed (`POST /witness`) and
fetch its witness file (`GET /witness`).

Its own home because tamper evidence is its own concern (`portal.witness` does the work).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from portal.api.requests import body_json, device_of, require
from portal.witness import Witness


async def witness_head(request: Request) -> Response:
    witness: Witness = request.app.state.witness
    device = await device_of(request)
    body = await body_json(request)
    fields = require(body, {"audit_head": dict})
    if "signing_public_key" in body:
        await run_in_threadpool(witness.register_key, device.device_id, body["signing_public_key"])
    head = fields["audit_head"]
    receipt = await run_in_threadpool(
        witness.witness,
        device,
        head.get("seq"),
        head.get("hash", ""),
        body.get("checkpoints") or [],
    )
    return JSONResponse({"witness": receipt})


async def witness_list(request: Request) -> Response:
    witness: Witness = request.app.state.witness
    device = await device_of(request)
    data = await run_in_threadpool(witness.file_bytes, device_id=device.device_id)
    return Response(data, media_type="application/json")
