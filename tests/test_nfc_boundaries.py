"""Text is NFC wherever it enters: config, catalogue, forms, scanned ID cards, changes pulled
from the portal, and (last gate) everything that reaches the printer. Some Vietnamese input
methods type decomposed letters ("phuờng" as u + combining horn + combining grave); each test
feeds that form through one boundary and expects exactly what the composed form gives.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from counter import sync
from counter.catalogue import load_catalogue, parse_catalogue
from counter.config import PrinterConfig
from counter.desk import Desk
from counter.idcard import read_id_card_qr
from counter.timeutil import VN_TZ
from counter.worktime import WorkCalendar
from printing.blocks import Big, Column, Span, Table, Text
from printing.documents import TicketData
from printing.letters import ALL
from printing.raster import render
from printing.render import render_job
from printing.spool_worker import build_documents
from tests.support.builders import draft_for
from tests.support.clock import FrozenClock
from tests.support.config import make_config

AGENCY = "UBND phường Hoàn Kiếm"
NAME = "Nguyễn Thị Hường"


def nfd(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    assert decomposed != text  # the test really feeds decomposed text
    return decomposed


def is_nfc(value: object) -> bool:
    if isinstance(value, str):
        return unicodedata.is_normalized("NFC", value)
    if isinstance(value, dict):
        return all(is_nfc(k) and is_nfc(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(is_nfc(v) for v in value)
    return True


def test_config_strings_are_nfc_and_print_like_composed(tmp_path: Path) -> None:
    """The issue's case: a decomposed agency name passed check-config and printed
    "phuờng Hoaǹ Kiêḿ". Now the config holds NFC, and the printed bytes are identical."""
    composed = make_config(tmp_path / "a", agency={"name": AGENCY, "centre": "Trung tâm Hà Nội"})
    decomposed = make_config(
        tmp_path / "b", agency={"name": nfd(AGENCY), "centre": nfd("Trung tâm Hà Nội")}
    )
    assert decomposed.agency.name == AGENCY and decomposed.agency.centre == "Trung tâm Hà Nội"
    at = datetime(2026, 11, 26, 8, 15, tzinfo=VN_TZ)
    bytes_of = [
        render_job(TicketData("A015", "Tư pháp", at, 2, c.agency.centre), PrinterConfig()).data
        for c in (composed, decomposed)
    ]
    assert bytes_of[0] == bytes_of[1]


def test_catalogue_names_are_nfc() -> None:
    shipped = load_catalogue()
    text = (Path(__file__).resolve().parents[1] / "counter/data/catalogue.toml").read_text()
    decomposed = parse_catalogue(unicodedata.normalize("NFD", text), "nfd.toml")
    assert [p.name for p in decomposed.procedures] == [p.name for p in shipped.procedures]
    assert all(is_nfc(p.name) and is_nfc(p.field) for p in decomposed.procedures)
    code = shipped.procedures[0].code
    assert decomposed.get(code).documents == shipped.get(code).documents


def test_form_fields_are_nfc_in_the_store_and_on_the_receipt(officer_desk: Desk) -> None:
    draft = draft_for(officer_desk)
    draft = replace(
        draft,
        applicant=replace(
            draft.applicant, name=nfd(NAME), address=nfd("Số 5 Hàng Bạc, phường Hoàn Kiếm")
        ),
        documents=tuple(replace(d, name=nfd(d.name + " bản dịch")) for d in draft.documents),
        note=nfd("Ghi chú: bổ sung sau"),
    )
    d = officer_desk.receive(draft)
    stored = officer_desk.get(d.uuid)
    assert stored.applicant.name == NAME
    assert stored.applicant.address == "Số 5 Hàng Bạc, phường Hoàn Kiếm"
    assert all(is_nfc(doc.name) for doc in stored.documents) and is_nfc(stored.note)
    job = officer_desk.print_jobs(d.uuid)[0]
    assert is_nfc(job.document)
    assert officer_desk.search(nfd("hường")).dossiers[0].uuid == d.uuid


def test_scanned_id_card_is_nfc() -> None:
    qr = f"001090012345|123456789|{nfd(NAME)}|01011990|Nữ|{nfd('Hà Nội')}|01012021"
    card = read_id_card_qr(qr, today=date(2026, 11, 26))
    assert card is not None and card.name == NAME


def test_pulled_changes_are_nfc(officer_desk: Desk, clock: FrozenClock) -> None:
    d = officer_desk.receive(draft_for(officer_desk))
    store = officer_desk.store
    cfg = officer_desk.config
    ctx = sync._PullContext(
        officer_desk.device_id, WorkCalendar(cfg.office_hours, cfg.holidays), clock.now
    )
    report = sync.SyncReport()
    change = {
        "id": 1,
        "kind": "dossier.correction",
        "dossier_uuid": d.uuid,
        "data": {
            "fields": {"applicant_address": nfd("Ngõ 3 phố Huế"), "note": nfd("Đã sửa")},
            "by": nfd("Phòng Tư pháp"),
        },
    }
    with store.write():
        sync._apply_one(store, ctx, change, report)
    assert report.pull_applied + report.pulled >= 1 and report.pull_rejected == 0
    stored = officer_desk.get(d.uuid)
    assert stored.applicant.address == "Ngõ 3 phố Huế" and stored.note == "Đã sửa"
    kept = store.conn.execute("SELECT data FROM pulled_changes WHERE change_id = 1").fetchone()
    assert is_nfc(kept[0])


@settings(max_examples=25, deadline=None)
@given(st.text(alphabet=st.sampled_from([*ALL, *"abcXYZ019 .,:-"]), min_size=1, max_size=40))
def test_anything_that_reaches_the_printer_prints_as_nfc(text: str) -> None:
    """The last gate: blocks built from decomposed text raster to the same dots."""
    decomposed = unicodedata.normalize("NFD", text)

    def blocks(s: str, short: str) -> list[Text | Big | Table]:
        return [
            Text((Span(s), Span(s, True))),
            Big(short),
            Table((Column(s, 1.0), Column("TT", 0.2)), ((s, "1"),)),
        ]

    short = text[:8]
    ours = render(blocks(text, short), 384).tobytes()
    assert render(blocks(decomposed, unicodedata.normalize("NFD", short)), 384).tobytes() == ours


def test_receipt_from_decomposed_job_fields_matches_composed(officer_desk: Desk) -> None:
    """A job saved before this fix (decomposed fields in its JSON) still prints right."""
    draft = draft_for(officer_desk)
    d = officer_desk.receive(replace(draft, applicant=replace(draft.applicant, name=NAME)))
    job = officer_desk.print_jobs(d.uuid)[0]
    old = replace(
        job, document={k: nfd(v) if k == "applicant_name" else v for k, v in job.document.items()}
    )
    printer = officer_desk.config.printers[0]
    ours = [render_job(doc, printer).data for doc in build_documents(job)]
    theirs = [render_job(doc, printer).data for doc in build_documents(old)]
    assert ours == theirs
