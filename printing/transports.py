"""Moving job bytes to a printer, and saying honestly whether they arrived.

`send` returns when the job is confirmed; it raises PrinterUnavailable (in plain Vietnamese)
when nothing of the job left, so the spool may retry it, and DeliveryUncertain when some bytes
left without a confirmation, so a person decides. Transports know nothing about documents.
"""

from __future__ import annotations

import contextlib
import re
import socket
import struct
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Protocol

from counter.config import PrinterConfig

from .errors import DeliveryUncertain, PrinterConfigError, PrinterUnavailable

DEFAULT_PORT = 9100


class Transport(Protocol):
    def send(self, data: bytes, timeout: float = 10.0, *, job_id: str | None = None) -> None: ...


# DLE EOT 4: "transmit paper roll sensor status", a real-time command every Epson-class
# printer answers with one byte (0xx1xx10: bits 5 and 6 set = paper end) as soon as it reads it.
# Sent before the job it says whether the roll is there; sent after the job, its answer proves
# the printer has read every byte before it. Printers that never answer are still served: the
# first query waits only STATUS_WAIT_SECONDS, then delivery is proved by the printer closing.
PAPER_STATUS = b"\x10\x04\x04"
PAPER_END_BITS = 0x60
STATUS_WAIT_SECONDS = 0.3
# A printer still reading counts as alive: the wait for its answer after the job grows with the
# job's size at this pace (slower than any LAN receipt printer), on top of the send timeout.
SLOWEST_PRINTER_BYTES_PER_SECOND = 8_000
SEND_CHUNK = 4096


def _is_paper_status(byte: int) -> bool:
    """The fixed bits of a DLE EOT 4 reply (bit 1 and bit 4 set, bits 0 and 7 clear)."""
    return byte & 0x93 == 0x12


def status_queries_in(data: bytes) -> int:
    """How many real-time status queries (DLE EOT 1–4) the job's bytes hold by chance."""
    return sum(data.count(b"\x10\x04" + bytes([n])) for n in range(1, 5))


