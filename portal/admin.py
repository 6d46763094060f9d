"""Back-office functions: what the portal admin and the back office do outside the sync API.

Thin, named wrappers over the storage so the CLI, a future admin web page and the tests say
the same thing; each returns plain values that print well.
"""

from __future__ import annotations

from typing import Any

from portal.storage import Change, Device, Storage


def create_enrollment_code(
    storage: Storage,
    agency_code: str,
    counter_no: int,
    *,
    ttl_hours: float = 168,
    device_id: str | None = None,
) -> str:
    """A one-time code the counter's IT officer puts in `[portal] enrollment_code`; with
    `device_id`, the only way to re-enroll that known device."""
    return storage.create_enrollment_code(
        agency_code, counter_no, ttl_hours=ttl_hours, device_id=device_id
    )


def revoke_device(storage: Storage, device_id: str) -> Device:
    """Refuse the device's credential from now on; its data stays on the portal."""
    return storage.revoke(device_id)


def list_devices(storage: Storage) -> list[Device]:
    return storage.devices()


def set_dossier_status(
    storage: Storage, dossier: str, to_status: str, *, by: str, note: str = "", to: str = ""
) -> Change:
    """The back office moves a dossier (code or UUID); the counter pulls and applies it."""
    return storage.set_status(dossier, to_status, by=by, note=note, to=to)


def correct_dossier(storage: Storage, dossier: str, fields: dict[str, str], *, by: str) -> Change:
    return storage.correct(dossier, fields, by=by)


def record_rating(storage: Storage, dossier: str, score: int, comment: str = "") -> Change:
    return storage.add_rating(dossier, score, comment)


def rejected_entries(storage: Storage, device_id: str | None = None) -> list[dict[str, Any]]:
    """Entries the portal refused, with their reasons (they are kept, never dropped)."""
    return storage.rejections(device_id)
