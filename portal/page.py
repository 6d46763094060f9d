"""The page a citizen opens by scanning the receipt QR, and the satisfaction rating form.

`GET {base}/TRA-CUU/{CODE}/{DEVICE8}/{UUID26}/{TOKEN24}` (any letter case, see
`counter.lookup`): the token is a truncated HMAC with the counter's device secret, which the
portal learned at enrollment, so a receipt verifies even before its dossier has synced.

- A wrong or mistyped token, code, device or dossier gets one and the same "not found" page
  (it reveals nothing); each such failure is counted per client address and per code prefix
  (agency and day) in the database (so every worker sees it). Past `lookup_max_failures`
  from one address, or `lookup_max_prefix_failures` naming one prefix, further failures are
  answered HTTP 429 "Quá nhiều lần thử…" with a delay that doubles with each failure (1 s, 2
  s, 4 s … up to `lookup_window`). Receipts that verify are always served: many citizens
  behind one centre's public address are not locked out by one enumerator among them.
- A verified receipt whose dossier has not reached the portal yet says it was received at the
  counter and is being updated.
- Otherwise: code, procedure, received and due times, the status in words a citizen
  understands, the timeline, where and when to collect the result, the fee; the applicant's
  name masked ("Nguyễn V. A."); never an ID number, phone, address or officer.
- Once the result is returned, the DOMAIN §7 rating form (9 criteria scored 2/1/0 and the
  overall answer). The form carries a token bound to the lookup token (an HMAC with the device
  secret) and the POST checks it and the Origin: a page elsewhere cannot submit it. One rating
  per dossier (a unique index); it reaches the counter with the next pull.

Jinja2 rather than f-strings: autoescaping by default is what keeps a hostile procedure name
or comment from becoming markup, and template inheritance keeps the four pages one layout.
The templates are files in `portal/templates/` (package data), compiled once per process.
Mobile first: one column, no text under 16 px, AA contrast, large tap targets; system fonts
only; the style is inline, allowed by its hash in the CSP (`STYLE_SOURCE`); no script at all
(focus moves with `autofocus` and the `#rated` fragment): nothing is fetched from elsewhere.
Printed (or saved as PDF) the page is a record: the office, the code, the status, the dates,
and the page's address as text and as a QR code that is fetched only for printing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from counter.lookup import LookupRef, parse_lookup_url, verify_token
from counter.timeutil import to_vn
from portal.page_cache import (
    CachedPage,
    PageCache,
    page_key,
)
from portal.page_render import (
    PAGE_HEADERS,
    STYLE_SOURCE,
    TEMPLATE_DIR,
    render_html,
)
from portal.page_view import (
    Office,
    day_text,
    dossier_view,
    money,
    office_of,
    qr_svg,
    weekdays_text,
    when,
)
from portal.page_words import (
    CLOSED_ACTION,
    CLOSED_AT,
    CLOSED_REASON_KEYS,
    CRITERIA_SCORES,
    CRITERIA_TEXT,
    DELIVERY_WORDS,
    EVENT_WORDS,
    FEE_NONE,
    FORBIDDEN,
    NOT_YET,
    OVERALL_TEXT,
    PAYMENT_STATE_WORDS,
    PAYMENT_WORDS,
    STATUS_WORDS,
    TOO_LARGE,
    UNAVAILABLE,
    WEEKDAYS,
)
from portal.storage import (
    RATING_CRITERIA,
    RATING_OVERALL,
    CitizenView,
    Device,
    Rating,
    Storage,
    StorageError,
    utc_now,
)

log = logging.getLogger("portal.page")

# The words, the templates and the view have their own modules (`portal.page_words`,
# `portal.page_render`, `portal.page_view`); every name stays importable from here, as callers
# and tests knew it before the split. (PageCache, CachedPage and page_key are
# `portal.page_cache`'s: used here, not re-exported, as before; tests swap PageCache here.)
# fmt: off
__all__ = [
    "CLOSED_ACTION", "CLOSED_AT", "CLOSED_REASON_KEYS", "CRITERIA_SCORES", "CRITERIA_TEXT",
    "DELIVERY_WORDS", "EVENT_WORDS", "FEE_NONE", "FORBIDDEN", "NOT_YET", "OVERALL_TEXT",
    "PAGE_HEADERS", "PAYMENT_STATE_WORDS", "PAYMENT_WORDS", "STATUS_WORDS", "STYLE_SOURCE",
    "TEMPLATE_DIR", "TOO_LARGE", "UNAVAILABLE", "WEEKDAYS", "CitizenPages", "Lookup", "Office",
    "code_prefix", "day_text", "dossier_view", "form_token", "money", "office_of", "qr_svg",
    "render_html", "same_rating", "self_url", "thanks_url", "weekdays_text", "when",
]
# fmt: on


def form_token(device: Device, ref: LookupRef) -> str:
    """The rating form's token: bound to this receipt's lookup token and the device secret."""
    key = bytes.fromhex(device.device_secret)
    msg = f"rating-form/v1\n{ref.dossier_uuid}\n{ref.code}\n{ref.token}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()[:32]


@dataclass
class Lookup:
    """A verified receipt: its device, and the dossier if it has reached the portal."""

    ref: LookupRef
    device: Device
    dossier: dict[str, Any] | None
    events: list[dict[str, Any]]
    rating: Rating | None


def _secret(device: Device) -> bytes:
    try:
        return bytes.fromhex(device.device_secret)
    except ValueError:
        return device.device_secret.encode("utf-8")


def _verifying(devices: list[Device], ref: LookupRef) -> Device | None:
    """The device among `devices` whose secret the receipt's token was made with."""
    for device in devices:
        if verify_token(_secret(device), device.device_id, ref.dossier_uuid, ref.code, ref.token):
            return device
    return None


