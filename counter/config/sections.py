"""What config.toml holds, section by section: the typed, frozen settings every part reads.

Apart from their reading (`counter.config.load`) so a reader of the settings sees their shape
and defaults on one page; `[queue]` has its own module beside this one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path

from counter.config.queue import QueueSettings

ENV_CONFIG = "COUNTER_CONFIG"

AGENCY_CODE_RE = re.compile(r"^[0-9A-Z]+(\.[0-9A-Z]+)*$")
# A hotline as printed and dialled: the portal page makes a tel: link of it.
HOTLINE_RE = re.compile(r"^\+?\(?[0-9][0-9 .()-]{2,18}[0-9]$")


@dataclass(frozen=True)
class AgencyConfig:
    name: str = "UBND phường Hoàn Kiếm"
    code: str = "000.00.12.H26"
    centre: str = "Trung tâm Phục vụ hành chính công phường Hoàn Kiếm"
    address: str = "Số 126 Hàng Trống, phường Hoàn Kiếm, thành phố Hà Nội"
    hotline: str = "1900 1234"
    lookup_website: str = "http://127.0.0.1:8700"


@dataclass(frozen=True)
class CounterConfig:
    number: int = 1
    device_id: str = "auto"
    language: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    data_dir: Path = Path("data")
    catalogue: Path | None = None
    demo_data: bool = False  # only the example config.toml turns it on
    mask_id_on_receipt: bool = True


@dataclass(frozen=True)
class OfficeHours:
    morning_start: time = time(8, 0)
    morning_end: time = time(12, 0)
    afternoon_start: time = time(13, 0)
    afternoon_end: time = time(17, 0)
    weekdays: tuple[int, ...] = (1, 2, 3, 4, 5)  # ISO weekdays: 1 = Monday


@dataclass(frozen=True)
class HolidayOverrides:
    """Per-year corrections to the `holidays` package: extra days off, make-up working days."""

    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()


@dataclass(frozen=True)
class AuthConfig:
    max_failed_logins: int = 5
    # The first lockout; each further one in a row doubles, up to `max_lockout_hours`.
    lockout_minutes: int = 15
    max_lockout_hours: int = 24
    # Shortest all-digit PIN per role (a password of 8+ characters is always accepted).
    officer_pin_digits: int = 4
    supervisor_pin_digits: int = 6
    # Log the officer out after this long without a key press (0: never).
    idle_logout_minutes: int = 10


@dataclass(frozen=True)
class PrinterConfig:
    name: str = "preview"
    transport: str = "preview"  # preview | network | usb | serial | file | cups
    target: str = "receipts"  # folder, host:port, device path, or queue name
    profile: str = "TM-T20II"
    paper_width_dots: int = 576
    mode: str = "raster"  # raster | text-tcvn3 | text-ascii
    native_qr: bool = False
    copies: int = 1


@dataclass(frozen=True)
class PortalConfig:
    url: str = ""  # empty: not configured (offline only)
    enrollment_code: str = ""
    timeout_seconds: float = 30.0
    sync_interval_seconds: float = 15.0


@dataclass(frozen=True)
class BackupConfig:
    folder: Path | None = None  # None: <data_dir>/backups
    keep: int = 14  # daily backups kept
    daily: bool = True  # the app makes one a day


@dataclass(frozen=True)
class RetentionConfig:
    """How long what grows with the work is kept (days); see counter/retention.py."""

    preview_days: int = 30
    print_document_days: int = 90
    outbox_payload_days: int = 90


@dataclass(frozen=True)
class BankConfig:
    bin: str = ""
    account: str = ""
    account_name: str = ""


# The forms a one-stop section issues, by what they are; their printed numbers depend on
# the numbering in force (Circular 03/2025, or the 2018 one some provinces still print).
FORM_KINDS = ("receipt", "supplement", "refusal", "extension", "stop", "control", "book")
FORM_NUMBERINGS: dict[str, dict[str, str]] = {
    "2025": {
        "receipt": "01",
        "supplement": "02",
        "refusal": "03",
        "extension": "04",
        "stop": "05",
        "control": "06",
        "book": "07",
    },
    # Circular 01/2018: no stop notice of its own; the control slip and the book were 05, 06.
    "2018": {
        "receipt": "01",
        "supplement": "02",
        "refusal": "03",
        "extension": "04",
        "stop": "",
        "control": "05",
        "book": "06",
    },
}
CSV_SEPARATORS = (";", ",", "\t")


@dataclass(frozen=True)
class FormsConfig:
    """Form numbering and the receipt's place-and-date line ("Hà Nội, ngày … tháng … năm …")."""

    numbering: str = "2025"
    place: str = "Hà Nội"

    def number(self, kind: str) -> str:
        """The printed number of a form ("01"), '' when the numbering has none for it."""
        return FORM_NUMBERINGS[self.numbering][kind]


@dataclass(frozen=True)
class ExportsConfig:
    # Vietnamese regional settings use ";" as Excel's list separator: a comma CSV opens in
    # one column there.
    csv_separator: str = ";"


@dataclass(frozen=True)
class Config:
    agency: AgencyConfig = field(default_factory=AgencyConfig)
    counter: CounterConfig = field(default_factory=CounterConfig)
    office_hours: OfficeHours = field(default_factory=OfficeHours)
    holidays: dict[int, HolidayOverrides] = field(default_factory=dict)
    auth: AuthConfig = field(default_factory=AuthConfig)
    printers: tuple[PrinterConfig, ...] = (PrinterConfig(),)
    portal: PortalConfig = field(default_factory=PortalConfig)
    queue: QueueSettings = field(default_factory=QueueSettings)
    bank: BankConfig = field(default_factory=BankConfig)
    backup: BackupConfig = field(default_factory=BackupConfig)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    keys: dict[str, str] = field(default_factory=dict)
    forms: FormsConfig = field(default_factory=FormsConfig)
    exports: ExportsConfig = field(default_factory=ExportsConfig)
    source: Path | None = None

    @property
    def data_dir(self) -> Path:
        return self.counter.data_dir

    @property
    def db_path(self) -> Path:
        return self.counter.data_dir / "counter.db"


PRINTER_TRANSPORTS = ("preview", "network", "usb", "serial", "file", "cups")
PRINTER_MODES = ("raster", "text-tcvn3", "text-ascii")
PAPER_WIDTHS = (384, 512, 576)
