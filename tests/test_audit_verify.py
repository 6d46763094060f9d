"""Tampering with the audit trail or an exported file is detected, and the finding says where."""

from __future__ import annotations

import argparse
import base64
import json
import shutil
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counter import audit_verify, exports, signing
from counter.config import Config
from counter.desk import Desk
from counter_cli.export import add_audit_arguments, run_audit_command, run_audit_verify
from tests.support.builders import CERTIFY, draft_for
from tests.support.clock import FrozenClock

DAY = date(2026, 11, 26)


@pytest.fixture
def exported(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Desk, exports.ExportResult]]:
    """A few dossiers and one signed export of today (CSV hashed in chunks of 10 lines)."""
    monkeypatch.setattr(signing, "CSV_CHUNK_LINES", 10)
    desk.login("canbo", "1234")
    for _ in range(25):
        desk.receive(draft_for(desk, CERTIFY))
    desk.logout()
    desk.login("giamsat", "5678")
    result = exports.export(desk, exports.ExportRequest(DAY, DAY, tmp_path / "exports"))
    yield desk, result


def _drop_triggers(desk: Desk) -> None:
    desk.store.conn.executescript("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;")


def _problems(desk: Desk, folder: Path) -> list[str]:
    report = audit_verify.verify(desk.store, [folder])
    return [str(f) for f in report.problems]


def test_an_untouched_store_and_export_verify(exported: tuple[Desk, exports.ExportResult]) -> None:
    desk, result = exported
    report = audit_verify.verify(desk.store, [result.manifest.parent])
    assert report.ok, report.text()
    assert "không phát hiện thay đổi" in report.text()
    assert any("liền mạch" in str(f) for f in report.findings)


def test_an_edited_audit_row_is_named(exported: tuple[Desk, exports.ExportResult]) -> None:
    desk, result = exported
    _drop_triggers(desk)
    desk.store.conn.execute("UPDATE audit SET username = 'ke_gian' WHERE id = 7")
    problems = _problems(desk, result.manifest.parent)
    assert problems == [
        "[LỖI] nhật ký kiểm toán (counter.db): nội dung bản ghi số 7 đã bị sửa (không khớp mã băm)"
    ]


def test_a_deleted_audit_row_is_named(exported: tuple[Desk, exports.ExportResult]) -> None:
    desk, result = exported
    _drop_triggers(desk)
    desk.store.conn.execute("DELETE FROM audit WHERE id IN (10, 11)")
    problems = _problems(desk, result.manifest.parent)
    assert any("thiếu bản ghi từ số 10 đến 11" in p for p in problems), problems
    assert any("bản ghi số 12 không nối" in p for p in problems), problems


def test_an_inserted_audit_row_is_named(exported: tuple[Desk, exports.ExportResult]) -> None:
    """A forged row that hashes correctly on its own still breaks the next row's link."""
    desk, result = exported
    _drop_triggers(desk)
    prev = desk.store.conn.execute("SELECT hash FROM audit WHERE id = 4").fetchone()[0]
    desk.store.conn.execute("DELETE FROM audit WHERE id = 5")
    from counter.audit import _digest

    at = "2026-11-26T09:00:00+07:00"
    forged = _digest(prev, at, None, "ke_gian", "officer.create", "officer:x", "{}")
    desk.store.conn.execute(
        "INSERT INTO audit(id, at, officer_id, username, action, object, details, prev_hash, "
        "hash) VALUES (5, ?, NULL, 'ke_gian', 'officer.create', 'officer:x', '{}', ?, ?)",
        (at, prev, forged),
    )
    problems = _problems(desk, result.manifest.parent)
    assert len(problems) == 1 and "bản ghi số 6 không nối" in problems[0], problems


def test_a_cut_tail_is_caught_by_the_manifest(exported: tuple[Desk, exports.ExportResult]) -> None:
    """Deleting the newest rows leaves a valid chain; the signed manifest remembers the head."""
    desk, result = exported
    _drop_triggers(desk)
    desk.store.conn.execute("DELETE FROM audit WHERE id >= ?", (result.audit_id - 1,))
    assert audit_verify.verify_store(desk.store)[0].problem is False
    problems = _problems(desk, result.manifest.parent)
    assert len(problems) == 1
    assert f"bản ghi nhật ký số {result.audit_id}" in problems[0]
    assert result.manifest.name in problems[0]


