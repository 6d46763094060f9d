"""Printer settings against the printer's profile (escpos-printer-db): every config that
passes the checks prints, every one that cannot print is refused by `counter check-config`
with the key and what is expected; `doctor` raises no false alarm; python-escpos never
writes its width warning over the screen."""

from __future__ import annotations

import itertools
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from counter.config import PrinterConfig, parse_config
from counter.timeutil import VN_TZ
from counter_cli.doctor import printer_reachable, run_doctor
from printing.checks import printer_problems, profile_names
from printing.errors import PrinterConfigError
from printing.render import render_job
from printing.testpage import build_self_test

AT = datetime(2026, 11, 26, 8, 15, tzinfo=VN_TZ)


CLI = [sys.executable, "-c", "from counter_cli import main; main()"]


def check_config(tmp_path: Path, printer: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[counter]\ndata_dir = "{tmp_path / "data"}"\ndemo_data = false\n[printer]\n{printer}',
        encoding="utf-8",
    )
    return subprocess.run(
        [*CLI, "--config", str(path), "check-config"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )


def test_check_config_refuses_the_pos5890_at_576_dots_in_tcvn3(tmp_path: Path) -> None:
    """The issue's case: every job would fail in the spool forever; only doctor noticed."""
    done = check_config(
        tmp_path,
        'transport = "preview"\ntarget = "p"\nprofile = "POS-5890"\n'
        'paper_width_dots = 576\nmode = "text-tcvn3"\nnative_qr = true\n',
    )
    assert done.returncode == 2, done.stdout
    err = done.stderr
    assert "[printer] paper_width_dots: expected at most 384 for profile POS-5890" in err
    assert '[printer] mode: expected "raster" or "text-ascii"' in err
    assert "[printer] native_qr: expected false" in err
    assert "OK" not in done.stdout
    assert not (tmp_path / "data").exists()  # nothing was created


@pytest.mark.parametrize("target", ["0x04b8", "04b8", "04b8:", "printer", "0x04b8:0x0e15:1"])
def test_check_config_refuses_malformed_usb_ids(tmp_path: Path, target: str) -> None:
    done = check_config(tmp_path, f'transport = "usb"\ntarget = "{target}"\n')
    assert done.returncode == 2
    assert "[printer] target: USB target must be VID:PID" in done.stderr


def test_check_config_names_unknown_profiles_and_bad_targets() -> None:
    problems = printer_problems(PrinterConfig(profile="TM-T20"))
    assert problems and "did you mean" in problems[0] and "TM-T20II" in problems[0]
    bad_net = printer_problems(PrinterConfig(transport="network", target="a:b:c"))
    assert bad_net and bad_net[0].startswith("[printer] target:")
    bad_serial = printer_problems(PrinterConfig(transport="serial", target="/dev/ttyS0:96OO"))
    assert bad_serial and "BAUD" in bad_serial[0]
    assert printer_problems(PrinterConfig(transport="usb", target="04b8:0e15")) == []


def test_check_config_accepts_a_good_printer(tmp_path: Path) -> None:
    done = check_config(
        tmp_path,
        'transport = "preview"\ntarget = "p"\nprofile = "POS-5890"\npaper_width_dots = 384\n',
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK")


def test_every_accepted_printer_config_prints_and_every_refused_one_cannot(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The drill over the whole database: for each profile, mode, width and QR choice, the
    checks accept the config exactly when a job renders for it, and rendering never writes
    python-escpos's "media.width.pixel … not set" warning."""
    disagreements = []
    for profile, mode, width, native_qr in itertools.product(
        profile_names(), ("raster", "text-tcvn3", "text-ascii"), (384, 512, 576), (False, True)
    ):
        printer = PrinterConfig(
            profile=profile, mode=mode, paper_width_dots=width, native_qr=native_qr
        )
        accepted = not printer_problems(printer)
        try:  # the self-test page has Vietnamese text and a QR code
            render_job(build_self_test(printer, AT), printer)
            printed = True
        except PrinterConfigError:
            printed = False
        if accepted != printed:
            disagreements.append((profile, mode, width, native_qr, accepted, printed))
    assert disagreements == []
    assert "media.width" not in capsys.readouterr().out


def test_doctor_has_no_false_alarm_for_a_preview_folder_not_made_yet(tmp_path: Path) -> None:
    deep = tmp_path / "not" / "yet" / "there" / "receipts"
    ok, detail = printer_reachable(PrinterConfig(transport="preview", target=str(deep)))
    assert ok, detail
    cfg = parse_config(
        {
            "counter": {"data_dir": str(tmp_path / "data"), "demo_data": False},
            "printer": {"transport": "preview", "target": str(deep)},
        },
        source=tmp_path / "config.toml",
    )
    _ok, checks = run_doctor(cfg)
    printer = next(c for c in checks if c.what.startswith("Máy in"))
    assert printer.ok and "không tạo được" not in printer.detail
    # A folder that really cannot be made still says so.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    ok, detail = printer_reachable(
        PrinterConfig(transport="preview", target=str(blocker / "receipts"))
    )
    assert not ok and "không tạo được thư mục" in detail
