"""Moving job bytes to a printer; every failure becomes PrinterUnavailable in plain Vietnamese.

Transports know nothing about documents: the spool retries a job that raised.
"""

from __future__ import annotations

import re
import socket
import subprocess
import uuid
from pathlib import Path
from typing import Any, Protocol

from counter.config import PrinterConfig

from .errors import PrinterConfigError, PrinterUnavailable

DEFAULT_PORT = 9100


class Transport(Protocol):
    def send(self, data: bytes, timeout: float = 10.0, *, job_id: str | None = None) -> None: ...


# DLE EOT 4: "transmit paper roll sensor status" (a real-time command every Epson-class
# printer answers with one byte; bits 5 and 6 set = paper end). Printers that do not answer
# simply print: the check only waits STATUS_WAIT_SECONDS for a reply.
PAPER_STATUS = b"\x10\x04\x04"
PAPER_END_BITS = 0x60
STATUS_WAIT_SECONDS = 0.3


class NetworkTransport:
    """Raw TCP (port 9100, "JetDirect"), the way almost every LAN receipt printer listens."""

    def __init__(self, host: str, port: int = DEFAULT_PORT):
        self.host, self.port = host, port

    @staticmethod
    def _paper_out(sock: socket.socket, timeout: float) -> bool:
        """Ask the printer for its paper sensor; True only when it says the roll is out."""
        sock.sendall(PAPER_STATUS)
        sock.settimeout(STATUS_WAIT_SECONDS)
        try:
            reply = sock.recv(1)
        except TimeoutError:
            return False  # no status support: print as usual
        finally:
            sock.settimeout(timeout)
        return bool(reply) and (reply[0] & PAPER_END_BITS) == PAPER_END_BITS

    def send(self, data: bytes, timeout: float = 10.0, *, job_id: str | None = None) -> None:
        where = f"{self.host}:{self.port}"
        try:
            with socket.create_connection((self.host, self.port), timeout=timeout) as sock:
                sock.settimeout(timeout)
                if self._paper_out(sock, timeout):
                    raise PrinterUnavailable(
                        f"Máy in {where} hết giấy: thay cuộn giấy, phiếu sẽ tự in lại",
                        f"printer {where} is out of paper",
                    )
                sock.sendall(data)
                sock.shutdown(socket.SHUT_WR)
                # A port-9100 printer closes its side once it has read the whole job; waiting
                # for that close is the only delivery receipt raw TCP gives. A stalled printer
                # times out here and one that dropped the job resets: both stay in the spool.
                while sock.recv(4096):
                    pass
        except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
            raise PrinterUnavailable(
                f"Máy in {where} ngắt kết nối giữa chừng: lệnh in sẽ được gửi lại",
                f"printer {where} reset the connection mid-job",
            ) from None
        except ConnectionRefusedError:
            raise PrinterUnavailable(
                f"Máy in {where} từ chối kết nối: máy đang tắt hoặc sai cổng",
                f"printer {where} refused the connection",
            ) from None
        except TimeoutError:
            raise PrinterUnavailable(
                f"Máy in {where} không phản hồi sau {timeout:g} giây: kiểm tra nguồn và dây mạng",
                f"printer {where} timed out after {timeout:g} s",
            ) from None
        except OSError as exc:
            raise PrinterUnavailable(
                f"Không gửi được tới máy in {where}: {exc.strerror or exc}",
                f"cannot reach printer {where}: {exc}",
            ) from None


class FileTransport:
    """A device node (/dev/usb/lp0) or a plain file that collects jobs."""

    def __init__(self, path: Path):
        self.path = path

    def send(self, data: bytes, timeout: float = 10.0, *, job_id: str | None = None) -> None:
        try:
            with open(self.path, "ab") as out:
                out.write(data)
        except OSError as exc:
            raise PrinterUnavailable(
                f"Không ghi được vào máy in {self.path}: {exc.strerror or exc}",
                f"cannot write to {self.path}: {exc}",
            ) from None


class EscposTransport:
    """USB or serial through python-escpos connectors, opened per job and always closed."""

    def __init__(self, kind: str, factory: Any, label: str):
        self.kind, self.factory, self.label = kind, factory, label

    def send(self, data: bytes, timeout: float = 10.0, *, job_id: str | None = None) -> None:
        try:
            printer = self.factory(timeout)
            try:
                printer._raw(data)
            finally:
                printer.close()
        except Exception as exc:  # the connectors raise many unrelated types
            raise PrinterUnavailable(
                f"Không gửi được tới máy in {self.kind} {self.label}: {exc}",
                f"{self.kind} printer {self.label} failed: {exc}",
            ) from None


