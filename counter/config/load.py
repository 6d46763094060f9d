"""Typed configuration read from `config.toml`, validated whole before anything starts.

Every problem is collected and reported with the file, the key and what was expected, so an
IT officer fixes the file in one pass; the app never starts half-configured.
"""

from __future__ import annotations

import os
import re
import tomllib
import uuid
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any

from counter.queue import QueueSettings, parse_queue_config
from counter.text import nfc_tree

ENV_CONFIG = "COUNTER_CONFIG"

AGENCY_CODE_RE = re.compile(r"^[0-9A-Z]+(\.[0-9A-Z]+)*$")
# A hotline as printed and dialled: the portal page makes a tel: link of it.
HOTLINE_RE = re.compile(r"^\+?\(?[0-9][0-9 .()-]{2,18}[0-9]$")


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists each wrong key in plain words."""

    def __init__(self, path: Path | None, problems: list[str]):
        self.path = path
        self.problems = problems
        where = str(path) if path else "(built-in defaults)"
        super().__init__(f"{where}:\n" + "\n".join(f"  - {p}" for p in problems))


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


class _Reader:
    """Walks the parsed TOML, converting values and collecting every problem."""

    def __init__(self, raw: dict[str, Any], base: Path):
        self.raw = raw
        self.base = base
        self.problems: list[str] = []

    def section(self, name: str) -> dict[str, Any]:
        value = self.raw.get(name, {})
        if not isinstance(value, dict):
            self.problems.append(f"[{name}]: expected a table (section), got {value!r}")
            return {}
        return value

    def unknown(self, name: str, table: dict[str, Any], known: set[str]) -> None:
        for key in table:
            if key not in known:
                self.problems.append(
                    f"[{name}] {key}: unknown key (known: {', '.join(sorted(known))})"
                )

    def get(self, sec: str, table: dict[str, Any], key: str, kind: type, default: Any) -> Any:
        if key not in table:
            return default
        value = table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if kind is int and isinstance(value, bool):
            self.problems.append(f"[{sec}] {key}: expected an integer, got {value!r}")
            return default
        if not isinstance(value, kind):
            names = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
            self.problems.append(
                f"[{sec}] {key}: expected {names.get(kind, kind.__name__)}, got {value!r}"
            )
            return default
        return value

    def clock(self, sec: str, table: dict[str, Any], key: str, default: time) -> time:
        value = table.get(key)
        if value is None:
            return default
        if isinstance(value, time):
            return value
        if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}", value):
            hh, mm = (int(p) for p in value.split(":"))
            if hh < 24 and mm < 60:
                return time(hh, mm)
        self.problems.append(f'[{sec}] {key}: expected a time "HH:MM", got {value!r}')
        return default

    def path(self, value: str) -> Path:
        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else (self.base / p)


def _agency(r: _Reader) -> AgencyConfig:
    t = r.section("agency")
    r.unknown("agency", t, {"name", "code", "centre", "address", "hotline", "lookup_website"})
    d = AgencyConfig()
    code = r.get("agency", t, "code", str, d.code).strip()
    if not AGENCY_CODE_RE.fullmatch(code) or len(code) > 35:
        r.problems.append(
            f"[agency] code: expected the agency's mã định danh (digits, A–Z and dots, "
            f"at most 35 characters, e.g. 000.00.12.H26), got {code!r}"
        )
    name = r.get("agency", t, "name", str, d.name).strip()
    if not name:
        r.problems.append("[agency] name: expected the agency's name, got an empty string")
    hotline = r.get("agency", t, "hotline", str, d.hotline).strip()
    if hotline and not HOTLINE_RE.fullmatch(hotline):
        r.problems.append(
            f"[agency] hotline: expected a phone number (digits, spaces, dots, dashes, "
            f"a leading +), e.g. 1900 1234, got {hotline!r}"
        )
    site = r.get("agency", t, "lookup_website", str, d.lookup_website).strip().rstrip("/")
    if not re.match(r"^https?://[^\s/]+", site):
        r.problems.append(f"[agency] lookup_website: expected an http(s) address, got {site!r}")
    return AgencyConfig(
        name=name,
        code=code,
        centre=r.get("agency", t, "centre", str, d.centre).strip(),
        address=r.get("agency", t, "address", str, d.address).strip(),
        hotline=hotline,
        lookup_website=site,
    )


def _counter(r: _Reader) -> CounterConfig:
    t = r.section("counter")
    known = {
        "number",
        "device_id",
        "language",
        "timezone",
        "data_dir",
        "catalogue",
        "demo_data",
        "mask_id_on_receipt",
    }
    r.unknown("counter", t, known)
    d = CounterConfig()
    number = r.get("counter", t, "number", int, d.number)
    if not 1 <= number <= 99:
        r.problems.append(f"[counter] number: expected a counter number from 1 to 99, got {number}")
    device_id = r.get("counter", t, "device_id", str, d.device_id).strip()
    if device_id != "auto":
        try:
            uuid.UUID(device_id)
        except ValueError:
            r.problems.append(f'[counter] device_id: expected "auto" or a UUID, got {device_id!r}')
    language = r.get("counter", t, "language", str, d.language)
    if language not in ("vi", "en"):
        r.problems.append(f'[counter] language: expected "vi" or "en", got {language!r}')
    tz = r.get("counter", t, "timezone", str, d.timezone)
    if tz != "Asia/Ho_Chi_Minh":
        r.problems.append(
            f'[counter] timezone: expected "Asia/Ho_Chi_Minh" (legal deadlines are counted in '
            f"Vietnam time), got {tz!r}"
        )
    catalogue = r.get("counter", t, "catalogue", str, "")
    return CounterConfig(
        number=number,
        device_id=device_id,
        language=language,
        timezone=tz,
        data_dir=r.path(r.get("counter", t, "data_dir", str, str(d.data_dir))),
        catalogue=r.path(catalogue) if catalogue else None,
        demo_data=r.get("counter", t, "demo_data", bool, d.demo_data),
        mask_id_on_receipt=r.get("counter", t, "mask_id_on_receipt", bool, d.mask_id_on_receipt),
    )


def _office_hours(r: _Reader) -> OfficeHours:
    t = r.section("office_hours")
    r.unknown(
        "office_hours",
        t,
        {"morning_start", "morning_end", "afternoon_start", "afternoon_end", "weekdays"},
    )
    d = OfficeHours()
    hours = OfficeHours(
        morning_start=r.clock("office_hours", t, "morning_start", d.morning_start),
        morning_end=r.clock("office_hours", t, "morning_end", d.morning_end),
        afternoon_start=r.clock("office_hours", t, "afternoon_start", d.afternoon_start),
        afternoon_end=r.clock("office_hours", t, "afternoon_end", d.afternoon_end),
        weekdays=d.weekdays,
    )
    if not (hours.morning_start < hours.morning_end <= hours.afternoon_start < hours.afternoon_end):
        r.problems.append(
            "[office_hours]: expected morning_start < morning_end <= afternoon_start < "
            "afternoon_end"
        )
    weekdays = t.get("weekdays", list(d.weekdays))
    if (
        not isinstance(weekdays, list)
        or not weekdays
        or not all(isinstance(w, int) and not isinstance(w, bool) and 1 <= w <= 7 for w in weekdays)
    ):
        r.problems.append(
            f"[office_hours] weekdays: expected a list of ISO weekdays 1–7 (1 = Monday), "
            f"got {weekdays!r}"
        )
    else:
        hours = OfficeHours(
            hours.morning_start,
            hours.morning_end,
            hours.afternoon_start,
            hours.afternoon_end,
            tuple(sorted(set(weekdays))),
        )
    return hours


def _dates(r: _Reader, where: str, value: Any, year: int) -> frozenset[date]:
    if not isinstance(value, list):
        r.problems.append(f"{where}: expected a list of dates like 2026-08-22, got {value!r}")
        return frozenset()
    out: set[date] = set()
    for item in value:
        if isinstance(item, date) and not hasattr(item, "hour"):
            day = item
        elif isinstance(item, str):
            try:
                day = date.fromisoformat(item)
            except ValueError:
                r.problems.append(f"{where}: expected a date YYYY-MM-DD, got {item!r}")
                continue
        else:
            r.problems.append(f"{where}: expected a date YYYY-MM-DD, got {item!r}")
            continue
        if day.year != year:
            r.problems.append(f"{where}: {day.isoformat()} is not in {year}")
            continue
        out.add(day)
    return frozenset(out)


def _holidays(r: _Reader) -> dict[int, HolidayOverrides]:
    t = r.section("holidays")
    result: dict[int, HolidayOverrides] = {}
    for key, value in t.items():
        if not (isinstance(key, str) and key.isdigit() and len(key) == 4):
            r.problems.append(f"[holidays] {key}: expected a year table such as [holidays.2026]")
            continue
        if not isinstance(value, dict):
            r.problems.append(f"[holidays.{key}]: expected a table with days_off / working_days")
            continue
        r.unknown(f"holidays.{key}", value, {"days_off", "working_days"})
        year = int(key)
        off = _dates(r, f"[holidays.{key}] days_off", value.get("days_off", []), year)
        work = _dates(r, f"[holidays.{key}] working_days", value.get("working_days", []), year)
        if off & work:
            both = ", ".join(sorted(d.isoformat() for d in off & work))
            r.problems.append(f"[holidays.{key}]: {both} is both a day off and a working day")
        result[year] = HolidayOverrides(days_off=off, working_days=work)
    return result


def _auth(r: _Reader) -> AuthConfig:
    t = r.section("auth")
    names = (
        "max_failed_logins",
        "lockout_minutes",
        "max_lockout_hours",
        "officer_pin_digits",
        "supervisor_pin_digits",
        "idle_logout_minutes",
    )
    r.unknown("auth", t, set(names))
    d = AuthConfig()
    cfg = AuthConfig(**{n: r.get("auth", t, n, int, getattr(d, n)) for n in names})
    if cfg.max_failed_logins < 1:
        r.problems.append("[auth] max_failed_logins: expected at least 1")
    if cfg.lockout_minutes < 1:
        r.problems.append("[auth] lockout_minutes: expected at least 1 minute")
    if cfg.max_lockout_hours < 1:
        r.problems.append("[auth] max_lockout_hours: expected at least 1 hour")
    if not 4 <= cfg.officer_pin_digits <= 8:
        r.problems.append("[auth] officer_pin_digits: expected 4 to 8")
    if not 6 <= cfg.supervisor_pin_digits <= 8:
        r.problems.append("[auth] supervisor_pin_digits: expected 6 to 8")
    if not 0 <= cfg.idle_logout_minutes <= 240:
        r.problems.append("[auth] idle_logout_minutes: expected 0 (never) to 240")
    return cfg


PRINTER_TRANSPORTS = ("preview", "network", "usb", "serial", "file", "cups")
PRINTER_MODES = ("raster", "text-tcvn3", "text-ascii")
PAPER_WIDTHS = (384, 512, 576)


def _printers(r: _Reader) -> tuple[PrinterConfig, ...]:
    raw = r.raw.get("printer", None)
    if raw is None:
        return (PrinterConfig(target=str(r.path("data/receipts"))),)
    tables = raw if isinstance(raw, list) else [raw]
    out: list[PrinterConfig] = []
    d = PrinterConfig()
    for i, t in enumerate(tables):
        sec = "printer" if not isinstance(raw, list) else f"printer #{i + 1}"
        if not isinstance(t, dict):
            r.problems.append(f"[{sec}]: expected a table")
            continue
        r.unknown(
            sec,
            t,
            {
                "name",
                "transport",
                "target",
                "profile",
                "paper_width_dots",
                "mode",
                "native_qr",
                "copies",
            },
        )
        transport = r.get(sec, t, "transport", str, d.transport)
        if transport not in PRINTER_TRANSPORTS:
            r.problems.append(
                f"[{sec}] transport: expected one of {', '.join(PRINTER_TRANSPORTS)}, "
                f"got {transport!r}"
            )
        mode = r.get(sec, t, "mode", str, d.mode)
        if mode not in PRINTER_MODES:
            r.problems.append(
                f"[{sec}] mode: expected one of {', '.join(PRINTER_MODES)}, got {mode!r}"
            )
        width = r.get(sec, t, "paper_width_dots", int, d.paper_width_dots)
        if width not in PAPER_WIDTHS:
            r.problems.append(
                f"[{sec}] paper_width_dots: expected 576 (80 mm), 512 (Epson 80 mm) or "
                f"384 (58 mm), got {width}"
            )
        copies = r.get(sec, t, "copies", int, d.copies)
        if copies not in (1, 2):
            r.problems.append(f"[{sec}] copies: expected 1 or 2 (liên), got {copies}")
        target = r.get(sec, t, "target", str, d.target)
        if transport in ("preview", "file"):
            target = str(r.path(target))
        out.append(
            PrinterConfig(
                name=r.get(sec, t, "name", str, d.name if i == 0 else f"printer{i + 1}"),
                transport=transport,
                target=target,
                profile=r.get(sec, t, "profile", str, d.profile),
                paper_width_dots=width,
                mode=mode,
                native_qr=r.get(sec, t, "native_qr", bool, d.native_qr),
                copies=copies,
            )
        )
    names = [p.name for p in out]
    if len(set(names)) != len(names):
        r.problems.append("[printer]: each printer needs a distinct name")
    return tuple(out) or (PrinterConfig(),)


def is_loopback_url(url: str) -> bool:
    """Whether the URL's host is this machine (127.0.0.0/8, ::1 or localhost)."""
    import ipaddress
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _portal(r: _Reader) -> PortalConfig:
    t = r.section("portal")
    r.unknown("portal", t, {"url", "enrollment_code", "timeout_seconds", "sync_interval_seconds"})
    d = PortalConfig()
    url = r.get("portal", t, "url", str, d.url).strip().rstrip("/")
    if url and not re.match(r"^https?://[^\s/]+", url):
        r.problems.append(f"[portal] url: expected an http(s) address or empty, got {url!r}")
    elif url.startswith("http://") and not is_loopback_url(url):
        # The sync token, the device secret and every citizen's dossier travel on this link.
        r.problems.append(
            f"[portal] url: a portal on another machine needs https://, got {url!r} "
            "(plain http only for 127.0.0.1 / localhost)"
        )
    timeout = r.get("portal", t, "timeout_seconds", float, d.timeout_seconds)
    if not 0 < timeout <= 120:
        r.problems.append(f"[portal] timeout_seconds: expected 0–120 seconds, got {timeout}")
    interval = r.get("portal", t, "sync_interval_seconds", float, d.sync_interval_seconds)
    if not 1 <= interval <= 3600:
        r.problems.append(
            f"[portal] sync_interval_seconds: expected 1–3600 seconds, got {interval}"
        )
    return PortalConfig(
        url=url,
        enrollment_code=r.get("portal", t, "enrollment_code", str, d.enrollment_code),
        timeout_seconds=timeout,
        sync_interval_seconds=interval,
    )


