"""Every key binding of the counter app by id: defaults, names, and the rules a remap must keep.

The table is data, so the configuration check (`counter check-config`) can validate `[keys]` in
config.toml without importing the UI: an unknown id, a key name no terminal sends, two ids on
one key where both are active, or a plain letter where a typed letter could act by accident.
The UI (screens/keys.py) builds its bindings from the same table.
"""

from __future__ import annotations

import re

KEYS: dict[str, tuple[str, str, str]] = {
    # app-wide
    "app.help": ("f1", "Trợ giúp", "Help"),
    "app.search": ("ctrl+f", "Tìm", "Search"),
    "app.search_slash": ("slash", "Tìm", "Search"),
    "app.palette": ("ctrl+p", "Lệnh", "Commands"),
    "app.today": ("f4", "Hôm nay", "Today"),
    "app.logout": ("ctrl+l", "Đăng xuất", "Log out"),
    "app.language": ("f12", "English", "Tiếng Việt"),
    "app.quit": ("ctrl+q", "Thoát", "Quit"),
    "app.status": ("f3", "Máy in & đồng bộ", "Printer & sync"),
    "app.sync_now": ("ctrl+u", "Đồng bộ ngay", "Sync now"),
    "app.supervisor": ("ctrl+t", "Tổng quan (giám sát)", "Overview (supervisor)"),
    "app.focus_next": ("tab", "Ô tiếp theo", "Next field"),
    "app.focus_previous": ("shift+tab", "Ô trước", "Previous field"),
    # main screen (today's list)
    "dossier.new": ("f2", "Hồ sơ mới", "New"),
    "main.refresh": ("f5", "Tải lại", "Reload"),
    "main.next_page": ("pagedown", "Trang sau", "Next page"),
    "main.prev_page": ("pageup", "Trang trước", "Prev page"),
    # intake form
    "dossier.save": ("ctrl+s", "Lưu", "Save"),
    "form.kind": ("ctrl+o", "Cá nhân/Tổ chức", "Person/Org"),
    "form.representative": ("ctrl+r", "Đại diện", "Representative"),
    "form.cancel": ("escape", "Đóng", "Close"),
    "form.discard": ("ctrl+d", "Bỏ", "Discard"),
    "form.intake_supplement": ("ctrl+b", "Mẫu 02", "Form 02"),
    "form.intake_refuse": ("ctrl+n", "Mẫu 03", "Form 03"),
    "picker.down": ("down", "Thủ tục sau", "Next match"),
    "picker.up": ("up", "Thủ tục trước", "Previous match"),
    "docs.toggle": ("space", "Đã nhận", "Received"),
    "docs.more": ("plus,equals_sign", "+1", "+1"),
    "docs.less": ("minus", "-1", "-1"),
    "docs.form": ("o", "Bản chính/sao", "Original/copy"),
    # dossier detail: the action menu and undo; the letters below work inside the menu only
    "dossier.actions": ("ctrl+x", "Thao tác…", "Actions…"),
    "dossier.undo": ("ctrl+z", "Hoàn tác", "Undo"),
    "dossier.start_processing": ("x", "Chuyển xử lý", "Process"),
    "dossier.request_supplement": ("b", "Yêu cầu bổ sung", "Supplement"),
    "dossier.supplement": ("n", "Nhận bổ sung", "Supplied"),
    "dossier.refuse": ("r", "Từ chối", "Refuse"),
    "dossier.result_ready": ("k", "Có kết quả", "Result ready"),
    "dossier.return_result": ("g", "Trả kết quả", "Return"),
    "dossier.withdraw": ("w", "Rút hồ sơ", "Withdraw"),
    "dossier.stop": ("d", "Dừng xử lý", "Stop"),
    "dossier.extend": ("h", "Hẹn lại (Mẫu 04)", "New date (form 04)"),
    "dossier.paid": ("p", "Đã nhận chuyển khoản", "Transfer received"),
    "dossier.back": ("escape", "Quay lại", "Back"),
    "dossier.preview": ("v", "Xem giấy biên nhận", "Receipt"),
    "dossier.reprint": ("i", "In lại", "Reprint"),
    # receipt preview
    "receipt.reprint": ("ctrl+r", "In lại", "Reprint"),
    "receipt.close": ("escape", "Đóng", "Close"),
    # printer and sync status: print jobs change, so no key that types text
    "status.retry": ("ctrl+r", "In lại ngay", "Retry now"),
    "status.cancel": ("delete", "Hủy lệnh in", "Cancel job"),
    "status.move": ("ctrl+o", "Chuyển máy in", "Other printer"),
    "status.printed": ("ctrl+y", "Có, đã in ra", "Yes, it printed"),
    "status.not_printed": ("ctrl+n", "Không, in lại", "No, print it"),
    "status.back": ("escape", "Quay lại", "Back"),
    # queue panel (main screen)
    "queue.call_next": ("f6", "Gọi số tiếp", "Call next"),
    "queue.recall": ("f7", "Gọi lại", "Recall"),
    "queue.no_show": ("f8", "Vắng mặt", "No-show"),
    "queue.hold": ("f9", "Tạm hoãn", "Hold"),
    "queue.transfer": ("f10", "Chuyển", "Transfer"),
    "queue.finish": ("f11", "Xong", "Finish"),
    "queue.call_number": ("shift+f6", "Gọi số…", "Call number…"),
    # search
    "search.next_page": ("pagedown", "Trang sau", "Next page"),
    "search.prev_page": ("pageup", "Trang trước", "Prev page"),
    "search.results": ("down", "Kết quả", "Results"),
    "search.back": ("escape", "Quay lại", "Back"),
    # modals
    "modal.confirm": ("ctrl+s", "Xác nhận", "Confirm"),
    "received.next": ("enter", "Người tiếp theo", "Next citizen"),
    "received.open": ("ctrl+o", "Mở hồ sơ", "Open dossier"),
    "received.close": ("escape", "Về danh sách", "Back to the list"),
    "modal.cancel": ("escape", "Hủy", "Cancel"),
    "help.close": ("escape,f1", "Đóng", "Close"),
    # supervisor: figures, drill-down and export
    "supervisor.refresh": ("f5", "Tải lại", "Reload"),
    "supervisor.export": ("ctrl+e", "Xuất sổ", "Export"),
    "supervisor.back": ("escape", "Quay lại", "Back"),
    "drilldown.back": ("escape", "Quay lại", "Back"),
    "export.run": ("ctrl+s", "Xuất", "Export"),
    "export.back": ("escape", "Quay lại", "Back"),
    # citizens' kiosk and board (standalone apps)
    "kiosk.quit": ("ctrl+q", "Thoát", "Quit"),
    "board.quit": ("ctrl+q,escape", "Thoát", "Quit"),
}

