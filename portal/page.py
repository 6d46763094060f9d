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

import base64
import contextlib
import functools
import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import jinja2
import qrcode
import qrcode.constants
from qrcode.image.svg import SvgPathImage
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from counter.lifecycle import STATUSES
from counter.lookup import LookupRef, parse_lookup_url, verify_token
from counter.profile import CentreProfile, ProfileError, parse_profile
from counter.timeliness import timeliness
from counter.timeutil import parse_iso, to_vn
from counter.validation import mask_name
from portal.page_cache import CachedPage, PageCache, page_key
from portal.storage import (
    PAGE_SNAPSHOT_FIELDS,
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

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")

# (headline, explanation, tone) per status, in words a citizen understands.
STATUS_WORDS: dict[str, tuple[str, str, str]] = {
    "received": (
        "Hồ sơ đã được tiếp nhận",
        "Hồ sơ của ông/bà đã được tiếp nhận và đang chờ chuyển đến bộ phận giải quyết.",
        "info",
    ),
    "processing": (
        "Hồ sơ đang được giải quyết",
        "Cơ quan có thẩm quyền đang giải quyết hồ sơ. Ông/bà chưa cần làm gì thêm.",
        "info",
    ),
    "supplement_requested": (
        "Cần bổ sung giấy tờ",
        "Hồ sơ cần bổ sung giấy tờ. Mời ông/bà đến Bộ phận Một cửa (mang theo Giấy tiếp nhận) "
        "để được hướng dẫn; thời gian giải quyết tạm dừng trong lúc chờ bổ sung.",
        "warn",
    ),
    "result_ready": (
        "Đã có kết quả",
        "Hồ sơ đã được giải quyết xong.",
        "ok",
    ),
    "returned": (
        "Đã trả kết quả",
        "Kết quả giải quyết đã được trao. Cảm ơn ông/bà đã sử dụng dịch vụ.",
        "ok",
    ),
    "refused": (
        "Hồ sơ không được tiếp nhận",
        "Hồ sơ không được tiếp nhận giải quyết vì các lý do dưới đây; không có hẹn trả kết quả.",
        "bad",
    ),
    "withdrawn": (
        "Hồ sơ đã được rút",
        "Ông/bà đã rút hồ sơ theo đề nghị. Hồ sơ không tiếp tục được giải quyết; không có hẹn "
        "trả kết quả.",
        "bad",
    ),
    "incomplete": (
        "Hồ sơ chưa được tiếp nhận – cần bổ sung",
        "Hồ sơ chưa đủ thành phần nên chưa được tiếp nhận; không có hẹn trả kết quả.",
        "warn",
    ),
    "stopped": (
        "Hồ sơ đã dừng giải quyết",
        "Hồ sơ đã dừng giải quyết vì lý do dưới đây; không có hẹn trả kết quả.",
        "bad",
    ),
}

EVENT_WORDS = {
    "receive": "Tiếp nhận hồ sơ",
    "start_processing": "Chuyển hồ sơ đến bộ phận giải quyết",
    "request_supplement": "Yêu cầu bổ sung giấy tờ",
    "supplement": "Đã nhận giấy tờ bổ sung",
    "refuse": "Không tiếp nhận hồ sơ",
    "result_ready": "Đã có kết quả giải quyết",
    "return_result": "Đã trả kết quả",
    "withdraw": "Rút hồ sơ",
    "stop": "Dừng giải quyết hồ sơ",
    "extend": "Gia hạn thời gian giải quyết",
    "intake_supplement": "Hướng dẫn bổ sung hồ sơ (chưa tiếp nhận)",
    "intake_refuse": "Không tiếp nhận hồ sơ",
    "payment": "Đã nhận phí, lệ phí chuyển khoản",
}

DELIVERY_WORDS = {
    "counter": "Tại Bộ phận Một cửa",
    "post": "Gửi qua dịch vụ bưu chính công ích đến địa chỉ ông/bà đã đăng ký",
    "online": "Trực tuyến (qua tài khoản dịch vụ công)",
}

FEE_NONE = "Không phải nộp phí, lệ phí"
# payment_state (#12) in words; "none"/"exempt" stand alone, the others follow the amount.
PAYMENT_STATE_WORDS = {
    "none": FEE_NONE,
    "exempt": "Được miễn phí, lệ phí",
    "paid_cash": "đã nộp bằng tiền mặt",
    "paid_transfer": "đã nộp bằng chuyển khoản",
    "to_pay_transfer": (
        "chưa nộp: mời ông/bà chuyển khoản theo mã VietQR trên Giấy tiếp nhận hồ sơ"
    ),
}

# A closed dossier: (the snapshot field with its reasons (Mẫu 03 / 05), the list's title, the
# next step). No appointment and no place to collect a result: there is none.
CLOSED_REASON_KEYS = {
    "refused": (
        "refusal_reason",
        "Lý do không tiếp nhận hồ sơ",
        "Khi đã đáp ứng đủ các điều kiện trên, ông/bà có thể nộp hồ sơ mới.",
    ),
    "stopped": (
        "stop_reason",
        "Lý do dừng giải quyết hồ sơ",
        "Ông/bà có thể nhận lại giấy tờ đã nộp tại Bộ phận Một cửa (mang theo Giấy tiếp nhận "
        "hồ sơ).",
    ),
    "withdrawn": (
        "withdraw_reason",
        "Lý do rút hồ sơ",
        "Ông/bà có thể nhận lại giấy tờ đã nộp tại Bộ phận Một cửa (mang theo Giấy tiếp nhận "
        "hồ sơ).",
    ),
}
CLOSED_ACTION = {"refused": "refuse", "stopped": "stop", "withdrawn": "withdraw"}
CLOSED_AT = {
    "refused": "Ngày từ chối",
    "stopped": "Ngày dừng giải quyết",
    "withdrawn": "Ngày rút hồ sơ",
}

PAYMENT_WORDS = {
    "cash": "tiền mặt",
    "transfer": "chuyển khoản / VietQR",
    "exempt": "miễn phí, lệ phí",
}

# DOMAIN §7 (QĐ 766/QĐ-TTg): nine criteria scored 2 / 1 / 0, worded for citizens.
CRITERIA_TEXT = {
    "c1": "Tổng thời gian giải quyết so với thời hạn quy định",
    "c2": "Thời gian giải quyết tại cơ quan tiếp nhận",
    "c3": "Số lần phải liên hệ để hoàn thiện hồ sơ",
    "c4": "Số cơ quan, đơn vị phải liên hệ",
    "c5": "Thủ tục, giấy tờ, phí được công khai đầy đủ, rõ ràng",
    "c6": "Thái độ, cách hướng dẫn của cán bộ tiếp nhận",
    "c7": "Kết quả giải quyết đúng quy định, chính xác",
    "c8": "Được thông báo tiến độ, lý do chậm trễ (nếu có)",
    "c9": "Có thể tra cứu, theo dõi hồ sơ thuận tiện",
}
CRITERIA_SCORES = ((2, "Tốt"), (1, "Trung bình"), (0, "Chưa tốt"))
OVERALL_TEXT = {
    "very_satisfied": "Rất hài lòng",
    "satisfied": "Hài lòng",
    "dissatisfied": "Không hài lòng",
}
assert set(CRITERIA_TEXT) == set(RATING_CRITERIA) and set(OVERALL_TEXT) == set(RATING_OVERALL)

TEMPLATE_DIR = Path(__file__).parent / "templates"
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # shipped with the code: compiled once per process, then cached
)


