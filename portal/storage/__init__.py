"""The portal's storage: devices, the ingest log, the projections and the changes to pull.

`Storage` (models.py) is the interface the HTTP app and the admin commands use. The logic is
written once in SQL (sql.py, put together from devices.py, ingest.py, backoffice.py and
citizen.py on the plumbing of base.py); `SQLiteStorage` (sqlite.py) is the default backend and
`PostgresStorage` (pg.py, imported from there: it needs psycopg) the city-scale one. Both are
migrated from the one schema of schema.py. The names callers use are re-exported here.
"""

from counter.protocol import PROTOCOL_VERSION
from portal.storage.devices import CODE_SEQUENCE_DAYS, ENROLLMENT_REFUSED, enrollment_refusal
from portal.storage.models import (
    CORRECTABLE_FIELDS,
    PAGE_SNAPSHOT_FIELDS,
    RATING_CRITERIA,
    RATING_OVERALL,
    SUPPORTED_KINDS,
    Change,
    CitizenView,
    Device,
    Entry,
    Halt,
    PushOutcome,
    Rating,
    Storage,
    StorageError,
    canonical_json,
    minimal_payload,
    minimal_snapshot,
    utc_now,
)
from portal.storage.schema import MIGRATIONS, SCHEMA_VERSION, change_id_floor, new_epoch_id
from portal.storage.sql import SQLStorage
from portal.storage.sqlite import SQLiteStorage

__all__ = [
    "CODE_SEQUENCE_DAYS",
    "CORRECTABLE_FIELDS",
    "ENROLLMENT_REFUSED",
    "MIGRATIONS",
    "PAGE_SNAPSHOT_FIELDS",
    "PROTOCOL_VERSION",
    "RATING_CRITERIA",
    "RATING_OVERALL",
    "SCHEMA_VERSION",
    "SUPPORTED_KINDS",
    "Change",
    "CitizenView",
    "Device",
    "Entry",
    "Halt",
    "PushOutcome",
    "Rating",
    "SQLStorage",
    "SQLiteStorage",
    "Storage",
    "StorageError",
    "canonical_json",
    "change_id_floor",
    "enrollment_refusal",
    "minimal_payload",
    "minimal_snapshot",
    "new_epoch_id",
    "utc_now",
]
