"""What the UI reads about sync: the status bar's figures, the rejected entries screen and
the report of one round. SQLite only, never the network, so the UI thread may call it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from counter.config import Config
from counter.store import Store
from counter.sync.alerts import SyncAlert, sync_alert
from counter.sync.state import (
    K_ERROR_CODE,
    K_LAST_ATTEMPT,
    K_LAST_ERROR,
    K_LAST_SUCCESS,
    K_ONLINE,
    K_PORTAL_RESTORED,
    K_SKEW,
    K_TOKEN,
    K_URL,
    SyncError,
    _when,
    pending_count,
)


@dataclass(frozen=True)
class SyncStatus:
    """What the status bar shows; read from SQLite only, never from the network."""

    configured: bool
    enrolled: bool
    online: bool | None  # None: no sync attempted yet
    pending: int
    rejected: int
    last_success: datetime | None
    last_attempt: datetime | None
    last_error: str | None
    clock_skew_seconds: float | None = None
    alert: SyncAlert | None = None


@dataclass(frozen=True)
class RejectedEntry:
    """One rejected item for the "rejected entries" screen.

    `source` is "push" (an outbox entry the portal refused) or "pull" (a central change the
    counter could not apply). `ref` is the outbox seq or the portal's change id.
    """

    source: str
    ref: int
    kind: str
    at: datetime | None
    dossier_uuid: str
    dossier_code: str
    action: str
    reason: str


@dataclass
class SyncReport:
    """What one `sync_once` did."""

    enrolled: bool = False
    pushed: int = 0
    applied: int = 0
    duplicates: int = 0
    rejected: int = 0
    pulled: int = 0
    pull_applied: int = 0
    pull_rejected: int = 0
    pending: int = 0
    error: SyncError | None = None
    skipped: str = ""
    rejections: list[tuple[int, str]] = field(default_factory=list)
    profile_sent: bool = False
    profile_error: str = ""
    witnessed_seq: int | None = None  # the audit head the portal signed this round
    witness_error: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and not self.skipped

    def text(self) -> str:
        """The report `counter sync` prints, in Vietnamese (scripts grep the numbers)."""
        if self.skipped:
            return f"Bỏ qua đồng bộ: {self.skipped}. {self.pending} bản ghi đang chờ gửi."
        lines = []
        if self.enrolled:
            lines.append("Đã đăng ký thiết bị với cổng dịch vụ công.")
        lines.append(
            f"Đã gửi {self.pushed} bản ghi: {self.applied} được ghi nhận, {self.duplicates} "
            f"đã có từ trước, {self.rejected} bị từ chối."
        )
        for seq, reason in self.rejections[:10]:
            lines.append(f"  bị từ chối #{seq}: {reason}")
        lines.append(
            f"Đã nhận {self.pulled} thay đổi: {self.pull_applied} đã áp dụng, "
            f"{self.pull_rejected} bị từ chối."
        )
        if self.profile_sent:
            lines.append("Đã gửi thông tin cơ quan (tên, địa chỉ, giờ làm việc, đường dây nóng).")
        if self.profile_error:
            lines.append(f"Cổng không nhận thông tin cơ quan: {self.profile_error}")
        if self.witnessed_seq is not None:
            lines.append(
                f"Cổng đã chứng thực nhật ký kiểm toán đến bản ghi số {self.witnessed_seq}."
            )
        if self.witness_error:
            lines.append(f"Chứng thực nhật ký kiểm toán thất bại: {self.witness_error}")
        if self.error is not None:
            lines.append(f"Đồng bộ dừng ({self.error.error_class}): {self.error.message}")
        lines.append(f"{self.pending} bản ghi đang chờ gửi.")
        return "\n".join(lines)


def sync_status(store: Store, config: Config | None = None) -> SyncStatus:
    """The status bar's figures: online, waiting, rejected, last success, last error."""
    get = store.get_setting
    online = get(K_ONLINE)
    skew = get(K_SKEW)
    rejected = store.conn.execute(
        "SELECT (SELECT count(*) FROM outbox WHERE rejected_reason IS NOT NULL) + "
        "(SELECT count(*) FROM pulled_changes WHERE status = 'rejected')"
    ).fetchone()[0]
    configured = bool(config.portal.url) if config is not None else get(K_URL) is not None
    enrolled = get(K_TOKEN) is not None
    skew_value = None if skew is None else float(skew)
    return SyncStatus(
        configured=configured,
        enrolled=enrolled,
        online=None if online is None else online == "1",
        pending=pending_count(store),
        rejected=int(rejected),
        last_success=_when(get(K_LAST_SUCCESS)),
        last_attempt=_when(get(K_LAST_ATTEMPT)),
        last_error=get(K_LAST_ERROR) or None,
        clock_skew_seconds=skew_value,
        alert=sync_alert(
            configured,
            enrolled,
            get(K_ERROR_CODE) or None,
            skew_value,
            bool(get(K_PORTAL_RESTORED)),
        ),
    )


def rejected_entries(store: Store, limit: int = 500) -> list[RejectedEntry]:
    """Everything rejected, newest first: outbox entries and central changes, with reasons."""
    out: list[RejectedEntry] = []
    for seq, kind, payload, created_at, reason in store.conn.execute(
        "SELECT seq, kind, payload, created_at, rejected_reason FROM outbox "
        "WHERE rejected_reason IS NOT NULL ORDER BY seq DESC LIMIT ?",
        (limit,),
    ):
        try:
            p = json.loads(payload)
        except ValueError:
            p = {}
        p = p if isinstance(p, dict) else {}
        dossier: dict[str, Any] = p["dossier"] if isinstance(p.get("dossier"), dict) else {}
        event: dict[str, Any] = p["event"] if isinstance(p.get("event"), dict) else {}
        out.append(
            RejectedEntry(
                source="push",
                ref=int(seq),
                kind=kind,
                at=_when(created_at),
                dossier_uuid=str(p.get("dossier_uuid", "")),
                dossier_code=str(dossier.get("code", "")),
                action=str(event.get("action", "")),
                reason=reason,
            )
        )
    for change_id, kind, uuid, applied_at, reason, data in store.conn.execute(
        "SELECT p.change_id, p.kind, p.dossier_uuid, p.applied_at, p.reason, p.data "
        "FROM pulled_changes p WHERE p.status = 'rejected' ORDER BY p.change_id DESC LIMIT ?",
        (limit,),
    ):
        row = store.conn.execute("SELECT code FROM dossiers WHERE uuid = ?", (uuid,)).fetchone()
        info = json.loads(data) if data else {}
        out.append(
            RejectedEntry(
                source="pull",
                ref=int(change_id),
                kind=kind,
                at=_when(applied_at),
                dossier_uuid=uuid,
                dossier_code=row[0] if row else "",
                action=str(info.get("action") or info.get("to_status") or ""),
                reason=reason,
            )
        )
    out.sort(key=lambda r: r.at.timestamp() if r.at else 0.0, reverse=True)
    return out
