"""The lookup token printed in the receipt QR: proof of holding the receipt, no personal data.

Dossier codes are sequential, so a bare code would let anyone walk through other people's
dossiers. The URL carries the code, the dossier UUID, a short device id and a truncated
HMAC-SHA256 keyed with that device's secret; the portal verifies it from the device secret
alone, even before the dossier has synced. Everything is lower-case base32 or hex (and the
code upper-case), so a USB scanner typing with Caps Lock on still yields a valid reference.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass

TOKEN_BYTES = 15  # 120 bits: 24 base32 characters with no padding
LOOKUP_PATH = "/tra-cuu/"
_DOMAIN = b"counter-lookup/v1"
_CODE_RE = re.compile(r"^[0-9A-Z]+(?:\.[0-9A-Z]+)*-\d{6}-[0-9A-Z]{4,}$")
_URL_RE = re.compile(
    r"^(?P<base>https?://[^\s/?#]+(?:/[^\s?#]*?)?)/tra-cuu/(?P<code>[^\s/?#]+)\?(?P<query>[^\s#]+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class LookupRef:
    """What a scanned receipt QR says: enough for the portal to check and find the dossier."""

    base_url: str
    code: str
    device_short: str
    dossier_uuid: str
    token: str


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def device_short_id(device_id: str) -> str:
    """8 base32 characters (40 bits) naming the device; the portal indexes its devices by it."""
    return _b32(hashlib.sha256(device_id.strip().lower().encode("utf-8")).digest()[:5])


def _canonical_uuid(value: str) -> str:
    return str(uuid.UUID(value.strip()))


def _message(device_id: str, dossier_uuid: str, code: str) -> bytes:
    parts = [device_id.strip().lower(), _canonical_uuid(dossier_uuid), code.strip().upper()]
    return _DOMAIN + b"\n" + "\n".join(parts).encode("utf-8")


def lookup_token(secret: bytes, device_id: str, dossier_uuid: str, code: str) -> str:
    """Truncated HMAC-SHA256 over (device, dossier UUID, code), lower-case base32."""
    if not secret:
        raise ValueError("the device secret is empty")
    mac = hmac.new(secret, _message(device_id, dossier_uuid, code), hashlib.sha256).digest()
    return _b32(mac[:TOKEN_BYTES])


def verify_token(secret: bytes, device_id: str, dossier_uuid: str, code: str, token: str) -> bool:
    """Constant-time check; any malformed input is simply a wrong token."""
    try:
        expected = lookup_token(secret, device_id, dossier_uuid, code)
    except ValueError:
        return False
    given = token.strip().lower().encode("ascii", "replace")
    return hmac.compare_digest(expected.encode("ascii"), given)


def lookup_url(base_url: str, code: str, token: str, device_id: str, dossier_uuid: str) -> str:
    """`{base}/tra-cuu/{code}?d={short device id}&u={uuid hex}&t={token}`."""
    base = base_url.strip().rstrip("/")
    hexid = uuid.UUID(dossier_uuid.strip()).hex
    return f"{base}{LOOKUP_PATH}{code.strip().upper()}?d={device_short_id(device_id)}&u={hexid}&t={token}"


def parse_lookup_url(text: str, base_url: str | None = None) -> LookupRef | None:
    """Read a scanned or typed URL back; None for anything that is not one of ours.

    Tolerates surrounding whitespace and inverted case (Caps Lock on a keyboard-wedge
    scanner). With `base_url`, only URLs of that portal are accepted.
    """
    m = _URL_RE.match(text.strip())
    if m is None:
        return None
    scheme, _, rest = m.group("base").partition("://")
    host, slash, path = rest.partition("/")
    base = f"{scheme.lower()}://{host.lower()}{slash}{path}"
    if base_url is not None and base.lower() != base_url.strip().rstrip("/").lower():
        return None
    query: dict[str, str] = {}
    for pair in m.group("query").split("&"):
        key, sep, value = pair.partition("=")
        if not sep or key.lower() in query:
            return None
        query[key.lower()] = value
    if set(query) != {"d", "u", "t"}:
        return None
    code = m.group("code").upper()
    short, hexid, token = query["d"].lower(), query["u"].lower(), query["t"].lower()
    if not _CODE_RE.match(code) or not re.fullmatch(r"[a-z2-7]{8}", short):
        return None
    if not re.fullmatch(r"[0-9a-f]{32}", hexid) or not re.fullmatch(r"[a-z2-7]{24}", token):
        return None
    return LookupRef(base, code, short, str(uuid.UUID(hexid)), token)
