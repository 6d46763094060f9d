"""Every key binding of the app, by id, so `[keys]` in config.toml can remap any of them.

`KEYS` is the table the README documents: id → (default keys, Vietnamese, English). Screens
build their `BINDINGS` through `bind()`, and `translate_bindings()` swaps the descriptions to
the app's language when a screen is created. No printable key changes a dossier or prints:
lifecycle actions and reprints sit in the dossier's action menu (Ctrl+X), whose letters only
work once it is open, so text typed into the wrong place or a scanner's burst never acts.
"""

from __future__ import annotations

from dataclasses import replace

from textual.binding import Binding
from textual.dom import DOMNode

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
    "form.representative": ("ctrl+r", "Người đại diện", "Representative"),
    "form.cancel": ("escape", "Đóng (giữ nháp)", "Close (keep draft)"),
    "form.discard": ("ctrl+d", "Bỏ hồ sơ đang nhập", "Discard"),
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
    "dossier.back": ("escape", "Quay lại", "Back"),
    "dossier.preview": ("v", "Xem giấy biên nhận", "Receipt"),
    "dossier.reprint": ("i", "In lại", "Reprint"),
    # receipt preview
    "receipt.reprint": ("ctrl+r", "In lại", "Reprint"),
    "receipt.close": ("escape", "Đóng", "Close"),
    # printer and sync status
    "status.retry": ("r", "In lại ngay", "Retry now"),
    "status.cancel": ("delete", "Hủy lệnh in", "Cancel job"),
    "status.move": ("m", "Chuyển máy in", "Other printer"),
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


def bind(
    binding_id: str,
    action: str,
    *,
    show: bool = True,
    priority: bool = False,
    key_display: str | None = None,
) -> Binding:
    """A Binding with its id and its default keys from `KEYS`."""
    keys, vi, _en = KEYS[binding_id]
    return Binding(
        keys, action, vi, show=show, priority=priority, id=binding_id, key_display=key_display
    )


def description(binding_id: str | None, lang: str, fallback: str) -> str:
    if binding_id is None or binding_id not in KEYS:
        return fallback
    _keys, vi, en = KEYS[binding_id]
    return en if lang == "en" else vi


def translate_bindings(node: DOMNode, lang: str) -> None:
    """Give this node's bindings the descriptions of `lang` (Binding is frozen: replace it)."""
    mapping = node._bindings.key_to_bindings
    for key, bindings in list(mapping.items()):
        mapping[key] = [
            replace(b, description=description(b.id, lang, b.description)) if b.id else b
            for b in bindings
        ]


def keymap_table() -> str:
    """The Markdown table of binding ids for the README."""
    lines = ["| id | phím mặc định / default keys | mô tả | description |", "|---|---|---|---|"]
    for binding_id, (keys, vi, en) in KEYS.items():
        lines.append(f"| `{binding_id}` | `{keys}` | {vi} | {en} |")
    return "\n".join(lines)
