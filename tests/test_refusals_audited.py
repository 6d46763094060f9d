"""Every refusal leaves an audit entry: wrong PIN, locked account, a role that may not.

Each supervisor-only entry point is tried by an officer, by nobody, and the CLI export with a
wrong PIN, without a PIN and as an officer: each attempt must add a refusal to the hash-chained
trail and change nothing else. A source scan keeps new supervisor-only code on the audited path.
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from counter import exports, stats
from counter.config import Config
from counter.desk import Desk
from counter.errors import AuthError
from counter_cli.export import add_export_arguments, run_export_command
from tests.support.clock import FrozenClock

DAY = date(2026, 11, 26)
REFUSALS = ("access.refused", "login.failed", "login.locked", "login.lockout", "login.unknown_user")


def _audit(desk: Desk) -> list[tuple[str, str, str]]:
    return [
        (r[0], r[1], r[2])
        for r in desk.store.conn.execute("SELECT action, username, object FROM audit ORDER BY id")
    ]


ENTRY_POINTS: dict[str, Callable[[Desk, Path], object]] = {
    "stats.today": lambda d, _: stats.today_figures(d),
    "stats.range": lambda d, _: stats.range_figures(d, DAY, DAY),
    "stats.drill_down": lambda d, _: stats.figure_dossiers(d, "received", DAY, DAY),
    "stats.hourly": lambda d, _: stats.hourly_received(d),
    "export.book": lambda d, out: exports.export(d, exports.ExportRequest(DAY, DAY, out)),
    "export.stats": lambda d, out: exports.export(
        d, exports.ExportRequest(DAY, DAY, out, kind="stats"), separate_connection=True
    ),
    "officer.create": lambda d, _: d.create_officer("moi", "Người Mới", "officer", "4321"),
    "officer.set_role": lambda d, _: d.set_officer_role("canbo", "supervisor"),
}


@pytest.mark.parametrize("action", sorted(ENTRY_POINTS))
def test_a_role_refusal_is_audited_and_changes_nothing(
    officer_desk: Desk, tmp_path: Path, action: str
) -> None:
    before = _audit(officer_desk)
    officers = officer_desk.store.conn.execute("SELECT count(*) FROM officers").fetchone()
    out = tmp_path / "out"
    with pytest.raises(AuthError, match="lãnh đạo/giám sát"):
        ENTRY_POINTS[action](officer_desk, out)
    after = _audit(officer_desk)
    assert after[: len(before)] == before
    assert after[len(before) :] == [("access.refused", "canbo", action)]
    assert not out.exists() or not any(out.iterdir())
    assert officer_desk.store.conn.execute("SELECT count(*) FROM officers").fetchone() == officers


def test_nobody_logged_in_is_refused_and_audited(desk: Desk) -> None:
    with pytest.raises(AuthError):
        stats.today_figures(desk)
    assert _audit(desk)[-1] == ("access.refused", "", "stats.today")
    officers = desk.store.conn.execute("SELECT count(*) FROM officers").fetchone()
    with pytest.raises(AuthError, match="đăng nhập để tạo tài khoản"):
        desk.create_officer("lenlut", "Người Lén", "supervisor", "98765432")
    assert _audit(desk)[-1] == ("access.refused", "lenlut", "officer.create")
    assert desk.store.conn.execute("SELECT count(*) FROM officers").fetchone() == officers


def _export_args(user: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_export_arguments(parser)
    return parser.parse_args(["--user", user, "--date", "2026-11-26", "--format", "csv"])


@pytest.mark.parametrize(
    ("user", "pin", "expected"),
    [
        ("giamsat", "0000", ["login.failed", "access.refused"]),
        ("giamsat", None, ["access.refused"]),
        ("khongco", "1234", ["login.unknown_user", "access.refused"]),
        ("canbo", "1234", ["login.ok", "access.refused", "logout"]),
    ],
    ids=["wrong-pin", "no-pin", "unknown-user", "officer"],
)
def test_a_refused_scheduled_export_is_audited(
    desk: Desk,
    config: Config,
    clock: FrozenClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    user: str,
    pin: str | None,
    expected: list[str],
) -> None:
    """Finding 3 of issue 14: an officer trying, or a wrong PIN, left no trace."""
    if pin is None:
        monkeypatch.delenv("COUNTER_PIN", raising=False)
        monkeypatch.setattr("sys.stdin", None)
    else:
        monkeypatch.setenv("COUNTER_PIN", pin)
    before = len(_audit(desk))
    args = _export_args(user)
    args.out = tmp_path / "out"
    with pytest.raises(AuthError):
        run_export_command(config, args, clock=clock)
    added = _audit(desk)[before:]
    assert [a for a, _, _ in added] == expected, added
    assert added[expected.index("access.refused")][2] == "export.book"
    assert not args.out.exists()


def test_a_locked_account_is_audited_on_every_try(desk: Desk) -> None:
    for _ in range(desk.config.auth.max_failed_logins):
        with pytest.raises(AuthError):
            desk.login("giamsat", "0000")
    with pytest.raises(AuthError, match="tạm khóa"):
        desk.login("giamsat", "5678")
    actions = [a for a, _, _ in _audit(desk)]
    assert actions[-2:] == ["login.lockout", "login.locked"]


def test_supervisor_checks_outside_auth_go_through_the_audited_path() -> None:
    """The class, not the cases: a new `require_supervisor(...)` call that passes no store
    would refuse without a trace. Every call in the core and the CLI must pass `store=` (or
    use `Desk.require_supervisor`, which does)."""
    root = Path(__file__).resolve().parent.parent
    silent = []
    for path in sorted([*root.glob("counter/*.py"), *root.glob("counter_cli/*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            is_desk = isinstance(func, ast.Attribute) and not (
                isinstance(func.value, ast.Name) and func.value.id == "auth"
            )
            if name != "require_supervisor" or is_desk:
                continue
            if not any(k.arg == "store" for k in node.keywords):
                silent.append(f"{path.name}:{node.lineno}")
    assert silent == [], silent
