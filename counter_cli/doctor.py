"""`counter doctor` and `counter printer test`: say what is wrong, in plain words.

The doctor checks each part a counter depends on — config, store, catalogue, printers,
portal, queue hub — without changing anything, and prints one line per check.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from counter.config import Config, PrinterConfig
from counter.errors import CounterError
from counter.timeutil import system_clock


@dataclass(frozen=True)
class Check:
    ok: bool
    what: str
    detail: str

    def line(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.what}: {self.detail}"


def _store(config: Config) -> Check:
    from counter.store import SCHEMA_VERSION, Store

    try:
        store = Store(config.db_path)
        try:
            result = store.conn.execute("PRAGMA quick_check").fetchone()[0]
            version = store.version
        finally:
            store.close()
    except Exception as exc:
        return Check(False, "Kho dữ liệu", f"không mở được {config.db_path}: {exc}")
    if result != "ok":
        return Check(False, "Kho dữ liệu", f"{config.db_path} bị hỏng: {result}")
    return Check(True, "Kho dữ liệu", f"{config.db_path} (phiên bản {version}/{SCHEMA_VERSION})")


def _data_folder(config: Config) -> Check:
    """How big the data folder is, and what the retention cleanup would free now."""
    from counter.retention import describe, folder_size, plan
    from counter.store import Store

    what = "Thư mục dữ liệu"
    try:
        store = Store(config.db_path)
        try:
            would = plan(store, config, system_clock())
        finally:
            store.close()
    except Exception as exc:
        return Check(False, what, f"không đọc được {config.data_dir}: {exc}")
    size = folder_size(config.data_dir)
    return Check(
        True, what, f"{config.data_dir}: {size / 1_000_000:.1f} MB; {describe(would, done=False)}"
    )


def _catalogue(config: Config) -> Check:
    from counter.catalogue import load_catalogue

    try:
        cat = load_catalogue(config.counter.catalogue)
    except Exception as exc:
        return Check(False, "Danh mục thủ tục", str(exc))
    return Check(
        True, "Danh mục thủ tục", f"{len(cat.procedures)} thủ tục, {len(cat.fields())} lĩnh vực"
    )


def printer_reachable(printer: PrinterConfig, timeout: float = 3.0) -> tuple[bool, str]:
    """Can we reach the printer without printing anything?"""
    if printer.transport in ("preview", "file"):
        path = Path(printer.target)
        folder = path if printer.transport == "preview" else path.parent
        if folder.exists():
            if not os.access(folder, os.W_OK):
                return False, f"không ghi được vào {folder}"
            return True, f"ghi vào {path}"
        if printer.transport == "file":  # a device node is not created: it must exist
            return False, f"không có thư mục {folder} (máy in đã cắm chưa?)"
        # The preview folder is created with its parents at the first job: what matters is
        # the nearest folder that exists, however deep the missing part goes.
        existing = next(p for p in folder.parents if p.exists())
        if not existing.is_dir() or not os.access(existing, os.W_OK):
            return False, f"không tạo được thư mục {folder} (không ghi được vào {existing})"
        return True, f"ghi vào {path} (thư mục sẽ được tạo)"
    if printer.transport == "network":
        from printing.transports import parse_host_port

        host, port = parse_host_port(printer.target)
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return True, f"kết nối được {host}:{port}"
        except OSError as exc:
            return (
                False,
                f"không kết nối được {host}:{port} ({exc.strerror or exc}): "
                "kiểm tra nguồn, dây mạng và địa chỉ IP",
            )
    if printer.transport == "cups":
        lpstat = shutil.which("lpstat")
        if lpstat is None:
            return False, "máy chưa cài CUPS (lệnh lpstat)"
        done = subprocess.run(
            [lpstat, "-p", printer.target], capture_output=True, text=True, timeout=timeout
        )
        return done.returncode == 0, (done.stdout or done.stderr).strip() or printer.target
    if printer.transport == "serial":
        return Path(printer.target.split(":")[0]).exists(), f"cổng {printer.target}"
    return True, f"{printer.transport} {printer.target} (chỉ kiểm tra khi in thử)"


def _printer(printer: PrinterConfig) -> Iterator[Check]:
    from printing.checks import printer_problems
    from printing.render import render_job
    from printing.testpage import build_self_test

    what = f"Máy in “{printer.name}”"
    problems = printer_problems(printer)
    if problems:
        yield Check(False, what, "; ".join(problems))
        return
    try:
        render_job(build_self_test(printer, system_clock()), printer)
    except CounterError as exc:
        yield Check(False, what, exc.vi)
        return
    ok, detail = printer_reachable(printer)
    yield Check(
        ok, what, f"{printer.profile}, {printer.mode}, {printer.paper_width_dots} chấm; {detail}"
    )


def _http(what: str, url: str, timeout: float) -> Check:
    import httpx

    try:
        response = httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        return Check(False, what, f"không kết nối được {url}: {exc}")
    if response.status_code >= 500:
        return Check(False, what, f"{url} trả lỗi {response.status_code}")
    return Check(True, what, f"{url} trả lời ({response.status_code})")


def _privacy(config: Config) -> list[Check]:
    """Owner-only data folder; a config holding secrets not readable by others; no spent
    enrollment code left behind (issue 19)."""
    from counter.private import is_private
    from counter.store import Store
    from counter.sync import K_USED_CODE, code_hash

    what = "Bảo mật tệp"
    out: list[Check] = []
    folder = config.db_path.parent
    loose = [
        p.name
        for p in (folder, *sorted(folder.glob("counter*")))
        if p.exists() and not is_private(p)
    ]
    if loose:
        out.append(Check(False, what, f"người khác đọc được {', '.join(loose)}: chmod 700/600"))
    else:
        out.append(Check(True, what, f"{folder} chỉ chủ sở hữu đọc được"))
    source = config.source
    secret_in_config = bool(config.portal.enrollment_code.strip() or config.queue.hub_token)
    if source is not None and source.is_file() and secret_in_config and not is_private(source):
        out.append(
            Check(False, "Cấu hình", f"{source} có mã bí mật nhưng người khác đọc được: chmod 600")
        )
    code = config.portal.enrollment_code.strip()
    if code and config.db_path.is_file():
        store = Store(config.db_path)
        try:
            used = store.get_setting(K_USED_CODE) == code_hash(code, config.portal.url)
        finally:
            store.close()
        if used:
            out.append(
                Check(
                    False,
                    "Mã đăng ký",
                    "đã dùng: xoá [portal] enrollment_code khỏi cấu hình (không dùng lại được)",
                )
            )
    return out


def run_doctor(config: Config) -> tuple[bool, list[Check]]:
    checks = [
        Check(True, "Cấu hình", str(config.source or "mặc định")),
        *_privacy(config),  # before the store is opened (opening it tightens its files)
        _store(config),
        _data_folder(config),
        _catalogue(config),
    ]
    for printer in config.printers:
        checks.extend(_printer(printer))
    if config.portal.url:
        checks.append(_http("Cổng dịch vụ công", config.portal.url, 5.0))
    else:
        checks.append(Check(True, "Cổng dịch vụ công", "chưa cấu hình (chỉ làm việc ngoại tuyến)"))
    if config.queue.hub_url:
        checks.append(_hub(config))
    checks.extend(_signing(config))
    checks.append(_backups(config))
    checks.append(_log(config))
    return all(c.ok for c in checks), checks


def _backups(config: Config) -> Check:
    """The newest backup of the store and its age (informational)."""
    from counter.backup import backup_folder, backups

    folder = backup_folder(config)
    found = backups(folder)
    if not found:
        return Check(True, "Sao lưu", f"chưa có bản sao lưu nào trong {folder} (counter backup)")
    newest = found[-1]
    return Check(True, "Sao lưu", f"{len(found)} bản trong {folder}; mới nhất {newest.name}")


def _log(config: Config) -> Check:
    """The last warnings and errors of the log (informational: a past error is no failure)."""
    from counter.logs import last_errors, log_path

    path = log_path(config.data_dir)
    errors = last_errors(config.data_dir, 10)
    if not errors:
        return Check(True, "Nhật ký", f"{path}: không có lỗi gần đây")
    lines = "\n".join(f"    {line}" for line in errors)
    return Check(True, "Nhật ký", f"{path}: {len(errors)} cảnh báo/lỗi gần nhất:\n{lines}")


def _signing(config: Config) -> Iterator[Check]:
    """The signing key's file and mode, and how far the portal has witnessed the audit trail
    (read only: the doctor changes nothing)."""
    from counter import signing, witness
    from counter.store import Store

    what = "Khóa ký bản xuất"
    if not config.db_path.is_file():
        return
    try:
        store = Store(config.db_path, migrate=False)
    except Exception:
        return  # the store check above says why
    try:
        path = signing.key_path(store)
        if store.get_setting(signing.KEY_SETTING) is not None:
            yield Check(
                False, what, "khóa còn nằm trong kho dữ liệu: mở ứng dụng một lần để chuyển ra tệp"
            )
        elif not path.exists():
            yield Check(True, what, "chưa tạo (tạo khi đăng ký với cổng hoặc xuất lần đầu)")
        else:
            mode = path.stat().st_mode & 0o777
            try:
                fingerprint = signing.key_id(signing.key_file_public(path))
            except signing.SigningKeyError as exc:
                yield Check(False, what, exc.vi)
            else:
                loose = mode & 0o077
                yield Check(
                    not loose,
                    what,
                    f"{path} (quyền {mode:o}{': người khác đọc được, chmod 600' if loose else ''})"
                    f", dấu vân tay {fingerprint}",
                )
        if not config.portal.url:
            return
        what = "Chứng thực nhật ký"
        error = store.get_setting(witness.K_LAST_ERROR)
        receipt = witness.last_receipt(store)
        if error:
            yield Check(False, what, error)
        elif receipt is None:
            yield Check(True, what, "cổng chưa chứng thực lần nào (chưa đồng bộ)")
        else:
            after = store.conn.execute(
                "SELECT count(*) FROM audit WHERE id > ?", (int(receipt.get("seq", 0)),)
            ).fetchone()[0]
            yield Check(
                True,
                what,
                f"cổng đã chứng thực đến bản ghi số {receipt.get('seq')} "
                f"({receipt.get('witnessed_at')}); {after} bản ghi sau đó chưa được chứng thực",
            )
    finally:
        store.close()


def _hub(config: Config) -> Check:
    """The hub answers this counter's own question (its current ticket), so a wrong or
    missing `[queue] hub_token` shows here, not at the first call of the morning."""
    from counter.errors import CounterError
    from counter.queue_client import HubQueue

    what = "Máy chủ hàng đợi"
    hub = HubQueue.for_config(config)
    try:
        hub.current()
    except CounterError as exc:
        return Check(False, what, str(exc))
    finally:
        hub.close()
    return Check(True, what, f"{config.queue.hub_url} trả lời, quầy {config.counter.number}")


def print_test_page(config: Config, name: str | None) -> str:
    """Send the self-test page (every Vietnamese letter) straight to a printer."""
    from printing.render import render_job
    from printing.testpage import build_self_test
    from printing.transports import open_transport

    printer = next((p for p in config.printers if name in (None, p.name)), None)
    if printer is None:
        names = ", ".join(p.name for p in config.printers)
        raise CounterError(f"Không có máy in “{name}” (có: {names})")
    job = render_job(build_self_test(printer, system_clock()), printer)
    open_transport(printer).send(job.data, 10.0, job_id="test-page")
    return f"Đã gửi trang in thử tới “{printer.name}” ({len(job.data)} byte, chế độ {job.mode})"