class CupsTransport:
    """A CUPS queue, raw: `lp -d QUEUE -o raw` (no pycups needed)."""

    def __init__(self, queue: str):
        self.queue = queue

    def send(self, data: bytes, timeout: float = 10.0, *, job_id: str | None = None) -> None:
        cmd = ["lp", "-d", self.queue, "-o", "raw"]
        if job_id:
            cmd += ["-t", job_id]
        try:
            done = subprocess.run(
                cmd, input=data, capture_output=True, timeout=timeout, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PrinterUnavailable(
                f"Không gửi được tới hàng in CUPS '{self.queue}': {exc}",
                f"CUPS queue {self.queue}: {exc}",
            ) from None
        if done.returncode != 0:
            why = done.stderr.decode("utf-8", "replace").strip()
            raise PrinterUnavailable(
                f"Hàng in CUPS '{self.queue}' từ chối lệnh in: {why}",
                f"CUPS queue {self.queue} refused the job: {why}",
            )


class PreviewTransport:
    """No printer: writes `<job-id>.bin` (the exact bytes) and `<job-id>.png` (what they print)."""

    def __init__(self, folder: Path, paper_width: int | None = None):
        self.folder, self.paper_width = folder, paper_width

    def send(self, data: bytes, timeout: float = 10.0, *, job_id: str | None = None) -> None:
        from .decode import decode_raster

        name = job_id or uuid.uuid4().hex
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / f"{name}.bin").write_bytes(data)
            decode_raster(data, self.paper_width).save(self.folder / f"{name}.png")
        except OSError as exc:
            raise PrinterUnavailable(
                f"Không ghi được bản xem trước vào {self.folder}: {exc.strerror or exc}",
                f"cannot write the preview to {self.folder}: {exc}",
            ) from None


def parse_host_port(target: str) -> tuple[str, int]:
    """'10.0.0.5', '10.0.0.5:9100', 'printer.local:9101' or '[fe80::1]:9100'."""
    m = re.fullmatch(
        r"\[(?P<v6>[^\]]+)\](?::(?P<p6>\d+))?|(?P<host>[^:\s]+)(?::(?P<port>\d+))?", target.strip()
    )
    if not m:
        raise PrinterConfigError(
            f"địa chỉ máy in mạng không hợp lệ: '{target}' (dạng 192.168.1.50:9100)",
            f"bad network printer address {target!r} (expected host:port)",
        )
    host = m.group("v6") or m.group("host")
    port = int(m.group("p6") or m.group("port") or DEFAULT_PORT)
    if not 0 < port < 65536:
        raise PrinterConfigError(f"cổng máy in không hợp lệ: {port}", f"bad port {port}")
    return host, port


def _usb(target: str) -> EscposTransport:
    m = re.fullmatch(r"(?:0x)?([0-9a-fA-F]{4}):(?:0x)?([0-9a-fA-F]{4})", target.strip())
    if not m:
        raise PrinterConfigError(
            f"máy in USB cần target dạng 'VID:PID' (ví dụ 04b8:0202), không phải '{target}'",
            f"USB target must be VID:PID, got {target!r}",
        )
    vid, pid = int(m.group(1), 16), int(m.group(2), 16)

    def factory(timeout: float) -> Any:
        from escpos.printer import Usb

        return Usb(vid, pid, timeout=int(timeout * 1000))

    return EscposTransport("USB", factory, target)


def _serial(target: str) -> EscposTransport:
    dev, _, baud = target.partition(":")
    rate = int(baud) if baud.isdigit() else 9600

    def factory(timeout: float) -> Any:
        from escpos.printer import Serial

        printer = Serial(devfile=dev, baudrate=rate, timeout=timeout)
        printer.open()
        return printer

    return EscposTransport("cổng COM", factory, target)


def open_transport(printer: PrinterConfig) -> Transport:
    """The transport named by `printer.transport`, its target checked but nothing opened yet."""
    kind, target = printer.transport, printer.target
    if kind == "network":
        return NetworkTransport(*parse_host_port(target))
    if kind == "file":
        return FileTransport(Path(target))
    if kind == "preview":
        return PreviewTransport(Path(target), printer.paper_width_dots)
    if kind == "cups":
        return CupsTransport(target)
    if kind == "usb":
        return _usb(target)
    if kind == "serial":
        return _serial(target)
    raise PrinterConfigError(
        f"kiểu kết nối máy in không hợp lệ: '{kind}'", f"unknown transport {kind!r}"
    )
