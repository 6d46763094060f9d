"""`counter-portal` (or `python -m portal`): serve the portal, or run a back-office command.

counter-portal                         serve on 127.0.0.1:8700, ./portal-data/portal.db
counter-portal serve --port 8800 --db /srv/portal.db
counter-portal serve --workers 4 --database-url postgresql://portal@127.0.0.1/portal
counter-portal serve --workers 2 --api-workers 1 --api-port 8701 --database-url postgresql://…
counter-portal enroll-code 000.00.12.H26 3
counter-portal enroll-code 000.00.12.H26 3 --device DEVICE_ID   # re-enroll a known device
counter-portal devices
counter-portal revoke DEVICE_ID
counter-portal set-status CODE_OR_UUID processing --by "Phòng Tư pháp"
counter-portal correct CODE_OR_UUID applicant_phone=0912345678 --by "..."
counter-portal rate CODE_OR_UUID 5 --comment "..."
counter-portal rejections
counter-portal purge                   # retention: run daily (see [retention])
counter-portal witness-key                              the witness key's fingerprint
counter-portal witness-file --device DEVICE_ID -o witness.json   (or --agency CODE)
counter-portal verify /mnt/usb/exports/                 manifests against registered keys
counter-portal allow-key-rotation DEVICE_ID
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from counter.private import UMASK
from counter.signing import key_id, sha256_file
from portal import admin
from portal.server import DEFAULT_CONFIG, load_settings, open_storage, serve
from portal.storage import StorageError
from portal.witness import Witness, load_witness_key


def _positive_hours(text: str) -> float:
    value = float(text)
    if not 0 < value <= 24 * 30:
        raise argparse.ArgumentTypeError("the code's lifetime must be 0–720 hours")
    return value


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="counter-portal", description="The central portal.")
    p.add_argument("--config", type=Path, help="a TOML file overriding the built-in defaults")
    p.add_argument("--db", type=Path, help="the SQLite file (default ./portal-data/portal.db)")
    p.add_argument("--database-url", dest="database_url_global", help="postgresql://…")
    sub = p.add_subparsers(dest="command")
    s = sub.add_parser("serve", help="run the HTTP API (the default)")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--workers", type=int, help="uvicorn worker processes (PostgreSQL)")
    s.add_argument(
        "--api-workers",
        type=int,
        help="processes of their own for the counters' sync API, on --api-port (PostgreSQL)",
    )
    s.add_argument("--api-port", type=int, help="the sync API workers' port (default 8701)")
    s.add_argument("--database-url", help="postgresql://… (overrides [storage] url)")
    sub.add_parser("show-config", help="print the built-in default configuration")
    e = sub.add_parser("enroll-code", help="create a one-time enrollment code for a counter")
    e.add_argument("agency_code")
    e.add_argument("counter_no", type=int)
    e.add_argument("--ttl-hours", type=_positive_hours, default=168)
    e.add_argument(
        "--device",
        help="re-enroll this known device (after a revocation or a lost token); without it "
        "the code enrolls only a device the portal has never seen",
    )
    sub.add_parser("devices", help="list enrolled devices")
    r = sub.add_parser("revoke", help="revoke a device's credential")
    r.add_argument("device_id")
    st = sub.add_parser("set-status", help="back office: move a dossier to a new status")
    st.add_argument("dossier", help="dossier code or UUID")
    st.add_argument("status", help="e.g. processing, result_ready, supplement_requested")
    st.add_argument("--by", default="back-office")
    st.add_argument("--note", default="")
    st.add_argument("--to", default="", help="who collected the result (returned)")
    c = sub.add_parser("correct", help="back office: correct contact details or the note")
    c.add_argument("dossier")
    c.add_argument("fields", nargs="+", help="field=value")
    c.add_argument("--by", default="back-office")
    rt = sub.add_parser("rate", help="record a citizen's rating (1–5)")
    rt.add_argument("dossier")
    rt.add_argument("score", type=int)
    rt.add_argument("--comment", default="")
    sub.add_parser(
        "restored",
        help="after restoring the database from a backup: start a new epoch, so every "
        "counter pulls again and re-sends what the backup lacks",
    )
    pg = sub.add_parser(
        "purge", help="delete closed dossiers and ingest payloads past their retention"
    )
    pg.add_argument("--closed-days", type=float, help="override [retention] closed_dossier_days")
    pg.add_argument("--payload-days", type=float, help="override [retention] ingest_payload_days")
    rj = sub.add_parser("rejections", help="list entries the portal rejected, with reasons")
    rj.add_argument("--device")
    sub.add_parser("witness-key", help="print the fingerprint of the portal's witness key")
    wf = sub.add_parser(
        "witness-file", help="export the signed witness file (heads and keys) for offline checks"
    )
    who = wf.add_mutually_exclusive_group(required=True)
    who.add_argument("--device", help="one device id")
    who.add_argument("--agency", help="every device of an agency code")
    wf.add_argument("-o", "--out", type=Path, help="write here instead of standard output")
    v = sub.add_parser(
        "verify", help="verify export manifests against the keys registered at this portal"
    )
    v.add_argument("paths", nargs="+", type=Path, help="folders or *.manifest.json files")
    k = sub.add_parser("allow-key-rotation", help="let a device register a new signing key, once")
    k.add_argument("device_id")
    return p


def _verify_paths(witness: Witness, paths: list[Path]) -> tuple[bool, list[str]]:
    """`counter-portal verify`: each manifest with its files, against this portal's records."""
    manifests: list[Path] = []
    lines: list[str] = []
    for path in paths:
        if path.is_dir():
            manifests += sorted(path.rglob("*.manifest.json"))
        elif path.is_file():
            manifests.append(path)
        else:
            lines.append(f"[LỖI] {path}: không tồn tại")
    ok = not lines and bool(manifests)
    if not manifests:
        lines.append("[LỖI] không tìm thấy bản kê nào (*.manifest.json)")
    for manifest in manifests:
        sig = manifest.with_name(manifest.name + ".sig")
        try:
            data, signature = manifest.read_bytes(), sig.read_text().strip()
        except OSError as exc:
            lines.append(f"[LỖI] {manifest.name}: không đọc được ({exc.strerror})")
            ok = False
            continue
        hashes: dict[str, str] = {}
        try:
            listed = [str(f.get("name")) for f in json.loads(data).get("files", [])]
        except (ValueError, AttributeError):
            listed = []
        for name in listed:
            target = manifest.parent / name
            if Path(name).name != name or not target.is_file():
                lines.append(f"[LỖI] {manifest.name}: thiếu tệp {name}")
                ok = False
                continue
            hashes[name] = sha256_file(target)
        answer = witness.verify_manifest(data, signature, hashes)
        signer = answer["signer"]
        if signer:
            who = (
                f"quầy {signer['counter_no']} của {signer['agency_code']} "
                f"(thiết bị {signer['device_id']}, khóa {signer['key_id']} đăng ký "
                f"{signer['registered_at']})"
            )
            covered = "đã" if signer.get("export_witnessed") else "CHƯA"
            lines.append(f"{manifest.name}: ký bởi {who}; lần xuất {covered} được cổng chứng thực")
        for finding in answer["findings"]:
            lines.append(f"[LỖI] {manifest.name}: {finding}")
        if answer["ok"]:
            lines.append(f"[OK] {manifest.name}: chữ ký của thiết bị đã đăng ký, mọi tệp khớp")
        else:
            ok = False
    return ok, lines


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    os.umask(UMASK)  # the portal's database and anything else it writes: owner-only
    command = args.command or "serve"
    try:
        settings = load_settings(
            args.config,
            db_path=args.db,
            host=getattr(args, "host", None),
            port=getattr(args, "port", None),
            workers=getattr(args, "workers", None),
            api_workers=getattr(args, "api_workers", None),
            api_port=getattr(args, "api_port", None),
            database_url=getattr(args, "database_url", None) or args.database_url_global,
        )
    except (OSError, ValueError) as exc:
        print(f"counter-portal: {exc}", file=sys.stderr)
        return 2
    if command == "serve":
        where = "PostgreSQL" if settings.database_url else f"db {settings.db_path}"
        print(
            f"counter-portal: http://{settings.host}:{settings.port}/api/v1 ({where}, "
            f"{settings.workers} worker{'s' if settings.workers > 1 else ''})",
            flush=True,
        )
        serve(settings, args.config)
        return 0
    if command == "show-config":
        print(DEFAULT_CONFIG, end="")
        return 0
    storage = open_storage(settings)
    try:
        if command == "enroll-code":
            print(
                admin.create_enrollment_code(
                    storage,
                    args.agency_code,
                    args.counter_no,
                    ttl_hours=args.ttl_hours,
                    device_id=args.device,
                )
            )
        elif command == "devices":
            for d in admin.list_devices(storage):
                state = f"revoked {d.revoked_at}" if d.revoked_at else "active"
                print(
                    f"{d.device_id}  {d.agency_code}  counter {d.counter_no:>2}  "
                    f"last_seq {d.last_seq}  {state}"
                )
        elif command == "revoke":
            d = admin.revoke_device(storage, args.device_id)
            print(f"revoked {d.device_id} at {d.revoked_at}")
        elif command == "set-status":
            ch = admin.set_dossier_status(
                storage, args.dossier, args.status, by=args.by, note=args.note, to=args.to
            )
            print(f"change {ch.id}: {args.dossier} → {args.status} (waiting for the counter)")
        elif command == "correct":
            fields = dict(f.split("=", 1) for f in args.fields if "=" in f)
            ch = admin.correct_dossier(storage, args.dossier, fields, by=args.by)
            print(f"change {ch.id}: correction of {args.dossier} queued for the counter")
        elif command == "rate":
            ch = admin.record_rating(storage, args.dossier, args.score, args.comment)
            print(f"change {ch.id}: rating {args.score} recorded")
        elif command == "restored":
            print(f"new epoch {storage.new_epoch()}: restart the portal's workers")
        elif command == "purge":
            closed = args.closed_days or settings.closed_dossier_days
            payloads = args.payload_days or settings.ingest_payload_days
            if closed < 1 or payloads < 1:
                print("counter-portal: retention must be at least 1 day", file=sys.stderr)
                return 2
            done = storage.purge(closed_days=closed, payload_days=payloads)
            print(
                f"purged {done['dossiers']} closed dossiers (over {closed:g} days) and "
                f"{done['payloads']} ingest payloads (over {payloads:g} days); "
                f"{done['minimised']} older rows cut down to the fields the portal needs"
            )
        elif command == "rejections":
            for r in admin.rejected_entries(storage, args.device):
                print(f"{r['device_id']}  #{r['seq']}  {r['kind']}  {r['reason']}")
        elif command in ("witness-key", "witness-file", "verify", "allow-key-rotation"):
            witness = Witness(storage, load_witness_key(settings.witness_key_file))
            if command == "witness-key":
                print(f"{key_id(witness.public_key)}  {witness.public_key}")
            elif command == "witness-file":
                data = witness.file_bytes(device_id=args.device, agency_code=args.agency)
                if args.out is None:
                    sys.stdout.write(data.decode())
                else:
                    args.out.write_bytes(data)
                    print(f"{args.out}: {len(data)} bytes, key {key_id(witness.public_key)}")
            elif command == "verify":
                ok, lines = _verify_paths(witness, args.paths)
                print("\n".join(lines))
                print("Kết quả: " + ("khớp." if ok else "có vấn đề."))
                return 0 if ok else 1
            else:
                witness.allow_rotation(args.device_id)
                print(f"{args.device_id}: the next signing key it sends replaces the current one")
    except StorageError as exc:
        print(f"counter-portal: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    finally:
        storage.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