def abort(sock: socket.socket) -> None:
    """Close with a reset (SO_LINGER 0): the kernel drops what the printer has not taken yet
    instead of delivering it later, so an abandoned job cannot print behind our back."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class NetworkTransport:
    """Raw TCP (port 9100, "JetDirect"), the way almost every LAN receipt printer listens.

    `send` returns only when the printer confirmed the whole job: it answered the status query
    sent after the job, or (printers without status) it closed its side after reading. It
    raises PrinterUnavailable when no byte of the job left (safe to send again) and
    DeliveryUncertain when bytes left without a confirmation (never resent by itself).
    """

    def __init__(self, host: str, port: int = DEFAULT_PORT):
        self.host, self.port = host, port

    @staticmethod
    def _status(sock: socket.socket, wait: float, replies: int = 1) -> int | None:
        """Send DLE EOT 4 and return the printer's paper status byte, or None after `wait`.

        `replies` counts the status answers due before ours: a raster job can hold the bytes
        of a real-time status query by chance, and the printer answers those too; taking
        one of them for ours would confirm the job before the printer has read all of it."""
        sock.sendall(PAPER_STATUS)
        deadline = time.monotonic() + wait
        answers: list[int] = []
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                reply = sock.recv(64)
            except TimeoutError:
                return None
            if not reply:
                raise ConnectionResetError("the printer closed the connection")
            answers += [b for b in reply if _is_paper_status(b)]
            if len(answers) >= replies:
                return answers[-1]
        return None

    @staticmethod
    def _closed_by_printer(sock: socket.socket, wait: float) -> bool:
        """Wait for the printer to close its side (its delivery receipt) for `wait` seconds."""
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                if not sock.recv(4096):
                    return True
            except TimeoutError:
                return False
        return False

    def send(self, data: bytes, timeout: float = 10.0, *, job_id: str | None = None) -> None:
        where = f"{self.host}:{self.port}"
        try:
            sock = socket.create_connection((self.host, self.port), timeout=timeout)
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
            raise _failure(where, exc, timeout, 0) from None
        sent = 0
        try:
            before = self._status(sock, STATUS_WAIT_SECONDS)
            if before is not None and before & PAPER_END_BITS == PAPER_END_BITS:
                raise PrinterUnavailable(
                    f"Máy in {where} hết giấy: thay cuộn giấy, phiếu sẽ tự in lại",
                    f"printer {where} is out of paper",
                )
            view = memoryview(data)
            sock.settimeout(timeout)  # per chunk: a slow printer that keeps reading is fine
            while sent < len(data):
                sent += sock.send(view[sent : sent + SEND_CHUNK])
            wait = timeout + len(data) / SLOWEST_PRINTER_BYTES_PER_SECOND
            if before is not None:
                after = self._status(sock, wait, 1 + status_queries_in(data))
                if after is None:
                    raise TimeoutError
                if after & PAPER_END_BITS == PAPER_END_BITS:
                    raise DeliveryUncertain(
                        f"Máy in {where} hết giấy giữa chừng: xem phiếu có in đủ không",
                        f"printer {where} ran out of paper during the job",
                    )
                sock.shutdown(socket.SHUT_WR)
                sock.close()
                return
            sock.shutdown(socket.SHUT_WR)
            if not self._closed_by_printer(sock, wait):
                raise TimeoutError
            sock.close()
        except (PrinterUnavailable, DeliveryUncertain):
            abort(sock)
            raise
        except OSError as exc:
            abort(sock)
            raise _failure(where, exc, timeout, sent) from None


def _failure(
    where: str, exc: OSError, timeout: float, sent: int
) -> PrinterUnavailable | DeliveryUncertain:
    """Say what went wrong, and whether the job may have printed (some bytes had left)."""
    if isinstance(exc, TimeoutError):
        vi, en = (
            f"Máy in {where} không phản hồi sau {timeout:g} giây",
            f"printer {where} did not answer within {timeout:g} s",
        )
    elif isinstance(exc, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        vi, en = f"Máy in {where} ngắt kết nối giữa chừng", f"printer {where} reset the connection"
    else:
        vi, en = (
            f"Không gửi được tới máy in {where}: {exc.strerror or exc}",
            f"cannot send to printer {where}: {exc}",
        )
    if sent:
        return DeliveryUncertain(
            vi + ": không rõ phiếu đã in chưa, không tự in lại",
            en + "; the job may have printed, so it is not sent again by itself",
        )
    return PrinterUnavailable(
        vi + ": chưa gửi gì, phiếu sẽ tự in lại", en + "; nothing was sent, it will retry"
    )


class FileTransport:
    """A device node (/dev/usb/lp0) or a plain file that collects jobs."""

    def __init__(self, path: Path):
        self.path = path

    def send(self, data: bytes, timeout: float = 10.0, *, job_id: str | None = None) -> None:
        try:
            out = open(self.path, "ab")  # noqa: SIM115 (a failed open sent nothing)
        except OSError as exc:
            raise PrinterUnavailable(
                f"Không ghi được vào máy in {self.path}: {exc.strerror or exc}",
                f"cannot write to {self.path}: {exc}",
            ) from None
        try:
            with out:
                out.write(data)
        except OSError as exc:  # part of the job may be on paper already
            raise DeliveryUncertain(
                f"Ghi vào máy in {self.path} bị lỗi giữa chừng ({exc.strerror or exc}): "
                "không rõ phiếu đã in chưa",
                f"writing to {self.path} failed mid-job: {exc}",
            ) from None


class EscposTransport:
    """USB or serial through python-escpos connectors, opened per job and always closed."""

    def __init__(self, kind: str, factory: Any, label: str):
        self.kind, self.factory, self.label = kind, factory, label

    def send(self, data: bytes, timeout: float = 10.0, *, job_id: str | None = None) -> None:
        try:
            printer = self.factory(timeout)
        except Exception as exc:  # the connectors raise many unrelated types
            raise PrinterUnavailable(
                f"Không gửi được tới máy in {self.kind} {self.label}: {exc}",
                f"{self.kind} printer {self.label} failed: {exc}",
            ) from None
        try:
            printer._raw(data)
        except Exception as exc:  # opened, then failed while writing: maybe part printed
            raise DeliveryUncertain(
                f"Máy in {self.kind} {self.label} lỗi giữa chừng ({exc}): không rõ phiếu đã in chưa",
                f"{self.kind} printer {self.label} failed mid-job: {exc}",
            ) from None
        finally:
            with contextlib.suppress(Exception):
                printer.close()


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
        except subprocess.TimeoutExpired as exc:  # CUPS may have queued it after all
            raise DeliveryUncertain(
                f"Hàng in CUPS '{self.queue}' không trả lời sau {timeout:g} giây: "
                "không rõ lệnh in đã vào hàng chưa",
                f"CUPS queue {self.queue}: {exc}",
            ) from None
        except OSError as exc:
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
        from .escpos_lib import Usb

        printer = Usb(vid, pid, timeout=int(timeout * 1000))
        printer.open()  # fail here, before a byte is written, when it is not plugged in
        return printer

    return EscposTransport("USB", factory, target)


def _serial(target: str) -> EscposTransport:
    dev, _, baud = target.partition(":")
    rate = int(baud) if baud.isdigit() else 9600

    def factory(timeout: float) -> Any:
        from .escpos_lib import Serial

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
