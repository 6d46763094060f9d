"""What `counter export …` and `counter audit verify …` run (their arguments: `export_args`).

Made for scheduled jobs: the PIN comes from $COUNTER_PIN (or a prompt when a person is at the
terminal), dates can be relative (`today`, `yesterday`, `--month last`), and the command prints
the paths it wrote and exits non-zero on any refusal (the caller turns CounterError into exit
status 1). Moved out of the core (it was counter/export_cli.py): argparse, getpass and the
prompt are the command line's business; the date parsing it shares with the export screen
lives in `counter.exports.dates`.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import date, timedelta
from pathlib import Path

import httpx

from counter import audit_verify, exports, signing, witness
from counter.auth import record_refusal
from counter.config import Config
from counter.errors import AuthError, InvalidInput
from counter.exports.dates import parse_day, parse_month
from counter.store import Store
from counter.timeutil import Clock
from counter_cli.export_args import PIN_ENV as PIN_ENV
from counter_cli.export_args import add_audit_arguments as add_audit_arguments
from counter_cli.export_args import add_export_arguments as add_export_arguments

# -- dates -------------------------------------------------------------------------------


def resolve_range(args: argparse.Namespace, today: date) -> tuple[date, date]:
    if getattr(args, "month", None):
        return parse_month(args.month, today)
    if getattr(args, "date_from", None):
        start = parse_day(args.date_from, today)
        end = parse_day(args.date_to, today) if args.date_to else start
        return start, end
    if getattr(args, "date_to", None):
        raise InvalidInput("to", "--to cần đi cùng --from", "--to needs --from")
    day = parse_day(args.date, today) if getattr(args, "date", None) else today
    return day, day


def read_pin(username: str) -> str:
    pin = os.environ.get(PIN_ENV)
    if pin:
        return pin
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(f"Mã PIN / mật khẩu của {username}: ")
    raise AuthError(
        f"Chưa có mã PIN: đặt biến môi trường {PIN_ENV} cho tác vụ tự động",
        f"No PIN: set {PIN_ENV} for scheduled jobs",
    )


# -- commands ---------------------------------------------------------------------------


def run_export_command(
    config: Config,
    args: argparse.Namespace,
    *,
    queue_figures: exports.stats.QueueFiguresProvider | None = None,
    queue_log: exports.stats.QueueLogProvider | None = None,
    clock: Clock | None = None,
) -> str:
    """Log the supervisor in, export, log out; return what was written (one line per file)."""
    from counter.desk import Desk

    desk = Desk.open(config) if clock is None else Desk.open(config, clock=clock)
    try:
        try:
            desk.login(args.user, read_pin(args.user))
        except AuthError as exc:
            # The failed login is audited by auth.login; this says what it was for.
            reason = "no_pin" if PIN_ENV in exc.en else "login"
            record_refusal(
                desk.store, None, f"export.{args.kind}", desk.now(), reason, username=args.user
            )
            raise
        try:
            start, end = resolve_range(args, desk.now().date())
            formats = ("xlsx", "csv") if args.format == "both" else (args.format,)
            request = exports.ExportRequest(
                start=start,
                end=end,
                out_dir=args.out or (config.data_dir / "exports"),
                kind=args.kind,
                formats=formats,
                field=args.field,
                per_field=bool(args.per_field),
            )
            result = exports.export(desk, request, queue_figures=queue_figures, queue_log=queue_log)
        finally:
            desk.logout()
    finally:
        desk.close()
    lines = [f"{f.path}\t{f.rows} dòng\t{f.sha256}" for f in result.files]
    lines.append(f"Bản kê: {result.manifest}")
    lines.append(f"Chữ ký: {result.signature}")
    return "\n".join(lines)


def _online_witness(config: Config, store: Store) -> witness.WitnessFile:
    from counter import sync

    if not config.portal.url or store.get_setting(sync.K_TOKEN) is None:
        raise witness.WitnessError(
            "chưa đăng ký với cổng ([portal] url, enrollment_code): không đối chiếu trực tuyến "
            "được; dùng --witness TỆP",
            "not enrolled with a portal: use --witness FILE",
        )
    try:
        with sync.make_client(config) as client:
            return witness.fetch_file(client, sync._auth(store))
    except httpx.HTTPError as exc:
        raise witness.WitnessError(
            f"không kết nối được cổng để đối chiếu: {type(exc).__name__}",
            f"cannot reach the portal: {type(exc).__name__}",
        ) from None


def _same_key(public: str, given: str) -> bool:
    """`given` is the full key or its fingerprint (`counter-portal witness-key`)."""
    text = given.strip().lower()
    return text in (public.lower(), signing.key_id(public))


def run_audit_verify(
    config: Config,
    paths: list[Path],
    *,
    check_store: bool = True,
    public_keys: list[str] | None = None,
    online: bool = False,
    witness_path: Path | None = None,
    max_witness_age_hours: float = 24.0,
    portal_key: str | None = None,
) -> tuple[bool, str]:
    """Check the store's audit chain and the export manifests; (ok, report in Vietnamese)."""
    store: Store | None = None
    findings: list[audit_verify.Finding] = []
    if check_store:
        if config.db_path.is_file():
            store = Store(config.db_path)
        else:
            findings.append(audit_verify.Finding(str(config.db_path), "không tìm thấy kho dữ liệu"))
    try:
        witness_file: witness.WitnessFile | None = None
        try:
            if witness_path is not None:
                try:
                    data = witness_path.read_bytes()
                except OSError as exc:
                    raise witness.WitnessError(
                        f"{witness_path}: không đọc được ({exc.strerror})"
                    ) from None
                witness_file = witness.parse_file(data, source=witness_path.name)
            elif online and store is not None:
                witness_file = _online_witness(config, store)
            elif online:
                raise witness.WitnessError("--online cần kho dữ liệu của quầy (bỏ --no-store)")
            if (
                witness_file is not None
                and portal_key
                and not _same_key(witness_file.portal_key, portal_key)
            ):
                found = signing.key_id(witness_file.portal_key)
                witness_file = None
                raise witness.WitnessError(
                    f"chứng thực được ký bằng khóa {found}, không phải khóa của cổng "
                    f"{portal_key.strip()}: tệp hoặc cổng giả, không dùng được"
                )
        except witness.WitnessError as exc:
            findings.append(audit_verify.Finding("chứng thực của cổng", exc.vi))
        report = audit_verify.verify(
            store,
            [Path(p) for p in paths],
            trusted_keys=public_keys or [],
            witness_file=witness_file,
            max_witness_age=timedelta(hours=max_witness_age_hours),
        )
    finally:
        if store is not None:
            store.close()
    report = audit_verify.Report(findings + report.findings, report.witnessed)
    return report.ok, report.text()


def run_audit_command(config: Config, args: argparse.Namespace) -> tuple[bool, str]:
    """`counter audit verify` with the parsed arguments of `add_audit_arguments`."""
    return run_audit_verify(
        config,
        list(args.paths),
        check_store=not args.no_store,
        public_keys=args.public_key,
        online=bool(getattr(args, "online", False)),
        witness_path=getattr(args, "witness", None),
        max_witness_age_hours=float(getattr(args, "max_witness_age", 24.0)),
        portal_key=getattr(args, "portal_key", None),
    )
