"""Transports against real sockets and folders: exact bytes, clear failures."""

from __future__ import annotations

import socket
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from counter.config import PrinterConfig
from counter.timeutil import VN_TZ
from printing.documents import TicketData
from printing.errors import PrinterConfigError, PrinterUnavailable
from printing.render import render_job
from printing.transports import (
    PAPER_STATUS,
    FileTransport,
    NetworkTransport,
    PreviewTransport,
    open_transport,
    parse_host_port,
)
from tests.support.printer_emulator import EmulatedPrinter

AT = datetime(2026, 11, 26, 8, 15, tzinfo=VN_TZ)


def _job() -> bytes:
    return render_job(TicketData("A015", "Tư pháp", AT, 2, "Trung tâm"), PrinterConfig()).data


def test_network_transport_delivers_exact_bytes() -> None:
    data = _job()
    printer = EmulatedPrinter("ok", answers_status=False)
    try:
        transport = open_transport(PrinterConfig(transport="network", target=printer.target))
        assert isinstance(transport, NetworkTransport)
        transport.send(data, timeout=5)
        assert printer.wait_read()
        # The paper-sensor query goes first (unanswered here), then exactly the job's bytes.
        assert [bytes(r) for r in printer.raw] == [PAPER_STATUS + data]
    finally:
        printer.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_refused_connection_is_printer_unavailable() -> None:
    with pytest.raises(PrinterUnavailable) as err:
        NetworkTransport("127.0.0.1", _free_port()).send(b"\x1b@", timeout=2)
    assert "từ chối kết nối" in err.value.reason_vi


def test_host_port_parsing() -> None:
    assert parse_host_port("192.168.1.50") == ("192.168.1.50", 9100)
    assert parse_host_port("printer.local:9101") == ("printer.local", 9101)
    assert parse_host_port("[fe80::1]:9100") == ("fe80::1", 9100)
    for bad in ("", "a:b:c", "host:70000"):
        with pytest.raises(PrinterConfigError):
            parse_host_port(bad)


def test_preview_writes_png_and_bin(tmp_path: Path) -> None:
    data = _job()
    transport = open_transport(PrinterConfig(transport="preview", target=str(tmp_path / "out")))
    assert isinstance(transport, PreviewTransport)
    transport.send(data, job_id="job-1")
    assert (tmp_path / "out" / "job-1.bin").read_bytes() == data
    with Image.open(tmp_path / "out" / "job-1.png") as png:
        assert png.width == 576 and png.height > 100


def test_file_transport_appends_and_reports_errors(tmp_path: Path) -> None:
    target = tmp_path / "lp0"
    FileTransport(target).send(b"one")
    FileTransport(target).send(b"two")
    assert target.read_bytes() == b"onetwo"
    with pytest.raises(PrinterUnavailable):
        FileTransport(tmp_path / "missing" / "lp0").send(b"x")


def test_bad_targets_are_config_errors() -> None:
    with pytest.raises(PrinterConfigError):
        open_transport(PrinterConfig(transport="usb", target="printer"))
    with pytest.raises(PrinterConfigError):
        open_transport(PrinterConfig(transport="bluetooth"))


def test_cups_failure_is_unavailable() -> None:
    transport = open_transport(PrinterConfig(transport="cups", target="no-such-queue-xyz"))
    with pytest.raises(PrinterUnavailable):
        transport.send(b"\x1b@", timeout=5)


def test_serial_transport_writes_the_job_to_the_port() -> None:
    """Through python-escpos's Serial connector (pyserial) onto a pseudo-terminal: the
    bytes that come out of the other end are exactly the job."""
    import os
    import select
    import tty

    data = _job()
    master, slave = os.openpty()
    try:
        tty.setraw(master)
        transport = open_transport(
            PrinterConfig(transport="serial", target=f"{os.ttyname(slave)}:19200")
        )
        transport.send(data, timeout=5)
        received = b""
        while len(received) < len(data) and select.select([master], [], [], 5)[0]:
            received += os.read(master, 65536)
        assert received == data
    finally:
        os.close(master)
        os.close(slave)


def test_usb_transport_without_the_device_says_so() -> None:
    """pyusb is installed; with no such printer plugged in the job stays pending with a
    clear reason instead of crashing."""
    transport = open_transport(PrinterConfig(transport="usb", target="0x04b8:0x0e15"))
    with pytest.raises(PrinterUnavailable, match="USB"):
        transport.send(b"\x1b@", timeout=1)


def test_confirmation_waits_for_the_answer_to_its_own_status_query() -> None:
    """A raster job can hold the bytes of status queries by chance; the printer answers them
    as it reads. The job is confirmed only by the answer to the query sent after it, when the
    printer has read every byte."""
    data = b"\x1b@" + b"A" * 30_000 + PAPER_STATUS + b"B" * 30_000 + b"\x10\x04\x01" + b"C" * 20_000
    printer = EmulatedPrinter("keep_open", rate=400_000)
    try:
        NetworkTransport("127.0.0.1", printer.port).send(data, timeout=5)
        assert printer.jobs == [data]  # all of it read when send() returned
    finally:
        printer.close()


def test_keep_open_without_status_is_uncertain_and_reset_before_the_job_is_not() -> None:
    from printing.errors import DeliveryUncertain

    silent = EmulatedPrinter("keep_open", answers_status=False)
    reset = EmulatedPrinter("reset")
    try:
        with pytest.raises(DeliveryUncertain, match="không rõ phiếu đã in chưa"):
            NetworkTransport("127.0.0.1", silent.port).send(_job(), timeout=0.5)
        with pytest.raises(PrinterUnavailable, match="chưa gửi gì"):
            NetworkTransport("127.0.0.1", reset.port).send(_job(), timeout=0.5)
    finally:
        silent.close()
        reset.close()


def test_device_failing_mid_job_is_uncertain_but_missing_device_is_not(tmp_path: Path) -> None:
    """/dev/full opens and then refuses the write (ENOSPC), like a USB printer unplugged
    mid-job: the receipt may be half out, so it is uncertain. A device that does not open at
    all sent nothing."""
    from printing.errors import DeliveryUncertain
    from printing.transports import EscposTransport

    with pytest.raises(DeliveryUncertain, match="giữa chừng"):
        FileTransport(Path("/dev/full")).send(b"\x1b@" + b"x" * 100_000)
    with pytest.raises(PrinterUnavailable):
        FileTransport(tmp_path / "no-such-dir" / "lp0").send(b"\x1b@")

    class Unplugged:
        def _raw(self, data: bytes) -> None:
            raise OSError(19, "No such device")

        def close(self) -> None:
            pass

    with pytest.raises(DeliveryUncertain, match="giữa chừng"):
        EscposTransport("USB", lambda _t: Unplugged(), "04b8:0e15").send(b"\x1b@")

    def not_found(_timeout: float) -> object:
        raise OSError("USB device not found")

    with pytest.raises(PrinterUnavailable):
        EscposTransport("USB", not_found, "04b8:0e15").send(b"\x1b@")
