"""Dossier drafts and demo stores the tests build on (what a desk needs before a test acts)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from counter.config import Config
from counter.demo import seed_demo
from counter.desk import Desk
from counter.dossiers import Applicant, DossierDraft, documents_from_procedure
from counter.timeutil import Clock

# Chứng thực bản sao từ bản chính: same day, 15:00 cut-off, fee 2 000 đ.
CERTIFY = "2.000815"
# Đăng ký khai sinh.
BIRTH = "1.001193"


def draft_for(desk: Desk, procedure_code: str = BIRTH, **changes: Any) -> DossierDraft:
    procedure = desk.catalogue.get(procedure_code)
    draft = DossierDraft(
        procedure_code=procedure.code,
        applicant=Applicant(
            name="Nguyễn Văn Đức",
            id_number="001090012345",
            phone="0912 345 678",
            address="Số 5 Hàng Bạc, phường Hoàn Kiếm, Hà Nội",
        ),
        documents=documents_from_procedure(procedure),
        delivery=procedure.delivery[0],
    )
    return replace(draft, **changes)


def seed_demo_store(root: Path, clock: Clock, *, days: int, per_day: int) -> Path:
    """A store of demo dossiers under `root` (slow: seeding logs in per dossier); its path."""
    from tests.support.config import make_config

    desk = Desk.open(make_config(root), clock=clock)
    assert seed_demo(desk, days=days, per_day=per_day) > 50
    desk.close()
    return root / "data" / "counter.db"


def supervisor_on_copy(store: Path, config: Config, clock: Clock) -> Desk:
    """A desk on a fresh copy of `store` (tests may change it), the supervisor logged in."""
    config.db_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(store, config.db_path)
    desk = Desk.open(config, clock=clock)
    desk.login("giamsat", "5678")
    return desk
