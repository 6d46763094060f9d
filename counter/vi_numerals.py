"""Vietnamese numerals and the words of a waiting-hall call, for the hall's loudspeakers.

A call is read as a person says it: "Mời công dân có số thứ tự bê một trăm linh hai đến quầy
số ba" — the area letter by its Vietnamese name, then the number as a numeral (never digit by
digit, never the leading zeros of "B102"). Each word is one audio clip on the hub, so the words
come from a small fixed vocabulary (`VOCABULARY`): the phrases, the letter names and the
numeral words. A centre may replace any clip with its own recording of that word.
"""

from __future__ import annotations

import re

UNITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
INVITE = "mời công dân có số thứ tự"
TO_COUNTER = "đến quầy số"

# The Vietnamese names of the letters (bảng chữ cái; F, J, W, Z as commonly read).
LETTER_NAMES = {
    "A": "a", "B": "bê", "C": "xê", "D": "dê", "E": "e", "F": "ép", "G": "giê", "H": "hát",
    "I": "i", "J": "gi", "K": "ca", "L": "e lờ", "M": "em mờ", "N": "en nờ", "O": "o",
    "P": "pê", "Q": "quy", "R": "e rờ", "S": "ét", "T": "tê", "U": "u", "V": "vê",
    "W": "vê kép", "X": "ích xì", "Y": "i dài", "Z": "dét",
}  # fmt: skip

NUMERAL_WORDS = (*UNITS, "mười", "mươi", "mốt", "lăm", "linh", "trăm", "nghìn")
VOCABULARY = (INVITE, TO_COUNTER, *LETTER_NAMES.values(), *NUMERAL_WORDS)
MAX_NUMBER = 999_999


def _below_thousand(n: int, full: bool) -> list[str]:
    """0 < n < 1000; `full`: a higher group came before, so the hundreds are always said
    ("một nghìn không trăm linh năm")."""
    hundreds, rest = divmod(n, 100)
    tens, unit = divmod(rest, 10)
    words: list[str] = []
    if hundreds or full:
        words += [UNITS[hundreds], "trăm"]
        if tens == 0 and unit:
            return [*words, "linh", UNITS[unit]]
    if tens == 0:
        return [*words, UNITS[unit]] if unit else words
    if tens == 1:
        words.append("mười")
        if unit:
            words.append("lăm" if unit == 5 else UNITS[unit])
        return words
    words += [UNITS[tens], "mươi"]
    if unit:
        words.append({1: "mốt", 5: "lăm"}.get(unit, UNITS[unit]))
    return words


def number_words(n: int) -> list[str]:
    """The words of `n` (0–999 999): 102 → ["một", "trăm", "linh", "hai"]."""
    if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= MAX_NUMBER:
        raise ValueError(f"expected an integer 0–{MAX_NUMBER}, got {n!r}")
    if n == 0:
        return [UNITS[0]]
    thousands, rest = divmod(n, 1000)
    words: list[str] = []
    if thousands:
        words += [*_below_thousand(thousands, False), "nghìn"]
    if rest:
        words += _below_thousand(rest, bool(thousands))
    return words


def say_number(n: int) -> str:
    """102 → "một trăm linh hai"."""
    return " ".join(number_words(n))


def ticket_words(number: str) -> list[str]:
    """A ticket number as spoken: "B011" → ["bê", "mười", "một"]."""
    m = re.fullmatch(r"([A-Z]{0,2})(\d{1,6})", number.strip().upper())
    if m is None:
        raise ValueError(f"not a ticket number: {number!r}")
    letters, digits = m.groups()
    return [*(LETTER_NAMES[c] for c in letters), *number_words(int(digits))]


def call_words(number: str, counter_no: int) -> list[str]:
    """Every clip of a call, in order: invitation, ticket, "đến quầy số", counter."""
    return [INVITE, *ticket_words(number), TO_COUNTER, *number_words(counter_no)]


def call_sentence(number: str, counter_no: int) -> str:
    """The call as one sentence (for a browser voice, when a centre chooses that)."""
    words = call_words(number, counter_no)
    return words[0][0].upper() + " ".join(words)[1:]


__all__ = [
    "INVITE",
    "LETTER_NAMES",
    "TO_COUNTER",
    "VOCABULARY",
    "call_sentence",
    "call_words",
    "number_words",
    "say_number",
    "ticket_words",
]
