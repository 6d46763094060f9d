"""The storage logic, written once in the SQL both SQLite and PostgreSQL speak: the parts
(devices, push, back office, citizen page) put together into the class both backends extend."""

from __future__ import annotations

from portal.storage.backoffice import BackOffice
from portal.storage.citizen import CitizenPage
from portal.storage.devices import Devices
from portal.storage.ingest import Ingest


class SQLStorage(Devices, Ingest, BackOffice, CitizenPage):
    """`Storage` in SQL; a backend provides the plumbing `SQLBase` names (`_tx`, `_read`,
    `_FOR_UPDATE`, `_serialize`, `_unique_violation`, `_raise_change_floor`, `close`, `query`).
    Statements use `?` placeholders; the PostgreSQL backend translates them."""
