"""The portal's HTTP endpoints as module-level handlers, grouped by concern (`device`, `sync`,
`witness`, `admin`, `pages`); each reads what it needs from `request.app.state` (`storage`,
`witness`, `limits`, `pages`, `admin_token`), which `portal.app.create_app` sets.

`ROUTES` is the one table of paths (from `counter.protocol.ApiPath`) to handlers.
"""

from __future__ import annotations

from starlette.routing import Route

from counter.protocol import ApiPath
from portal.api import admin, device, pages, sync, witness
from portal.api.errors import guarded

ROUTES: list[Route] = [
    Route(ApiPath.HEALTH, guarded(device.health), methods=["GET"]),
    Route(ApiPath.OPENAPI, guarded(device.openapi), methods=["GET"]),
    Route(ApiPath.ENROLL, guarded(device.enroll), methods=["POST"]),
    Route(ApiPath.DEVICE, guarded(device.device_info), methods=["GET"]),
    Route(ApiPath.PUSH, guarded(sync.push), methods=["POST"]),
    Route(ApiPath.CHANGES, guarded(sync.changes), methods=["GET"]),
    Route(ApiPath.PROFILE, guarded(device.profile), methods=["PUT"]),
    Route(ApiPath.WITNESS, guarded(witness.witness_head), methods=["POST"]),
    Route(ApiPath.WITNESS, guarded(witness.witness_list), methods=["GET"]),
    Route(ApiPath.ADMIN_WITNESS, guarded(admin.admin_witness), methods=["GET"]),
    Route(ApiPath.ADMIN_VERIFY, guarded(admin.admin_verify), methods=["POST"]),
    Route(ApiPath.ADMIN_STATUS, guarded(admin.admin_status), methods=["POST"]),
    Route(ApiPath.ADMIN_REJECTIONS, guarded(admin.admin_rejections), methods=["GET"]),
    Route(ApiPath.ADMIN_RATINGS, guarded(admin.admin_ratings), methods=["GET"]),
    Route("/", pages.home, methods=["GET"]),
    Route("/{prefix}/{code}/{device}/{uuid}/{token}/qr.svg", pages.qr, methods=["GET"]),
    Route(
        "/{prefix}/{code}/{device}/{uuid}/{token}",
        pages.lookup_page,
        methods=["GET", "POST"],
    ),
]
