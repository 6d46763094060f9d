"""Officers and the audit trail: hashing, lockout, roles, every login audited, chain verified."""

from __future__ import annotations

from datetime import timedelta

import pytest

from counter import audit
from counter.desk import Desk
from counter.errors import AuthError, InvalidInput
from tests.support.builders import draft_for
from tests.support.clock import FrozenClock


def audit_actions(desk: Desk) -> list[str]:
    return [r[0] for r in desk.store.conn.execute("SELECT action FROM audit ORDER BY id")]


def test_secret_is_hashed_with_argon2(desk: Desk) -> None:
    row = desk.store.conn.execute(
        "SELECT secret_hash FROM officers WHERE username = 'canbo'"
    ).fetchone()
    assert row[0].startswith("$argon2id$")
    assert "1234" not in row[0]


def test_login_ok_and_audited(desk: Desk) -> None:
    officer = desk.login("CanBo", "1234")
    assert officer.username == "canbo" and officer.role == "officer"
    assert audit_actions(desk)[-1] == "login.ok"


def test_wrong_pin_then_lockout_then_unlock(desk: Desk, clock: FrozenClock) -> None:
    for _ in range(4):
        with pytest.raises(AuthError, match=r"Sai tên đăng nhập hoặc mã PIN/mật khẩu$"):
            desk.login("canbo", "0000")
    with pytest.raises(AuthError, match="khóa 15 phút"):
        desk.login("canbo", "0000")
    # Locked: even the right PIN is refused until the lockout ends.
    with pytest.raises(AuthError, match="tạm khóa"):
        desk.login("canbo", "1234")
    clock.now = clock.now + timedelta(minutes=16)
    assert desk.login("canbo", "1234").username == "canbo"
    actions = audit_actions(desk)
    assert actions.count("login.failed") == 4
    assert "login.lockout" in actions and "login.locked" in actions


def test_unknown_user_is_audited_without_revealing(desk: Desk) -> None:
    with pytest.raises(AuthError, match="Sai tên đăng nhập"):
        desk.login("nobody", "1234")
    assert audit_actions(desk)[-1] == "login.unknown_user"


@pytest.mark.parametrize("secret", ["12", "123456789", "short"])
def test_weak_secrets_are_refused(desk: Desk, secret: str) -> None:
    desk.login("giamsat", "5678")
    with pytest.raises(InvalidInput):
        desk.create_officer("moi", "Cán Bộ Mới", "officer", secret)


def test_only_supervisors_create_officers(desk: Desk) -> None:
    desk.login("canbo", "1234")
    with pytest.raises(AuthError, match="lãnh đạo"):
        desk.create_officer("moi", "Cán Bộ Mới", "officer", "4321")
    desk.logout()
    desk.login("giamsat", "5678")
    assert desk.create_officer("moi", "Cán Bộ Mới", "officer", "4321").role == "officer"
    with pytest.raises(InvalidInput, match="đã tồn tại"):
        desk.create_officer("moi", "Cán Bộ Khác", "officer", "4321")


def test_audit_chain_detects_edit_insert_delete(officer_desk: Desk) -> None:
    d = officer_desk.receive(draft_for(officer_desk))
    officer_desk.act(d.uuid, "start_processing")
    db = officer_desk.store.db
    assert audit.verify_chain(db) == []
    conn = officer_desk.store.conn
    conn.executescript("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;")
    conn.execute('UPDATE audit SET details = \'{"to":"returned"}\' WHERE id = 4')
    problems = audit.verify_chain(db)
    assert [p.audit_id for p in problems] == [4]
    conn.execute("DELETE FROM audit WHERE id = 4")
    assert any("missing" in p.problem for p in audit.verify_chain(db))
