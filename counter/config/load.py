"""Reading config.toml: each section checked through the shared `TableReader`, all at once.

Every problem is collected and reported with the file, the key and what was expected, so an
IT officer fixes the file in one pass; the app never starts half-configured.
"""

from __future__ import annotations

import os
import re
import tomllib
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from counter.config.queue import QueueSettings, read_queue_settings
from counter.config.sections import (
    AGENCY_CODE_RE,
    CSV_SEPARATORS,
    ENV_CONFIG,
    FORM_NUMBERINGS,
    HOTLINE_RE,
    PAPER_WIDTHS,
    PRINTER_MODES,
    PRINTER_TRANSPORTS,
    AgencyConfig,
    AuthConfig,
    BackupConfig,
    BankConfig,
    Config,
    CounterConfig,
    ExportsConfig,
    FormsConfig,
    HolidayOverrides,
    OfficeHours,
    PortalConfig,
    PrinterConfig,
    RetentionConfig,
)
from counter.text import nfc_tree
from counter.toml_reader import TableReader


class ConfigError(Exception):
    """The configuration cannot be used; `problems` lists each wrong key in plain words."""

    def __init__(self, path: Path | None, problems: list[str]):
        self.path = path
        self.problems = problems
        where = str(path) if path else "(built-in defaults)"
        super().__init__(f"{where}:\n" + "\n".join(f"  - {p}" for p in problems))


class _File:
    """The whole parsed file: its top-level reader and the folder relative paths start from."""

    def __init__(self, raw: dict[str, Any], base: Path):
        self.problems: list[str] = []
        self.top = TableReader(raw, "", self.problems)
        self.base = base

    def section(self, name: str, known: set[str] | None = None) -> TableReader:
        t = self.top.section(name)
        if known is not None:
            t.unknown_keys(known)
        return t

    def path(self, value: str) -> Path:
        p = Path(os.path.expanduser(value))
        return p if p.is_absolute() else (self.base / p)


def _agency(f: _File) -> AgencyConfig:
    t = f.section("agency", {"name", "code", "centre", "address", "hotline", "lookup_website"})
    d = AgencyConfig()
    code = t.text("code", d.code).strip()
    if not AGENCY_CODE_RE.fullmatch(code) or len(code) > 35:
        t.fail(
            "code",
            "expected the agency's mã định danh (digits, A–Z and dots, "
            f"at most 35 characters, e.g. 000.00.12.H26), got {code!r}",
        )
    name = t.text("name", d.name).strip()
    if not name:
        t.fail("name", "expected the agency's name, got an empty string")
    hotline = t.text("hotline", d.hotline).strip()
    if hotline and not HOTLINE_RE.fullmatch(hotline):
        t.fail(
            "hotline",
            "expected a phone number (digits, spaces, dots, dashes, "
            f"a leading +), e.g. 1900 1234, got {hotline!r}",
        )
    site = t.text("lookup_website", d.lookup_website).strip().rstrip("/")
    if not re.match(r"^https?://[^\s/]+", site):
        t.fail("lookup_website", f"expected an http(s) address, got {site!r}")
    return AgencyConfig(
        name=name,
        code=code,
        centre=t.text("centre", d.centre).strip(),
        address=t.text("address", d.address).strip(),
        hotline=hotline,
        lookup_website=site,
    )


