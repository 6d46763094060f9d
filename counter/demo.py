"""Demo data for a first run: two officers and a few days of realistic dossiers.

Made through the same Desk calls an officer's keys make (backdated with a clock), so the demo
store has real codes, timelines, audit and outbox entries, never hand-written rows.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from counter import auth
from counter.catalogue import Procedure
from counter.desk import Desk
from counter.dossiers import Applicant, DossierDraft, Representative, documents_from_procedure
from counter.errors import CounterError
from counter.store import DEMO_MARK

DEMO_OFFICERS = (
    ("canbo", "Trần Thị Mai", "officer", "1234"),
    ("giamsat", "Lê Văn Hùng", "supervisor", "5678"),
)

FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Thu", "Hữu", "Xuân"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Đức",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hoa",
    "Hùng",
    "Hương",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Phúc",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Tuấn",
    "Việt",
    "Yến",
]
STREETS = [
    "Hàng Bạc",
    "Hàng Gai",
    "Lý Thái Tổ",
    "Đinh Tiên Hoàng",
    "Hàng Đào",
    "Tràng Tiền",
    "Hàng Trống",
    "Lò Sũ",
]


def random_person(rng: random.Random) -> Applicant:
    year = rng.randint(1950, 2005)
    century_sex = (0 if year < 2000 else 2) + rng.randint(0, 1)
    id_number = f"001{century_sex}{year % 100:02d}{rng.randint(0, 999_999):06d}"
    phone = f"09{rng.randint(0, 99_999_999):08d}"
    name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    address = f"Số {rng.randint(1, 120)} {rng.choice(STREETS)}, phường Hoàn Kiếm, Hà Nội"
    return Applicant(name=name, id_number=id_number, phone=phone, address=address)


def seed_demo(desk: Desk, *, days: int = 4, per_day: int = 9, seed: int = 7) -> int:
    """Fill an empty store; returns how many dossiers were made (0 if it had officers)."""
    if desk.has_officers():
        return 0
    # Marked first: a portal refuses this store, so fake people never reach a real one.
    desk.store.set_setting(DEMO_MARK, "1")
    by: auth.Officer | None = None
    for username, full_name, role, secret in sorted(
        DEMO_OFFICERS, key=lambda o: o[2] != "supervisor"
    ):
        # Straight to the accounts table: the demo's 4-digit supervisor PIN is below the
        # production PIN policy on purpose (README), and the first account vouches for the rest.
        account = auth.create_officer(
            desk.store,
            username=username,
            full_name=full_name,
            role=role,
            secret=secret,
            now=desk.now(),
            by=by,
        )
        by = by or account
    rng = random.Random(seed)
    real_clock = desk.clock
    today = desk.now().replace(hour=0, minute=0, second=0, microsecond=0)
    made = 0
    procedures = list(desk.catalogue.procedures)
    try:
        desk.officer = None
        day = today - timedelta(days=days)
        while day <= today:
            if desk.calendar.is_working_day(day.date()):
                for _ in range(per_day):
                    at = day + timedelta(hours=8, minutes=rng.randint(0, 8 * 60))
                    if day == today and at > real_clock():
                        continue
                    made += _one(desk, rng, rng.choice(procedures), at)
            day += timedelta(days=1)
    finally:
        desk.clock = real_clock
        desk.officer = None
    return made


def _one(desk: Desk, rng: random.Random, procedure: Procedure, at: datetime) -> int:
    desk.clock = lambda: at
    desk.officer = None
    desk.login("canbo", "1234")
    rep = None
    if rng.random() < 0.15:
        person = random_person(rng)
        rep = Representative(person.name, person.id_number, person.phone, "Giấy ủy quyền")
    draft = DossierDraft(
        procedure_code=procedure.code,
        applicant=random_person(rng),
        representative=rep,
        documents=documents_from_procedure(procedure),
        payment_method="transfer" if procedure.fee and rng.random() < 0.5 else "cash",
        delivery=procedure.delivery[0],
    )
    try:
        dossier = desk.receive(draft)
    except CounterError:
        return 0
    step = at + timedelta(minutes=rng.randint(20, 240))
    roll = rng.random()
    desk.clock = lambda: step
    if roll < 0.15:
        desk.act(
            dossier.uuid,
            "request_supplement",
            items=["Bản sao giấy khai sinh"],
            reason="Bản sao chưa được chứng thực",
        )
    elif roll < 0.2:
        desk.act(dossier.uuid, "withdraw", reason="Công dân xin rút để bổ sung thông tin")
    elif roll < 0.7:
        desk.act(dossier.uuid, "start_processing")
        if rng.random() < 0.6:
            desk.act(dossier.uuid, "result_ready")
            if rng.random() < 0.6:
                desk.act(dossier.uuid, "return_result", to=dossier.applicant.name)
    desk.logout()
    return 1
