"""Validation and normalisation of what people type at the counter (DOMAIN.md §10).

The province table lives in `counter.provinces` and the masking for public pages in
`counter.masking` (both re-exported here); this module holds the rules.

Every function takes the raw text and the name of the form field, NFC-normalises it (input
methods send decomposed Vietnamese too) and returns the normalised value, or raises
`InvalidInput(field, vi, en)` with a specific message the officer can read to the citizen.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date

from counter.errors import InvalidInput

# Re-exported: the portal page, the kiosk and the receipts import them from here.
from counter.masking import mask_id as mask_id
from counter.masking import mask_name as mask_name
from counter.provinces import PROVINCE_CODES as PROVINCE_CODES
from counter.text import nfc
from counter.timeutil import system_clock

_SEPARATORS = re.compile(r"[\s.]+")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]+")
_ASCII_DIGITS = re.compile(r"[0-9]*")
_MST_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
_MOBILE_PREFIXES = ("03", "05", "07", "08", "09")
_NAME_PUNCTUATION = frozenset(" '’-.")
_EMAIL_LOCAL = re.compile(r"[^\s@\"(),:;<>\[\]\\]+")
_DOMAIN_LABEL = re.compile(r"[^\W_](?:[\w-]{0,61}[^\W_])?")


def _first_bad(text: str) -> str:
    """The first character that is not an ASCII digit (callers know there is one)."""
    return next(ch for ch in text if ch not in "0123456789")


def _is_digits(text: str) -> bool:
    return _ASCII_DIGITS.fullmatch(text) is not None


def _today() -> date:
    return system_clock().date()


# --- Identity numbers -------------------------------------------------------------------------


def birth_year(number: str) -> int:
    """Birth year encoded in a 12-digit number: 4th digit = sex and century, 5th-6th = year.

    0/1 → 1900s, 2/3 → 2000s, 4/5 → 2100s, 6/7 → 2200s, 8/9 → 2300s (even = male, odd = female).
    """
    return 1900 + 100 * (int(number[3]) // 2) + int(number[4:6])


def national_id(raw: str, field: str = "id_number", *, today: date | None = None) -> str:
    """A 12-digit personal identification number (CCCD); spaces and dots are ignored."""
    number = _SEPARATORS.sub("", nfc(raw))
    if not number:
        raise InvalidInput(
            field,
            "Vui lòng nhập số định danh cá nhân (12 chữ số)",
            "Please enter the personal identification number (12 digits)",
        )
    if not _is_digits(number):
        bad = _first_bad(number)
        raise InvalidInput(
            field,
            f"Số định danh chỉ được gồm chữ số (có ký tự “{bad}”)",
            f"The identification number may contain digits only (found “{bad}”)",
        )
    if len(number) != 12:
        raise InvalidInput(
            field,
            f"Số định danh phải gồm đúng 12 chữ số (đang có {len(number)})",
            f"The identification number must have exactly 12 digits (it has {len(number)})",
        )
    province = number[:3]
    if province not in PROVINCE_CODES:
        raise InvalidInput(
            field,
            f"Mã tỉnh {province} trong số định danh không tồn tại",
            f"Province code {province} in the identification number does not exist",
        )
    year = birth_year(number)
    current = (today or _today()).year
    if year > current:
        raise InvalidInput(
            field,
            f"Năm sinh {year} suy ra từ số định danh (chữ số thứ 4–6) chưa tới; "
            "vui lòng kiểm tra lại",
            f"The birth year {year} encoded in the identification number (digits 4–6) "
            "is in the future; please check it",
        )
    return number


def mst_check_digit(first_nine: str) -> int:
    """Check digit of a tax code: 10 - (Σ weight·digit mod 11); 10 means no valid code."""
    total = sum(w * int(d) for w, d in zip(_MST_WEIGHTS, first_nine, strict=True))
    return 10 - total % 11


def tax_code(raw: str, field: str = "tax_code") -> str:
    """Mã số thuế: 10 digits, or 10 digits + "-" + 3-digit branch number ("0100109106-001")."""
    text = _SEPARATORS.sub("", nfc(raw))
    if not text:
        raise InvalidInput(field, "Vui lòng nhập mã số thuế", "Please enter the tax code")
    main, dash, branch = text.partition("-")
    if dash and ("-" in branch or not branch):
        raise InvalidInput(
            field,
            "Mã số thuế có dạng 10 chữ số, hoặc 10 chữ số kèm mã chi nhánh (ví dụ 0100109106-001)",
            "A tax code is 10 digits, or 10 digits plus a branch number (e.g. 0100109106-001)",
        )
    if not dash and len(main) == 13:
        main, branch = main[:10], main[10:]
    for part in (main, branch):
        if not _is_digits(part):
            bad = _first_bad(part)
            raise InvalidInput(
                field,
                f"Mã số thuế chỉ được gồm chữ số và một dấu gạch ngang (có ký tự “{bad}”)",
                f"A tax code may contain only digits and one hyphen (found “{bad}”)",
            )
    if len(main) != 10:
        raise InvalidInput(
            field,
            f"Mã số thuế phải gồm đúng 10 chữ số (đang có {len(main)})",
            f"A tax code must have exactly 10 digits (it has {len(main)})",
        )
    if branch and len(branch) != 3:
        raise InvalidInput(
            field,
            f"Mã chi nhánh sau dấu gạch ngang phải gồm đúng 3 chữ số (đang có {len(branch)})",
            f"The branch number after the hyphen must have exactly 3 digits (it has {len(branch)})",
        )
    if branch == "000":
        raise InvalidInput(
            field,
            "Mã chi nhánh 000 không hợp lệ (bắt đầu từ 001)",
            "Branch number 000 is not valid (they start at 001)",
        )
    if main[2:9] == "0000000":
        raise InvalidInput(
            field,
            f"Mã số thuế {main} không hợp lệ (7 chữ số thứ tự không thể đều bằng 0)",
            f"Tax code {main} is not valid (the 7-digit sequence cannot be all zeros)",
        )
    if mst_check_digit(main[:9]) != int(main[9]):
        raise InvalidInput(
            field,
            f"Mã số thuế {main} sai chữ số kiểm tra; vui lòng kiểm tra lại",
            f"Tax code {main} has a wrong check digit; please check it",
        )
    return f"{main}-{branch}" if branch else main


# --- Contact details --------------------------------------------------------------------------


def phone(raw: str, field: str = "phone") -> str:
    """A Vietnamese phone number in its national form: "+84 912 345 678" → "0912345678".

    Mobiles have 10 digits and start 03, 05, 07, 08 or 09; landlines have 11 and start 02.
    """
    text = _PHONE_SEPARATORS.sub("", nfc(raw))
    if not text:
        raise InvalidInput(field, "Vui lòng nhập số điện thoại", "Please enter a phone number")
    if text.startswith("+"):
        if not text.startswith("+84"):
            raise InvalidInput(
                field,
                "Chỉ nhận số điện thoại Việt Nam (mã quốc gia +84)",
                "Only Vietnamese phone numbers (country code +84) are accepted",
            )
        text = "0" + text[3:].removeprefix("0")
    elif text.startswith("0084"):
        text = "0" + text[4:].removeprefix("0")
    elif text.startswith("84") and len(text) in (11, 12):
        text = "0" + text[2:]
    if not _is_digits(text):
        bad = _first_bad(text)
        raise InvalidInput(
            field,
            f"Số điện thoại chỉ được gồm chữ số, có thể bắt đầu bằng +84 (có ký tự “{bad}”)",
            f"A phone number may contain digits only, optionally starting +84 (found “{bad}”)",
        )
    if not text.startswith("0"):
        raise InvalidInput(
            field,
            "Số điện thoại phải bắt đầu bằng 0 hoặc +84",
            "A phone number must start with 0 or +84",
        )
    if text.startswith("02"):
        if len(text) != 11:
            raise InvalidInput(
                field,
                f"Số điện thoại cố định phải gồm đúng 11 chữ số (đang có {len(text)})",
                f"A landline number must have exactly 11 digits (it has {len(text)})",
            )
        return text
    if not text.startswith(_MOBILE_PREFIXES):
        raise InvalidInput(
            field,
            f"Đầu số {text[:2]} không hợp lệ: số di động bắt đầu bằng 03, 05, 07, 08 hoặc 09, "
            "số cố định bắt đầu bằng 02",
            f"Prefix {text[:2]} is not valid: mobiles start 03, 05, 07, 08 or 09, "
            "landlines start 02",
        )
    if len(text) != 10:
        raise InvalidInput(
            field,
            f"Số di động phải gồm đúng 10 chữ số (đang có {len(text)})",
            f"A mobile number must have exactly 10 digits (it has {len(text)})",
        )
    return text


def email(raw: str, field: str = "email") -> str:
    """A plain address "local@domain.tld"; the domain is lower-cased, the local part kept."""
    text = nfc(raw)
    if not text:
        raise InvalidInput(field, "Vui lòng nhập địa chỉ email", "Please enter an email address")
    if any(ch.isspace() for ch in text):
        raise InvalidInput(
            field,
            "Địa chỉ email không được chứa khoảng trắng",
            "An email address may not contain spaces",
        )
    if "@" not in text:
        raise InvalidInput(
            field, "Địa chỉ email thiếu ký tự @", "The email address is missing the @ sign"
        )
    if text.count("@") > 1:
        raise InvalidInput(
            field,
            "Địa chỉ email chỉ được có một ký tự @",
            "An email address may contain only one @ sign",
        )
    local, _, domain = text.partition("@")
    if (
        not _EMAIL_LOCAL.fullmatch(local)
        or len(local) > 64
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
    ):
        raise InvalidInput(
            field,
            f"Phần tên trước ký tự @ của email không hợp lệ: “{local}”",
            f"The part before the @ of the email address is not valid: “{local}”",
        )
    domain = domain.lower()
    labels = domain.split(".")
    if (
        len(labels) < 2
        or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
        or len(labels[-1]) < 2
        or labels[-1].isdigit()
        or len(domain) > 253
    ):
        raise InvalidInput(
            field,
            f"Tên miền của email không hợp lệ: “{domain}”",
            f"The domain of the email address is not valid: “{domain}”",
        )
    result = f"{local}@{domain}"
    if len(result) > 254:
        raise InvalidInput(
            field,
            f"Địa chỉ email quá dài (tối đa 254 ký tự, đang có {len(result)})",
            f"The email address is too long (at most 254 characters, it has {len(result)})",
        )
    return result


# --- Names and addresses ----------------------------------------------------------------------


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LM"


def _title(text: str) -> str:
    """Upper-case the first letter of each word, lower-case the rest, never changing length."""
    out = []
    after_letter = False
    for ch in text:
        mapped = ch.lower() if after_letter else ch.upper()
        out.append(mapped if len(mapped) == 1 else ch)
        after_letter = _is_letter(ch)
    return "".join(out)


def _check_length(text: str, field: str, noun_vi: str, noun_en: str, lo: int, hi: int) -> None:
    if not text:
        raise InvalidInput(field, f"Vui lòng nhập {noun_vi.lower()}", f"Please enter the {noun_en}")
    if len(text) < lo:
        raise InvalidInput(
            field,
            f"{noun_vi} quá ngắn (cần ít nhất {lo} ký tự)",
            f"The {noun_en} is too short (at least {lo} characters)",
        )
    if len(text) > hi:
        raise InvalidInput(
            field,
            f"{noun_vi} quá dài (tối đa {hi} ký tự, đang có {len(text)})",
            f"The {noun_en} is too long (at most {hi} characters, it has {len(text)})",
        )


def _check_printable(text: str, field: str, noun_vi: str, noun_en: str) -> None:
    for ch in text:
        if unicodedata.category(ch)[0] == "C":
            raise InvalidInput(
                field,
                f"{noun_vi} chứa ký tự điều khiển không hợp lệ (U+{ord(ch):04X})",
                f"The {noun_en} contains an invalid control character (U+{ord(ch):04X})",
            )


def person_name(raw: str, field: str = "name") -> str:
    """A person's full name: letters (any Vietnamese letter), spaces, ' - . only; 2-100 chars.

    ALL CAPS or all-lower input is title-cased ("NGUYỄN VĂN AN" → "Nguyễn Văn An"); mixed
    casing is the person's own choice and kept.
    """
    text = nfc(raw)
    _check_length(text, field, "Họ tên", "full name", 2, 100)
    for ch in text:
        if ch.isdigit() or unicodedata.category(ch) == "Nd":
            raise InvalidInput(
                field, "Họ tên không được chứa chữ số", "A name may not contain digits"
            )
        if not (_is_letter(ch) or ch in _NAME_PUNCTUATION):
            raise InvalidInput(
                field,
                f"Họ tên chứa ký tự không hợp lệ “{ch}” (chỉ được dùng chữ cái, khoảng trắng, "
                "dấu nháy đơn, gạch nối và dấu chấm)",
                f"The name contains an invalid character “{ch}” (only letters, spaces, "
                "apostrophes, hyphens and dots are allowed)",
            )
    if not any(unicodedata.category(ch)[0] == "L" for ch in text):
        raise InvalidInput(field, "Họ tên phải có chữ cái", "A name must contain letters")
    if text in (text.lower(), text.upper()):
        text = unicodedata.normalize("NFC", _title(text))
    return text


def organisation_name(raw: str, field: str = "name") -> str:
    """An organisation's name: 2-200 characters, digits and punctuation allowed."""
    text = nfc(raw)
    _check_length(text, field, "Tên tổ chức", "organisation name", 2, 200)
    _check_printable(text, field, "Tên tổ chức", "organisation name")
    if not any(ch.isalnum() for ch in text):
        raise InvalidInput(
            field,
            "Tên tổ chức phải có chữ cái hoặc chữ số",
            "An organisation name must contain letters or digits",
        )
    return text


