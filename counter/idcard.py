"""What the QR code on a Vietnamese chip ID card (CCCD, thẻ căn cước) says.

The card's QR holds one line of fields separated by "|":
`<12-digit number>|<old 9-digit CMND or empty>|<full name>|<DDMMYYYY birth>|<sex>|<address>|
<DDMMYYYY issue>` (newer cards may add fields at the end). A keyboard-wedge scanner types it
followed by Enter. At the kiosk only the number, the name and the birth date are used: the
number (hashed by the queue engine) for the per-person ticket limits, the birth date for the
75+ priority, the name (masked) to greet the citizen; the address is never kept there. At the
counter the officer's intake form takes the applicant from it (name, number, address).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from counter.errors import InvalidInput
from counter.text import nfc
from counter.validation import birth_year, national_id

_CARD_START = re.compile(r"\d{12}\|")


@dataclass(frozen=True)
class IdCard:
    number: str
    name: str
    birth: date
    sex: str = ""  # as printed on the card: "Nam" / "Nữ"
    address: str = ""  # place of residence

    def age_on(self, day: date) -> int:
        return (
            day.year - self.birth.year - ((day.month, day.day) < (self.birth.month, self.birth.day))
        )


def read_id_card_qr(text: str, *, today: date) -> IdCard | None:
    """The card behind a scanned QR text, or None when the text is not a valid card QR."""
    parts = nfc(text.strip()).split("|")
    if len(parts) < 7:
        return None
    number, _old, name, born = parts[0], parts[1], parts[2].strip(), parts[3]
    try:
        number = national_id(number, today=today)
        birth = date(int(born[4:8]), int(born[2:4]), int(born[0:2]))
    except (InvalidInput, ValueError):
        return None
    if len(born) != 8 or not born.isdigit() or birth > today or not name:
        return None
    if birth.year != birth_year(number):  # the number encodes the birth year: a misread
        return None
    return IdCard(number, name, birth, sex=parts[4].strip(), address=parts[5].strip())


def find_id_card_qr(buffer: str, *, today: date) -> tuple[str, IdCard] | None:
    """The card QR at the end of `buffer` (what a scanner typed after anything else), with the
    exact text it occupies, or None."""
    for start in reversed([m.start() for m in _CARD_START.finditer(buffer)]):
        text = buffer[start:]
        card = read_id_card_qr(text, today=today)
        if card is not None:
            return text, card
    return None
