"""Reading the QR of a chip ID card (CCCD) as a kiosk scanner types it."""

from __future__ import annotations

from datetime import date

from counter.idcard import read_id_card_qr

TODAY = date(2026, 11, 26)
CARD = "001090012345|123456789|Nguyễn Văn An|15031990|Nam|Số 5 Hàng Bạc, Hoàn Kiếm, Hà Nội|01072021"


def test_a_card_gives_its_number_name_and_age() -> None:
    card = read_id_card_qr(CARD, today=TODAY)
    assert card is not None
    assert (card.number, card.name, card.birth) == (
        "001090012345",
        "Nguyễn Văn An",
        date(1990, 3, 15),
    )
    assert card.age_on(TODAY) == 36
    assert card.age_on(date(2027, 3, 14)) == 36 and card.age_on(date(2027, 3, 15)) == 37
    # Newer cards add fields; the old CMND may be empty.
    assert read_id_card_qr(CARD.replace("|123456789|", "||") + "|extra", today=TODAY) is not None


def test_anything_else_is_not_a_card() -> None:
    for text in (
        "",
        "HTTP://127.0.0.1:8700/TRA-CUU/000.00.12.H26-261126-030001/A/B/C",
        "001090012345",
        CARD.replace("001090012345", "999090012345"),  # no such province
        CARD.replace("15031990", "31021990"),  # no 31 February
        CARD.replace("15031990", "15032030"),  # born in the future
        CARD.replace("15031990", "15031991"),  # not the year the number encodes
        CARD.replace("Nguyễn Văn An", " "),
        "|".join(CARD.split("|")[:5]),
    ):
        assert read_id_card_qr(text, today=TODAY) is None, text


def test_card_found_at_the_end_of_what_was_typed_before() -> None:
    from counter.idcard import find_id_card_qr

    found = find_id_card_qr("khai sinh 0123" + CARD, today=TODAY)
    assert found is not None
    text, card = found
    assert text == CARD
    assert (card.sex, card.address) == ("Nam", "Số 5 Hàng Bạc, Hoàn Kiếm, Hà Nội")
    assert find_id_card_qr("khai sinh", today=TODAY) is None
    assert find_id_card_qr(CARD.replace("15031990", "15031991"), today=TODAY) is None
