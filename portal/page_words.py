"""The citizen page's Vietnamese words and messages: data, kept apart from the code using it."""

from __future__ import annotations

from portal.storage import RATING_CRITERIA, RATING_OVERALL

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

FORBIDDEN = "Biểu mẫu không hợp lệ hoặc đã hết hạn. Vui lòng mở lại trang từ mã QR."
TOO_LARGE = "Nội dung gửi quá dài."
NOT_YET = "Hồ sơ chỉ được đánh giá sau khi đã trả kết quả."
UNAVAILABLE = (
    "Hệ thống tra cứu đang tạm thời gián đoạn. Xin Ông/Bà vui lòng thử lại sau ít phút; "
    "hồ sơ của Ông/Bà vẫn được giải quyết bình thường."
)