def _outcome(ref: LookupRef, device: Device, view: CitizenView) -> tuple[int, Lookup | None]:
    """(0, the lookup) for a verified receipt and what the database said."""
    dossier = view.dossier
    if dossier is not None and (
        dossier["device_id"] != device.device_id or dossier["code"] != ref.code
    ):
        return 0, Lookup(ref, device, None, [], None)
    return 0, Lookup(ref, device, dossier, view.events, view.rating)


def code_prefix(ref: LookupRef | None) -> str | None:
    """The part of a lookup's dossier code an enumerator walking codes keeps (agency and
    day: `000.00.12.H26-261126`), the key of the per-prefix rate limit; None: no code."""
    if ref is None:
        return None
    head, sep, _tail = ref.code.upper().rpartition("-")
    return head if sep and head else None


def self_url(request: Request) -> str:
    """The status page's own address (no query, no `/qr.svg`), printed as text and as QR, in
    the receipt's upper case (`counter.lookup.lookup_url`: the denser QR mode)."""
    url = request.url
    segments = url.path.removesuffix("/qr.svg").rstrip("/").split("/")
    head, lookup = "/".join(segments[:-5]), "/".join(segments[-4:])
    netloc = url.netloc.upper()
    return f"{url.scheme.upper()}://{netloc}{head}/TRA-CUU/{lookup.upper()}"


def thanks_url(request: Request) -> str:
    """Where a recorded rating lands: the page, scrolled to the thank-you (focus moves there)."""
    return f"{request.url.path}?danh-gia=ok#rated"


def same_rating(
    rating: Rating | None, overall: str, criteria: dict[str, int], comment: str
) -> bool:
    """Whether a submitted rating is the one already recorded (a second tap of the button)."""
    return (
        rating is not None
        and rating.overall == overall
        and rating.criteria == criteria
        and rating.comment == comment
    )


