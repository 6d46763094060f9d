"""`counter doctor` and `counter printer test`: plain words about what is wrong, a real page."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import zxingcpp

from counter.config import parse_config
from counter_cli.doctor import print_test_page, run_doctor
from printing.decode import decode_raster
from tests.support.printer_emulator import EmulatedPrinter


def _config(tmp_path: Path, **printer: object):
    return parse_config(
        {
            "counter": {"data_dir": str(tmp_path / "data"), "demo_data": False},
            "printer": {"transport": "preview", "target": str(tmp_path / "p"), **printer},
            "portal": {"url": "http://127.0.0.1:9"},
        },
        source=tmp_path / "config.toml",
    )


def test_doctor_names_each_broken_part(tmp_path: Path) -> None:
    printer = EmulatedPrinter("ok")
    dead_port = printer.port
    printer.close()
    cfg = parse_config(
        {
            "counter": {"data_dir": str(tmp_path / "data"), "demo_data": False},
            "printer": [
                {"name": "quay", "transport": "network", "target": f"127.0.0.1:{dead_port}"},
                {
                    "name": "chu",
                    "transport": "preview",
                    "target": str(tmp_path / "p"),
                    "mode": "text-tcvn3",
                    "profile": "POS-5890",
                    "paper_width_dots": 384,
                },
                {"name": "tot", "transport": "preview", "target": str(tmp_path / "q")},
            ],
            "portal": {"url": "http://127.0.0.1:9"},
        },
        source=tmp_path / "config.toml",
    )
    ok, checks = run_doctor(cfg)
    lines = {c.what: c for c in checks}
    assert not ok
    assert lines["Kho dữ liệu"].ok and lines["Danh mục thủ tục"].ok
    assert not lines["Máy in “quay”"].ok
    assert "không kết nối được" in lines["Máy in “quay”"].detail
    assert not lines["Máy in “chu”"].ok  # a profile without TCVN-3 in text mode
    assert "raster" in lines["Máy in “chu”"].detail
    assert lines["Máy in “tot”"].ok
    assert not lines["Cổng dịch vụ công"].ok


def test_doctor_all_green_exits_zero(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[counter]\ndata_dir = "{tmp_path / "data"}"\ndemo_data = false\n'
        f'[printer]\ntransport = "preview"\ntarget = "{tmp_path / "p"}"\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from counter_cli import main; main()",
            "--config",
            str(cfg),
            "doctor",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✗" not in done.stdout and "✓ Máy in" in done.stdout


def test_printer_test_page_carries_every_letter_and_a_readable_qr(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    message = print_test_page(cfg, None)
    assert "preview" in message
    data = (tmp_path / "p" / "test-page.bin").read_bytes()
    image = decode_raster(data, 576)
    assert [b.text for b in zxingcpp.read_barcodes(image)] == ["https://example.vn/tra-cuu/TEST"]
    # The page's text is the 134 letters: lay out the document and check them.
    from printing.blocks import Text
    from printing.layout import layout
    from printing.letters import ALL
    from printing.testpage import build_self_test

    doc = build_self_test(cfg.printers[0], cfg_now())
    printed = "".join(s.text for b in layout(doc) if isinstance(b, Text) for s in b.spans)
    assert all(letter in printed for letter in ALL) and len(ALL) == 134


def cfg_now():
    from counter.timeutil import system_clock

    return system_clock()


def test_doctor_says_when_the_hub_refuses_this_counters_token(tmp_path: Path) -> None:
    from dataclasses import replace

    from counter.queue import QueueSettings
    from portal.hub.app import Hub, create_app
    from portal.hub.server import serve_in_thread

    token = "centre-secret-0123456789"
    hub = Hub(tmp_path / "hub.sqlite3", replace(QueueSettings(), hub_token=token))
    running = serve_in_thread(create_app(hub))
    try:
        for given, ok in (("", False), ("another-secret-987654321", False), (token, True)):
            cfg = parse_config(
                {
                    "counter": {"data_dir": str(tmp_path / "data"), "demo_data": False},
                    "queue": {"hub_url": running.url, "hub_token": given},
                },
                source=tmp_path / "config.toml",
            )
            check = {c.what: c for c in run_doctor(cfg)[1]}["Máy chủ hàng đợi"]
            assert check.ok is ok, check.detail
            if not ok:
                assert "hub_token" in check.detail
    finally:
        running.stop()


def test_doctor_reports_the_signing_key_file_and_the_witness(tmp_path: Path) -> None:
    """A key left in the store, a key file others can read, a witness refusal: each a ✗."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from counter import signing, witness
    from counter.store import Store

    cfg = _config(tmp_path)
    store = Store(cfg.db_path)
    old = Ed25519PrivateKey.generate().private_bytes_raw().hex()
    store.set_setting(signing.KEY_SETTING, old)
    lines = {c.what: c for c in run_doctor(cfg)[1]}
    assert not lines["Khóa ký bản xuất"].ok and "trong kho" in lines["Khóa ký bản xuất"].detail
    assert store.get_setting(signing.KEY_SETTING) == old  # the doctor changed nothing

    signing.move_key_out_of_store(store)
    path = signing.key_path(store)
    path.chmod(0o644)
    line = {c.what: c for c in run_doctor(cfg)[1]}["Khóa ký bản xuất"]
    assert not line.ok and "chmod 600" in line.detail and oct(path.stat().st_mode)[-3:] == "644"
    path.chmod(0o600)
    line = {c.what: c for c in run_doctor(cfg)[1]}["Khóa ký bản xuất"]
    assert line.ok and signing.key_id(signing.stored_public_key(store) or "") in line.detail

    store.set_setting(witness.K_LAST_ERROR, "cổng không chứng thực nhật ký (audit_rollback)")
    line = {c.what: c for c in run_doctor(cfg)[1]}["Chứng thực nhật ký"]
    assert not line.ok and "audit_rollback" in line.detail
    store.close()