def _queue(r: _Reader) -> QueueSettings:
    """The [queue] section is parsed by the queue engine's own reader (same error style)."""
    return parse_queue_config(r.section("queue"), r.problems)


def _bank(r: _Reader) -> BankConfig:
    t = r.section("bank")
    r.unknown("bank", t, {"bin", "account", "account_name"})
    d = BankConfig()
    bank = BankConfig(
        bin=r.get("bank", t, "bin", str, d.bin).strip(),
        account=r.get("bank", t, "account", str, d.account).strip(),
        account_name=r.get("bank", t, "account_name", str, d.account_name).strip(),
    )
    if bank.bin and not re.fullmatch(r"\d{6}", bank.bin):
        r.problems.append(f"[bank] bin: expected the bank's 6-digit NAPAS BIN, got {bank.bin!r}")
    if bank.account and not re.fullmatch(r"[0-9A-Za-z]{1,19}", bank.account):
        r.problems.append(
            f"[bank] account: expected an account number (letters/digits, ≤19), got {bank.account!r}"
        )
    if bool(bank.bin) != bool(bank.account):
        r.problems.append("[bank]: set both bin and account, or neither")
    return bank


def _backup(r: _Reader) -> BackupConfig:
    t = r.section("backup")
    r.unknown("backup", t, {"folder", "keep", "daily"})
    d = BackupConfig()
    folder = r.get("backup", t, "folder", str, "").strip()
    keep = r.get("backup", t, "keep", int, d.keep)
    if not 1 <= keep <= 3650:
        r.problems.append(f"[backup] keep: expected 1–3650 backups, got {keep}")
    return BackupConfig(
        folder=r.path(folder) if folder else None,
        keep=keep,
        daily=r.get("backup", t, "daily", bool, d.daily),
    )


