"""The red alerts of the status bar (revoked, enroll again, clock skew, portal restored),
in Vietnamese and English.

Its own home because these are texts for the officer, chosen from the stored sync state; the
sync steps never build them.
"""

from __future__ import annotations

from dataclasses import dataclass

SKEW_ALERT_SECONDS = 120


@dataclass(frozen=True)
class SyncAlert:
    """A state the officer must see in red, with what to do (Vietnamese, English)."""

    code: str  # "revoked" | "reenroll" | "clock_skew" | "portal_restored"
    vi: str
    en: str

    def message(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi


def skew_text(seconds: float, lang: str = "vi") -> str:
    """The measured clock skew in words, for the status screen (F3)."""
    n = round(abs(seconds))
    if lang == "en":
        side = "ahead of" if seconds > 0 else "behind"
        return f"This PC's clock: {n} s {side} the portal's (measured on every sync)"
    side = "nhanh hơn" if seconds > 0 else "chậm hơn"
    return f"Đồng hồ máy {side} cổng {n} giây (đo mỗi lần đồng bộ)"


def sync_alert(
    configured: bool,
    enrolled: bool,
    error_code: str | None,
    skew: float | None,
    portal_restored: bool,
) -> SyncAlert | None:
    """The one alert the status bar shows, most urgent first."""
    if not configured:
        return None
    if error_code == "device_revoked":
        return SyncAlert(
            "revoked",
            "Đồng bộ: thiết bị đã bị thu hồi trên cổng — xin mã đăng ký mới từ quản trị cổng "
            "và nhập vào [portal] enrollment_code (dữ liệu vẫn được giữ)",
            "Sync: this device was revoked on the portal — ask the portal admin for a new "
            "enrollment code and put it in [portal] enrollment_code (nothing is lost)",
        )
    if not enrolled and error_code in (
        "unauthenticated",
        "no_enrollment_code",
        "invalid_code",
        "code_used",
        "code_expired",
        "counter_mismatch",
        "counter_taken",
        "enrollment_code_used",
    ):
        return SyncAlert(
            "reenroll",
            f"Đồng bộ: cần đăng ký lại với cổng ({error_code}) — xin mã đăng ký mới từ quản "
            "trị cổng (dữ liệu vẫn được giữ)",
            f"Sync: this counter must enroll again ({error_code}) — ask the portal admin for "
            "a new enrollment code (nothing is lost)",
        )
    if skew is not None and abs(skew) > SKEW_ALERT_SECONDS:
        minutes = round(abs(skew) / 60)
        side_vi, side_en = ("nhanh", "ahead of") if skew > 0 else ("chậm", "behind")
        return SyncAlert(
            "clock_skew",
            f"Đồng hồ máy {side_vi} {minutes} phút so với cổng — chỉnh giờ hệ thống "
            "(giờ trên biên nhận đang sai)",
            f"This PC's clock is {minutes} min {side_en} the portal — set the system time "
            "(receipt times are wrong)",
        )
    if portal_restored:
        return SyncAlert(
            "portal_restored",
            "Cổng dịch vụ công đã được khôi phục từ bản sao lưu — quầy đang gửi lại dữ liệu; "
            "nếu thông báo này còn sau vài phút, báo bộ phận CNTT",
            "The portal was restored from a backup — this counter is sending its data again; "
            "if this stays for more than a few minutes, call IT",
        )
    return None
