"""Typed configuration read from `config.toml`, validated whole before anything starts.

`sections` holds what each section is (frozen dataclasses and their defaults), `queue` the
`[queue]` section, `load` the reading of the file through the shared `counter.toml_reader`.
Callers import every name from here.
"""

from counter.config.load import (
    KNOWN_SECTIONS,
    ConfigError,
    is_loopback_url,
    load_config,
    parse_config,
)
from counter.config.queue import (
    QueueConfigError,
    QueueSettings,
    parse_queue_config,
    read_queue_settings,
)
from counter.config.sections import (
    AGENCY_CODE_RE,
    CSV_SEPARATORS,
    ENV_CONFIG,
    FORM_KINDS,
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

__all__ = [
    "AGENCY_CODE_RE",
    "CSV_SEPARATORS",
    "ENV_CONFIG",
    "FORM_KINDS",
    "FORM_NUMBERINGS",
    "HOTLINE_RE",
    "KNOWN_SECTIONS",
    "PAPER_WIDTHS",
    "PRINTER_MODES",
    "PRINTER_TRANSPORTS",
    "AgencyConfig",
    "AuthConfig",
    "BackupConfig",
    "BankConfig",
    "Config",
    "ConfigError",
    "CounterConfig",
    "ExportsConfig",
    "FormsConfig",
    "HolidayOverrides",
    "OfficeHours",
    "PortalConfig",
    "PrinterConfig",
    "QueueConfigError",
    "QueueSettings",
    "RetentionConfig",
    "is_loopback_url",
    "load_config",
    "parse_config",
    "parse_queue_config",
    "read_queue_settings",
]
