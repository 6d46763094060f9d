"""Typed print documents: what the spool stores is exactly the form's fields, read back
strictly. A renamed, missing or mistyped field fails loudly (and never reaches the printer)
instead of vanishing from the citizen's receipt; a job spooled before typed documents prints
the same bytes from a real SQLite file."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import types
import typing
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counter import spool
from counter.desk import Desk
from counter.documents import (
    DOCUMENT_KINDS,
    PRINT_TIME_FIELDS,
    Document,
    DocumentFieldError,
    ReceiptData,
    document_fields,
    document_from_fields,
    kind_of,
)
from counter.timeutil import VN_TZ, iso
from printing.spool_worker import drain_once, job_bytes
from tests.golden.spooled_forms import PRINTERS, SPOOLED, golden
from tests.support.builders import CERTIFY, draft_for
from tests.support.clock import FrozenClock
from tests.support.config import make_config
from tests.support.printer_emulator import EmulatedPrinter

NAME = "Nguyễn Thị Hằng"


def receipt_desk(tmp_path: Path, clock: FrozenClock, target: str) -> Desk:
    cfg = make_config(tmp_path, printer={"name": "quay", "transport": "network", "target": target})
    desk = Desk.open(cfg, clock=clock)
    desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    desk.login("canbo", "1234")
    return desk


def saved_receipt(desk: Desk) -> ReceiptData:
    d = desk.receive(draft_for(desk, CERTIFY))
    doc = desk.receipt_fields(d)
    assert isinstance(doc, ReceiptData)
    return doc


def test_a_renamed_field_fails_loudly(officer_desk: Desk) -> None:
    fields = document_fields(saved_receipt(officer_desk))
    fields["applicant_fullname"] = fields.pop("applicant_name")  # a rename on one side only
    with pytest.raises(DocumentFieldError, match="applicant_fullname") as raised:
        document_from_fields("receipt", fields)
    assert "unknown" in str(raised.value)


def test_a_missing_or_mistyped_field_or_kind_fails_loudly(officer_desk: Desk) -> None:
    fields = document_fields(saved_receipt(officer_desk))
    without = {k: v for k, v in fields.items() if k != "due_at"}
    with pytest.raises(DocumentFieldError, match=r"missing field.*due_at"):
        document_from_fields("receipt", without)
    for key, wrong in (("fee_amount", "15000"), ("due_at", "not a date"), ("reprint", 1)):
        with pytest.raises(DocumentFieldError, match=key) as raised:
            document_from_fields("receipt", fields | {key: wrong})
        assert NAME not in str(raised.value)  # the message names fields, never their values
    with pytest.raises(DocumentFieldError, match="unknown document kind"):
        document_from_fields("receipt-v2", fields)


def test_the_spool_refuses_a_document_of_another_kind(officer_desk: Desk) -> None:
    doc = saved_receipt(officer_desk)
    with officer_desk.store.write() as db, pytest.raises(ValueError, match="not a 'ticket'"):
        spool.enqueue(
            db, kind="ticket", ref="x", printer="preview", document=doc, now=doc.received_at
        )


def test_a_spooled_job_with_a_renamed_field_never_prints_and_says_why(
    tmp_path: Path, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Real SQLite, real worker, printer emulated on loopback: the job fails visibly (F3
    shows the error), nothing reaches the printer, and the log names no citizen."""
    printer = EmulatedPrinter("ok")
    try:
        desk = receipt_desk(tmp_path, clock, printer.target)
        d = desk.receive(draft_for(desk, CERTIFY))
        (job,) = desk.print_jobs(d.uuid)
        stored = dict(job.document)
        stored["applicant_fullname"] = stored.pop("applicant_name")
        with desk.store.write() as db:
            db.conn.execute(
                "UPDATE print_jobs SET document = ? WHERE id = ?",
                (json.dumps(stored, ensure_ascii=False), job.id),
            )
        caplog.set_level(logging.INFO)
        (result,) = drain_once(desk.store, desk.config, desk.now)
        assert not result.ok and "applicant_fullname" in result.error
        assert spool.get_job(desk.store, job.id).status == "pending"
        assert printer.connections == 0 and printer.jobs == []
        assert "applicant_fullname" in caplog.text and d.applicant.name not in caplog.text
    finally:
        printer.close()


def test_a_job_spooled_before_typed_documents_prints_the_same_bytes(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """The rows the old code wrote (its dicts as JSON, in its key order), read back from a real
    SQLite file through the spool, print exactly the golden bytes."""
    desk = receipt_desk(tmp_path, clock, "127.0.0.1:9")
    recorded = golden()
    now = iso(clock.now)
    with desk.store.write() as db:
        ids = {
            name: db.conn.execute(
                "INSERT INTO print_jobs(created_at, kind, ref, printer, document, copies, "
                "reprint, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (now, kind, name, "quay", json.dumps(fields), copies, int(reprint), now),
            ).lastrowid
            for name, (kind, fields, copies, reprint) in SPOOLED.items()
        }
    for name, job_id in ids.items():
        job = spool.get_job(desk.store, int(job_id or 0))
        for label, printer in PRINTERS.items():
            data = job_bytes(job, printer)
            digest = f"{len(data)}:{hashlib.sha256(data).hexdigest()}"
            assert digest == recorded[f"{name}/{label}"], (name, label)


# -- the round trip, for every kind: what is stored is what prints ---------------------------

TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(VN_TZ)
).map(lambda m: m.replace(microsecond=0))


def strategy_for(hint: object) -> st.SearchStrategy[object]:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(strategy_for(a) for a in typing.get_args(hint)))
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(strategy_for(args[0]), max_size=3).map(tuple)
        return st.tuples(*(strategy_for(a) for a in args))
    table: dict[object, st.SearchStrategy[object]] = {
        str: TEXT,
        int: st.integers(-(2**40), 2**40),
        bool: st.booleans(),
        datetime: MOMENTS,
        type(None): st.none(),
    }
    return table[hint]


def documents_of(cls: type[Document]) -> st.SearchStrategy[Document]:
    hints = typing.get_type_hints(cls)
    return st.builds(
        cls,
        **{
            f.name: strategy_for(hints[f.name])
            for f in dataclasses.fields(cls)
            if f.name not in PRINT_TIME_FIELDS
        },
    )


ANY_DOCUMENT = st.one_of(*(documents_of(cls) for cls in DOCUMENT_KINDS.values()))


@settings(max_examples=200, deadline=None)
@given(ANY_DOCUMENT)
def test_every_document_survives_the_spool_json_unchanged(doc: Document) -> None:
    stored = json.loads(json.dumps(document_fields(doc), ensure_ascii=False))
    assert document_from_fields(kind_of(doc), stored) == doc
    assert set(stored) | PRINT_TIME_FIELDS >= {f.name for f in dataclasses.fields(doc)}


def test_every_document_kind_has_exactly_one_printed_form() -> None:
    """A new typed document without its table in printing/layout.py fails here, not at the
    counter when its first job is drained."""
    from printing.layout import FORMS, layout

    assert set(FORMS) == set(DOCUMENT_KINDS.values())
    with pytest.raises(TypeError, match="not a printable document"):
        layout(object())  # type: ignore[arg-type]
