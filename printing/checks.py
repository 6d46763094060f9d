"""Printer settings checked against what the printer can do, before a job is ever queued.

The core's config reader checks each value on its own (a width is 384/512/576, a mode is one
of three); only here, where python-escpos's capabilities database (escpos-printer-db) is at
hand, can a setting be checked against the profile it names: a width beyond the profile's
paper, TCVN-3 text on a profile without those code pages, native QR on a profile without QR,
or a target the transport cannot parse. Problems read like the config reader's: the section,
the key, what is expected, what was found. `counter check-config`, `counter doctor` and the
start of the app and the kiosk all use this, so a config that can never print is refused.
The database is read by `printing.profiles` (JSON, milliseconds), not by importing
python-escpos, so these checks cost the start of the app next to nothing.
"""

from __future__ import annotations

import difflib

from counter.config import Config, PrinterConfig

from . import tcvn3
from .errors import PrinterConfigError
from .profiles import code_pages, profile_names, profile_width, supports
from .transports import open_transport

__all__ = ["SERIAL_RATES", "config_problems", "printer_problems", "profile_names"]


def printer_problems(printer: PrinterConfig, section: str = "printer") -> list[str]:
    """Every way `printer` cannot print as configured, one plain sentence each."""
    problems: list[str] = []
    names = profile_names()
    if printer.profile not in names:
        near = difflib.get_close_matches(printer.profile, names, n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        problems.append(
            f"[{section}] profile: expected a printer profile of escpos-printer-db such as "
            f"TM-T20II, TM-T88V or POS-5890{hint}, got {printer.profile!r}"
        )
    else:
        limit = profile_width(printer.profile)
        if limit is not None and printer.paper_width_dots > limit:
            problems.append(
                f"[{section}] paper_width_dots: expected at most {limit} for profile "
                f"{printer.profile} (its paper is {limit} dots wide), "
                f"got {printer.paper_width_dots}"
            )
        if printer.mode == "text-tcvn3":
            pages = code_pages(printer.profile)
            if tcvn3.LOWER_PAGE not in pages or tcvn3.UPPER_PAGE not in pages:
                problems.append(
                    f'[{section}] mode: expected "raster" or "text-ascii" for profile '
                    f"{printer.profile} (it has no TCVN-3 code pages, so Vietnamese text mode "
                    'cannot print), got "text-tcvn3"'
                )
        if printer.native_qr and not supports(printer.profile, "qrCode"):
            problems.append(
                f"[{section}] native_qr: expected false for profile {printer.profile} (it "
                "cannot draw QR codes itself; they print as images), got true"
            )
    try:
        open_transport(printer)  # parses the target, opens nothing
    except PrinterConfigError as exc:
        problems.append(f"[{section}] target: {exc.en} ({exc.vi})")
    if printer.transport == "serial":
        _dev, sep, baud = printer.target.partition(":")
        if sep and not (baud.isdigit() and int(baud) in SERIAL_RATES):
            problems.append(
                f"[{section}] target: expected DEVICE or DEVICE:BAUD with BAUD one of "
                f"{', '.join(map(str, SERIAL_RATES))}, got {printer.target!r}"
            )
    return problems


SERIAL_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)


def config_problems(config: Config) -> list[str]:
    """Printer problems of a whole config, each printer named as the config reader names it."""
    many = len(config.printers) > 1
    out: list[str] = []
    for i, printer in enumerate(config.printers):
        out += printer_problems(printer, f"printer #{i + 1}" if many else "printer")
    return out
