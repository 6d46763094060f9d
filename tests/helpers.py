"""Builders shared by tests."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from counter.desk import Desk
from counter.dossiers import Applicant, DossierDraft, documents_from_procedure

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
