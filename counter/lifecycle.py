"""The dossier lifecycle: statuses with their DVCQG codes and the legal transitions.

One table says which action may move a dossier from which status to which; everything else is
refused with a message that names the current status, so an officer knows why.
"""

from __future__ import annotations

from dataclasses import dataclass

from counter.errors import IllegalTransition


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
    form: str = ""  # the Circular 03/2025 form this action issues, if any


ACTIONS: dict[str, Action] = {
    a.key: a
    for a in (
        Action("receive", (), "received", "Tiếp nhận hồ sơ", "Receive", form="01"),
        Action("start_processing", ("received",), "processing", "Chuyển xử lý", "Start processing"),
        Action(
            "request_supplement",
            ("received", "processing"),
            "supplement_requested",
            "Yêu cầu bổ sung",
            "Request supplement",
            form="02",
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
            form="03",
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
            form="05",
        ),
        Action(
            "stop",
            ("received", "processing", "supplement_requested"),
            "stopped",
            "Dừng xử lý",
            "Stop processing",
            form="05",
        ),
    )
}


def status_label(key: str, lang: str = "vi") -> str:
    s = STATUSES[key]
    return s.en if lang == "en" else s.vi


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
    if action.target is None:
        return paused_from or "received"
    return action.target