def render_html(name: str, **ctx: Any) -> str:
    """A page template rendered (the layout's optional blocks default to absent)."""
    ctx.setdefault("office", None)  # the layout's who/where/when block, when known
    ctx.setdefault("page_url", "")  # printed as text and QR, on a receipt's pages only
    return _ENV.get_template(name).render(**ctx)


def _style_source() -> str:
    """The CSP source allowing the layout's one `<style>` element: its SHA-256. A hash, not a
    per-request nonce, so a page's bytes do not change from one response to the next (and can
    be kept, `portal.page_cache`) while an injected style still cannot apply."""
    styles = {
        m.group(1)
        for name in _ENV.list_templates()
        if name not in ("base.html", "office.html")
        for m in re.finditer(r"<style>(.*?)</style>", render_html(name, **_SAMPLE), re.S)
    }
    assert len(styles) == 1, "every page shares the layout's one style element"
    digest = hashlib.sha256(styles.pop().encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


# Just enough context for every template to render (the style does not depend on it).
_SAMPLE: dict[str, Any] = {
    "code": "",
    "wait": "",
    "message": "",
    **dict.fromkeys(("headline", "explanation", "tone", "notice", "list_title", "reason"), ""),
    **dict.fromkeys(("next_step", "updated_at", "form_token", "error"), ""),
    **dict.fromkeys(("overdue", "can_rate", "rated"), False),
    "items": [],
    "facts": [],
    "timeline": [],
    "rating": None,
    "overall_text": {},
    "criteria": {},
    "scores": (),
    "form": {},
}
STYLE_SOURCE = _style_source()
PAGE_HEADERS = {
    "content-security-policy": (
        f"default-src 'none'; style-src {STYLE_SOURCE}; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "cache-control": "no-store",
}


def when(text: str | None) -> str:
    """ "08:30, Thứ Năm 26/11/2026" in Vietnam time; "" for nothing."""
    if not text:
        return ""
    try:
        m = parse_iso(str(text))
    except ValueError:
        return ""
    # Integer formatting, not strftime: a page formats a dozen of these.
    return (
        f"{m.hour:02d}:{m.minute:02d}, {WEEKDAYS[m.weekday()]} {m.day:02d}/{m.month:02d}/{m.year}"
    )


def money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đồng"


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


@functools.lru_cache(maxsize=1024)
def qr_svg(url: str) -> bytes:
    """`url` as a QR code, an SVG path (ECC M, as on the receipt)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, image_factory=SvgPathImage
    )
    code.add_data(url)
    code.make(fit=True)
    return bytes(code.make_image().to_string(encoding="unicode").encode())


def day_text(day: date) -> str:
    """ "Thứ Hai 07/12/2026"."""
    return f"{WEEKDAYS[day.weekday()]} {day.day:02d}/{day.month:02d}/{day.year}"


def weekdays_text(days: frozenset[int]) -> str:
    """ "Thứ Hai – Thứ Sáu" for a run of days, else the days listed."""
    ordered = sorted(days)
    if not ordered:
        return ""
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{WEEKDAYS[ordered[0] - 1]} – {WEEKDAYS[ordered[-1] - 1]}"
    return ", ".join(WEEKDAYS[d - 1] for d in ordered)


@functools.lru_cache(maxsize=512)
def _profile(text: str) -> CentreProfile | None:
    """The device's stored profile, parsed once per worker (it was validated when stored)."""
    if not text:
        return None
    try:
        return parse_profile(json.loads(text))
    except (ValueError, ProfileError):
        log.warning("a stored centre profile does not parse; the page shows it without")
        return None


@dataclass(frozen=True)
class Office:
    """Who, where and when for the page: from the device's centre profile."""

    agency: str
    centre: str
    address: str
    hotline: str
    tel: str
    today: str  # "Hôm nay (Thứ Ba 01/12/2026): 08:00–12:00, 13:00–17:00" or when it reopens
    week: str  # "Thứ Hai – Thứ Sáu: 08:00–12:00, 13:00–17:00"
    open_today: bool

    @property
    def place(self) -> str:
        return self.centre or self.agency


def office_of(device: Device, now: datetime) -> Office | None:
    profile = _profile(device.profile)
    if profile is None:
        return None
    today = now.date()
    hours = profile.hours_text
    if profile.is_open_on(today):
        today_text = f"Hôm nay ({day_text(today)}): {hours}"
    else:
        why = profile.day_off_name(today)
        today_text = f"Hôm nay ({day_text(today)}) nghỉ" + (f" – {why}" if why else "")
        reopen = profile.next_open_day(today)
        if reopen is not None:
            today_text += f"; làm việc lại {day_text(reopen)}, {hours}"
    return Office(
        agency=profile.agency_name,
        centre=profile.centre_name,
        address=profile.address,
        hotline=profile.hotline,
        tel=profile.tel,
        today=today_text,
        week=f"{weekdays_text(profile.weekdays)}: {hours}" if profile.weekdays else "",
        open_today=profile.is_open_on(today),
    )


def _lines(value: Any) -> list[str]:
    """Text (one item a line) or a list of texts, as a list of non-empty items."""
    if isinstance(value, str):
        return [line.strip(" -•\t") for line in value.splitlines() if line.strip(" -•\t")]
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return []


def _last_event(events: list[dict[str, Any]], action: str) -> dict[str, Any]:
    """The details of the latest event of `action` (also when the portal recorded it)."""
    for e in reversed(events):
        name = str(e.get("action", ""))
        try:
            details = json.loads(e.get("details") or "{}")
        except ValueError:
            details = {}
        if not isinstance(details, dict):
            details = {}
        if name == action or (name == "portal.status" and details.get("action") == action):
            return details
    return {}


def _fee_text(snap: dict[str, Any]) -> str:
    fee = snap.get("fee_amount")
    amount = fee if isinstance(fee, int) and not isinstance(fee, bool) else 0
    state = snap.get("payment_state")
    if state in ("none", "exempt"):
        return PAYMENT_STATE_WORDS[str(state)]
    if state in PAYMENT_STATE_WORDS:
        return f"{money(amount)} – {PAYMENT_STATE_WORDS[str(state)]}" if amount > 0 else FEE_NONE
    method = str(snap.get("payment_method") or "cash")
    if amount <= 0 or method == "exempt":
        return FEE_NONE
    return f"{money(amount)} – đã nộp khi tiếp nhận ({PAYMENT_WORDS.get(method, method)})"


def dossier_view(
    d: dict[str, Any], events: list[dict[str, Any]], now: datetime, office: Office | None
) -> dict[str, Any]:
    """What the status page says about a dossier, state by state: the headline, what happens
    next, the facts that are true in this state (no appointment once a dossier is closed, no
    passed due date while the clock is paused), the reasons and what to bring."""
    raw = json.loads(d["snapshot"])
    snap = {k: raw[k] for k in PAGE_SNAPSHOT_FIELDS if k in raw}  # the page reads only these
    state = d["status"]
    headline, explanation, tone = STATUS_WORDS.get(
        state, (STATUSES[state].vi if state in STATUSES else state, "", "info")
    )
    counter_no = d["counter_no"]
    where = office.place if office else "Bộ phận Một cửa"
    delivery = str(snap.get("delivery") or "counter")
    place = DELIVERY_WORDS.get(delivery, DELIVERY_WORDS["counter"])
    if delivery == "counter":
        place = f"Tại {where}, quầy số {counter_no}"  # the address is in the office block
    facts: list[tuple[str, str]] = [
        ("Mã hồ sơ", d["code"]),
        ("Thủ tục", d["procedure_name"]),
        ("Người nộp", mask_name(str(d["applicant_name"] or ""))),
        ("Ngày tiếp nhận", when(d["received_at"])),
    ]
    notice = ""  # a highlighted paragraph: the apology, the extension
    list_title = ""
    items: list[str] = []
    reason = ""  # why a supplement is asked for (Mẫu 02)
    next_step = ""
    due = str(d["due_at"] or "")
    extended = str(snap.get("extended_due_at") or "")
    overdue = False
    fee_text = _fee_text(snap)
    if state in ("received", "processing"):
        if extended:
            headline = "Hồ sơ được gia hạn thời gian giải quyết"
            why = str(snap.get("extension_reason") or "").strip().rstrip(".")
            notice = (
                f"Thời hạn trả kết quả được gia hạn đến {when(extended)}."
                + (f" Lý do: {why}." if why else "")
                + " Cơ quan giải quyết thành thật xin lỗi ông/bà vì sự chậm trễ này."
            )
            due = extended
        try:  # the one lateness rule (dates): due today is not overdue
            overdue = bool(due) and timeliness(state, parse_iso(due), None, now) == "overdue"
        except ValueError:
            overdue = False
        facts += [("Hẹn trả kết quả", when(due)), ("Nơi nhận kết quả", place)]
        next_step = "Trang này cập nhật khi hồ sơ có tiến triển."
    elif state == "supplement_requested":
        paused = str(snap.get("paused_at") or "")
        facts.append(
            (
                "Thời hạn giải quyết",
                f"Tạm dừng từ {when(paused)} trong lúc chờ bổ sung" if paused else "Tạm dừng",
            )
        )
        asked = _last_event(events, "request_supplement")
        items = _lines(snap.get("supplement_request")) or _lines(asked.get("items"))
        reason = str(asked.get("reason") or "").strip()
        list_title = "Giấy tờ cần bổ sung"
        explanation = "Hồ sơ cần bổ sung giấy tờ trước khi được giải quyết tiếp."
        next_step = (
            f"Mời ông/bà mang Giấy tiếp nhận hồ sơ và các giấy tờ cần bổ sung đến {where}"
            + (f", {office.address}" if office and office.address else "")
            + ". Thời hạn giải quyết tạm dừng trong lúc chờ; khi nhận đủ giấy tờ, ngày hẹn trả "
            "kết quả mới được tính lại và ghi trên trang này."
        )
    elif state == "incomplete":  # Mẫu 02 at intake, instead of a receipt
        items = _lines(snap.get("supplement_request"))
        list_title = "Giấy tờ cần bổ sung"
        next_step = (
            f"Khi đã đủ giấy tờ, mời ông/bà nộp lại hồ sơ tại {where}"
            + (f", {office.address}" if office and office.address else "")
            + "."
        )
    elif state == "result_ready":
        facts += [("Hẹn trả kết quả", when(due))]
        if snap.get("finished_at"):
            facts.append(("Có kết quả lúc", when(str(snap["finished_at"]))))
        facts.append(("Nơi nhận kết quả", place))
        if delivery == "counter":
            headline = f"Đã có kết quả – mời ông/bà đến nhận tại quầy số {counter_no}"
            explanation = (
                "Hồ sơ đã được giải quyết xong. Mời ông/bà mang theo Giấy tiếp nhận hồ sơ "
                f"và giấy tờ tùy thân đến {where}, quầy số {counter_no} để nhận kết quả."
            )
            if office:
                next_step = f"Giờ làm việc: {office.today}."
        else:
            explanation = f"Hồ sơ đã được giải quyết xong. Kết quả: {place.lower()}."
    elif state == "returned":
        facts.append(("Hẹn trả kết quả", when(due)))
        if d.get("returned_at"):
            facts.append(("Đã trả kết quả lúc", when(d.get("returned_at"))))
        if delivery == "counter":
            to = str(snap.get("returned_to") or "").strip()
            facts.append(("Người nhận kết quả", mask_name(to) if to else "Người nộp hồ sơ"))
            facts.append(("Nơi trả kết quả", place))
        else:
            facts.append(("Hình thức trả kết quả", place))
    elif state in CLOSED_REASON_KEYS:
        key, title, step = CLOSED_REASON_KEYS[state]
        if snap.get("finished_at"):
            facts.append((CLOSED_AT[state], when(str(snap["finished_at"]))))
        items = (
            _lines(snap.get(key))
            or _lines(snap.get("closed_reason"))
            or _lines(_last_event(events, CLOSED_ACTION[state]).get("reason"))
            or _lines(_last_event(events, CLOSED_ACTION[state]).get("note"))
        )
        list_title = title
        next_step = step
        if not items:
            explanation = (
                "Mời ông/bà liên hệ Bộ phận Một cửa để biết lý do và được hướng dẫn."
                if state != "withdrawn"
                else explanation
            )
    if state not in CLOSED_REASON_KEYS and state != "incomplete":  # nothing was charged
        facts.append(("Phí, lệ phí", fee_text))
    if office and office.hotline and state != "returned":
        next_step = (next_step + " " if next_step else "") + (
            f"Cần hỗ trợ, xin gọi đường dây nóng {office.hotline}."
        )
    timeline = []
    for e in events:
        action = str(e.get("action", ""))
        if action == "portal.status":
            with contextlib.suppress(ValueError):
                action = str(json.loads(e.get("details") or "{}").get("action", action))
        text = EVENT_WORDS.get(action)
        if text is None:
            continue  # prints, corrections, notes: nothing the citizen needs
        timeline.append({"at": when(e.get("at")), "text": text})
    return {
        "code": d["code"],
        "state": state,
        "headline": headline,
        "explanation": explanation,
        "tone": tone,
        "overdue": overdue,
        "notice": notice,
        "facts": facts,
        "list_title": list_title,
        "items": items,
        "reason": reason,
        "next_step": next_step,
        "timeline": timeline,
    }


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
        if view_async is None or devices_async is None:
            return None
        if ref is not None:
            devices = self.storage.cached_devices(ref.device_short)
            if devices is None:
                devices = await devices_async(ref.device_short)
                device = _verifying(devices, ref)
            else:
                device = _verifying(devices, ref)
                if device is None and devices:
                    device = _verifying(await devices_async(ref.device_short), ref)
            if device is not None:
                view: CitizenView = await view_async(ref.dossier_uuid)
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


FORBIDDEN = "Biểu mẫu không hợp lệ hoặc đã hết hạn. Vui lòng mở lại trang từ mã QR."
TOO_LARGE = "Nội dung gửi quá dài."
NOT_YET = "Hồ sơ chỉ được đánh giá sau khi đã trả kết quả."
UNAVAILABLE = (
    "Hệ thống tra cứu đang tạm thời gián đoạn. Xin Ông/Bà vui lòng thử lại sau ít phút; "
    "hồ sơ của Ông/Bà vẫn được giải quyết bình thường."
)
