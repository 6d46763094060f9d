"""Keys typed in bursts in a real terminal reach the right field, in order, and save.

The app runs in its own process in a pseudo-terminal; each `send` is one write, which the app
reads as one burst, exactly as from a fast typist, a scanner or a remote terminal.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from counter.catalogue import load_catalogue
from counter.config import load_config
from counter.desk import Desk
from counter.store import Store
from tests.support.pty_app import CTRL_S, ENTER, F2, TAB, PtyApp, write_config


def _prepare(tmp_path: Path) -> Path:
    cfg = write_config(tmp_path)
    desk = Desk.open(load_config(cfg))
    desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    desk.close()
    return cfg


def _dossiers(cfg: Path) -> list[dict[str, object]]:
    store = Store(load_config(cfg).db_path)
    try:
        return list(store.db.query("SELECT * FROM dossiers ORDER BY received_at"))
    finally:
        store.close()


def _login(app: PtyApp) -> None:
    app.wait_shown("Đăng nhập")
    app.send("canbo" + TAB + "1234" + ENTER)
    app.wait_shown("Hồ sơ tiếp nhận hôm nay")


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_a_whole_intake_typed_as_one_burst_saves(tmp_path: Path, size: tuple[int, int]) -> None:
    """F2, text right after it, Enter that moves the focus, Tabs and Ctrl+S, all in one read."""
    cfg = _prepare(tmp_path)
    first = load_catalogue(load_config(cfg).counter.catalogue).search("khai sinh", limit=1)[0]
    with PtyApp(cfg, *size) as app:
        _login(app)
        app.send(
            F2
            + "khai sinh"
            + ENTER
            + "Nguyễn Văn An"
            + TAB
            + "001203012345"
            + TAB
            + "0912345678"
            + CTRL_S
        )
        app.wait_for(lambda: len(_dossiers(cfg)) == 1)
    (saved,) = _dossiers(cfg)
    assert saved["procedure_code"] == first.code
    assert saved["applicant_name"] == "Nguyễn Văn An"
    assert saved["applicant_id"] == "001203012345"
    assert saved["applicant_phone"] == "0912345678"


def _draft(cfg: Path) -> dict[str, object] | None:
    import json

    store = Store(load_config(cfg).db_path)
    try:
        row = store.conn.execute("SELECT data FROM intake_drafts").fetchone()
        return None if row is None else dict(json.loads(row[0]))
    finally:
        store.close()


def test_the_form_in_progress_survives_a_crash(tmp_path: Path) -> None:
    cfg = _prepare(tmp_path)
    with PtyApp(cfg, 80, 24) as app:
        _login(app)
        app.send(F2 + "khai sinh" + ENTER + "Hoàng Minh Châu" + TAB + "001203012345")
        app.wait_for(lambda: "001203012345" in str(_draft(cfg)))
        assert app.proc is not None
        app.proc.kill()  # power cut: no chance to save anything more
        app.proc.wait()
    with PtyApp(cfg, 80, 24) as app:
        _login(app)
        app.send(F2)
        app.wait_shown("Hoàng Minh Châu")
        app.wait_shown("001203012345")


def test_enter_after_saving_opens_a_fresh_form_that_gets_the_next_keys(tmp_path: Path) -> None:
    cfg = _prepare(tmp_path)
    with PtyApp(cfg, 160, 50) as app:
        _login(app)
        app.send(F2 + "khai sinh" + ENTER + "Nguyễn Văn An" + TAB + "001203012345" + CTRL_S)
        app.wait_for(lambda: len(_dossiers(cfg)) == 1)
        app.wait_shown("Enter: người tiếp theo")
        # The next citizen, typed straight after Enter, as one burst.
        app.send(ENTER + "chung thuc" + ENTER + "Trần Thị Lan" + TAB + "001190012345" + CTRL_S)
        app.wait_for(lambda: len(_dossiers(cfg)) == 2)
    second = _dossiers(cfg)[1]
    assert second["applicant_name"] == "Trần Thị Lan"
    assert second["applicant_id"] == "001190012345"


CARD = "001303012345|012345678|Lê Thị Hoa|15082003|Nữ|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|20042021"
CTRL_O = "\x0f"


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_a_scanned_id_card_fills_birth_and_sex_and_they_are_kept(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    """The scanner's burst (the card QR and its Enter) right after the procedure, then Ctrl+S:
    name, number, date of birth, sex and address are stored and shown on the dossier."""
    cfg = _prepare(tmp_path)
    with PtyApp(cfg, *size) as app:
        _login(app)
        app.send(F2 + "khai sinh" + ENTER)
        app.send(CARD + ENTER)
        app.send(CTRL_S)
        app.wait_for(lambda: len(_dossiers(cfg)) == 1)
        app.wait_shown("Enter: người tiếp theo")
        app.send(CTRL_O)
        app.wait_shown("15/08/2003")
    (saved,) = _dossiers(cfg)
    assert (saved["applicant_name"], saved["applicant_id"]) == ("Lê Thị Hoa", "001303012345")
    assert (saved["applicant_birth_date"], saved["applicant_sex"]) == ("2003-08-15", "female")
    assert str(saved["applicant_address"]).startswith("Số 1 Tràng Tiền")