def _counter(f: _File) -> CounterConfig:
    known = {"number", "device_id", "language", "timezone", "data_dir", "catalogue"}
    t = f.section("counter", known | {"demo_data", "mask_id_on_receipt"})
    d = CounterConfig()
    number = t.integer("number", d.number)
    if not 1 <= number <= 99:
        t.fail("number", f"expected a counter number from 1 to 99, got {number}")
    device_id = t.text("device_id", d.device_id).strip()
    if device_id != "auto":
        try:
            uuid.UUID(device_id)
        except ValueError:
            t.fail("device_id", f'expected "auto" or a UUID, got {device_id!r}')
    language = t.text("language", d.language)
    if language not in ("vi", "en"):
        t.fail("language", f'expected "vi" or "en", got {language!r}')
    tz = t.text("timezone", d.timezone)
    if tz != "Asia/Ho_Chi_Minh":
        t.fail(
            "timezone",
            'expected "Asia/Ho_Chi_Minh" (legal deadlines are counted in '
            f"Vietnam time), got {tz!r}",
        )
    catalogue = t.text("catalogue", "")
    return CounterConfig(
        number=number,
        device_id=device_id,
        language=language,
        timezone=tz,
        data_dir=f.path(t.text("data_dir", str(d.data_dir))),
        catalogue=f.path(catalogue) if catalogue else None,
        demo_data=t.flag("demo_data", d.demo_data),
        mask_id_on_receipt=t.flag("mask_id_on_receipt", d.mask_id_on_receipt),
    )


def _office_hours(f: _File) -> OfficeHours:
    times = ("morning_start", "morning_end", "afternoon_start", "afternoon_end")
    t = f.section("office_hours", {*times, "weekdays"})
    d = OfficeHours()
    start, end, pm_start, pm_end = (t.time_of_day(k, getattr(d, k)) for k in times)
    if not (start < end <= pm_start < pm_end):
        t.fail_table("expected morning_start < morning_end <= afternoon_start < afternoon_end")
    weekdays = t.raw("weekdays", list(d.weekdays))
    if (
        not isinstance(weekdays, list)
        or not weekdays
        or not all(isinstance(w, int) and not isinstance(w, bool) and 1 <= w <= 7 for w in weekdays)
    ):
        t.fail("weekdays", f"expected a list of ISO weekdays 1–7 (1 = Monday), got {weekdays!r}")
        weekdays = list(d.weekdays)
    return OfficeHours(start, end, pm_start, pm_end, tuple(sorted(set(weekdays))))


def _dates(t: TableReader, key: str, year: int) -> frozenset[date]:
    value = t.raw(key, [])
    if not isinstance(value, list):
        t.fail(key, f"expected a list of dates like 2026-08-22, got {value!r}")
        return frozenset()
    out: set[date] = set()
    for item in value:
        if isinstance(item, date) and not hasattr(item, "hour"):
            day = item
        elif isinstance(item, str):
            try:
                day = date.fromisoformat(item)
            except ValueError:
                t.fail(key, f"expected a date YYYY-MM-DD, got {item!r}")
                continue
        else:
            t.fail(key, f"expected a date YYYY-MM-DD, got {item!r}")
            continue
        if day.year != year:
            t.fail(key, f"{day.isoformat()} is not in {year}")
            continue
        out.add(day)
    return frozenset(out)


def _holidays(f: _File) -> dict[int, HolidayOverrides]:
    t = f.section("holidays")
    result: dict[int, HolidayOverrides] = {}
    for key in t.table:
        if not (isinstance(key, str) and key.isdigit() and len(key) == 4):
            t.fail(key, "expected a year table such as [holidays.2026]")
            continue
        year_table = t.raw(key)
        if not isinstance(year_table, dict):
            f.problems.append(f"[holidays.{key}]: expected a table with days_off / working_days")
            continue
        y = t.section(key, where=f"[holidays.{key}]")
        y.unknown_keys({"days_off", "working_days"})
        year = int(key)
        off = _dates(y, "days_off", year)
        work = _dates(y, "working_days", year)
        if off & work:
            both = ", ".join(sorted(d.isoformat() for d in off & work))
            y.fail_table(f"{both} is both a day off and a working day")
        result[year] = HolidayOverrides(days_off=off, working_days=work)
    return result


