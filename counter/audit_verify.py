"""`counter audit verify`: is the audit trail intact, and are the exported files as signed?

Four checks, each finding saying *where* in plain Vietnamese:

1. the store's audit trail is walked link by link (`counter.audit.verify_chain`): an edited
   row, a row inserted out of chain and a deleted row are each named by their number;
2. the chain is compared with the heads the portal witnessed (`counter.witness`), online or
   from a witness file: a rechained, cut or rolled-back trail shows there, which the chain
   alone (recomputable by whoever holds the files) cannot show. Rows after the last witnessed
   head are reported as unwitnessed, with their count and age;
3. every export manifest in the given folders is checked (`counter.signing.verify_export`):
   its signature, every file's SHA-256 (with the rows of a CSV or the part of an XLSX that
   changed), and *whose* key signed it: a key registered at the portal is named (device,
   counter, agency); a key known only from this PC's own key file is flagged as unconfirmed;
   any other key is a problem, never OK;
4. the audit entry each manifest recorded must still be in the store with the same hash and
   the same file hashes: a chain cut at its end shows there too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from counter import audit, signing, witness
from counter.store import Store
from counter.timeutil import system_clock

_MISSING = re.compile(r"rows (\d+)…(\d+) missing")


@dataclass(frozen=True)
class Finding:
    where: str
    message: str
    problem: bool = True
    caution: bool = False  # not a problem found, but not vouched for either

    def __str__(self) -> str:
        mark = "LỖI" if self.problem else ("CHÚ Ý" if self.caution else "OK")
        return f"[{mark}] {self.where}: {self.message}"


@dataclass(frozen=True)
class Report:
    findings: list[Finding]
    witnessed: bool = False  # the chain was compared with the portal's witnessed heads

    @property
    def ok(self) -> bool:
        return not any(f.problem for f in self.findings)

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.problem]

    @property
    def cautions(self) -> list[Finding]:
        return [f for f in self.findings if f.caution and not f.problem]

    def text(self) -> str:
        lines = [str(f) for f in self.findings]
        if not self.ok:
            lines.append(f"Kết quả: phát hiện {len(self.problems)} vấn đề.")
        elif self.cautions or not self.witnessed:
            lines.append(
                "Kết quả: không phát hiện thay đổi, nhưng CHƯA được cổng xác nhận đầy đủ "
                f"({len(self.cautions)} điểm cần chú ý): người sửa được mọi tệp trên máy này "
                "có thể đã viết lại phần chưa được chứng thực. Đối chiếu với cổng bằng "
                "--online hoặc --witness TỆP."
            )
        else:
            lines.append("Kết quả: không phát hiện thay đổi trái phép (đã đối chiếu với cổng).")
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
    """The audit entry a manifest recorded is still in the store, unchanged, and names the
    same file hashes (so a file cannot be swapped by editing only the manifest)."""
    try:
        manifest = signing.read_manifest(manifest_path)
        entry = manifest["audit_entry"]
        audit_id, audit_hash = int(entry["id"]), str(entry["hash"])
    except (ValueError, KeyError, TypeError):
        return []  # reported by verify_export already
    if manifest.get("device_id") != store.get_setting("device_id"):
        return []  # exported on another device: its audit trail is not this one
    row = store.conn.execute("SELECT hash, details FROM audit WHERE id = ?", (audit_id,)).fetchone()
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
    try:
        recorded = dict(json.loads(row[1]).get("files") or {})
    except (ValueError, TypeError, AttributeError):
        recorded = {}
    listed = {str(f.get("name")): f.get("sha256") for f in manifest.get("files", [])}
    if recorded and recorded != listed:
        changed = sorted(n for n in set(recorded) | set(listed) if recorded.get(n) != listed.get(n))
        return [
            Finding(
                where,
                f"mã băm của {', '.join(changed)} trong bản kê khác với bản ghi nhật ký số "
                f"{audit_id} lúc xuất (tệp và bản kê đã bị thay)",
            )
        ]
    return []


def _kid(public: str) -> str:
    """The fingerprint of a key read from a manifest, which may be malformed."""
    try:
        return signing.key_id(public)
    except ValueError:
        return "?"


@dataclass
class _Keys:
    """Who may have signed: keys registered at the portal, pinned by hand, or this PC's own."""

    witness_file: witness.WitnessFile | None = None
    pinned: set[str] = field(default_factory=set)
    local: str | None = None

    def signer(self, manifest: dict[str, object]) -> Finding | None:
        """None when the key is registered (and fits); else a problem or a caution."""
        public = str(manifest.get("public_key", "")).lower()
        kid = _kid(public)
        if self.witness_file is not None:
            found = self.witness_file.signer_of(public)
            if found is not None:
                record, reg = found
                if manifest.get("device_id") != record.device_id:
                    return Finding(
                        "",
                        f"khóa {kid} được đăng ký cho {record.describe()}, nhưng bản kê ghi "
                        f"thiết bị {str(manifest.get('device_id'))[:8]}",
                    )
                if witness.signed_after_retirement(manifest.get("exported_at"), reg.retired_at):
                    return Finding("", f"được ký bằng khóa {kid} sau khi khóa đã bị thay")
                return None
        if public in self.pinned:
            return None
        if self.local is not None and public == self.local:
            return Finding(
                "",
                f"được ký bằng khóa {kid} của chính máy này, CHƯA được cổng xác nhận "
                "(người giữ máy cũng giữ khóa này)",
                problem=False,
                caution=True,
            )
        if self.witness_file is not None:
            why = "cổng không đăng ký khóa này cho thiết bị nào"
        else:
            why = "không phải khóa của máy này, cũng không được chỉ định bằng --public-key"
        return Finding("", f"được ký bằng khóa lạ {kid}: {why}, không được tin")

    def describe(self, manifest: dict[str, object]) -> str:
        public = str(manifest.get("public_key", "")).lower()
        kid = _kid(public)
        found = self.witness_file.signer_of(public) if self.witness_file else None
        if found is not None:
            record, reg = found
            return f"ký bởi {record.describe()}, khóa {kid} đăng ký tại cổng {reg.registered_at}"
        return f"ký bằng khóa {kid} (do người kiểm tra chỉ định)"


