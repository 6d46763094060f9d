"""VietQR (NAPAS, EMVCo merchant-presented QR) payloads for cashless fees.

Pure Python so the core can build the payload it stores with the dossier; the printer only
draws the string it is given.
"""

from __future__ import annotations

import binascii
import re

from counter.text import ascii_fold

NAPAS_GUID = "A000000727"
CURRENCY_VND = "704"
COUNTRY = "VN"
MAX_CONTENT = 25
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9 ]+")
_SPACES = re.compile(r"\s+")


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor), the CRC
    EMVCo and NAPAS specify: the standard library's CRC-CCITT started at 0xFFFF."""
    return binascii.crc_hqx(data, 0xFFFF)


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"VietQR field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def transfer_content(text: str) -> str:
    """The transfer note banks accept: ASCII letters, digits and spaces, at most 25 chars."""
    folded = _NOT_ALLOWED.sub(" ", ascii_fold(text))
    return _SPACES.sub(" ", folded).strip()[:MAX_CONTENT].rstrip()


def build_vietqr(
    bin: str,
    account: str,
    amount: int | None,
    content: str,
    service: str = "QRIBFTTA",
) -> str:
    """The full payload string, CRC included; dynamic ("12") when an amount is given."""
    if not re.fullmatch(r"\d{6}", bin):
        raise ValueError(f"bank BIN must be 6 digits, got {bin!r}")
    if not re.fullmatch(r"[0-9A-Za-z]{1,19}", account):
        raise ValueError(f"account must be 1–19 letters/digits, got {account!r}")
    if service not in ("QRIBFTTA", "QRIBFTTC"):
        raise ValueError(f"service must be QRIBFTTA or QRIBFTTC, got {service!r}")
    if amount is not None and not 0 < amount < 10**13:
        raise ValueError(f"amount must be a positive number of đồng, got {amount}")
    beneficiary = _tlv("00", bin) + _tlv("01", account)
    merchant = _tlv("00", NAPAS_GUID) + _tlv("01", beneficiary) + _tlv("02", service)
    parts = [
        _tlv("00", "01"),
        _tlv("01", "11" if amount is None else "12"),
        _tlv("38", merchant),
        _tlv("53", CURRENCY_VND),
    ]
    if amount is not None:
        parts.append(_tlv("54", str(amount)))
    parts.append(_tlv("58", COUNTRY))
    note = transfer_content(content)
    if note:
        parts.append(_tlv("62", _tlv("08", note)))
    body = "".join(parts) + "6304"
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def parse_tlv(payload: str) -> dict[str, str]:
    """Split one level of `ID(2) LEN(2) VALUE`; nested values are parsed by calling again."""
    out: dict[str, str] = {}
    i = 0
    while i < len(payload):
        head = payload[i : i + 4]
        if len(head) < 4 or not head.isdigit():
            raise ValueError(f"bad TLV header at {i}: {head!r}")
        tag, length = head[:2], int(head[2:])
        value = payload[i + 4 : i + 4 + length]
        if len(value) != length:
            raise ValueError(f"TLV field {tag} is truncated")
        out[tag] = value
        i += 4 + length
    return out


def verify_crc(payload: str) -> bool:
    """True when the payload ends in a `6304XXXX` CRC that matches the rest."""
    if len(payload) < 8 or payload[-8:-4] != "6304":
        return False
    try:
        expected = int(payload[-4:], 16)
    except ValueError:
        return False
    return crc16_ccitt_false(payload[:-4].encode("ascii", "replace")) == expected
