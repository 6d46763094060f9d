"""What the citizen page shows (dates, hours, a dossier's state, the QR), apart from requests."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import qrcode
import qrcode.constants
from qrcode.image.svg import SvgPathImage

from counter.lifecycle import STATUSES
from counter.profile import CentreProfile, ProfileError, parse_profile
from counter.timeliness import timeliness
from counter.timeutil import parse_iso
from counter.validation import mask_name
from portal.page_words import (
    CLOSED_ACTION,
    CLOSED_AT,
    CLOSED_REASON_KEYS,
    DELIVERY_WORDS,
    EVENT_WORDS,
    FEE_NONE,
    PAYMENT_STATE_WORDS,
    PAYMENT_WORDS,
    STATUS_WORDS,
    WEEKDAYS,
)
from portal.storage import PAGE_SNAPSHOT_FIELDS, Device

# The page's logger (not this module's name): the log lines read as they did before the split.
log = logging.getLogger("portal.page")


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