def _manifest_witness(manifest_path: Path, wf: witness.WitnessFile | None) -> list[Finding]:
    """The witnessed head a manifest names was really witnessed; is the export covered?"""
    if wf is None:
        return []
    try:
        manifest = signing.read_manifest(manifest_path)
    except ValueError:
        return []
    record = wf.devices.get(str(manifest.get("device_id")))
    if record is None:
        return []
    heads = {h.seq: h for h in record.heads}
    out: list[Finding] = []
    claim = manifest.get("witness")
    if isinstance(claim, dict) and claim.get("seq") is not None:
        head = heads.get(claim["seq"]) if isinstance(claim["seq"], int) else None
        if head is None or head.hash != claim.get("hash"):
            out.append(
                Finding(
                    manifest_path.name,
                    f"bản kê ghi lần chứng thực số {claim.get('seq')} mà cổng không hề chứng thực",
                )
            )
    entry = manifest.get("audit_entry")
    entry_id = entry.get("id") if isinstance(entry, dict) else None
    top = record.heads[-1].seq if record.heads else 0
    point = heads.get(entry_id) if isinstance(entry_id, int) else None
    if point is not None and isinstance(entry, dict) and point.hash != entry.get("hash"):
        out.append(
            Finding(
                manifest_path.name,
                f"bản ghi nhật ký số {entry_id} của lần xuất này khác với bản quầy đã báo cho "
                "cổng: nhật ký đã bị viết lại và bản kê được ký lại",
            )
        )
    elif point is not None:
        out.append(
            Finding(
                manifest_path.name,
                f"bản ghi nhật ký số {entry_id} của lần xuất này khớp chứng thực của cổng",
                False,
            )
        )
    elif isinstance(entry_id, int) and entry_id > top:
        out.append(
            Finding(
                manifest_path.name,
                f"bản ghi nhật ký số {entry_id} của lần xuất này chưa được cổng chứng thực "
                f"(cổng chứng thực đến số {top}): đồng bộ rồi kiểm tra lại",
                problem=False,
                caution=True,
            )
        )
    return out