def _auth(f: _File) -> AuthConfig:
    limits = {  # key: (lowest, highest, what is expected)
        "max_failed_logins": (1, 10**9, "at least 1"),
        "lockout_minutes": (1, 10**9, "at least 1 minute"),
        "max_lockout_hours": (1, 10**9, "at least 1 hour"),
        "officer_pin_digits": (4, 8, "4 to 8"),
        "supervisor_pin_digits": (6, 8, "6 to 8"),
        "idle_logout_minutes": (0, 240, "0 (never) to 240"),
    }
    t = f.section("auth", set(limits))
    d = AuthConfig()
    values: dict[str, int] = {}
    for key, (low, high, what) in limits.items():
        values[key] = value = t.integer(key, getattr(d, key))
        if not low <= value <= high:
            t.fail(key, f"expected {what}")
    return AuthConfig(**values)


def _printers(f: _File) -> tuple[PrinterConfig, ...]:
    raw = f.top.raw("printer")
    if raw is None:
        return (PrinterConfig(target=str(f.path("data/receipts"))),)
    tables = raw if isinstance(raw, list) else [raw]
    known = {"name", "transport", "target", "profile", "paper_width_dots", "mode", "native_qr"}
    known.add("copies")
    out: list[PrinterConfig] = []
    d = PrinterConfig()
    for i, table in enumerate(tables):
        sec = "printer" if not isinstance(raw, list) else f"printer #{i + 1}"
        if not isinstance(table, dict):
            f.problems.append(f"[{sec}]: expected a table")
            continue
        t = TableReader(table, f"[{sec}]", f.problems)
        t.unknown_keys(known)
        transport = t.choice("transport", PRINTER_TRANSPORTS, d.transport)
        mode = t.choice("mode", PRINTER_MODES, d.mode)
        width = t.integer("paper_width_dots", d.paper_width_dots)
        if width not in PAPER_WIDTHS:
            t.fail(
                "paper_width_dots",
                f"expected 576 (80 mm), 512 (Epson 80 mm) or 384 (58 mm), got {width}",
            )
        copies = t.integer("copies", d.copies)
        if copies not in (1, 2):
            t.fail("copies", f"expected 1 or 2 (liên), got {copies}")
        target = t.text("target", d.target)
        if transport in ("preview", "file"):
            target = str(f.path(target))
        out.append(
            PrinterConfig(
                name=t.text("name", d.name if i == 0 else f"printer{i + 1}"),
                transport=transport,
                target=target,
                profile=t.text("profile", d.profile),
                paper_width_dots=width,
                mode=mode,
                native_qr=t.flag("native_qr", d.native_qr),
                copies=copies,
            )
        )
    names = [p.name for p in out]
    if len(set(names)) != len(names):
        f.problems.append("[printer]: each printer needs a distinct name")
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


def _portal(f: _File) -> PortalConfig:
    t = f.section("portal", {"url", "enrollment_code", "timeout_seconds", "sync_interval_seconds"})
    d = PortalConfig()
    url = t.text("url", d.url).strip().rstrip("/")
    if url and not re.match(r"^https?://[^\s/]+", url):
        t.fail("url", f"expected an http(s) address or empty, got {url!r}")
    elif url.startswith("http://") and not is_loopback_url(url):
        # The sync token, the device secret and every citizen's dossier travel on this link.
        t.fail(
            "url",
            f"a portal on another machine needs https://, got {url!r} "
            "(plain http only for 127.0.0.1 / localhost)",
        )
    timeout = t.number("timeout_seconds", d.timeout_seconds)
    if not 0 < timeout <= 120:
        t.fail("timeout_seconds", f"expected 0–120 seconds, got {timeout}")
    interval = t.number("sync_interval_seconds", d.sync_interval_seconds)
    if not 1 <= interval <= 3600:
        t.fail("sync_interval_seconds", f"expected 1–3600 seconds, got {interval}")
    return PortalConfig(
        url=url,
        enrollment_code=t.text("enrollment_code", d.enrollment_code),
        timeout_seconds=timeout,
        sync_interval_seconds=interval,
    )


