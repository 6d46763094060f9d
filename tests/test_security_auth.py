"""Issue 19, findings 3, 4 and 7: privileged commands authenticate, PINs resist an offline
guess, lockouts grow, and a login answer does not tell who exists."""

from __future__ import annotations

import io
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Literal

import pytest
from argon2 import PasswordHasher, Type

from counter import auth
from counter.config import parse_config
from counter.desk import Desk
from counter.errors import AuthError, InvalidInput
from counter_cli import main
from tests.support.clock import FrozenClock
from tests.support.config import make_config


def _config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[counter]\ndata_dir = "{tmp_path / "data"}"\nnumber = 3\ndemo_data = false\n',
        encoding="utf-8",
    )
    return path


def _cli(
    monkeypatch: pytest.MonkeyPatch, config: Path, *args: str, stdin: str = "", pin: str = ""
) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    if pin:
        monkeypatch.setenv("COUNTER_PIN", pin)
    else:
        monkeypatch.delenv("COUNTER_PIN", raising=False)
    try:
        main(["--config", str(config), *args])
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return 0


def _accounts(tmp_path: Path) -> dict[str, str]:
    conn = sqlite3.connect(tmp_path / "data" / "counter.db")
    try:
        return dict(conn.execute("SELECT username, role FROM officers").fetchall())
    finally:
        conn.close()