def _witness_findings(
    store: Store | None,
    wf: witness.WitnessFile,
    now: datetime,
    max_age: timedelta,
) -> tuple[list[Finding], bool]:
    """The witness file itself (key, age, replay) and the chain against its heads."""
    where = f"chứng thực của cổng ({wf.source})"
    findings: list[Finding] = []
    kid = signing.key_id(wf.portal_key)
    findings.append(
        Finding(
            where,
            f"ký bởi khóa chứng thực của cổng {kid}, xuất lúc {wf.exported_at:%d/%m/%Y %H:%M}",
            False,
        )
    )
    age = now - wf.exported_at
    if age > max_age:
        findings.append(
            Finding(
                where,
                f"tệp chứng thực đã cũ ({int(age.total_seconds() // 3600)} giờ, quá "
                f"{int(max_age.total_seconds() // 3600)} giờ cho phép): có thể là một tệp cũ "
                "được dùng lại; tải tệp mới từ cổng",
            )
        )
    if store is None:
        return findings, False
    pinned = store.get_setting(witness.K_PORTAL_KEY)
    if pinned is not None and pinned.lower() != wf.portal_key.lower():
        findings.append(Finding(where, f"khóa của cổng {kid} khác khóa {_kid(pinned)} máy đã biết"))
    device_id = store.get_setting("device_id")
    record = wf.devices.get(str(device_id))
    if record is None:
        findings.append(Finding(where, "tệp chứng thực không có thiết bị này"))
        return findings, False
    receipt = witness.last_receipt(store)
    newest = record.heads[-1].seq if record.heads else 0
    if (
        receipt is not None
        and witness.receipt_ok(receipt, wf.portal_key)
        and int(receipt["seq"]) > newest
    ):
        findings.append(
            Finding(
                where,
                f"tệp chứng thực chỉ đến bản ghi số {newest}, nhưng máy này đã nhận chứng thực "
                f"của cổng đến số {receipt['seq']}: tệp cũ được dùng lại",
            )
        )
    for alarm in record.alarms:
        findings.append(
            Finding(
                where,
                f"cổng đã ghi nhận lúc {alarm.get('at')}: máy gửi đầu chuỗi số {alarm.get('seq')} "
                f"({'lùi lại' if alarm.get('kind') == 'rollback' else 'khác mã băm'}) sau khi "
                f"đã chứng thực đến số {alarm.get('witnessed_seq')}: nhật ký đã bị khôi phục "
                "hoặc viết lại",
            )
        )
    check = witness.check_chain(store, record.heads, now)
    chain_where = f"nhật ký kiểm toán ({store.path.name}) so với cổng"
    findings += [Finding(chain_where, p) for p in check.problems]
    findings += [Finding(chain_where, n, False) for n in check.notes]
    findings += [Finding(chain_where, n, False, caution=True) for n in check.cautions]
    return findings, not check.problems


def verify(
    store: Store | None,
    paths: Sequence[Path] = (),
    *,
    trusted_keys: Iterable[str] = (),
    witness_file: witness.WitnessFile | None = None,
    now: datetime | None = None,
    max_witness_age: timedelta = timedelta(hours=24),
) -> Report:
    """Everything `counter audit verify` checks, as one report."""
    now = now or system_clock()
    findings: list[Finding] = []
    keys = _Keys(witness_file, {k.lower() for k in trusted_keys})
    witnessed = False
    if store is not None:
        findings += verify_store(store)
        keys.local = signing.stored_public_key(store)
    if witness_file is not None:
        found, witnessed = _witness_findings(store, witness_file, now, max_witness_age)
        findings += found
    elif store is not None:
        findings.append(
            Finding(
                f"nhật ký kiểm toán ({store.path.name})",
                "chưa đối chiếu với chứng thực của cổng: chuỗi băm có thể được tính lại bởi "
                "người giữ máy (dùng --online hoặc --witness TỆP)",
                problem=False,
                caution=True,
            )
        )
    manifests, missing = find_manifests(paths)
    findings += missing
    listed: set[Path] = set()
    anchored_all = bool(manifests) and witness_file is not None
    for manifest in manifests:
        vouched: list[Finding] = []
        listed.add(manifest.resolve())
        listed.add(manifest.with_name(manifest.name + signing.SIGNATURE_SUFFIX).resolve())
        try:
            body = signing.read_manifest(manifest)
            for entry in body.get("files", []):
                listed.add((manifest.parent / str(entry.get("name", ""))).resolve())
        except ValueError:
            body = {}
        problems = signing.verify_export(manifest)
        found_here = [Finding(str(manifest.parent), p) for p in problems]
        who = keys.signer(body) if body else None
        if who is not None:
            found_here.append(Finding(manifest.name, who.message, who.problem, who.caution))
        anchored = _manifest_witness(manifest, witness_file)
        found_here += [f for f in anchored if f.problem or f.caution]
        vouched += [f for f in anchored if not (f.problem or f.caution)]
        if store is not None:
            found_here += verify_manifest_against_store(manifest, store)
        findings += found_here + vouched
        if not found_here:
            findings.append(
                Finding(
                    manifest.name, f"{keys.describe(body)}; chữ ký và mọi tệp khớp bản kê", False
                )
            )
        elif not any(f.problem for f in found_here) and who is None:
            findings.append(Finding(manifest.name, "chữ ký và mọi tệp khớp bản kê", False))
        elif not any(f.problem for f in found_here):
            findings.append(
                Finding(manifest.name, "mọi tệp khớp bản kê (người ký chưa xác nhận)", False, True)
            )
    if paths and not manifests and not missing:
        findings.append(Finding(", ".join(map(str, paths)), "không tìm thấy bản kê nào"))
        anchored_all = anchored_all and bool(vouched)
    findings += _unlisted_files([p for p in paths if p.is_dir()], listed)
    if store is None and anchored_all:
        witnessed = True  # without the store: each export's own entry matched the portal's
    return Report(findings, witnessed)
