"""TCVN-3 text mode: every Vietnamese letter on the right page, and clear refusals."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counter.config import PrinterConfig
from counter.timeutil import VN_TZ
from printing import tcvn3
from printing.decode import decode_raster
from printing.documents import ReceiptData, TicketData
from printing.errors import PrinterConfigError
from printing.letters import ALL, LOWER, UPPER
from printing.render import render_job
from printing.testpage import build_self_test

AT = datetime(2026, 11, 26, 14, 5, tzinfo=VN_TZ)


def test_there_are_134_letters() -> None:
    assert len(LOWER) == len(UPPER) == 67 and len(set(ALL)) == 134
    assert "đ" in LOWER and "\u0110" in UPPER and "\u00d0" not in UPPER


@pytest.mark.parametrize("letter", LOWER)
def test_lower_case_letters_use_page_1(letter: str) -> None:
    runs = tcvn3.encode(letter)
    assert len(runs) == 1 and runs[0][0] == tcvn3.LOWER_PAGE and len(runs[0][1]) == 1
    assert tcvn3.decode(runs) == letter


@pytest.mark.parametrize("letter", UPPER)
def test_upper_case_letters_use_page_2(letter: str) -> None:
    runs = tcvn3.encode(letter)
    assert len(runs) == 1 and runs[0][0] == tcvn3.UPPER_PAGE and len(runs[0][1]) == 1
    assert tcvn3.decode(runs) == letter


def test_tables_are_one_to_one() -> None:
    for page, table in tcvn3.ENCODE.items():
        assert len(set(table.values())) == len(table) == 67, page
        assert all(b >= 0x80 for b in table.values())


@given(st.text(alphabet=st.sampled_from([*ALL, *"abcXYZ019 .,:-/()"]), max_size=80))
def test_round_trip(text: str) -> None:
    runs = tcvn3.encode(text)
    assert tcvn3.decode(runs) == text
    assert all(a[0] != b[0] for a, b in itertools.pairwise(runs))  # no useless switches


def test_decomposed_input_and_typography() -> None:
    assert tcvn3.decode(tcvn3.encode("Nguye\u0302\u0303n – “Đức”…")) == 'Nguyễn - "Đức"...'
    with pytest.raises(tcvn3.UnencodableText):
        tcvn3.encode("李")


def _printer(profile: str, mode: str, width: int = 576, **kw: object) -> PrinterConfig:
    return PrinterConfig(profile=profile, mode=mode, paper_width_dots=width, **kw)  # type: ignore[arg-type]


def _ticket() -> TicketData:
    return TicketData("A015", "Tư pháp – Hộ tịch", AT, 2, "Trung tâm Phục vụ hành chính công", 3)


def test_text_mode_on_a_tcvn3_profile() -> None:
    job = render_job(_ticket(), _printer("TM-T20II", "text-tcvn3"))
    assert job.mode == "text-tcvn3" and job.image is None
    assert job.data.startswith(b"\x1b@")
    assert b"\x1bt\x1e" in job.data  # ESC t 30: TCVN-3-1
    assert b"?" not in job.data
    assert tcvn3.encode("Mời đến quầy số 3")[0][1] in job.data


def test_text_mode_on_pos5890_is_refused() -> None:
    with pytest.raises(PrinterConfigError) as err:
        render_job(_ticket(), _printer("POS-5890", "text-tcvn3", 384))
    assert "không hỗ trợ tiếng Việt ở chế độ chữ" in err.value.vi and "raster" in err.value.vi


def test_ascii_mode_folds() -> None:
    job = render_job(_ticket(), _printer("POS-5890", "text-ascii", 384))
    assert b"Moi den quay so 3" in job.data and b"?" not in job.data
    assert max(job.data[job.data.index(b"Moi") : job.data.index(b"Moi") + 20]) < 0x80


def test_unprintable_name_falls_back_to_raster() -> None:
    doc = TicketData("A001", "Tư pháp", AT, 0, "Trung tâm 中心")
    job = render_job(doc, _printer("TM-T20II", "text-tcvn3"))
    assert job.mode == "raster" and job.image is not None


def test_native_qr_is_opt_in_and_checked() -> None:
    doc = ReceiptData(
        agency_name="UBND",
        centre="",
        code="000.00.12.H26-261126-0001",
        applicant_name="Đặng Văn Ất",
        applicant_id="001",
        procedure_name="Chứng thực",
        received_at=AT,
        due_at=AT,
        lookup_url="HTTP://X/TRA-CUU/1",
    )
    job = render_job(doc, _printer("TM-T20II", "raster", native_qr=True))
    assert b"\x1d(k" in job.data and job.image is not None
    image_only = render_job(doc, _printer("TM-T20II", "raster"))
    assert b"\x1d(k" not in image_only.data
    with pytest.raises(PrinterConfigError):
        render_job(doc, _printer("POS-5890", "text-ascii", 384, native_qr=True))


def test_profile_narrower_than_paper_is_refused() -> None:
    with pytest.raises(PrinterConfigError) as err:
        render_job(_ticket(), _printer("TM-T88V", "raster", 576))
    assert "512" in err.value.vi


def test_self_test_page_has_every_letter() -> None:
    page = build_self_test(_printer("TM-T20II", "text-tcvn3"), AT)
    job = render_job(page, _printer("TM-T20II", "text-tcvn3"))
    for letter in ALL:
        assert tcvn3.encode(letter)[0][1] in job.data
    raster = render_job(page, _printer("POS-5890", "raster", 384))
    assert (
        raster.image is not None
        and decode_raster(raster.data, 384).tobytes() == raster.image.tobytes()
    )