def test_an_altered_csv_says_which_rows(exported: tuple[Desk, exports.ExportResult]) -> None:
    desk, result = exported
    csv_path = next(f.path for f in result.files if f.path.suffix == ".csv")
    lines = csv_path.read_bytes().split(b"\r\n")
    lines[14] = lines[14].replace(b"Nguy", b"Ngu", 1)
    csv_path.write_bytes(b"\r\n".join(lines))
    problems = _problems(desk, result.manifest.parent)
    assert len(problems) == 1, problems
    assert csv_path.name in problems[0] and "SHA-256 không khớp" in problems[0]
    assert "dòng 11–20" in problems[0]


def test_an_altered_xlsx_says_which_part(exported: tuple[Desk, exports.ExportResult]) -> None:
    desk, result = exported
    xlsx = next(f.path for f in result.files if f.path.suffix == ".xlsx")
    tampered = xlsx.with_suffix(".tmp")
    with zipfile.ZipFile(xlsx) as zin, zipfile.ZipFile(tampered, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace("Nguyễn".encode(), b"Nguyen", 1)
            zout.writestr(info, data)
    shutil.move(tampered, xlsx)
    problems = _problems(desk, result.manifest.parent)
    assert len(problems) == 1 and xlsx.name in problems[0]
    assert "xl/worksheets/sheet1.xml" in problems[0]


def test_missing_file_edited_manifest_and_foreign_key(
    exported: tuple[Desk, exports.ExportResult],
) -> None:
    desk, result = exported
    folder = result.manifest.parent
    csv_path = next(f.path for f in result.files if f.path.suffix == ".csv")
    csv_path.unlink()
    assert any("thiếu tệp" in p and csv_path.name in p for p in _problems(desk, folder))

    manifest = json.loads(result.manifest.read_bytes())
    manifest["exported_by"]["username"] = "nguoi_khac"
    result.manifest.write_bytes(signing.manifest_bytes(manifest))
    assert any("chữ ký không khớp" in p for p in _problems(desk, folder))

    # Re-signed with another key: the signature holds, but it is not this device's key.
    other = Ed25519PrivateKey.generate()
    manifest["public_key"] = signing.public_key_hex(other)
    data = signing.manifest_bytes(manifest)
    result.manifest.write_bytes(data)
    result.signature.write_bytes(base64.b64encode(other.sign(data)))
    problems = _problems(desk, folder)
    assert any("khóa lạ" in p for p in problems)
    assert not any("chữ ký không khớp" in p for p in problems)


def test_cli_audit_verify(exported: tuple[Desk, exports.ExportResult], config: Config) -> None:
    _, result = exported
    folder = result.manifest.parent
    parser = argparse.ArgumentParser()
    add_audit_arguments(parser)
    ok, report = run_audit_command(config, parser.parse_args([str(folder)]))
    assert ok, report
    (folder / "extra.csv").write_text("a,b\n")
    ok, report = run_audit_verify(config, [folder])
    assert ok and "extra.csv" in report and "không có trong bản kê" in report
    csv_path = next(f.path for f in result.files if f.path.suffix == ".csv")
    csv_path.write_bytes(csv_path.read_bytes() + b"x\r\n")
    ok, report = run_audit_verify(config, [result.manifest])
    assert not ok and csv_path.name in report and "phát hiện 1 vấn đề" in report
    ok, report = run_audit_verify(config, [folder / "nope"], check_store=False)
    assert not ok and "không tồn tại" in report


def test_verify_without_a_store_uses_given_keys(
    exported: tuple[Desk, exports.ExportResult], clock: FrozenClock
) -> None:
    desk, result = exported
    own = signing.stored_public_key(desk.store)
    assert own is not None
    assert audit_verify.verify(None, [result.manifest], trusted_keys=[own]).ok
    report = audit_verify.verify(None, [result.manifest], trusted_keys=["00" * 32])
    assert not report.ok and "khóa lạ" in report.text()