def _retention(r: _Reader) -> RetentionConfig:
    t = r.section("retention")
    d = RetentionConfig()
    names = ("preview_days", "print_document_days", "outbox_payload_days")
    r.unknown("retention", t, set(names))
    days = {}
    for name in names:
        value = r.get("retention", t, name, int, getattr(d, name))
        if not 1 <= value <= 3650:
            r.problems.append(f"[retention] {name}: expected 1–3650 days, got {value}")
            value = getattr(d, name)
        days[name] = value
    return RetentionConfig(**days)


def _forms(r: _Reader) -> FormsConfig:
    t = r.section("forms")
    r.unknown("forms", t, {"numbering", "place"})
    d = FormsConfig()
    numbering = str(r.get("forms", t, "numbering", str, d.numbering)).strip()
    if numbering not in FORM_NUMBERINGS:
        r.problems.append(
            f'[forms] numbering: expected "2025" (Circular 03/2025) or "2018", got {numbering!r}'
        )
        numbering = d.numbering
    place = r.get("forms", t, "place", str, d.place).strip()
    if not place:
        r.problems.append("[forms] place: expected the place printed before the date, got ''")
    return FormsConfig(numbering=numbering, place=place or d.place)


def _exports(r: _Reader) -> ExportsConfig:
    t = r.section("exports")
    r.unknown("exports", t, {"csv_separator"})
    d = ExportsConfig()
    sep = r.get("exports", t, "csv_separator", str, d.csv_separator)
    if sep not in CSV_SEPARATORS:
        r.problems.append(
            f'[exports] csv_separator: expected ";" (Vietnamese Excel), "," or "\\t", got {sep!r}'
        )
        sep = d.csv_separator
    return ExportsConfig(csv_separator=sep)


