"""The connection, cursor and row shapes the SQL written once relies on: sqlite3's fit them,
and so does the PostgreSQL backend's `?`-placeholder wrapper; their own home so every part
of the storage types its connections the same way."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol


class Row(Protocol):
    """A row read by column name (`sqlite3.Row`, psycopg's `dict_row`)."""

    def __getitem__(self, key: str, /) -> Any: ...
    def keys(self) -> Iterable[str]: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Row | None: ...
    def fetchall(self) -> list[Row]: ...


class Connection(Protocol):
    """Runs one statement with `?` placeholders."""

    def execute(self, sql: str, args: Sequence[Any] = (), /) -> Cursor: ...


def one(cursor: Cursor) -> Row:
    """The row a statement always returns (an aggregate, `RETURNING`, a row the schema
    holds from its first migration)."""
    row = cursor.fetchone()
    if row is None:
        raise LookupError("the statement returned no row")
    return row