class CitizenPages:
    """The handlers; `storage` is shared with the sync API."""

    def __init__(self, storage: Storage, *, max_form_bytes: int = 16 * 1024):
        self.storage = storage
        self.max_form_bytes = max_form_bytes
        self.cache = PageCache()

    # -- plumbing --------------------------------------------------------------------------

    def render(
        self, name: str, status: int = 200, headers: dict[str, str] | None = None, **ctx: Any
    ) -> Response:
        return Response(
            render_html(name, **ctx),
            status_code=status,
            media_type="text/html; charset=utf-8",
            headers={**PAGE_HEADERS, **(headers or {})},
        )

    @staticmethod
    def send(page: CachedPage, request: Request, status: int = 200) -> Response:
        """A kept page: gzipped as kept when the client takes gzip (the GZip middleware lets
        a response with its own content-encoding through), else plain."""
        headers = {**PAGE_HEADERS, "vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            headers["content-encoding"] = "gzip"
            body = page.gzipped
        else:
            body = page.html
        return Response(
            body, status_code=status, media_type="text/html; charset=utf-8", headers=headers
        )

    @staticmethod
    def client(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def ref_of(self, request: Request) -> LookupRef | None:
        p = request.path_params
        if str(p.get("prefix", "")).lower() != "tra-cuu":
            return None
        path = "/".join(str(p.get(k, "")) for k in ("code", "device", "uuid", "token"))
        return parse_lookup_url(f"http://portal/TRA-CUU/{path}")

    def _load(self, client: str, ref: LookupRef | None) -> tuple[int, Lookup | None]:
        """(seconds blocked, the verified lookup or None); one thread hop for all the I/O.

        A good receipt costs one database round trip: the device comes from the storage's
        short-lived device cache and the token is checked in memory, then `citizen_view` reads
        the dossier, its timeline and its rating together. A receipt whose token verifies is
        served whatever the rate limit says: the token is 120 bits of HMAC, so a guess is
        right with probability 2^-120 and serving good receipts tells an enumerator nothing,
        while refusing them would lock out every citizen behind a centre's one public address
        (issue #18). A failure asks the database for the device again (the cached secret may
        have been replaced by re-enrollment) and then counts the failure against the address
        and the code prefix, which also answers whether to refuse it (HTTP 429).
        """
        if ref is not None:
            devices = self.storage.devices_by_short_id(ref.device_short, cached=True)
            device = _verifying(devices, ref)
            if device is None and devices:
                device = _verifying(self.storage.devices_by_short_id(ref.device_short), ref)
            if device is not None:
                view = self.storage.citizen_view(ref.dossier_uuid)
                return _outcome(ref, device, view)
        return self.storage.lookup_failed(client, code_prefix(ref)), None

    async def _load_async(
        self, client: str, ref: LookupRef | None
    ) -> tuple[int, Lookup | None] | None:
        """`_load` without a thread hop for the reads, on a storage that reads from the event
        loop (PostgreSQL's asyncio pool): the same checks in the same order, so no thread
        wake-up and no GIL hand-over with the sync API's threads while a page waits on the
        database. Counting a failure still goes through the threadpool. None: this storage
        has no asyncio reads (SQLite), use `_load`."""
        view_async = getattr(self.storage, "citizen_view_async", None)
        devices_async = getattr(self.storage, "devices_by_short_id_async", None)
        read_async = getattr(self.storage, "page_read_async", None)
        if view_async is None or devices_async is None or read_async is None:
            return None
        if ref is not None:
            devices = self.storage.cached_devices(ref.device_short)
            if devices is None:
                # Not in this worker's device cache: the devices and the dossier in one round
                # trip (the dossier is used only if the token verifies).
                view: CitizenView
                view, devices = await read_async(ref.dossier_uuid, ref.device_short)
                device = _verifying(devices, ref)
                if device is not None:
                    return _outcome(ref, device, view)
            else:
                device = _verifying(devices, ref)
                if device is None and devices:
                    device = _verifying(await devices_async(ref.device_short), ref)
                if device is not None:
                    view = await view_async(ref.dossier_uuid)
                    return _outcome(ref, device, view)
        return await run_in_threadpool(self.storage.lookup_failed, client, code_prefix(ref)), None

    def too_many(self, seconds: int) -> Response:
        wait = f"{seconds} giây" if seconds < 60 else f"{-(-seconds // 60)} phút"
        return self.render(
            "blocked.html", status=429, headers={"retry-after": str(seconds)}, wait=wait
        )

    def not_found(self) -> Response:
        return self.render("not_found.html", status=404)

    async def verified(self, request: Request) -> Lookup | Response:
        ref = self.ref_of(request)
        client = self.client(request)
        loaded = await self._load_async(client, ref)
        if loaded is None:
            loaded = await run_in_threadpool(self._load, client, ref)
        blocked, found = loaded
        if found is not None:
            return found
        if blocked:
            log.info("citizen lookup refused: too many failures from one address or code prefix")
            return self.too_many(blocked)
        log.info("citizen lookup failed: unknown receipt or wrong token")
        return self.not_found()

    # -- pages -----------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        return self.render("home.html")

    async def status(self, request: Request) -> Response:
        found = await self.verified(request)
        if isinstance(found, Response):
            return found
        return self.page(found, request, rated=request.query_params.get("danh-gia") == "ok")

    def page(
        self,
        found: Lookup,
        request: Request,
        *,
        status: int = 200,
        error: str = "",
        rated: bool = False,
        form: dict[str, str] | None = None,
    ) -> Response:
        now = to_vn(self._now())
        page_url = self_url(request)
        key = None
        if status == 200 and not error and form is None:
            key = page_key(
                page_url,
                rated,
                now.date().isoformat(),  # the office's hours today, overdue or not: by date
                found.ref,
                found.device.device_id,
                found.device.device_secret,  # the rating form's token
                found.device.profile,
                found.dossier,
                found.events,
                found.rating,
            )
            kept = self.cache.get(key)
            if kept is not None:
                return self.send(kept, request)
        html = self.page_html(found, now, page_url, error=error, rated=rated, form=form)
        made = CachedPage(html.encode("utf-8"))
        if key is not None:
            self.cache.put(key, made)
        return self.send(made, request, status)

    @staticmethod
    def page_html(
        found: Lookup,
        now: datetime,
        page_url: str,
        *,
        error: str = "",
        rated: bool = False,
        form: dict[str, str] | None = None,
    ) -> str:
        """The receipt's page, rendered from what the database said and the time: every input
        is an argument, which is what lets `page` keep the result by a digest of them."""
        d = found.dossier
        office = office_of(found.device, now)
        if d is None:
            return render_html(
                "pending.html", code=found.ref.code, office=office, page_url=page_url
            )
        view = dossier_view(d, found.events, now, office)
        can_rate = d["status"] == "returned" and found.rating is None
        return render_html(
            "status.html",
            office=office,
            page_url=page_url,
            **view,
            can_rate=can_rate,
            rating=found.rating,
            rated=rated,
            overall_text=OVERALL_TEXT,
            criteria=CRITERIA_TEXT,
            scores=CRITERIA_SCORES,
            form_token=form_token(found.device, found.ref) if can_rate else "",
            form=form or {},
            error=error,
            updated_at=when(d.get("synced_at")),
        )

    def _now(self) -> datetime:
        clock = getattr(self.storage, "clock", None)
        return clock() if callable(clock) else utc_now()

    async def qr(self, request: Request) -> Response:
        """The page's own address as a QR code (SVG), fetched only when the page is printed
        (the image sits in a print-only block with `loading="lazy"`), so viewing the page on a
        phone costs no QR encoding. Verified like the page: no QR for a forged receipt."""
        found = await self.verified(request)
        if isinstance(found, Response):
            return found
        svg = await run_in_threadpool(qr_svg, self_url(request))
        return Response(
            svg,
            media_type="image/svg+xml",
            headers={"cache-control": "private, max-age=86400"},
        )

    async def rate(self, request: Request) -> Response:
        found = await self.verified(request)
        if isinstance(found, Response):
            return found
        origin = request.headers.get("origin")
        if origin and origin != "null":
            own = f"{request.url.scheme}://{request.url.netloc}".lower()
            if origin.lower() != own:
                return self.render("error.html", status=403, message=FORBIDDEN)
        body = await self._form(request)
        if body is None:
            return self.render("error.html", status=413, message=TOO_LARGE)
        if found.dossier is None:
            return self.page(found, request, status=409)
        given = body.get("form_token", "")
        if not hmac.compare_digest(given.encode(), form_token(found.device, found.ref).encode()):
            return self.render("error.html", status=403, message=FORBIDDEN)
        overall = body.get("overall", "")
        criteria: dict[str, int] = {}
        for key in RATING_CRITERIA:
            value = body.get(key, "")
            if value in ("0", "1", "2"):
                criteria[key] = int(value)
        if overall not in RATING_OVERALL or len(criteria) != len(RATING_CRITERIA):
            return self.page(
                found,
                request,
                status=422,
                error="Xin ông/bà chọn một mức cho mỗi tiêu chí và cho mức độ hài lòng chung.",
                form=body,
            )
        comment = body.get("comment", "")[:1000]
        try:
            await run_in_threadpool(
                self.storage.submit_rating, found.ref.dossier_uuid, overall, criteria, comment
            )
        except StorageError as exc:
            if exc.code == "already_rated":
                found.rating = await run_in_threadpool(
                    self.storage.rating_of, found.ref.dossier_uuid
                )
                if same_rating(found.rating, overall, criteria, comment):
                    # A double tap, or a retry after a slow answer: the rating the person
                    # gave is recorded, so this is a success, not an error.
                    return RedirectResponse(thanks_url(request), status_code=303)
                return self.page(
                    found,
                    request,
                    status=409,
                    error="Hồ sơ này đã được đánh giá; mỗi hồ sơ chỉ đánh giá một lần.",
                )
            return self.page(found, request, status=409, error=NOT_YET)
        log.info("citizen rating recorded")
        return RedirectResponse(thanks_url(request), status_code=303)

    async def _form(self, request: Request) -> dict[str, str] | None:
        """The urlencoded form, or None when it is larger than `max_form_bytes`."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_form_bytes:
            return None
        size = 0
        chunks: list[bytes] = []
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_form_bytes:
                return None
            chunks.append(chunk)
        text = b"".join(chunks).decode("utf-8", "replace").replace("\x00", "")
        try:
            return dict(parse_qsl(text, keep_blank_values=True, max_num_fields=50))
        except ValueError:  # more fields than any real form sends: refused like a large one
            return None
