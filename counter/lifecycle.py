"""The dossier lifecycle: statuses with their DVCQG codes and the legal transitions.

One table says which action may move a dossier from which status to which; everything else is
refused with a message that names the current status, so an officer knows why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from counter.errors import IllegalTransition, InvalidInput
from counter.i18n import pick
from counter.timeliness import finish_status
from counter.timeutil import iso, parse_iso, to_vn

if TYPE_CHECKING:
    from counter.worktime import WorkCalendar


@dataclass(frozen=True)
class Status:
    key: str
    dvcqg: int  # TrangThaiHoSo code sent to the national portal
    vi: str
    en: str
    terminal: bool = False
    clock_running: bool = True


STATUSES: dict[str, Status] = {
    s.key: s
    for s in (
        Status("received", 2, "Đã tiếp nhận", "Received"),
        Status("refused", 3, "Từ chối tiếp nhận", "Refused", terminal=True, clock_running=False),
        # Turned away at intake with a Mẫu 02 (what to add): not received, no appointment.
        Status(
            "incomplete",
            3,
            "Chưa tiếp nhận – hướng dẫn bổ sung",
            "Not received – incomplete",
            terminal=True,
            clock_running=False,
        ),
        Status("processing", 4, "Đang xử lý", "In processing"),
        Status(
            "supplement_requested",
            5,
            "Chờ bổ sung hồ sơ",
            "Supplement requested",
            clock_running=False,
        ),
        Status(
            "withdrawn", 7, "Công dân rút hồ sơ", "Withdrawn", terminal=True, clock_running=False
        ),
        Status("stopped", 8, "Dừng xử lý", "Stopped", terminal=True, clock_running=False),
        Status("result_ready", 9, "Đã có kết quả", "Result ready", clock_running=False),
        Status(
            "returned", 10, "Đã trả kết quả", "Result returned", terminal=True, clock_running=False
        ),
    )
}


@dataclass(frozen=True)
class Action:
    key: str
    sources: tuple[str, ...]
    target: str | None  # None: back to the status the dossier was paused from
    vi: str
    en: str
    form: str = ""  # the form this action issues, if any (config.FORM_KINDS)
    keeps_status: bool = False  # True: the action records something, the status stays


ACTIONS: dict[str, Action] = {
    a.key: a
    for a in (
        Action("receive", (), "received", "Tiếp nhận hồ sơ", "Receive", form="receipt"),
        # At intake, instead of a receipt: a record is kept and counted, no appointment.
        Action(
            "intake_supplement",
            (),
            "incomplete",
            "Hướng dẫn bổ sung (chưa tiếp nhận)",
            "Incomplete: not received",
            form="supplement",
        ),
        Action(
            "intake_refuse",
            (),
            "refused",
            "Từ chối tiếp nhận",
            "Refuse at intake",
            form="refusal",
        ),
        Action("start_processing", ("received",), "processing", "Chuyển xử lý", "Start processing"),
        Action(
            "request_supplement",
            ("received", "processing"),
            "supplement_requested",
            "Yêu cầu bổ sung",
            "Request supplement",
            form="supplement",
        ),
        Action(
            "supplement",
            ("supplement_requested",),
            None,
            "Nhận hồ sơ bổ sung",
            "Supplement received",
        ),
        Action(
            "refuse",
            ("received", "supplement_requested"),
            "refused",
            "Từ chối tiếp nhận",
            "Refuse",
            form="refusal",
        ),
        Action(
            "result_ready", ("received", "processing"), "result_ready", "Có kết quả", "Result ready"
        ),
        Action("return_result", ("result_ready",), "returned", "Trả kết quả", "Return result"),
        Action(
            "withdraw",
            ("received", "processing", "supplement_requested"),
            "withdrawn",
            "Công dân rút hồ sơ",
            "Withdraw",
            form="stop",
        ),
        Action(
            "stop",
            ("received", "processing", "supplement_requested"),
            "stopped",
            "Dừng xử lý",
            "Stop processing",
            form="stop",
        ),
        Action(
            "extend",
            ("received", "processing"),
            None,
            "Xin lỗi, hẹn lại ngày trả",
            "Apologise, new date",
            form="extension",
            keeps_status=True,
        ),
    )
}
# Actions that create the dossier record; the officer cannot apply them to an existing one.
CREATING = ("receive", "intake_supplement", "intake_refuse")


# Actions an officer may take back (Desk.undo) right after taking them: they issue no form and
# close nothing. The others (refuse, withdraw, stop, return, supplement request) print or end
# the dossier, so they are confirmed first instead.
REVERSIBLE = frozenset({"start_processing", "result_ready", "supplement"})
TERMINAL_ACTIONS = frozenset({"refuse", "withdraw", "stop", "return_result"})
# Actions that close a dossier for a reason the citizen is told: no reason, no action
# (whoever takes it: the officer at the counter, the back office on the portal).
REASON_REQUIRED = frozenset({"refuse", "withdraw", "stop"})


def require_details(action_key: str, *, reason: str = "", to: str = "") -> None:
    """The one check of what an action cannot go without, for the counter and the portal:
    a reason to close a dossier, a recipient to return its result. InvalidInput names the
    missing field (`reason` or `to`)."""
    if action_key in REASON_REQUIRED and not reason:
        raise InvalidInput("reason", "Ghi rõ lý do", "Give the reason")
    if action_key == "return_result" and not to:
        raise InvalidInput("to", "Ghi rõ người nhận kết quả", "Say who collected the result")


def find_action(status: str, to_status: str, paused_from: str | None) -> str | None:
    """The lifecycle action that moves `status` to `to_status`, if the lifecycle allows one:
    how a status change made elsewhere (the portal's back office) is read as an action."""
    for action in ACTIONS.values():
        if action.key in CREATING or action.keeps_status or status not in action.sources:
            continue
        target = action.target if action.target is not None else (paused_from or "received")
        if target == to_status:
            return action.key
    return None


def status_label(key: str, lang: str = "vi") -> str:
    s = STATUSES[key]
    return pick((s.vi, s.en), lang)


def allowed_actions(status: str) -> list[Action]:
    """The actions an officer may take now, in menu order."""
    return [a for a in ACTIONS.values() if status in a.sources]


def next_status(action_key: str, status: str, paused_from: str | None) -> str:
    """The status after `action_key`, or IllegalTransition with a reason a person can read."""
    action = ACTIONS.get(action_key)
    if action is None:
        raise IllegalTransition(
            f"Thao tác không tồn tại: {action_key}", f"Unknown action: {action_key}"
        )
    if status not in action.sources:
        current = STATUSES[status]
        raise IllegalTransition(
            f"Không thể “{action.vi}” khi hồ sơ đang ở trạng thái “{current.vi}”",
            f"Cannot “{action.en}” a dossier that is “{current.en}”",
        )
    if action.keeps_status:
        return status
    if action.target is None:
        return paused_from or "received"
    return action.target


def transition(
    action_key: str,
    row: Mapping[str, Any],
    at: datetime,
    calendar: WorkCalendar,
    *,
    to: str = "",
    reason: str = "",
    **extra: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What `action_key` at `at` does to a dossier row: (column changes, event details).

    The one place the lifecycle's side effects live, for an officer's action at the counter
    (`Desk.act`) and a back-office change pulled from the portal (`sync`): the status and its
    DVCQG code, the version, the supplement pause and the due date it pushes back, the
    finishing time and its timeliness, who received the result, why a dossier was closed.
    IllegalTransition when the action is not allowed from the row's status.
    """
    old = row["status"]
    new = next_status(action_key, old, row["paused_from_status"])
    changes: dict[str, Any] = {
        "status": new,
        "status_code": STATUSES[new].dvcqg,
        "updated_at": iso(at),
        "version": row["version"] + 1,
    }
    details: dict[str, Any] = {}
    if action_key == "request_supplement":
        changes |= {"paused_at": iso(at), "paused_from_status": old}
        items = [str(i) for i in extra.get("items", ())]
        changes["supplement_request"] = "\n".join([*items, *([reason] if reason else [])])
    elif action_key == "extend":
        changes |= _extension(row, at, calendar, extra.get("new_day"), reason)
        details = {"previous_due_at": row["due_at"], "due_at": changes["due_at"]}
    elif action_key == "supplement":
        paused = parse_iso(row["paused_at"]) if row["paused_at"] else at
        resumed = max(at, paused)
        new_due = calendar.extend_for_pause(parse_iso(row["due_at"]), paused, resumed)
        changes |= {"paused_at": None, "paused_from_status": None, "due_at": iso(new_due)}
        details = {
            "due_at": iso(new_due),
            "paused_minutes": calendar.working_minutes_between(paused, resumed),
        }
    elif action_key == "result_ready":
        changes |= {"finished_at": iso(at)}
        details = {"timeliness": finish_status(at, parse_iso(row["due_at"]))}
    elif action_key == "return_result":
        changes |= {"returned_at": iso(at), "returned_to": to}
    elif action_key in ("refuse", "withdraw", "stop"):
        changes |= {"finished_at": iso(at), "closed_reason": reason, "paused_at": None}
    return changes, details


def _extension(
    row: Mapping[str, Any], at: datetime, calendar: WorkCalendar, new_day: Any, reason: str
) -> dict[str, Any]:
    """Mẫu 04: once per dossier, before the old appointment passes, to a later working day.

    The new appointment replaces `due_at` (what every view and the timeliness rule read);
    `extended_due_at` marks that the one extension was used.
    """
    if row.get("extended_due_at"):
        raise InvalidInput(
            "new_day",
            "Hồ sơ đã được hẹn lại một lần (Mẫu 04 chỉ lập một lần)",
            "This dossier was already given a new date once (form 04 is issued once)",
        )
    old_due = parse_iso(row["due_at"])
    if to_vn(at) >= old_due:
        raise InvalidInput(
            "new_day",
            "Đã quá thời hạn hẹn trả: Phiếu xin lỗi và hẹn lại phải lập trước thời hạn",
            "The appointment has passed: form 04 must be issued before it",
        )
    if not isinstance(new_day, date) or isinstance(new_day, datetime):
        raise InvalidInput("new_day", "Nhập ngày hẹn trả mới (dd/mm/yyyy)", "Give the new date")
    if new_day <= old_due.date():
        raise InvalidInput(
            "new_day",
            f"Ngày hẹn mới phải sau ngày hẹn cũ {old_due:%d/%m/%Y}",
            f"The new date must be after the old one, {old_due:%d/%m/%Y}",
        )
    try:
        new_due = calendar.extended_due(new_day)
    except ValueError:
        raise InvalidInput(
            "new_day",
            f"Ngày {new_day:%d/%m/%Y} không phải ngày làm việc",
            f"{new_day:%d/%m/%Y} is not a working day",
        ) from None
    if not reason:
        raise InvalidInput("reason", "Ghi rõ lý do chậm trễ", "Give the reason for the delay")
    return {"due_at": iso(new_due), "extended_due_at": iso(new_due), "extension_reason": reason}
