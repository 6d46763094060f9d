"""`counter audit verify`: is the audit trail intact, and are the exported files as signed?

Three checks, each finding saying *where* in plain Vietnamese:

1. the store's audit trail is walked link by link (`counter.audit.verify_chain`): an edited
   row, a row inserted out of chain and a deleted row are each named by their number;
2. every export manifest in the given folders is checked (`counter.signing.verify_export`):
   its signature, its key against the device's, and every file's SHA-256 (with the rows of a
   CSV or the part of an XLSX that changed);
3. the audit entry each manifest recorded must still be in the store with the same hash: a
   chain cut at its end (the newest rows deleted) shows there, since the chain alone cannot
   see a missing tail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from counter import audit, signing
from counter.store import Store

_MISSING = re.compile(r"rows (\d+)…(\d+) missing")


@dataclass(frozen=True)
class Finding:
    where: str
    message: str
    problem: bool = True

    def __str__(self) -> str:
        mark = "LỖI" if self.problem else "OK"
        return f"[{mark}] {self.where}: {self.message}"


@dataclass(frozen=True)
class Report:
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        return not any(f.problem for f in self.findings)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.problem]

    def text(self) -> str:
        lines = [str(f) for f in self.findings]
        if self.ok:
            lines.append("Kết quả: không phát hiện thay đổi trái phép.")
        else:
            lines.append(f"Kết quả: phát hiện {len(self.problems)} vấn đề.")
        return "\n".join(lines)


def _chain_message(problem: audit.ChainProblem) -> str:
    missing = _MISSING.fullmatch(problem.problem)
    if missing:
        a, b = missing.groups()
        rows = f"số {a}" if a == b else f"từ số {a} đến {b}"
        return f"thiếu bản ghi {rows} (đã bị xóa) trước bản ghi số {problem.audit_id}"
    if problem.problem.startswith("link"):
        return (
            f"bản ghi số {problem.audit_id} không nối với bản ghi trước nó "
            "(có bản ghi bị chèn, xóa hoặc sửa ngay trước)"
        )
    if problem.problem.startswith("content"):
        return f"nội dung bản ghi số {problem.audit_id} đã bị sửa (không khớp mã băm)"
    return f"bản ghi số {problem.audit_id}: {problem.problem}"


def verify_store(store: Store) -> list[Finding]:
    where = f"nhật ký kiểm toán ({store.path.name})"
    problems = audit.verify_chain(store.db)
    if not problems:
        count, last = store.conn.execute("SELECT count(*), max(id) FROM audit").fetchone()
        return [Finding(where, f"chuỗi {count} bản ghi liền mạch (đến số {last})", False)]
    return [Finding(where, _chain_message(p)) for p in problems]


def find_manifests(paths: Iterable[Path]) -> tuple[list[Path], list[Finding]]:
    manifests: list[Path] = []
    findings: list[Finding] = []
    for path in paths:
        if path.is_dir():
            manifests += sorted(path.rglob("*" + signing.MANIFEST_SUFFIX))
        elif path.is_file() and path.name.endswith(signing.MANIFEST_SUFFIX):
            manifests.append(path)
        elif path.is_file():
            findings.append(Finding(str(path), "không phải bản kê (*.manifest.json)"))
        else:
            findings.append(Finding(str(path), "không tồn tại"))
    return manifests, findings


def _unlisted_files(folders: Iterable[Path], listed: set[Path]) -> list[Finding]:
    out = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.resolve() in listed:
                continue
            if path.suffix in (".csv", ".xlsx"):
                out.append(
                    Finding(str(path), "không có trong bản kê nào (không xác minh được)", False)
                )
    return out


def verify_manifest_against_store(manifest_path: Path, store: Store) -> list[Finding]:
    """The audit entry a manifest recorded is still in the store, unchanged."""
    try:
        manifest = signing.read_manifest(manifest_path)
        entry = manifest["audit_entry"]
        audit_id, audit_hash = int(entry["id"]), str(entry["hash"])
    except (ValueError, KeyError, TypeError):
        return []  # reported by verify_export already
    if manifest.get("device_id") != store.get_setting("device_id"):
        return []  # exported on another device: its audit trail is not this one
    row = store.conn.execute("SELECT hash FROM audit WHERE id = ?", (audit_id,)).fetchone()
    where = manifest_path.name
    if row is None:
        return [
            Finding(
                where,
                f"bản ghi nhật ký số {audit_id} ghi nhận lần xuất này không còn trong kho "
                "(nhật ký đã bị cắt bớt hoặc xóa)",
            )
        ]
    if row[0] != audit_hash:
        return [Finding(where, f"bản ghi nhật ký số {audit_id} khác với lúc xuất (nhật ký bị sửa)")]
    return []


def verify(
    store: Store | None,
    paths: Sequence[Path] = (),
    *,
    trusted_keys: Iterable[str] = (),
) -> Report:
    """Everything `counter audit verify` checks, as one report."""
    findings: list[Finding] = []
    keys = {k.lower() for k in trusted_keys}
    if store is not None:
        findings += verify_store(store)
        own = signing.stored_public_key(store)
        if own and not keys:
            keys.add(own)
    manifests, missing = find_manifests(paths)
    findings += missing
    listed: set[Path] = set()
    for manifest in manifests:
        listed.add(manifest.resolve())
        listed.add(manifest.with_name(manifest.name + signing.SIGNATURE_SUFFIX).resolve())
        try:
            for entry in signing.read_manifest(manifest).get("files", []):
                listed.add((manifest.parent / str(entry.get("name", ""))).resolve())
        except ValueError:
            pass
        problems = signing.verify_export(manifest, keys)
        findings += [Finding(str(manifest.parent), p) for p in problems]
        if store is not None:
            problems_store = verify_manifest_against_store(manifest, store)
            findings += problems_store
            problems = problems or [str(p) for p in problems_store]
        if not problems:
            findings.append(Finding(manifest.name, "chữ ký và mọi tệp khớp bản kê", False))
    if paths and not manifests and not missing:
        findings.append(Finding(", ".join(map(str, paths)), "không tìm thấy bản kê nào"))
    findings += _unlisted_files([p for p in paths if p.is_dir()], listed)
    return Report(findings)
