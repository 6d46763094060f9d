"""Which red alert the status bar shows (revoked, enroll again, clock skew, portal restored),
chosen from the stored sync state; the words are in `counter.i18n` (keys `sync.*`).

Its own home because choosing the alert is a rule about the sync state (most urgent first),
apart from the sync steps, which never build texts for the officer.
"""

from __future__ import annotations

from dataclasses import dataclass

from counter.i18n import Pair, pick, tr
from counter.protocol import ErrorCode

SKEW_ALERT_SECONDS = 120

# The error codes after which this counter must enroll again with a new code.
REENROLL_CODES = frozenset(
    {
        ErrorCode.UNAUTHENTICATED,
        ErrorCode.NO_ENROLLMENT_CODE,
        ErrorCode.INVALID_CODE,
        ErrorCode.CODE_USED,
        ErrorCode.CODE_EXPIRED,
        ErrorCode.COUNTER_MISMATCH,
        ErrorCode.COUNTER_TAKEN,
        ErrorCode.ENROLLMENT_CODE_USED,
    }
)


@dataclass(frozen=True)
class SyncAlert:
    """A state the officer must see in red, with what to do (Vietnamese, English)."""

    code: str  # "revoked" | "reenroll" | "clock_skew" | "portal_restored"
    vi: str
    en: str

    def message(self, lang: str = "vi") -> str:
        return pick((self.vi, self.en), lang)


def _both(key: str, **values: object) -> Pair:
    return tr("vi", key, **values), tr("en", key, **values)


def _alert(alert: str, key: str, **values: object) -> SyncAlert:
    return SyncAlert(alert, *_both(key, **values))


def skew_text(seconds: float, lang: str = "vi") -> str:
    """The measured clock skew in words, for the status screen (F3)."""
    side = tr(lang, "sync.skew.ahead" if seconds > 0 else "sync.skew.behind")
    return tr(lang, "sync.skew", side=side, n=round(abs(seconds)))


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
    if error_code == ErrorCode.DEVICE_REVOKED:
        return _alert("revoked", "sync.alert.revoked")
    if not enrolled and error_code in REENROLL_CODES:
        return _alert("reenroll", "sync.alert.reenroll", code=error_code)
    if skew is not None and abs(skew) > SKEW_ALERT_SECONDS:
        side = "sync.alert.ahead" if skew > 0 else "sync.alert.behind"
        minutes = round(abs(skew) / 60)
        vi, en = (
            tr(lang, "sync.alert.clock_skew", side=tr(lang, side), minutes=minutes)
            for lang in ("vi", "en")
        )
        return SyncAlert("clock_skew", vi, en)
    if portal_restored:
        return _alert("portal_restored", "sync.alert.portal_restored")
    return None