# Which ids are active together (a screen's own bindings; the app-wide ones join every screen
# of the officer's app). Two ids of one group on one key: one of them can never fire.
SCOPES: dict[str, tuple[str, ...]] = {
    "main": ("dossier.new", "main.", "queue."),
    "intake": ("dossier.save", "form.", "picker.", "docs."),
    "dossier": ("dossier.actions", "dossier.undo", "dossier.back", "dossier.new", "queue."),
    "dossier menu": (
        "dossier.start_processing",
        "dossier.request_supplement",
        "dossier.supplement",
        "dossier.refuse",
        "dossier.result_ready",
        "dossier.return_result",
        "dossier.withdraw",
        "dossier.stop",
        "dossier.extend",
        "dossier.paid",
        "dossier.preview",
        "dossier.reprint",
        "modal.cancel",
    ),
    "received": ("received.",),
    "receipt": ("receipt.",),
    "status": ("status.",),
    "search": ("search.",),
    "dialog": ("modal.confirm", "modal.cancel"),
    "supervisor": ("supervisor.",),
    "drill-down": ("drilldown.",),
    "export": ("export.",),
}
# Without the app-wide keys: the kiosk and board are apps of their own, and F1 on the help
# screen is meant to close it (app.help toggles).
STANDALONE = {"kiosk": ("kiosk.",), "board": ("board.",), "help": ("help.close",)}

# Ids that change a dossier, a print job or the queue, print, write a file or throw work away
# outside a menu: a plain key there could be typed into the wrong place, so these need a
# modifier (ctrl/alt) or a function key. (tests/test_tui_plain_keys.py walks every screen's
# bindings: an id that acts must be here or in NO_TEXT_KEY.)
NEEDS_MODIFIER = frozenset(
    {
        "dossier.actions",
        "dossier.undo",
        "dossier.save",
        "receipt.reprint",
        "modal.confirm",
        "form.discard",
        "form.intake_supplement",
        "form.intake_refuse",
        "received.open",
        "status.retry",
        "status.move",
        "status.printed",
        "status.not_printed",
        "queue.call_next",
        "queue.recall",
        "queue.no_show",
        "queue.hold",
        "queue.transfer",
        "queue.finish",
        "queue.call_number",
        "supervisor.export",
        "export.run",
    }
)
# Ids that act but whose default is a named key that types no text (Delete, Enter): any key
# but one that types a character.
NO_TEXT_KEY = frozenset({"status.cancel", "received.next"})

