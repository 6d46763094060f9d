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
from tests.pty_app import CTRL_S, ENTER, F2, TAB, PtyApp, write_config


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
    app.wait_drawn("Đăng nhập")
    mark = app.mark()
    app.send("canbo" + TAB + "1234" + ENTER)
    app.wait_drawn("Hồ sơ tiếp nhận hôm nay", since=mark)


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
