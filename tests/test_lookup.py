"""Receipt lookup tokens: verifiable from the device secret alone, no personal data."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from counter.lookup import (
    device_short_id,
    lookup_token,
    lookup_url,
    parse_lookup_url,
    verify_token,
)

SECRET = b"per-device secret, 32 bytes long"
DEVICE = "3f2b8c1e-5d4a-4e8b-9c7f-1a2b3c4d5e6f"
DOSSIER = "9a7e92cb-f2a9-47b6-b7b7-597b491590c1"
CODE = "000.00.12.H26-261126-0001"
BASE = "http://127.0.0.1:8700"


def _url() -> str:
    return lookup_url(BASE, CODE, lookup_token(SECRET, DEVICE, DOSSIER, CODE), DEVICE, DOSSIER)


def test_token_shape_and_verification() -> None:
    token = lookup_token(SECRET, DEVICE, DOSSIER, CODE)
    assert len(token) == 24 and token.isalnum() and token == token.lower()
    assert verify_token(SECRET, DEVICE, DOSSIER, CODE, token)
    assert verify_token(SECRET, DEVICE, DOSSIER, CODE, f"  {token.upper()}\n")


def test_forged_and_mistyped_tokens_are_rejected() -> None:
    token = lookup_token(SECRET, DEVICE, DOSSIER, CODE)
    typo = ("b" if token[5] != "b" else "c").join((token[:5], token[6:]))
    assert not verify_token(SECRET, DEVICE, DOSSIER, CODE, typo)
    assert not verify_token(SECRET, DEVICE, DOSSIER, CODE, token[:-1])
    assert not verify_token(b"another device secret", DEVICE, DOSSIER, CODE, token)
    assert not verify_token(SECRET, DEVICE, DOSSIER, "000.00.12.H26-261126-0002", token)
    assert not verify_token(SECRET, DEVICE, str(uuid.uuid4()), CODE, token)
    assert not verify_token(SECRET, DEVICE, "not-a-uuid", CODE, token)
    assert not verify_token(SECRET, DEVICE, DOSSIER, CODE, "ẞ" * 24)


def test_url_carries_no_personal_data_and_is_qr_alphanumeric() -> None:
    url = _url()
    assert url.startswith("HTTP://127.0.0.1:8700/TRA-CUU/000.00.12.H26-261126-0001/")
    alnum = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    assert set(url) <= alnum
    assert device_short_id(DEVICE).upper() in url


def test_parse_tolerates_whitespace_and_caps_lock() -> None:
    url = _url()
    for scanned in (url, f"  {url}\r\n", url.lower(), url.swapcase()):
        ref = parse_lookup_url(scanned)
        assert ref is not None
        assert ref.code == CODE and ref.dossier_uuid == DOSSIER and ref.base_url == BASE
        assert ref.device_short == device_short_id(DEVICE)
        assert verify_token(SECRET, DEVICE, ref.dossier_uuid, ref.code, ref.token)


def test_parse_rejects_what_is_not_ours() -> None:
    url = _url()
    for text in (
        "",
        "000.00.12.H26-261126-0001",
        "https://example.com/",
        url.replace("/TRA-CUU/", "/TRA-CUU-X/"),
        url[:-1],
        url + "A",
        url.replace("HTTP://", "FTP://"),
        url.replace(CODE, "NOT A CODE"),
        "00020101021238570010A000000727",
    ):
        assert parse_lookup_url(text) is None, text
    assert parse_lookup_url(url, base_url="https://dichvucong.example.vn") is None
    assert parse_lookup_url(url, base_url=BASE + "/") is not None


@given(
    secret=st.binary(min_size=16, max_size=64),
    dossier=st.uuids(),
    device=st.uuids(),
    seq=st.integers(0, 99999),
    agency=st.from_regex(r"[0-9A-Z]{3}(\.[0-9A-Z]{2}){2}\.[0-9A-Z]{3}", fullmatch=True),
)
def test_round_trip(
    secret: bytes, dossier: uuid.UUID, device: uuid.UUID, seq: int, agency: str
) -> None:
    code = f"{agency}-261126-{seq:04d}"
    token = lookup_token(secret, str(device), str(dossier), code)
    ref = parse_lookup_url(lookup_url(BASE, code, token, str(device), str(dossier)))
    assert ref is not None and ref.code == code and ref.dossier_uuid == str(dossier)
    assert ref.device_short == device_short_id(str(device))
    assert verify_token(secret, str(device), ref.dossier_uuid, ref.code, ref.token)