def _queue(f: _File) -> QueueSettings:
    return read_queue_settings(f.section("queue"))


def _bank(f: _File) -> BankConfig:
    t = f.section("bank", {"bin", "account", "account_name"})
    d = BankConfig()
    bank = BankConfig(
        bin=t.text("bin", d.bin).strip(),
        account=t.text("account", d.account).strip(),
        account_name=t.text("account_name", d.account_name).strip(),
    )
    if bank.bin and not re.fullmatch(r"\d{6}", bank.bin):
        t.fail("bin", f"expected the bank's 6-digit NAPAS BIN, got {bank.bin!r}")
    if bank.account and not re.fullmatch(r"[0-9A-Za-z]{1,19}", bank.account):
        t.fail(
            "account",
            f"expected an account number (letters/digits, ≤19), got {bank.account!r}",
        )
    if bool(bank.bin) != bool(bank.account):
        t.fail_table("set both bin and account, or neither")
    return bank


def _backup(f: _File) -> BackupConfig:
    t = f.section("backup", {"folder", "keep", "daily"})
    d = BackupConfig()
    folder = t.text("folder", "").strip()
    keep = t.integer("keep", d.keep)
    if not 1 <= keep <= 3650:
        t.fail("keep", f"expected 1–3650 backups, got {keep}")
    return BackupConfig(
        folder=f.path(folder) if folder else None,
        keep=keep,
        daily=t.flag("daily", d.daily),
    )


def _retention(f: _File) -> RetentionConfig:
    names = ("preview_days", "print_document_days", "outbox_payload_days")
    t = f.section("retention", set(names))
    d = RetentionConfig()
    days = {n: t.within(n, getattr(d, n), 1, 3650, "1–3650 days") for n in names}
    return RetentionConfig(**days)


def _forms(f: _File) -> FormsConfig:
    t = f.section("forms", {"numbering", "place"})
    d = FormsConfig()
    numbering = t.text("numbering", d.numbering).strip()
    if numbering not in FORM_NUMBERINGS:
        t.fail("numbering", f'expected "2025" (Circular 03/2025) or "2018", got {numbering!r}')
        numbering = d.numbering
    place = t.text("place", d.place).strip()
    if not place:
        t.fail("place", "expected the place printed before the date, got ''")
    return FormsConfig(numbering=numbering, place=place or d.place)


def _exports(f: _File) -> ExportsConfig:
    t = f.section("exports", {"csv_separator"})
    sep = t.choice(
        "csv_separator",
        CSV_SEPARATORS,
        ExportsConfig().csv_separator,
        what='";" (Vietnamese Excel), "," or "\\t"',
    )
    return ExportsConfig(csv_separator=sep)


def _keys(f: _File) -> dict[str, str]:
    t = f.section("keys")
    out: dict[str, str] = {}
    for binding_id, keys in t.table.items():
        if not isinstance(keys, str) or not keys.strip():
            t.fail(binding_id, f'expected keys such as "f2" or "ctrl+s", got {keys!r}')
            continue
        out[binding_id] = keys.strip()
    from counter.keymap import check_keymap

    f.problems.extend(check_keymap(out))
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
    f = _File(raw, base)
    for key in raw:
        if key not in KNOWN_SECTIONS:
            f.problems.append(
                f"[{key}]: unknown section (known: {', '.join(sorted(KNOWN_SECTIONS))})"
            )
    cfg = Config(
        agency=_agency(f),
        counter=_counter(f),
        office_hours=_office_hours(f),
        holidays=_holidays(f),
        auth=_auth(f),
        printers=_printers(f),
        portal=_portal(f),
        queue=_queue(f),
        bank=_bank(f),
        backup=_backup(f),
        retention=_retention(f),
        keys=_keys(f),
        forms=_forms(f),
        exports=_exports(f),
        source=source,
    )
    if f.problems:
        raise ConfigError(source, f.problems)
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