_NAMED = {
    "enter", "escape", "tab", "space", "backspace", "delete", "insert", "home", "end",
    "pageup", "pagedown", "up", "down", "left", "right", "plus", "minus", "equals_sign",
    "slash", "backslash", "comma", "full_stop", "colon", "semicolon", "asterisk",
    "underscore", "question_mark", "exclamation_mark", "number_sign", "dollar_sign",
    "percent_sign", "ampersand", "apostrophe", "quotation_mark", "left_parenthesis",
    "right_parenthesis", "left_square_bracket", "right_square_bracket", "left_curly_bracket",
    "right_curly_bracket", "less_than_sign", "greater_than_sign", "vertical_line", "tilde",
    "grave_accent", "circumflex_accent", "at",
}  # fmt: skip
_FUNCTION = re.compile(r"f([1-9]|1[0-9]|2[0-4])")
_MODIFIERS = ("ctrl", "alt", "shift", "super", "meta")


def _base_ok(base: str) -> bool:
    return base in _NAMED or bool(_FUNCTION.fullmatch(base) or re.fullmatch(r"[a-z0-9]", base))


def key_problem(key: str) -> str | None:
    """Why `key` (one key, e.g. "ctrl+s") is not a key name a terminal sends, or None."""
    *mods, base = key.split("+")
    if not base or any(m not in _MODIFIERS for m in mods) or len(set(mods)) != len(mods):
        return "modifiers are ctrl, alt, shift, super, meta, joined by +"
    if not _base_ok(base):
        return "a key is a letter a–z, a digit, f1–f24 or a name such as enter, escape, space"
    return None


def _plain(key: str) -> bool:
    *mods, base = key.split("+")
    return not (set(mods) - {"shift"}) and not _FUNCTION.fullmatch(base)


# Keys that type no character (everything else a terminal sends without ctrl/alt does).
_SILENT = {
    "enter", "escape", "tab", "backspace", "delete", "insert", "home", "end", "pageup",
    "pagedown", "up", "down", "left", "right",
}  # fmt: skip


def types_text(key: str) -> bool:
    """True when `key` (one key) types a character into a field: a letter, digit, space or
    punctuation, with or without shift."""
    *mods, base = key.split("+")
    return not (set(mods) - {"shift"}) and base not in _SILENT and not _FUNCTION.fullmatch(base)


def _ids_of(prefixes: tuple[str, ...]) -> list[str]:
    return [
        i for i in KEYS if any(i == p or (p.endswith(".") and i.startswith(p)) for p in prefixes)
    ]


def check_keymap(overrides: dict[str, str]) -> list[str]:
    """Problems with `[keys]` (id → comma-separated keys), each naming the id and what is
    expected; an empty list when the remap is usable."""
    problems: list[str] = []
    effective = {i: [k.strip() for k in keys.split(",")] for i, (keys, _vi, _en) in KEYS.items()}
    for binding_id, keys in overrides.items():
        if binding_id not in KEYS:
            near = [i for i in KEYS if i.split(".")[0] == binding_id.split(".")[0]]
            hint = f" (ids here: {', '.join(near)})" if near else " (see docs/keys.md)"
            problems.append(f"[keys] {binding_id}: unknown binding id{hint}")
            continue
        parts = [k.strip() for k in keys.split(",")]
        bad = [(k, why) for k in parts if (why := key_problem(k))]
        for k, why in bad:
            problems.append(f'[keys] {binding_id}: "{k}" is not a key name: {why}')
        if bad:
            continue
        if binding_id in NEEDS_MODIFIER and any(_plain(k) for k in parts):
            problems.append(
                f'[keys] {binding_id}: "{keys}" — expected a key with ctrl or alt, or a '
                "function key (a plain key could be typed there by accident)"
            )
            continue
        if binding_id in NO_TEXT_KEY and any(types_text(k) for k in parts):
            problems.append(
                f'[keys] {binding_id}: "{keys}" — expected a key that types no character '
                "(with ctrl or alt, a function key, Delete, Enter…)"
            )
            continue
        effective[binding_id] = parts
    app_ids = _ids_of(("app.",))
    groups = {name: app_ids + _ids_of(prefixes) for name, prefixes in SCOPES.items()}
    groups |= {name: _ids_of(prefixes) for name, prefixes in STANDALONE.items()}
    reported: set[tuple[str, str, str]] = set()
    for name, ids in groups.items():
        owner: dict[str, str] = {}
        for binding_id in dict.fromkeys(ids):
            for key in effective[binding_id]:
                other = owner.setdefault(key, binding_id)
                if other == binding_id:
                    continue
                a, b = sorted((other, binding_id), key=lambda i: (i not in overrides, i))
                if (a, b, key) in reported:
                    continue
                reported.add((a, b, key))
                problems.append(
                    f'[keys] {a}: "{key}" is also {b} on the {name} screen; '
                    "expected a key no other binding there uses"
                )
    return problems