def address(raw: str, field: str = "address") -> str:
    """A postal address, at most 250 characters."""
    text = nfc(raw)
    _check_length(text, field, "Địa chỉ", "address", 1, 250)
    _check_printable(text, field, "Địa chỉ", "address")
    return text


def optional(fn: Callable[[str, str], str], raw: str | None, field: str) -> str:
    """ "" for a blank (or missing) value, otherwise the validated value."""
    if raw is None or not nfc(raw):
        return ""
    return fn(raw, field)


# --- Free text ----------------------------------------------------------------------------------

# Bidirectional overrides and isolates (they reorder what a receipt or a log line shows).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def control_character(text: str, *, multiline: bool = True) -> str | None:
    """The first character no free-text field may hold, or None.

    Control characters (NUL and the C0/C1 ranges; a line break only where the field is
    `multiline`), lone surrogates (not encodable as UTF-8) and bidirectional overrides:
    they print as garbage, break the portal's database (PostgreSQL text cannot hold NUL)
    and once stopped all syncing (issue #13).
    """
    allowed = "\n\t" if multiline else ""
    for ch in text:
        category = unicodedata.category(ch)
        if (category in ("Cc", "Cs") and ch not in allowed) or ch in _BIDI_CONTROLS:
            return ch
    return None


def check_free_text(value: object, field: str) -> None:
    """Raise InvalidInput when any text in `value` (a string, or a dataclass, dict, list or
    tuple holding strings, walked recursively) holds a character `control_character` refuses.

    Walking the whole value means a field added later is covered without anyone remembering.
    """
    from dataclasses import fields, is_dataclass

    if isinstance(value, str):
        bad = control_character(value)
        if bad is not None:
            raise InvalidInput(
                field,
                f"Ô “{field}” chứa ký tự điều khiển không hợp lệ (U+{ord(bad):04X}); "
                "hãy xoá và gõ lại",
                f"The field “{field}” contains an invalid control character "
                f"(U+{ord(bad):04X}); delete it and type it again",
            )
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            check_free_text(getattr(value, f.name), f"{field}.{f.name}" if field else f.name)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_free_text(item, f"{field}.{key}" if field else str(key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            check_free_text(item, f"{field}.{i}" if field else str(i))