def _keys(r: _Reader) -> dict[str, str]:
    t = r.section("keys")
    out: dict[str, str] = {}
    for binding_id, keys in t.items():
        if not isinstance(keys, str) or not keys.strip():
            r.problems.append(
                f'[keys] {binding_id}: expected keys such as "f2" or "ctrl+s", got {keys!r}'
            )
            continue
        out[binding_id] = keys.strip()
    from counter.keymap import check_keymap

    r.problems += check_keymap(out)
    return out


KNOWN_SECTIONS = {
    "agency",
    "counter",
    "office_hours",
    "holidays",
    "auth",
    "printer",
    "portal",
    "queue",
    "bank",
    "backup",
    "retention",
    "keys",
    "forms",
    "exports",
}


def parse_config(raw: dict[str, Any], *, source: Path | None = None) -> Config:
    """Build a Config from parsed TOML; raise ConfigError listing every problem."""
    base = source.parent if source else Path.cwd()
    raw = nfc_tree(raw)  # "phường" typed decomposed prints and compares like the composed one
    r = _Reader(raw, base)
    for key in raw:
        if key not in KNOWN_SECTIONS:
            r.problems.append(
                f"[{key}]: unknown section (known: {', '.join(sorted(KNOWN_SECTIONS))})"
            )
    cfg = Config(
        agency=_agency(r),
        counter=_counter(r),
        office_hours=_office_hours(r),
        holidays=_holidays(r),
        auth=_auth(r),
        printers=_printers(r),
        portal=_portal(r),
        queue=_queue(r),
        bank=_bank(r),
        backup=_backup(r),
        retention=_retention(r),
        keys=_keys(r),
        forms=_forms(r),
        exports=_exports(r),
        source=source,
    )
    if r.problems:
        raise ConfigError(source, r.problems)
    return cfg


def load_config(path: Path | str | None = None) -> Config:
    """Load the config named by `path`, else $COUNTER_CONFIG, else ./config.toml, else defaults."""
    candidate = path or os.environ.get(ENV_CONFIG)
    if candidate is None and Path("config.toml").exists():
        candidate = "config.toml"
    if candidate is None:
        return parse_config({}, source=None)
    p = Path(candidate).expanduser().resolve()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(p, ["file not found"]) from None
    except UnicodeDecodeError:
        raise ConfigError(p, ["not UTF-8 text"]) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(p, [f"not valid TOML: {exc}"]) from None
    return parse_config(raw, source=p)
