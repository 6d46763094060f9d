"""The portal's HTTP API (protocol v1), a Starlette ASGI app served by uvicorn.

Starlette rather than FastAPI: the API is six small JSON endpoints whose bodies we validate by
hand anyway (limits are checked before parsing, entries are processed one by one), so
pydantic would cost memory and start-up time for little; the OpenAPI description is written
out in `portal.openapi` and a test checks that it names exactly the routes served.

The same app serves the citizen pages (`portal.page`: the receipt QR's status page and the
rating form) and a small back-office API under `/api/v1/admin/` that takes the admin token of
the portal's config, never a device token (and a device token never works there).

Every API error answers `{"error": {"class": ..., "code": ..., "message": ...}}` where `class` tells
the counter what to do: `retry` (later, with backoff), `rejected` (this request will never be
accepted as is), `reauth` (enroll again).
"""

from __future__ import annotations

import contextlib
import hmac
import itertools
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from counter.profile import ProfileError, parse_profile
from portal.openapi import openapi_spec
from portal.page import UNAVAILABLE, CitizenPages
from portal.page_cache import GZIP_LEVEL, GZIP_MIN_BYTES
from portal.storage import (
    PROTOCOL_VERSION,
    SUPPORTED_KINDS,
    Device,
    Entry,
    Storage,
    StorageError,
    utc_now,
)
from portal.witness import Witness

API = "/api/v1"
MAX_INT = 2**63 - 1  # what both databases store; larger numbers are malformed requests
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


@dataclass(frozen=True)
class Limits:
    max_batch: int = 500
    max_body_bytes: int = 4 * 1024 * 1024
    max_pull: int = 500
    max_form_bytes: int = 16 * 1024


class ApiError(Exception):
    def __init__(self, status: int, error_class: str, code: str, message: str, **extra: Any):
        super().__init__(message)
        self.status = status
        self.error_class = error_class
        self.code = code
        self.message = message
        self.extra = extra


_STORAGE_STATUS = {
    "unauthenticated": (401, "reauth"),
    "device_revoked": (401, "reauth"),
    "enrollment_refused": (403, "rejected"),
    "key_mismatch": (409, "rejected"),
    "audit_rollback": (409, "rejected"),
    "audit_fork": (409, "rejected"),
}


ADMIN_TOKEN_MIN_CHARS = 24


def check_admin_token(token: str) -> None:
    """An admin token opens the back office for the whole city: refuse a guessable one."""
    if token and (len(token) < ADMIN_TOKEN_MIN_CHARS or len(set(token)) < 8):
        raise ValueError(
            f"security.admin_token: at least {ADMIN_TOKEN_MIN_CHARS} characters of varied "
            "text, e.g. python3 -c 'import secrets; print(secrets.token_urlsafe())'"
        )


