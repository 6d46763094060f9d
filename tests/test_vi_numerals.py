"""Vietnamese numerals for the hall's voice: examples a Vietnamese ear checks, and properties
over the whole range (an independent reader of Vietnamese numerals gets the number back)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counter.vi_numerals import (
    MAX_NUMBER,
    NUMERAL_WORDS,
    VOCABULARY,
    call_sentence,
    call_words,
    number_words,
    say_number,
    ticket_words,
)


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "không"),
        (1, "một"),
        (5, "năm"),
        (10, "mười"),
        (11, "mười một"),
        (14, "mười bốn"),
        (15, "mười lăm"),
        (20, "hai mươi"),
        (21, "hai mươi mốt"),
        (24, "hai mươi bốn"),
        (25, "hai mươi lăm"),
        (55, "năm mươi lăm"),
        (100, "một trăm"),
        (101, "một trăm linh một"),
        (102, "một trăm linh hai"),
        (105, "một trăm linh năm"),
        (110, "một trăm mười"),
        (115, "một trăm mười lăm"),
        (121, "một trăm hai mươi mốt"),
        (999, "chín trăm chín mươi chín"),
        (1000, "một nghìn"),
        (1005, "một nghìn không trăm linh năm"),
        (1010, "một nghìn không trăm mười"),
        (2024, "hai nghìn không trăm hai mươi bốn"),
        (9999, "chín nghìn chín trăm chín mươi chín"),
        (15_000, "mười lăm nghìn"),
        (101_001, "một trăm linh một nghìn không trăm linh một"),
    ],
)
def test_numerals_read_as_a_vietnamese_speaker_says_them(n: int, words: str) -> None:
    assert say_number(n) == words


def test_a_call_reads_the_letter_and_the_number_not_the_digits() -> None:
    assert ticket_words("B011") == ["bê", "mười", "một"]
    assert ticket_words("a102") == ["a", "một", "trăm", "linh", "hai"]
    assert call_words("C005", 12) == [
        "mời công dân có số thứ tự", "xê", "năm", "đến quầy số", "mười", "hai",
    ]  # fmt: skip
    assert (
        call_sentence("B102", 3) == "Mời công dân có số thứ tự bê một trăm linh hai đến quầy số ba"
    )


@pytest.mark.parametrize("bad", [-1, MAX_NUMBER + 1, True, 1.5, "12"])
def test_out_of_range_numbers_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        number_words(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "B", "ABC1", "B-12", "B1234567", "Ư12"])
def test_what_is_not_a_ticket_number_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        ticket_words(bad)


_VALUE = {w: i for i, w in enumerate(NUMERAL_WORDS[:10])} | {"mốt": 1, "lăm": 5}


def _read(words: list[str]) -> int:
    """An independent reader of Vietnamese numerals (the listener's side of the loudspeaker)."""
    total, group, digit = 0, 0, 0
    for w in words:
        if w in _VALUE:
            digit = _VALUE[w]
        elif w == "mười":
            group += 10
        elif w == "mươi":
            group += digit * 10
            digit = 0
        elif w == "trăm":
            group += digit * 100
            digit = 0
        elif w == "linh":
            pass
        elif w == "nghìn":
            total += (group + digit) * 1000
            group, digit = 0, 0
        else:
            raise AssertionError(f"unknown word {w!r}")
    return total + group + digit


@given(st.integers(min_value=0, max_value=MAX_NUMBER))
def test_every_number_reads_back_to_itself(n: int) -> None:
    assert _read(number_words(n)) == n


@given(st.integers(min_value=0, max_value=MAX_NUMBER))
def test_words_follow_the_spoken_rules(n: int) -> None:
    words = number_words(n)
    assert all(w in NUMERAL_WORDS for w in words)  # every word has a clip
    for before, after in itertools.pairwise(words):
        if after == "mốt":
            assert before == "mươi"  # 21 "hai mươi mốt", never "mười mốt"
        if after == "lăm":
            assert before in ("mười", "mươi")  # 15, 25 — but 105 "một trăm linh năm"
        if before == "linh":
            assert after in NUMERAL_WORDS[1:10]  # "linh" is followed by one unit
    assert words.count("nghìn") <= 1


@given(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=0, max_size=2),
    st.integers(min_value=0, max_value=9999),
    st.integers(min_value=1, max_value=99),
)
def test_every_call_is_spoken_from_the_clip_vocabulary(prefix: str, n: int, counter: int) -> None:
    words = call_words(f"{prefix}{n:03d}", counter)
    assert all(w in VOCABULARY for w in words)
    assert _read(words[1 + len(prefix) : words.index("đến quầy số")]) == n
    assert _read(words[words.index("đến quầy số") + 1 :]) == counter
