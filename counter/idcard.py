"""What the QR code on a Vietnamese chip ID card (CCCD, thẻ căn cước) says.

The card's QR holds one line of fields separated by "|":
`<12-digit number>|<old 9-digit CMND or empty>|<full name>|<DDMMYYYY birth>|<sex>|<address>|
<DDMMYYYY issue>` (newer cards may add fields at the end). A keyboard-wedge scanner types it
followed by Enter. Only the number, the name and the birth date are used: the number (hashed
by the queue engine) for the per-person ticket limits, the birth date for the 75+ priority,
the name (masked) to greet the citizen. The address is never kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from counter.errors import InvalidInput
from counter.text import nfc
from counter.validation import birth_year, national_id


@dataclass(frozen=True)
class IdCard:
    number: str
    name: str
    birth: date

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
    return IdCard(number, name, birth)
