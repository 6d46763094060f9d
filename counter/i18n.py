"""Every translated word, Vietnamese (the default, full diacritics) and English, in one home.

The core cannot import the screens, so the table lives here and both use it: `screens/i18n.py`
is a thin re-export. One flat table keeps translations reviewable in one place; `tr` falls
back to Vietnamese and then to the key itself, so a missing entry is visible on screen instead
of crashing the counter. Domain tables that carry a (vi, en) pair beside other data (statuses,
labels) choose their word with `pick`, the one place that decides what "en" means.
This module is one long table of words (above 500 lines by design): splitting it by screen
would scatter the review of a translation again.
"""

from __future__ import annotations

from typing import Final, Literal, TypeAlias

Lang: TypeAlias = Literal["vi", "en"]
Pair: TypeAlias = tuple[str, str]
"""(Vietnamese, English): the shape of every translation."""

LANGS: Final = ("vi", "en")
DEFAULT_LANG: Final = "vi"


def pick(pair: Pair, lang: str = DEFAULT_LANG) -> str:
    """The word of `pair` in `lang`: English only when asked for, Vietnamese otherwise."""
    return pair[1] if lang == "en" else pair[0]


TEXT: dict[str, Pair] = {
    # -- application ------------------------------------------------------------------------
    "app.title": ("Quầy một cửa", "One-stop counter"),
    "app.counter": ("Quầy số {n}", "Counter {n}"),
    "app.printer_preview": ("Máy in: xem trước", "Printer: preview"),
    "app.sync_off": ("Đồng bộ: chưa cấu hình", "Sync: not configured"),
    "app.pending": ("{n} chờ gửi", "{n} pending"),
    "app.sync_started": ("Đang đồng bộ với cổng dịch vụ công…", "Syncing with the portal…"),
    "app.sync_not_configured": (
        "Chưa cấu hình cổng dịch vụ công ([portal] url)",
        "No portal configured ([portal] url)",
    ),
    # -- printer and sync status ------------------------------------------------------------
    "status.printer_ok": ("Máy in: sẵn sàng ({name})", "Printer: ready ({name})"),
    "status.printer_busy": ("Máy in: {n} phiếu đang chờ in", "Printer: {n} jobs queued"),
    "status.printer_error": (
        "Máy in: LỖI — {n} phiếu chờ in (F3)",
        "Printer: ERROR — {n} jobs waiting (F3)",
    ),
    "status.printer_uncertain": (
        "Máy in: {n} phiếu chưa rõ đã in ra chưa (F3)",
        "Printer: {n} jobs may not have printed (F3)",
    ),
    "status.question": (
        "Máy in có in ra không? Lệnh in số {job} ({kind}, máy “{printer}”): "
        "{yes} = có, đã in ra · {no} = không, in lại",
        "Did the printer print it? Job {job} ({kind}, printer “{printer}”): "
        "{yes} = yes, it printed · {no} = no, print it",
    ),
    "status.uncertain": ("CHƯA RÕ ĐÃ IN: {error}", "MAY NOT HAVE PRINTED: {error}"),
    "status.sending": ("đang gửi tới máy in", "sending"),
    "status.sync_offline": ("Đồng bộ: mất kết nối", "Sync: offline"),
    "status.sync_ok": ("Đồng bộ: lúc {at}", "Sync: at {at}"),
    "status.sync_never": ("Đồng bộ: chưa lần nào", "Sync: not yet"),
    # -- sync alerts (red in the status bar) and the clock skew (counter.sync.alerts) ---------
    "sync.alert.revoked": (
        "Đồng bộ: thiết bị đã bị thu hồi trên cổng — xin mã đăng ký mới từ quản trị cổng "
        "và nhập vào [portal] enrollment_code (dữ liệu vẫn được giữ)",
        "Sync: this device was revoked on the portal — ask the portal admin for a new "
        "enrollment code and put it in [portal] enrollment_code (nothing is lost)",
    ),
    "sync.alert.reenroll": (
        "Đồng bộ: cần đăng ký lại với cổng ({code}) — xin mã đăng ký mới từ quản "
        "trị cổng (dữ liệu vẫn được giữ)",
        "Sync: this counter must enroll again ({code}) — ask the portal admin for "
        "a new enrollment code (nothing is lost)",
    ),
    "sync.alert.clock_skew": (
        "Đồng hồ máy {side} {minutes} phút so với cổng — chỉnh giờ hệ thống "
        "(giờ trên biên nhận đang sai)",
        "This PC's clock is {minutes} min {side} the portal — set the system time "
        "(receipt times are wrong)",
    ),
    "sync.alert.ahead": ("nhanh", "ahead of"),
    "sync.alert.behind": ("chậm", "behind"),
    "sync.alert.portal_restored": (
        "Cổng dịch vụ công đã được khôi phục từ bản sao lưu — quầy đang gửi lại dữ liệu; "
        "nếu thông báo này còn sau vài phút, báo bộ phận CNTT",
        "The portal was restored from a backup — this counter is sending its data again; "
        "if this stays for more than a few minutes, call IT",
    ),
    "sync.skew": (
        "Đồng hồ máy {side} cổng {n} giây (đo mỗi lần đồng bộ)",
        "This PC's clock: {n} s {side} the portal's (measured on every sync)",
    ),
    "sync.skew.ahead": ("nhanh hơn", "ahead of"),
    "sync.skew.behind": ("chậm hơn", "behind"),
    "status.rejected": ("{n} bị từ chối", "{n} rejected"),
    "status.title": ("Máy in và đồng bộ", "Printer and sync"),
    "status.jobs": ("Lệnh in chờ:", "Waiting print jobs:"),
    "status.sync": ("Đồng bộ:", "Sync:"),
    "status.last_error": ("Lỗi gần nhất: {error}", "Last error: {error}"),
    "status.last_success": ("Lần đồng bộ thành công gần nhất: {at}", "Last successful sync: {at}"),
    "status.col.job": ("Số", "No."),
    "status.col.kind": ("Loại", "Kind"),
    "status.col.printer": ("Máy in", "Printer"),
    "status.col.tries": ("Lần thử", "Tries"),
    "status.col.error": ("Tình trạng", "State"),
    "status.col.code": ("Mã hồ sơ", "Dossier"),
    "status.col.action": ("Thao tác", "Action"),
    "status.col.reason": ("Lý do bị từ chối", "Why rejected"),
    "status.waiting": ("đang chờ in", "waiting"),
    "status.no_job": ("Không có lệnh in nào đang chờ", "No job is waiting"),
    "status.no_other_printer": (
        "Chỉ có một máy in trong cấu hình",
        "Only one printer is configured",
    ),
    "receipt.title": ("Giấy tiếp nhận hồ sơ {code}", "Receipt of {code}"),
    "receipt.reprinted": (
        "Đã gửi lệnh in lại (số {job}), có ghi “BẢN IN LẠI”",
        "Reprint queued (job {job}), marked as a reprint",
    ),
    "app.not_found_scan": (
        "Không tìm thấy hồ sơ theo mã vừa quét: {code}",
        "No dossier for the scanned code: {code}",
    ),
    "app.lang_switched": ("Đã chuyển sang tiếng Việt", "Switched to English"),
    "app.logged_out": ("Đã đăng xuất", "Logged out"),
    "app.idle_logout": (
        "Tự động đăng xuất sau {minutes} phút không thao tác",
        "Logged out after {minutes} minutes without activity",
    ),
    "app.error": ("Lỗi", "Error"),
    # -- commands (palette) ------------------------------------------------------------------
    "cmd.new": ("Tiếp nhận hồ sơ mới", "New dossier"),
    "cmd.new.help": ("Mở biểu mẫu tiếp nhận hồ sơ (F2)", "Open the intake form (F2)"),
    "cmd.search": ("Tìm hồ sơ", "Search dossiers"),
    "cmd.status": ("Máy in và đồng bộ", "Printer and sync"),
    "cmd.status.help": (
        "Lệnh in đang chờ, tình trạng đồng bộ, bản ghi bị từ chối (F3)",
        "Waiting print jobs, sync state, rejected entries (F3)",
    ),
    "cmd.sync": ("Đồng bộ ngay", "Sync now"),
    "cmd.supervisor": ("Tổng quan hôm nay", "Today at a glance"),
    "cmd.supervisor.help": (
        "Số liệu hồ sơ, tỷ lệ đúng hạn, hàng đợi (Ctrl+T, lãnh đạo/giám sát)",
        "Dossier figures, on-time rate, queue (Ctrl+T, supervisors)",
    ),
    "cmd.export": ("Xuất sổ theo dõi hồ sơ", "Export the daily log"),
    "cmd.export.help": (
        "Sổ theo dõi hồ sơ (Mẫu 07), thống kê, nhật ký hàng đợi — có chữ ký số",
        "Register book (form 07), statistics, queue log — signed",
    ),
    "cmd.sync.help": (
        "Gửi và nhận dữ liệu với cổng dịch vụ công (Ctrl+U)",
        "Push and pull with the portal (Ctrl+U)",
    ),
    "cmd.search.help": (
        "Tìm theo mã, họ tên, số định danh, điện thoại",
        "By code, name, ID number or phone",
    ),
    "cmd.today": ("Danh sách hồ sơ hôm nay", "Today's dossiers"),
    "cmd.today.help": ("Về màn hình chính", "Back to the main screen"),
    "cmd.logout": ("Đăng xuất", "Log out"),
    "cmd.logout.help": ("Kết thúc phiên làm việc", "End this session"),
    "cmd.language": ("Chuyển ngôn ngữ (English)", "Switch language (Tiếng Việt)"),
    "cmd.language.help": ("Tiếng Việt ⇄ English", "English ⇄ Tiếng Việt"),
    "cmd.help": ("Trợ giúp phím tắt", "Keyboard help"),
    "cmd.help.help": ("Các phím của màn hình hiện tại (F1)", "Keys of this screen (F1)"),
    "cmd.quit": ("Thoát chương trình", "Quit"),
    "cmd.quit.help": ("Đóng ứng dụng", "Close the app"),
    # -- login ---------------------------------------------------------------------------------
    "login.title": ("Đăng nhập", "Log in"),
    "login.username": ("Tên đăng nhập", "Username"),
    "login.secret": ("Mã PIN / mật khẩu", "PIN / password"),
    "login.hint": ("Enter để đăng nhập", "Enter to log in"),
    "login.no_accounts": (
        'Chưa có tài khoản: tạo giám sát đầu tiên bằng lệnh counter setup <tên> "<Họ và tên>"',
        'No accounts yet: create the first supervisor with counter setup <user> "<Full name>"',
    ),
    "login.demo": (
        "Tài khoản mẫu: canbo / 1234 (cán bộ), giamsat / 5678 (giám sát)",
        "Demo accounts: canbo / 1234 (officer), giamsat / 5678 (supervisor)",
    ),
    "login.empty": ("Nhập tên đăng nhập và mã PIN", "Enter your username and PIN"),
    # -- main ------------------------------------------------------------------------------------
    "main.title": ("Hồ sơ tiếp nhận hôm nay — {date}", "Dossiers received today — {date}"),
    "main.empty": (
        "Chưa có hồ sơ nào hôm nay. Nhấn F2 để tiếp nhận hồ sơ mới.",
        "No dossier yet today. Press F2 to receive one.",
    ),
    "main.page": ("Trang {page}/{pages} · {total} hồ sơ", "Page {page}/{pages} · {total} dossiers"),
    "col.code": ("Mã hồ sơ", "Code"),
    "col.received": ("Giờ nhận", "Received"),
    "col.applicant": ("Người nộp", "Applicant"),
    "col.procedure": ("Thủ tục", "Procedure"),
    "col.status": ("Trạng thái", "Status"),
    "col.due": ("Hẹn trả", "Due"),
    "col.overdue": ("QUÁ HẠN", "OVERDUE"),
    # -- search ----------------------------------------------------------------------------------
    "search.title": ("Tìm hồ sơ", "Search dossiers"),
    "search.placeholder": (
        "Mã hồ sơ, họ tên (không dấu cũng được), số định danh, điện thoại…",
        "Code, name (accents optional), ID number, phone…",
    ),
    "search.none": ("Không tìm thấy hồ sơ phù hợp", "No matching dossier"),
    "search.prompt": ("Gõ để tìm; Enter mở hồ sơ", "Type to search; Enter opens"),
    "search.page": (
        "Trang {page}/{pages} · {total} kết quả",
        "Page {page}/{pages} · {total} results",
    ),
    # -- intake form ----------------------------------------------------------------------------
    "form.title": ("Tiếp nhận hồ sơ mới", "New dossier"),
    "form.procedure": ("Thủ tục hành chính", "Procedure"),
    "form.procedure.placeholder": (
        "Gõ mã hoặc tên thủ tục (vd: khai sinh)",
        "Type a code or name (e.g. khai sinh)",
    ),
    "form.procedure.none": ("Chưa chọn thủ tục", "No procedure chosen"),
    "form.procedure.nomatch": ("Không có thủ tục phù hợp", "No matching procedure"),
    "form.procedure.missing": (
        "Chọn thủ tục hành chính trước khi lưu",
        "Choose the procedure before saving",
    ),
    "form.applicant": ("Người nộp hồ sơ", "Applicant"),
    "form.organisation": ("Tổ chức / doanh nghiệp", "Organisation / company"),
    "form.name.person": ("Họ và tên", "Full name"),
    "form.name.org": ("Tên tổ chức", "Organisation name"),
    "form.id.person": ("Số định danh", "Personal ID no."),
    "form.id.org": ("Mã số thuế", "Tax code"),
    "form.birth": ("Ngày sinh", "Date of birth"),
    "form.birth.hint": ("ngày/tháng/năm", "day/month/year"),
    "form.sex": ("Giới tính", "Sex"),
    "form.sex.hint": ("Nam / Nữ", "Male / Female"),
    "form.phone": ("Điện thoại", "Phone"),
    "form.email": ("Email", "Email"),
    "form.address": ("Địa chỉ", "Address"),
    "form.rep": ("Người đại diện / được ủy quyền", "Representative"),
    "form.rep.toggle": (
        "Ctrl+R: thêm người đại diện / được ủy quyền",
        "Ctrl+R: add a representative",
    ),
    "form.rep.name": ("Họ tên người đại diện", "Representative's name"),
    "form.rep.id": ("Số định danh người đại diện", "Representative's ID number"),
    "form.rep.phone": ("Điện thoại người đại diện", "Representative's phone"),
    "form.rep.paper": ("Giấy ủy quyền", "Authorisation paper"),
    "form.documents": ("Thành phần hồ sơ", "Documents"),
    "form.documents.hint": (
        "Space: đã nhận/chưa · +/-: số lượng · o: bản chính/bản sao",
        "Space: received · +/-: count · o: original/copy",
    ),
    "form.documents.empty": ("Chọn thủ tục để hiện danh mục giấy tờ", "Choose a procedure first"),
    "form.sets": ("Số bộ", "Sets"),
    "form.fee": ("Phí, lệ phí", "Fee"),
    "form.fee.value": ("{amount} đồng", "{amount} VND"),
    "form.fee.free": ("Miễn phí", "Free"),
    "form.payment": ("Hình thức nộp phí", "Payment"),
    "form.delivery": ("Nhận kết quả", "Delivery"),
    "form.note": ("Ghi chú", "Note"),
    "form.due": ("Hẹn trả kết quả", "Due"),
    "form.due.none": ("— (chọn thủ tục)", "— (choose a procedure)"),
    "form.duration": ("Thời hạn giải quyết", "Legal duration"),
    "form.saved": ("Đã tiếp nhận hồ sơ", "Dossier received"),
    "form.confirm.hint": (
        "Enter: người tiếp theo · {open}: mở hồ sơ · Esc: về danh sách",
        "Enter: next citizen · {open}: open the dossier · Esc: back to the list",
    ),
    "form.saved.number": ("Số thứ tự", "Number"),
    "form.id.digits": ("12 chữ số", "12 digits"),
    "form.tax.digits": ("10 / 13 chữ số", "10 / 13 digits"),
    "form.draft.restored": (
        "Đã mở lại hồ sơ đang nhập dở (Ctrl+D để bỏ)",
        "The form in progress is back (Ctrl+D discards it)",
    ),
    "form.draft.kept": (
        "Đã giữ hồ sơ đang nhập — F2 để nhập tiếp",
        "The form is kept — F2 to go on",
    ),
    "form.discard.title": ("Bỏ hồ sơ đang nhập?", "Discard the form in progress?"),
    "form.discard.keep": ("Không, nhập tiếp", "No, keep it"),
    "form.discard.yes": ("Bỏ hồ sơ đang nhập", "Discard it"),
    "form.discarded": ("Đã bỏ hồ sơ đang nhập", "The form was discarded"),
    "form.fix": ("Kiểm tra lại: {msg}", "Check: {msg}"),
    # -- detail ----------------------------------------------------------------------------------
    "detail.title": ("Hồ sơ {code}", "Dossier {code}"),
    "detail.status": ("Trạng thái", "Status"),
    "detail.overdue": ("QUÁ HẠN", "OVERDUE"),
    "detail.procedure": ("Thủ tục", "Procedure"),
    "detail.field": ("Lĩnh vực", "Field"),
    "detail.received": ("Tiếp nhận lúc", "Received at"),
    "detail.due": ("Hẹn trả", "Due"),
    "detail.officer": ("Cán bộ tiếp nhận", "Received by"),
    "detail.applicant": ("Người nộp", "Applicant"),
    "detail.kind.person": ("Cá nhân", "Person"),
    "detail.kind.organisation": ("Tổ chức", "Organisation"),
    "detail.id": ("Số định danh / MST", "ID / tax code"),
    "detail.birth": ("Ngày sinh", "Date of birth"),
    "detail.sex": ("Giới tính", "Sex"),
    "detail.phone": ("Điện thoại", "Phone"),
    "detail.email": ("Email", "Email"),
    "detail.address": ("Địa chỉ", "Address"),
    "detail.rep": ("Người đại diện", "Representative"),
    "detail.documents": ("Thành phần hồ sơ", "Documents"),
    "detail.doc.received": ("đã nhận", "received"),
    "detail.doc.missing": ("chưa nhận", "missing"),
    "detail.sets": ("Số bộ", "Sets"),
    "detail.fee": ("Phí, lệ phí", "Fee"),
    "detail.delivery": ("Nhận kết quả", "Delivery"),
    "detail.returned_to": ("Người nhận kết quả", "Collected by"),
    "detail.closed_reason": ("Lý do", "Reason"),
    "detail.note": ("Ghi chú", "Note"),
    "detail.timeline": ("Quá trình xử lý", "Timeline"),
    "detail.actions": ("Thao tác", "Actions"),
    "detail.no_actions": ("Hồ sơ đã kết thúc", "The dossier is closed"),
    "detail.done": ("{action}: xong", "{action}: done"),
    # -- modals ------------------------------------------------------------------------------------
    "card.title": ("Thẻ căn cước: {name}", "ID card: {name}"),
    "card.new": ("Tiếp nhận hồ sơ mới cho người này", "New dossier for this person"),
    "card.search": ("Tìm hồ sơ của người này", "Find this person's dossiers"),
    "card.filled": ("Đã điền người nộp từ thẻ căn cước", "Applicant filled from the ID card"),
    "card.info": ("Theo thẻ: sinh ngày {birth} · {sex}", "From the card: born {birth} · {sex}"),
    "app.unknown_scan": (
        "Mã vừa quét không phải giấy biên nhận hay thẻ căn cước",
        "The scanned code is neither a receipt nor an ID card",
    ),
    "menu.hint": (
        "Chữ cái hoặc ↑↓ Enter: chọn · Esc: đóng",
        "Letter or ↑↓ Enter: choose · Esc: close",
    ),
    "menu.title": ("Thao tác — {code}", "Actions — {code}"),
    "menu.preview": ("Xem giấy biên nhận", "View the receipt"),
    "menu.reprint": ("In lại giấy biên nhận", "Print the receipt again"),
    "menu.paid": ("Đã nhận chuyển khoản phí", "The fee transfer has arrived"),
    "paid.title": (
        "Hồ sơ {code}: đã nhận đủ phí chuyển khoản? Không hoàn tác được.",
        "Dossier {code}: has the fee transfer arrived? This cannot be undone.",
    ),
    "paid.no": ("Chưa, quay lại", "Not yet, go back"),
    "paid.yes": ("Đã nhận, ghi nhận đã nộp phí", "Yes, record the fee as paid"),
    "detail.menu": ("Thao tác…", "Actions…"),
    "detail.undo": ("Hoàn tác", "Undo"),
    "detail.undo_hint": ("{action}: xong · {keys}: hoàn tác", "{action}: done · {keys}: undo"),
    "detail.undone": ("Đã hoàn tác: {action}", "Undone: {action}"),
    "detail.final": (
        "Hồ sơ {code} sẽ chuyển sang “{status}”. Không hoàn tác được.",
        "Dossier {code} will become “{status}”. This cannot be undone.",
    ),
    "detail.paused": (
        "Tạm dừng tính thời gian từ {at} (chờ bổ sung): hẹn trả sẽ lùi tương ứng khi nhận đủ",
        "Clock paused since {at} (waiting for documents): the due date moves back when they come",
    ),
    "modal.confirm": ("Ctrl+S: xác nhận · Esc: hủy", "Ctrl+S: confirm · Esc: cancel"),
    "modal.items": ("Giấy tờ cần bổ sung (mỗi dòng một loại)", "Documents to add (one per line)"),
    "modal.reason": ("Lý do", "Reason"),
    "detail.paid": ("Đã ghi nhận: phí đã nộp bằng chuyển khoản", "Recorded: fee paid by transfer"),
    "form.intake_supplement": (
        "Mẫu 02 – hồ sơ chưa đủ, hướng dẫn bổ sung (không tiếp nhận)",
        "Form 02 – incomplete, not received",
    ),
    "form.intake_refuse": ("Mẫu 03 – từ chối tiếp nhận hồ sơ", "Form 03 – refuse at intake"),
    "modal.new_day": ("Ngày hẹn trả mới (dd/mm/yyyy)", "New date (dd/mm/yyyy)"),
    "modal.delay_reason": ("Lý do chậm trễ", "Reason for the delay"),
    "modal.reasons": ("Lý do từ chối", "Reasons for refusal"),
    "modal.to": ("Người nhận kết quả", "Collected by"),
    "help.title": ("Trợ giúp — {screen}", "Help — {screen}"),
    "help.keys": ("Phím tắt", "Keys"),
    "help.close": ("Esc hoặc F1 để đóng", "Esc or F1 to close"),
    "help.common": (
        "Ở mọi màn hình: F1 trợ giúp · Ctrl+F hoặc / tìm hồ sơ · Ctrl+P bảng lệnh · "
        "quét mã QR trên giấy biên nhận để mở ngay hồ sơ.",
        "Everywhere: F1 help · Ctrl+F or / search · Ctrl+P command palette · "
        "scan a receipt QR to open its dossier.",
    ),
    # -- supervisor: figures and drill-down ---------------------------------------------------
    "sup.refused": (
        "Chức năng này chỉ dành cho lãnh đạo/giám sát",
        "Only supervisors can use this",
    ),
    "stats.no_queue_data": ("chưa có dữ liệu hàng đợi", "no queue data yet"),
    "sup.title": ("Tổng quan hôm nay", "Today at a glance"),
    "sup.title.range": ("Tổng quan", "Overview"),
    "sup.when": ("{weekday} {date} — cập nhật {time}", "{weekday} {date} — updated {time}"),
    "sup.hourly": ("Tiếp nhận theo giờ (7 giờ – 17 giờ)", "Received per hour (7:00 – 17:00)"),
    "sup.progress": ("Tiến độ giải quyết", "Timeliness"),
    "sup.queue": ("Hàng đợi", "Queue"),
    "sup.by": ("Theo {label}", "By {label}"),
    "sup.fees": (
        "Phí, lệ phí: tiền mặt {cash} đ · không dùng tiền mặt {cashless} đ = {share}"
        " (mục tiêu {goal})",
        "Fees: cash {cash} · cashless {cashless} = {share} (goal {goal})",
    ),
    "sup.rate": ("Tỷ lệ trước hạn và đúng hạn", "Early and on-time rate"),
    "sup.col.label": ("Chỉ tiêu", "Figure"),
    "sup.col.count": ("Số hồ sơ", "Dossiers"),
    "sup.col.rate": ("Đúng hạn %", "On time %"),
    "sup.bar.early": ("Trước hạn", "Early"),
    "sup.bar.on_time": ("Đúng hạn", "On time"),
    "sup.bar.late": ("Quá hạn", "Late"),
    # columns of the per-group tables (all of them would not fit 80 columns)
    "sup.group.received": ("Nhận", "Received"),
    "sup.group.returned": ("Trả", "Returned"),
    "sup.group.supplement": ("Bổ sung", "Suppl."),
    "sup.group.refused": ("Từ chối", "Refused"),
    "sup.group.withdrawn": ("Rút", "Withdrawn"),
    "sup.group.overdue": ("Quá hạn", "Overdue"),
    "sup.group.early": ("Trước hạn", "Early"),
    "sup.group.on_time": ("Đúng hạn", "On time"),
    "sup.group.late": ("Trễ", "Late"),
    # days of the week, Monday first (datetime.weekday())
    "weekday.0": ("Thứ Hai", "Monday"),
    "weekday.1": ("Thứ Ba", "Tuesday"),
    "weekday.2": ("Thứ Tư", "Wednesday"),
    "weekday.3": ("Thứ Năm", "Thursday"),
    "weekday.4": ("Thứ Sáu", "Friday"),
    "weekday.5": ("Thứ Bảy", "Saturday"),
    "weekday.6": ("Chủ Nhật", "Sunday"),
    "sup.minutes": ("{n:.0f} phút", "{n:.0f} min"),
    "sup.queue.text": (
        "Đang chờ: {waiting} · Đã cấp số: {issued} · Đã phục vụ: {served} · "
        "Vắng mặt: {no_shows}\nChờ trung bình: {wait} · Phục vụ trung bình: {service}",
        "Waiting: {waiting} · Issued: {issued} · Served: {served} · "
        "No-shows: {no_shows}\nAverage wait: {wait} · Average service: {service}",
    ),
    "drill.title": ("{title}: {n} hồ sơ", "{title}: {n} dossiers"),
    "drill.received": ("Nhận", "Received"),
    "drill.officer": ("Cán bộ", "Officer"),
    # -- supervisor: export ----------------------------------------------------------------------
    "exp.title": ("Xuất sổ theo dõi hồ sơ và thống kê", "Export the register and statistics"),
    "exp.start": ("Từ ngày", "From"),
    "exp.end": ("Đến ngày", "To"),
    "exp.kind": ("Loại", "Kind"),
    "exp.field": ("Lĩnh vực", "Field"),
    "exp.all_fields": ("Tất cả lĩnh vực (một sổ)", "All fields (one book)"),
    "exp.per_field": ("Mỗi lĩnh vực một sổ", "One book per field"),
    "exp.format": ("Định dạng", "Format"),
    "exp.format.both": ("XLSX và CSV", "XLSX and CSV"),
    "exp.dir": ("Thư mục", "Folder"),
    "exp.run": ("Xuất (Ctrl+S)", "Export (Ctrl+S)"),
    "exp.running": ("Đang xuất…", "Exporting…"),
    "exp.write_error": ("Không ghi được tệp: {error}", "Could not write the file: {error}"),
    "exp.file": ("  {name} ({n} dòng)", "  {name} ({n} rows)"),
    "exp.done": ("Đã xuất {n} tệp vào {dir}:", "Exported {n} files to {dir}:"),
    "exp.manifest": ("Bản kê có chữ ký: {path}", "Signed manifest: {path}"),
    "exp.failed": ("Không xuất được: {msg}", "Export failed: {msg}"),
    # -- kiosk and board (citizens) ---------------------------------------------------------------
    "citizen.centre": ("Bộ phận Một cửa", "One-stop service"),
    "kiosk.title": (
        "{head}\nLẤY SỐ THỨ TỰ — Nhấn số của lĩnh vực cần giải quyết",
        "{head}\nTAKE A NUMBER — Press the number of your service",
    ),
    "kiosk.hint.priority": (
        "Chọn nhóm ưu tiên bằng phím số, hoặc Esc để quay lại",
        "Choose your priority group with a number key, or Esc to go back",
    ),
    "kiosk.hint.chosen": (
        "Ưu tiên: {name} — nhấn số lĩnh vực",
        "Priority: {name} — press the number of your service",
    ),
    "kiosk.hint": (
        "Nhấn 0 nếu Ông/Bà thuộc nhóm được ưu tiên\n"
        "Có thể quét mã QR trên thẻ căn cước trước khi chọn (từ 75 tuổi được ưu tiên tự động)",
        "Press 0 if you belong to a priority group\n"
        "You may scan the QR code of your ID card first (75 or older: priority automatically)",
    ),
    "kiosk.hint.card": (
        "Nhấn số của lĩnh vực cần giải quyết, hoặc 0 nếu thuộc nhóm được ưu tiên",
        "Press the number of your service, or 0 for a priority group",
    ),
    "kiosk.hello": ("Xin chào {name}", "Hello {name}"),
    "kiosk.card_unreadable": (
        "Không đọc được mã trên thẻ căn cước. Ông/Bà vẫn có thể nhấn số lĩnh vực để lấy số.",
        "The ID card's code could not be read. You can still press the number of your service.",
    ),
    "kiosk.your_number": ("SỐ THỨ TỰ CỦA ÔNG/BÀ", "YOUR NUMBER"),
    "kiosk.nobody_ahead": ("Không có ai đang chờ trước Ông/Bà", "Nobody is waiting before you"),
    "kiosk.ahead": ("Có {n} người đang chờ trước Ông/Bà", "{n} people are waiting before you"),
    "kiosk.issued_at": ("Lấy số lúc {at}", "Taken at {at}"),
    "kiosk.take_ticket": ("Vui lòng nhận phiếu ở khe máy in", "Please take your ticket"),
    "kiosk.hub_down": (
        "Hệ thống lấy số tạm thời gián đoạn. Xin vui lòng liên hệ bàn hướng dẫn.",
        "The numbering system is temporarily down. Please ask at the information desk.",
    ),
    "board.announce": (
        "Mời công dân có số thứ tự {number} đến quầy số {counter}",
        "Number {number}, please come to counter {counter}",
    ),
    "board.to_counter": ("→ QUẦY {n}", "→ COUNTER {n}"),
    "board.idle": (
        "Mời công dân lấy số thứ tự và chờ gọi",
        "Please take a number and wait to be called",
    ),
    "board.counter": ("Quầy {n}", "Counter {n}"),
    "board.col.counter": ("Quầy", "Counter"),
    "board.col.serving": ("Đang phục vụ", "Now serving"),
    "board.col.called": ("Số vừa gọi", "Just called"),
    "board.col.at": ("Lúc", "At"),
    "board.col.area": ("Lĩnh vực", "Service"),
    "board.col.waiting": ("Đang chờ", "Waiting"),
    "screen.LoginScreen": ("Đăng nhập", "Log in"),
    "screen.MainScreen": ("Hồ sơ hôm nay", "Today's dossiers"),
    "screen.IntakeScreen": ("Tiếp nhận hồ sơ", "New dossier"),
    "screen.DossierScreen": ("Chi tiết hồ sơ", "Dossier"),
    "screen.SearchScreen": ("Tìm hồ sơ", "Search"),
    "screen.SupervisorScreen": ("Tổng quan hôm nay", "Today at a glance"),
    "screen.DrillDownScreen": ("Danh sách chi tiết", "Drill-down"),
    "screen.ExportScreen": ("Xuất sổ và thống kê", "Export"),
    "screen.SystemStatusScreen": ("Máy in và đồng bộ", "Printer and sync"),
    "screen.ReceiptPreview": ("Giấy biên nhận", "Receipt"),
    "screen.ReceivedModal": ("Đã tiếp nhận hồ sơ", "Dossier received"),
    "screen.ActionMenu": ("Chọn thao tác", "Choose an action"),
    "screen.ActionForm": ("Thao tác hồ sơ", "Dossier action"),
    "screen.HelpScreen": ("Trợ giúp", "Help"),
    "screen._AskDialog": ("Hàng đợi", "Queue"),
    "guide.SupervisorScreen": (
        "Số liệu hôm nay: tiếp nhận, đúng hạn, quá hạn, hàng đợi. Mũi tên chọn một dòng, Enter "
        "để xem danh sách hồ sơ của dòng đó; F5 tải lại; Ctrl+E xuất sổ theo dõi và thống kê.",
        "Today's figures: received, on time, late, the queue. Arrows pick a row, Enter lists "
        "its dossiers; F5 reloads; Ctrl+E exports the book and statistics.",
    ),
    "guide.DrillDownScreen": (
        "Các hồ sơ sau một con số của tổng quan. Enter để mở hồ sơ, Esc để quay lại.",
        "The dossiers behind one figure. Enter opens a dossier, Esc goes back.",
    ),
    "guide.ExportScreen": (
        "Chọn ngày (hoặc khoảng ngày) và định dạng, Ctrl+S để xuất sổ theo dõi hồ sơ (Mẫu 07) "
        "và thống kê kèm tệp chữ ký. Esc để quay lại.",
        "Choose the day (or range) and format, Ctrl+S exports the book (Mẫu 07) and statistics "
        "with their signed manifest. Esc goes back.",
    ),
    "guide.SystemStatusScreen": (
        "Các lệnh in đang chờ và trạng thái đồng bộ với cổng dịch vụ công. Chọn một lệnh in rồi "
        "Ctrl+R để in lại ngay, Delete để hủy, Ctrl+O để chuyển sang máy in khác. Lệnh chưa rõ "
        "đã in: Ctrl+Y = đã in ra, Ctrl+N = in lại. Gõ chữ ở đây không làm gì. Esc để quay lại.",
        "Print jobs waiting and the sync state with the portal. Pick a job, then Ctrl+R retries "
        "it now, Delete cancels it, Ctrl+O moves it to another printer. A job that may not have "
        "printed: Ctrl+Y = it printed, Ctrl+N = print it again. Typed letters do nothing here. "
        "Esc goes back.",
    ),
    "guide.ReceiptPreview": (
        "Giấy biên nhận như sẽ in, với mã QR tra cứu. Ctrl+R để in lại (BẢN IN LẠI), Esc để đóng.",
        "The receipt as it prints, with its lookup QR. Ctrl+R prints it again, Esc closes.",
    ),
    "guide.ReceivedModal": (
        "Hồ sơ đã lưu, giấy biên nhận đã vào hàng in. Đọc mã hồ sơ cho công dân. Enter: gọi "
        "người tiếp theo và mở hồ sơ mới; Ctrl+O: mở hồ sơ vừa lưu; Esc: về danh sách.",
        "The dossier is saved and its receipt is printing. Read the code to the citizen. "
        "Enter: call the next citizen and open a fresh form; Ctrl+O: open the dossier; Esc: "
        "back to the list.",
    ),
    "guide.ActionMenu": (
        "Nhấn chữ cái của thao tác, hoặc mũi tên rồi Enter. Phím khác hoặc Esc để đóng.",
        "Press the action's letter, or the arrows then Enter. Any other key or Esc closes.",
    ),
    "guide.ActionForm": (
        "Điền các ô rồi Ctrl+S để xác nhận; Esc để hủy, không thay đổi gì.",
        "Fill the fields, then Ctrl+S confirms; Esc cancels and changes nothing.",
    ),
    "guide.HelpScreen": ("Esc hoặc F1 để đóng.", "Esc or F1 closes."),
    "guide._AskDialog": ("Gõ rồi Enter; Esc để hủy.", "Type, then Enter; Esc cancels."),
    "guide.LoginScreen": (
        "Nhập tên đăng nhập và mã PIN rồi nhấn Enter. Nhập sai 5 lần, tài khoản bị khóa tạm thời.",
        "Type your username and PIN, then Enter. Five wrong tries lock the account for a while.",
    ),
    "guide.MainScreen": (
        "Danh sách hồ sơ nhận hôm nay, mới nhất ở trên; hồ sơ quá hạn tô đỏ. Mũi tên để chọn, "
        "Enter để mở, F2 để tiếp nhận hồ sơ mới, PageDown/PageUp để sang trang.",
        "Today's dossiers, newest first; overdue ones in red. Arrows select, Enter opens, "
        "F2 receives a new dossier, PageDown/PageUp change page.",
    ),
    "guide.IntakeScreen": (
        "Gõ tên hoặc mã thủ tục (không dấu cũng được), chọn bằng mũi tên và Enter. Tab để sang "
        "ô tiếp theo. Quét QR thẻ căn cước để điền người nộp (cả ngày sinh, giới tính). Danh mục giấy tờ đã điền sẵn theo "
        "thủ tục; ngày hẹn trả hiện ngay khi chọn thủ tục. Ctrl+S để lưu. Esc đóng (hồ sơ đang "
        "nhập được giữ lại, F2 để nhập tiếp); Ctrl+D để bỏ hẳn.",
        "Type a procedure name or code (accents optional), pick it with the arrows and Enter. "
        "Tab moves to the next field. Scan the QR of a chip ID card to fill the applicant (date "
        "of birth and sex too). The "
        "checklist is pre-filled; the due date shows as soon as a procedure is chosen. Ctrl+S "
        "saves. Esc closes (the form is kept, F2 goes on); Ctrl+D discards it.",
    ),
    "guide.DossierScreen": (
        "Thông tin đầy đủ của hồ sơ và quá trình xử lý. Ctrl+X mở danh sách thao tác hợp lệ với "
        "trạng thái hiện tại (chuyển xử lý, bổ sung, từ chối, trả kết quả, in lại…), mỗi thao "
        "tác một chữ cái. Thao tác kết thúc hồ sơ phải xác nhận bằng Ctrl+S; thao tác vừa làm "
        "có thể hoàn tác bằng Ctrl+Z. Gõ phím thường ở đây không làm gì. Esc để quay lại.",
        "The whole dossier and its timeline. Ctrl+X opens the actions its status allows "
        "(process, supplement, refuse, return, reprint…), one letter each. Actions that end the "
        "dossier are confirmed with Ctrl+S; the last one taken can be undone with Ctrl+Z. "
        "Plain keys do nothing here. Esc goes back.",
    ),
    "guide.SearchScreen": (
        "Tìm theo mã hồ sơ, họ tên (gõ không dấu được), số định danh hoặc điện thoại. Mũi "
        "tên xuống để chọn, Enter để mở, PageDown/PageUp để sang trang.",
        "Search by code, name (accents optional), ID number or phone. Arrow down to pick, "
        "Enter to open, PageDown/PageUp to change page.",
    ),
}