def _error(status: int, error_class: str, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(
        {"error": {"class": error_class, "code": code, "message": message, **extra}},
        status_code=status,
    )


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
    witness = Witness(storage, witness_key)  # type: ignore[arg-type]
    pages = CitizenPages(storage, max_form_bytes=lim.max_form_bytes)

    async def body_json(request: Request, *, nul_ok: bool = False) -> Any:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > lim.max_body_bytes:
            raise ApiError(
                413,
                "retry",
                "body_too_large",
                f"the body is {declared} bytes, the limit is {lim.max_body_bytes}: "
                "send smaller batches",
                max_body_bytes=lim.max_body_bytes,
                max_batch=lim.max_batch,
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > lim.max_body_bytes:
                raise ApiError(
                    413,
                    "retry",
                    "body_too_large",
                    f"the body exceeds {lim.max_body_bytes} bytes: send smaller batches",
                    max_body_bytes=lim.max_body_bytes,
                    max_batch=lim.max_batch,
                )
            chunks.append(chunk)
        try:
            value = json.loads(b"".join(chunks))
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise ApiError(400, "retry", "bad_json", f"the body is not JSON: {exc}") from None
        if not nul_ok and _has_nul(value):
            raise ApiError(422, "rejected", "bad_request", "text must not hold NUL characters")
        return value

    async def device_of(request: Request) -> Device:
        auth = request.headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            raise ApiError(401, "reauth", "unauthenticated", "missing bearer credential")
        return await storage.authenticate_async(auth[7:].strip())

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
        return JSONResponse(openapi_spec(lim))

    async def enroll(request: Request) -> Response:
        body = await body_json(request)
        fields = _require(
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
            raise ApiError(403, "rejected", "demo_store", "a store holding demo data cannot enroll")
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
        return JSONResponse(
            {
                "protocol": PROTOCOL_VERSION,
                "device_id": device.device_id,
                "token": token,
                "agency_code": device.agency_code,
                "counter_no": device.counter_no,
                "last_seq": device.last_seq,
                "max_event_id": max_event,
                "code_sequences": sequences,
                "epoch": await run_in_threadpool(storage.epoch),
                "limits": _limits(lim),
            }
        )

    async def device_info(request: Request) -> Response:
        device = await device_of(request)
        sequences = await run_in_threadpool(
            storage.code_sequences, device.agency_code, device.counter_no
        )
        return JSONResponse(
            {
                "protocol": PROTOCOL_VERSION,
                "device_id": device.device_id,
                "agency_code": device.agency_code,
                "counter_no": device.counter_no,
                "last_seq": device.last_seq,
                "max_event_id": await run_in_threadpool(storage.max_event_id, device.device_id),
                "code_sequences": sequences,
                "epoch": await run_in_threadpool(storage.epoch),
                "limits": _limits(lim),
                "kinds": SUPPORTED_KINDS,
                "server_time": utc_now().isoformat(),
            }
        )

    async def profile(request: Request) -> Response:
        device = await device_of(request)
        body = await body_json(request)
        raw = _require(body, {"profile": dict})["profile"]
        try:
            parsed = parse_profile(raw)
        except ProfileError as exc:
            raise ApiError(422, "rejected", "bad_profile", str(exc)) from None
        await run_in_threadpool(storage.set_profile, device.device_id, parsed.as_json())
        log.info("profile stored device=%s", device.device_id[:8])
        return JSONResponse({"ok": True})

    async def push(request: Request) -> Response:
        device = await device_of(request)
        # NUL is allowed through here: the entry that holds it is rejected on its own below,
        # so one odd character never refuses (and so blocks) the whole batch.
        body = await body_json(request, nul_ok=True)
        fields = _require(body, {"after_seq": int, "entries": list})
        raw_entries: list[Any] = fields["entries"]
        if len(raw_entries) > lim.max_batch:
            raise ApiError(
                413,
                "retry",
                "batch_too_large",
                f"{len(raw_entries)} entries in one batch, the limit is {lim.max_batch}",
                max_batch=lim.max_batch,
                max_body_bytes=lim.max_body_bytes,
            )
        entries = [_entry(i, e) for i, e in enumerate(raw_entries)]
        seqs = [e.seq for e in entries]
        if any(b <= a for a, b in itertools.pairwise(seqs)) or (
            seqs and seqs[0] <= fields["after_seq"]
        ):
            raise ApiError(
                422,
                "rejected",
                "unordered_batch",
                "entries must be in strictly increasing sequence order, after after_seq",
            )
        outcome = await run_in_threadpool(storage.ingest, device, fields["after_seq"], entries)
        log.info(
            "push device=%s entries=%d applied=%d duplicates=%d rejected=%d last_seq=%d",
            device.device_id,
            len(entries),
            outcome.applied,
            outcome.duplicates,
            len(outcome.rejected),
            outcome.last_seq,
        )
        answer: dict[str, Any] = {
            "last_seq": outcome.last_seq,
            "accepted_through": outcome.accepted_through,
            "applied": outcome.applied,
            "duplicates": outcome.duplicates,
            "rejected": [{"seq": s, "reason": r} for s, r in outcome.rejected],
            "halt": None,
            "epoch": await run_in_threadpool(storage.epoch),
            "server_time": utc_now().isoformat(),
        }
        if outcome.halt is not None:
            h = outcome.halt
            answer["halt"] = {
                "class": h.error_class,
                "code": h.code,
                "message": h.message,
                **h.extra,
            }
        return JSONResponse(answer)

    async def changes(request: Request) -> Response:
        device = await device_of(request)
        try:
            after = int(request.query_params.get("after", "0"))
            limit = int(request.query_params.get("limit", str(lim.max_pull)))
        except ValueError:
            raise ApiError(
                422, "rejected", "bad_query", "after and limit must be integers"
            ) from None
        if not 0 <= after <= MAX_INT or limit < 1:
            raise ApiError(
                422,
                "rejected",
                "bad_query",
                "after must be ≥ 0 and limit ≥ 1",
                max_pull=lim.max_pull,
            )
        limit = min(limit, lim.max_pull)  # a larger page is simply cut to the limit
        found, more = await storage.changes_since_async(device.device_id, after, limit)
        extra: dict[str, Any] = {}
        if not found and after > 0:
            # Nothing after the cursor: say where this device's changes end, so a counter
            # whose cursor is ahead (the portal was restored) pulls again from the start.
            extra["latest"] = await run_in_threadpool(storage.latest_change_id, device.device_id)
        return JSONResponse(
            {
                **extra,
                "epoch": await run_in_threadpool(storage.epoch),
                "changes": [
                    {
                        "id": c.id,
                        "kind": c.kind,
                        "dossier_uuid": c.dossier_uuid,
                        "created_at": c.created_at,
                        "data": c.data,
                    }
                    for c in found
                ],
                "cursor": found[-1].id if found else after,
                "more": more,
                "server_time": utc_now().isoformat(),
            }
        )

    async def witness_head(request: Request) -> Response:
        device = await device_of(request)
        body = await body_json(request)
        fields = _require(body, {"audit_head": dict})
        if "signing_public_key" in body:
            await run_in_threadpool(
                witness.register_key, device.device_id, body["signing_public_key"]
            )
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
        device = await device_of(request)
        data = await run_in_threadpool(witness.file_bytes, device_id=device.device_id)
        return Response(data, media_type="application/json")

    async def admin_witness(request: Request) -> Response:
        admin_check(request)
        device = request.query_params.get("device") or None
        agency = request.query_params.get("agency") or None
        if (device is None) == (agency is None):
            raise ApiError(422, "rejected", "bad_query", "give exactly one of device, agency")
        data = await run_in_threadpool(witness.file_bytes, device_id=device, agency_code=agency)
        return Response(data, media_type="application/json")

    async def admin_verify(request: Request) -> Response:
        admin_check(request)
        body = await body_json(request)
        fields = _require(body, {"manifest": str, "signature": str})
        files = body.get("files") or {}
        if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in files.items()
        ):
            raise ApiError(422, "rejected", "bad_request", "files: an object of name → sha256")
        answer = await run_in_threadpool(
            witness.verify_manifest,
            fields["manifest"].encode("utf-8"),
            fields["signature"],
            files,
        )
        return JSONResponse(answer)

    def is_admin(request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        given = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        return bool(admin_token and given) and hmac.compare_digest(
            given.encode(), admin_token.encode()
        )

    def admin_check(request: Request) -> None:
        if not admin_token:
            raise ApiError(
                403, "rejected", "admin_disabled", "set [security] admin_token to use this API"
            )
        if not is_admin(request):
            raise ApiError(401, "reauth", "unauthenticated", "missing or wrong admin credential")

    async def admin_status(request: Request) -> Response:
        admin_check(request)
        body = await body_json(request)
        fields = _require(body, {"dossier": str, "to_status": str})
        extra = {k: body.get(k, "") for k in ("by", "note", "to")}
        if not all(isinstance(v, str) for v in extra.values()):
            raise ApiError(422, "rejected", "bad_request", "by, note and to must be strings")
        change = await run_in_threadpool(
            storage.set_status,
            fields["dossier"],
            fields["to_status"],
            by=extra["by"] or "back-office",
            note=extra["note"],
            to=extra["to"],
        )
        log.info("admin status change %d queued", change.id)
        return JSONResponse(
            {
                "change": {
                    "id": change.id,
                    "kind": change.kind,
                    "dossier_uuid": change.dossier_uuid,
                    "created_at": change.created_at,
                    "data": change.data,
                }
            }
        )

    async def admin_rejections(request: Request) -> Response:
        admin_check(request)
        device = request.query_params.get("device") or None
        rows = await run_in_threadpool(storage.rejections, device)
        return JSONResponse({"rejections": rows})

    async def admin_ratings(request: Request) -> Response:
        admin_check(request)
        try:
            limit = int(request.query_params.get("limit", "500"))
        except ValueError:
            raise ApiError(422, "rejected", "bad_query", "limit must be an integer") from None
        if not 1 <= limit <= 5000:
            raise ApiError(422, "rejected", "bad_query", "limit must be 1–5000")
        rows = await run_in_threadpool(storage.ratings, limit)
        return JSONResponse({"ratings": rows})

    async def lookup_page(request: Request) -> Response:
        if request.method == "POST":
            return await pages.rate(request)
        return await pages.status(request)

    def guarded(
        endpoint: Callable[[Request], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            try:
                if any("\x00" in k + v for k, v in request.query_params.multi_items()):
                    raise ApiError(422, "rejected", "bad_query", "NUL characters in the query")
                return await endpoint(request)
            except ApiError as exc:
                return _error(exc.status, exc.error_class, exc.code, exc.message, **exc.extra)
            except StorageError as exc:
                status, cls = _STORAGE_STATUS.get(exc.code, (422, "rejected"))
                return _error(status, cls, exc.code, exc.message)

        return run

    routes = [
        Route(f"{API}/health", guarded(health), methods=["GET"]),
        Route(f"{API}/openapi.json", guarded(openapi), methods=["GET"]),
        Route(f"{API}/enroll", guarded(enroll), methods=["POST"]),
        Route(f"{API}/device", guarded(device_info), methods=["GET"]),
        Route(f"{API}/push", guarded(push), methods=["POST"]),
        Route(f"{API}/changes", guarded(changes), methods=["GET"]),
        Route(f"{API}/profile", guarded(profile), methods=["PUT"]),
        Route(f"{API}/witness", guarded(witness_head), methods=["POST"]),
        Route(f"{API}/witness", guarded(witness_list), methods=["GET"]),
        Route(f"{API}/admin/witness", guarded(admin_witness), methods=["GET"]),
        Route(f"{API}/admin/verify", guarded(admin_verify), methods=["POST"]),
        Route(f"{API}/admin/status", guarded(admin_status), methods=["POST"]),
        Route(f"{API}/admin/rejections", guarded(admin_rejections), methods=["GET"]),
        Route(f"{API}/admin/ratings", guarded(admin_ratings), methods=["GET"]),
        Route("/", pages.home, methods=["GET"]),
        Route("/{prefix}/{code}/{device}/{uuid}/{token}/qr.svg", pages.qr, methods=["GET"]),
        Route(
            "/{prefix}/{code}/{device}/{uuid}/{token}",
            lookup_page,
            methods=["GET", "POST"],
        ),
    ]

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if not request.url.path.startswith("/api/"):
            if exc.status_code == 404:
                return pages.not_found()
            return pages.render("error.html", status=exc.status_code, message=str(exc.detail))
        return _error(exc.status_code, "rejected", "http_error", str(exc.detail))

    async def server_error(request: Request, exc: Exception) -> Response:
        # The type and where, never the message or locals: they may hold personal data.
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"
        log.error("server error %s at %s on %s", type(exc).__name__, where, request.url.path[:40])
        if not request.url.path.startswith("/api/"):  # a citizen's page: words, not JSON
            return pages.render(
                "error.html", status=500, headers={"retry-after": "60"}, message=UNAVAILABLE
            )
        return _error(500, "retry", "server_error", f"the portal failed: {type(exc).__name__}")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        aclose = getattr(storage, "aclose", None)
        if aclose is not None:  # the page's asyncio pool lives in this loop: close it here
            await aclose()
        if on_shutdown is not None:
            on_shutdown()

    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error, Exception: server_error},
        lifespan=lifespan,
    )
    app.add_middleware(SecurityHeaders)
    # Text answers (pages, JSON) shrink to about a third (a status page 11.5 → 3.6 KB, for
    # about 0.2 ms of CPU: bench.bench_page). Level 6, zlib's default: Starlette's 9 gave a
    # page no smaller.
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=GZIP_LEVEL)
    app.state.storage = storage
    app.state.witness = witness
    app.state.limits = lim
    return app


def _has_nul(value: Any, depth: int = 0) -> bool:
    """Whether any key or text in a decoded JSON value holds NUL (PostgreSQL text cannot)."""
    if isinstance(value, str):
        return "\x00" in value
    if depth > 64:
        return False
    if isinstance(value, dict):
        return any(_has_nul(k, depth + 1) or _has_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v, depth + 1) for v in value)
    return False


def _limits(lim: Limits) -> dict[str, int]:
    return {
        "max_batch": lim.max_batch,
        "max_body_bytes": lim.max_body_bytes,
        "max_pull": lim.max_pull,
    }


def _require(body: Any, spec: dict[str, type]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(422, "rejected", "bad_request", "the body must be a JSON object")
    out: dict[str, Any] = {}
    for key, kind in spec.items():
        value = body.get(key)
        if (
            not isinstance(value, kind)
            or (kind is int and isinstance(value, bool))
            or (isinstance(value, int) and not -MAX_INT <= value <= MAX_INT)
        ):
            raise ApiError(
                422, "rejected", "bad_request", f"{key}: expected {kind.__name__}, got {value!r}"
            )
        out[key] = value
    return out


def _entry(index: int, raw: Any) -> Entry:
    """One pushed entry. Only an entry without a readable `seq` refuses the batch (nothing
    could record it); anything else wrong with an entry becomes its `problem`, and storage
    rejects that entry alone with the reason, so the sequence moves on (issue #13)."""
    if not isinstance(raw, dict):
        raise ApiError(422, "rejected", "bad_entry", f"entries[{index}] is not an object")
    seq, kind, version = raw.get("seq"), raw.get("kind"), raw.get("schema_version")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_INT:
        raise ApiError(422, "rejected", "bad_entry", f"entries[{index}].seq: positive integer")
    problem = ""
    if (
        not isinstance(kind, str)
        or not isinstance(version, int)
        or isinstance(version, bool)
        or not -MAX_INT <= version <= MAX_INT
    ):
        problem = "the entry's kind and schema_version are required"
        kind = str(kind)[:100] if isinstance(kind, str) else "?"
        version = 0
    elif _has_nul(raw):
        problem = "the entry holds a NUL character"
    created_at = raw.get("created_at", "")
    return Entry(
        seq=seq,
        kind=_no_nul(kind),
        schema_version=version,
        created_at=_no_nul(created_at if isinstance(created_at, str) else str(created_at)),
        payload=raw.get("payload"),
        local_reject=_no_nul(str(raw.get("local_reject") or "")),
        problem=problem,
    )


def _no_nul(text: str) -> str:
    """Text a PostgreSQL column can hold (the entry is rejected; its columns still stored)."""
    return text.replace("\x00", "\ufffd")
