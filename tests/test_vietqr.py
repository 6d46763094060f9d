"""VietQR payloads: the public NAPAS example, CRC check value, TLV structure."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counter.vietqr import build_vietqr, crc16_ccitt_false, parse_tlv, transfer_content, verify_crc

EXAMPLE = (
    "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA"
    "530370454061200005802VN62170813ung ho lu lut6304C15C"
)


def bitwise_crc16_ccitt_false(data: bytes) -> int:
    """The CRC as the EMVCo specification spells it out, bit by bit: the oracle for the
    standard library's table-driven `binascii.crc_hqx` that the core uses."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def test_crc_check_value() -> None:
    assert crc16_ccitt_false(b"123456789") == 0x29B1  # the catalogued check value
    assert crc16_ccitt_false(b"") == 0xFFFF  # the initial value, nothing folded in


def test_crc_of_the_published_napas_example() -> None:
    """The CRC field of the public NAPAS/EMVCo example is the CRC of everything before it."""
    assert EXAMPLE[-8:-4] == "6304"
    assert crc16_ccitt_false(EXAMPLE[:-4].encode("ascii")) == int(EXAMPLE[-4:], 16) == 0xC15C


@given(st.binary(max_size=512))
def test_crc_matches_the_bitwise_definition(data: bytes) -> None:
    assert crc16_ccitt_false(data) == bitwise_crc16_ccitt_false(data)


def test_public_example_is_reproduced_exactly() -> None:
    assert build_vietqr("970415", "0011001932418", 120000, "ung ho lu lut") == EXAMPLE
    assert verify_crc(EXAMPLE)


def test_static_qr_has_no_amount() -> None:
    payload = build_vietqr("970415", "0011001932418", None, "")
    top = parse_tlv(payload)
    assert top["01"] == "11" and "54" not in top and "62" not in top
    assert verify_crc(payload)


def test_nested_fields() -> None:
    top = parse_tlv(EXAMPLE)
    merchant = parse_tlv(top["38"])
    assert merchant["00"] == "A000000727" and merchant["02"] == "QRIBFTTA"
    assert parse_tlv(merchant["01"]) == {"00": "970415", "01": "0011001932418"}
    assert top["53"] == "704" and top["54"] == "120000" and top["58"] == "VN"
    assert parse_tlv(top["62"])["08"] == "ung ho lu lut"


def test_content_is_folded_and_limited() -> None:
    assert (
        transfer_content("Nộp lệ phí hồ sơ 000.00.12.H26-261126-0001")
        == "Nop le phi ho so 000 00 1"
    )
    assert transfer_content("Đặng Thị Ánh!!") == "Dang Thi Anh"


def test_tampering_breaks_the_crc() -> None:
    assert not verify_crc(EXAMPLE.replace("120000", "920000"))
    assert not verify_crc("no crc here")


@pytest.mark.parametrize(
    "args",
    [
        ("97041", "1", 1, ""),
        ("970415", "", 1, ""),
        ("970415", "1", 0, ""),
        ("970415", "1-2", 1, ""),
    ],
)
def test_bad_input_is_refused(args: tuple[str, str, int, str]) -> None:
    with pytest.raises(ValueError):
        build_vietqr(*args)


@given(
    amount=st.none() | st.integers(1, 10**12),
    content=st.text(max_size=60),
    account=st.from_regex(r"[0-9A-Z]{1,19}", fullmatch=True),
)
def test_every_payload_parses_and_verifies(amount: int | None, content: str, account: str) -> None:
    payload = build_vietqr("970436", account, amount, content)
    assert payload.isascii() and verify_crc(payload)
    top = parse_tlv(payload)
    assert top.get("54") == (None if amount is None else str(amount))
    if "62" in top:
        note = parse_tlv(top["62"])["08"]
        assert 0 < len(note) <= 25 and note == transfer_content(content)
