"""The lookup token printed in the receipt QR: proof of holding the receipt, no personal data.

Dossier codes are sequential, so a bare code would let anyone walk through other people's
dossiers. The URL carries the code, the dossier UUID, a short device id and a truncated
HMAC-SHA256 keyed with that device's secret; the portal verifies it from the device secret
alone, even before the dossier has synced. Every part is base32 or the code itself, so the
whole URL is case-insensitive: printed upper-case (QR alphanumeric mode) and still valid when
a USB scanner types it with Caps Lock on.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass

TOKEN_BYTES = 15  # 120 bits: 24 base32 characters with no padding
LOOKUP_PATH = "/TRA-CUU/"
_DOMAIN = b"counter-lookup/v1"
_CODE_RE = re.compile(r"^[0-9A-Z]+(?:\.[0-9A-Z]+)*-\d{6}-[0-9A-Z]{4,}$")
_URL_RE = re.compile(
    r"^(?P<base>https?://[^\s/?#]+(?:/[^\s?#]*?)?)/tra-cuu/(?P<code>[^\s/?#]+)"
    r"/(?P<device>[a-z2-7]{8})/(?P<uuid>[a-z2-7]{26})/(?P<token>[a-z2-7]{24})/?$",
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


def _uuid_b32(dossier_uuid: str) -> str:
    return _b32(uuid.UUID(dossier_uuid.strip()).bytes)


def _uuid_from_b32(text: str) -> str | None:
    try:
        raw = base64.b32decode(text.upper() + "======")
    except ValueError:
        return None
    return str(uuid.UUID(bytes=raw)) if len(raw) == 16 else None


def lookup_url(base_url: str, code: str, token: str, device_id: str, dossier_uuid: str) -> str:
    """`{BASE}/TRA-CUU/{CODE}/{DEVICE}/{UUID}/{TOKEN}`, upper-case so the QR uses the denser
    alphanumeric mode (about 40% fewer modules than a byte-mode URL)."""
    scheme, _, rest = base_url.strip().rstrip("/").partition("://")
    host, slash, path = rest.partition("/")
    base = f"{scheme.upper()}://{host.upper()}{slash}{path}"
    parts = (code.strip(), device_short_id(device_id), _uuid_b32(dossier_uuid), token)
    return base + LOOKUP_PATH + "/".join(p.upper() for p in parts)


def parse_lookup_url(text: str, base_url: str | None = None) -> LookupRef | None:
    """Read a scanned or typed URL back; None for anything that is not one of ours.

    Tolerates surrounding whitespace and any letter case (the portal matches paths without
    case; a keyboard-wedge scanner with Caps Lock on inverts it). With `base_url`, only URLs
    of that portal are accepted.
    """
    m = _URL_RE.match(text.strip())
    if m is None:
        return None
    scheme, _, rest = m.group("base").partition("://")
    host, slash, path = rest.partition("/")
    base = f"{scheme.lower()}://{host.lower()}{slash}{path}"
    if base_url is not None and base.lower() != base_url.strip().rstrip("/").lower():
        return None
    code, short, b32id, token = (
        m.group("code").upper(),
        m.group("device").lower(),
        m.group("uuid").lower(),
        m.group("token").lower(),
    )
    if not _CODE_RE.match(code):
        return None
    dossier_uuid = _uuid_from_b32(b32id)
    if dossier_uuid is None:
        return None
    return LookupRef(base, code, short, dossier_uuid, token)