def _audit(tmp_path: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(tmp_path / "data" / "counter.db")
    try:
        return conn.execute("SELECT action, username, object FROM audit ORDER BY id").fetchall()
    finally:
        conn.close()


def test_officer_add_without_login_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The replay of finding 3: `echo 99999999 | counter officer-add x X --role supervisor`."""
    config = _config_file(tmp_path)
    assert _cli(monkeypatch, config, "setup", "giamsat", "Lê Văn Hùng", stdin="246810\n") == 0
    assert _accounts(tmp_path) == {"giamsat": "supervisor"}
    # The first supervisor is made once, and the audit names it.
    assert ("officer.first_account", "giamsat", "officer:giamsat") in _audit(tmp_path)
    assert _cli(monkeypatch, config, "setup", "x", "Kẻ Lạ", stdin="99999999\n") == 1

    # Without --user: refused by the parser.
    assert (
        _cli(
            monkeypatch, config, "officer-add", "x", "X", "--role", "supervisor", stdin="99999999\n"
        )
        == 2
    )
    # With a supervisor's name but no PIN (a pipe, no $COUNTER_PIN): refused.
    args = ("officer-add", "xx", "Kẻ Lạ", "--role", "supervisor", "--user", "giamsat")
    assert _cli(monkeypatch, config, *args, stdin="99999999\n") == 1
    # With a wrong PIN: refused.
    assert _cli(monkeypatch, config, *args, stdin="99999999\n", pin="111111") == 1
    assert "xx" not in _accounts(tmp_path)
    # With the supervisor's PIN: made, and the audit says who made it.
    assert _cli(monkeypatch, config, *args, stdin="99999999\n", pin="246810") == 0
    assert _accounts(tmp_path)["xx"] == "supervisor"
    assert ("officer.create", "giamsat", "officer:xx") in _audit(tmp_path)


def test_an_officer_cannot_add_accounts_or_change_roles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config_file(tmp_path)
    assert _cli(monkeypatch, config, "setup", "giamsat", "Lê Văn Hùng", stdin="246810\n") == 0
    add = ("officer-add", "canbo", "Trần Thị Mai", "--user", "giamsat")
    assert _cli(monkeypatch, config, *add, stdin="1357\n", pin="246810") == 0
    # An officer's own PIN opens no privileged command.
    assert (
        _cli(
            monkeypatch,
            config,
            "officer-role",
            "canbo",
            "supervisor",
            "--user",
            "canbo",
            pin="1357",
        )
        == 1
    )
    add_by_officer = ("officer-add", "moi", "Cán Bộ Mới", "--user", "canbo")
    assert _cli(monkeypatch, config, *add_by_officer, stdin="2468\n", pin="1357") == 1
    assert _accounts(tmp_path) == {"giamsat": "supervisor", "canbo": "officer"}
    # Each refusal is in the audit trail, naming who tried which command (issue 14).
    refused = [a for a in _audit(tmp_path) if a[0] == "access.refused"]
    assert refused == [
        ("access.refused", "canbo", "cli.officer-role"),
        ("access.refused", "canbo", "cli.officer-add"),
    ]
    # A supervisor changes a role, audited.
    assert (
        _cli(
            monkeypatch,
            config,
            "officer-role",
            "canbo",
            "supervisor",
            "--user",
            "giamsat",
            pin="246810",
        )
        == 0
    )
    assert _accounts(tmp_path)["canbo"] == "supervisor"
    assert ("officer.role", "giamsat", "officer:canbo") in _audit(tmp_path)
    # Exports too: no PIN, no export.
    assert _cli(monkeypatch, config, "export", "--user", "giamsat") == 1


def test_nobody_logged_in_creates_only_the_first_account(desk: Desk) -> None:
    with pytest.raises(AuthError):
        desk.create_officer("moi", "Cán Bộ Mới", "supervisor", "99999999")


def test_supervisor_pins_need_six_digits_by_default(desk: Desk, tmp_path: Path) -> None:
    desk.login("giamsat", "5678")
    with pytest.raises(InvalidInput, match="6 đến 8"):
        desk.create_officer("sep", "Lãnh Đạo", "supervisor", "4321")
    assert desk.create_officer("sep", "Lãnh Đạo", "supervisor", "482915").is_supervisor
    assert desk.create_officer("cb2", "Cán Bộ Hai", "officer", "4321").role == "officer"
    # Configurable.
    strict = parse_config({"auth": {"officer_pin_digits": 6, "supervisor_pin_digits": 8}})
    assert (strict.auth.officer_pin_digits, strict.auth.supervisor_pin_digits) == (6, 8)
    assert parse_config({}).auth.supervisor_pin_digits == 6
    with pytest.raises(Exception, match="supervisor_pin_digits"):
        parse_config({"auth": {"supervisor_pin_digits": 4}})


def test_production_argon2_parameters_resist_an_offline_guess() -> None:
    """Finding 4: a 4-digit PIN came back from its hash in 173 s. The parameters are argon2id
    with 64 MiB and 6 passes (bench/bench_auth.py measures the time per guess)."""
    production = PasswordHasher(
        time_cost=auth.ARGON2_TIME_COST, memory_cost=auth.ARGON2_MEMORY_KIB, parallelism=1
    )
    assert production.type is Type.ID
    assert auth.ARGON2_MEMORY_KIB >= 65536 and auth.ARGON2_TIME_COST >= 6
    # Hashes made with the old, lighter parameters are upgraded at the next good login.
    old = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash("1234")
    assert production.check_needs_rehash(old)


def test_unknown_user_costs_the_same_argon2_work(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 7: an unknown user was answered in 3 ms, a known one in 81 ms."""
    calls: list[str] = []

    class Counting(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            calls.append(str(hash))
            return super().verify(hash, password)

    light = auth._HASHER
    monkeypatch.setattr(
        auth, "_HASHER", Counting(light.time_cost, light.memory_cost, light.parallelism)
    )
    with pytest.raises(AuthError) as unknown:
        desk.login("khongco", "0000")
    with pytest.raises(AuthError) as known:
        desk.login("canbo", "0000")
    assert len(calls) == 2  # one argon2 verification each
    assert str(unknown.value) == str(known.value)  # and the same words: no "tries left"
    assert unknown.value.message("en") == known.value.message("en")


def test_lockouts_grow(desk: Desk, clock: FrozenClock) -> None:
    """Finding 7: 5 tries per 15 minutes allowed ~480 guesses a day."""
    lengths = []
    for _ in range(4):
        for _ in range(4):
            with pytest.raises(AuthError):
                desk.login("canbo", "0000")
        with pytest.raises(AuthError, match="khóa") as locked:
            desk.login("canbo", "0000")
        lengths.append(int(str(locked.value).split("khóa ")[1].split(" ")[0]))
        clock.now = clock.now + timedelta(minutes=lengths[-1] + 1)
    assert lengths == [15, 30, 60, 120]
    assert desk.login("canbo", "1234").username == "canbo"  # a good login resets the count
    for _ in range(4):
        with pytest.raises(AuthError):
            desk.login("canbo", "0000")
    with pytest.raises(AuthError, match="khóa 15 phút"):
        desk.login("canbo", "0000")
    capped = make_config(Path("."), auth={"lockout_minutes": 600, "max_lockout_hours": 24})
    assert auth.lockout_minutes(capped.auth, 5) == 24 * 60