# Label tables of the core, by the keys the core stores (their modules re-export them).
TIMELINESS_LABELS: Final[dict[str, Pair]] = {
    "early": ("Trước hạn", "Early"),
    "on_time": ("Đúng hạn", "On time"),
    "late": ("Quá hạn", "Late"),
    "on_track": ("Trong hạn", "On track"),
    "due_today": ("Đến hạn hôm nay", "Due today"),
    "overdue": ("Quá hạn", "Overdue"),
}

PAYMENT_STATE_LABELS: Final[dict[str, Pair]] = {
    "none": ("Không phải nộp phí, lệ phí", "No fee"),
    "exempt": ("Được miễn phí, lệ phí", "Exempt from the fee"),
    "paid_cash": ("Đã nộp bằng tiền mặt tại Bộ phận Một cửa", "Paid in cash at the counter"),
    "paid_transfer": ("Đã nộp bằng chuyển khoản", "Paid by bank transfer"),
    "to_pay_transfer": ("Chưa nộp – nộp bằng chuyển khoản", "To be paid by bank transfer"),
}

DIMENSION_LABELS: Final[dict[str, Pair]] = {
    "officer": ("Cán bộ", "Officer"),
    "counter": ("Quầy", "Counter"),
    "field": ("Lĩnh vực", "Field"),
}


def tr(lang: str, key: str, **values: object) -> str:
    """The text of `key` in `lang`, formatted with `values`."""
    pair = TEXT.get(key)
    text = key if pair is None else pick(pair, lang)
    return text.format(**values) if values else text


def money(amount: int) -> str:
    """Vietnamese thousands separator: 50000 → "50.000"."""
    return f"{amount:,}".replace(",", ".")


def weekday(lang: str, index: int) -> str:
    """The name of the day `index` (0 = Monday, as `datetime.weekday()`) in `lang`."""
    return tr(lang, f"weekday.{index}")
