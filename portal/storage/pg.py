"""The portal's storage on PostgreSQL (psycopg 3), for city scale: many workers, one database.

The logic is `portal.storage.SQLStorage`'s, unchanged; this module gives it connections from
a pool, the one schema (`portal.storage.schema`) in PostgreSQL's words, and the locks that
SQLite gets for free from having one writer:

- an ingest locks its device's row (`SELECT … FOR UPDATE`), so two pushes of the same device
  (a retry that raced the first attempt, sent to another worker) apply each entry once;
- a change queued by the back office or a rating locks the same row first, so change ids
  of one device commit in id order and a pull never skips one that commits late;
- enrollment takes a transaction-level advisory lock (rare, and `counter_taken` must hold).

Timestamps stay ISO-8601 UTC text and JSON stays text, as on SQLite, so both backends give
the same answers and the same tests run on both.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.rows import dict_row, tuple_row
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from portal.batching import Coalescer
from portal.storage.models import PAGE_SNAPSHOT_FIELDS, Change, CitizenView, Device, utc_now
from portal.storage.rows import (
    AUTHENTICATE_SQL,
    CHANGES_SINCE_SQL,
    DEVICE_COLUMNS,
    authenticated,
    changes_page,
    device_from_row,
    rating_from_row,
    sha256_hex,
)
from portal.storage.schema import MIGRATIONS, SCHEMA_VERSION, change_id_floor
from portal.storage.sql import SQLStorage

_MIGRATION_LOCK = 7_351_001  # pg_advisory_lock key: one process migrates at a time

# The citizen page's read after its token verified (see PostgresStorage.citizen_view).
_CITIZEN_VIEWS = """
SELECT
    (SELECT row_to_json(d) FROM (
        SELECT device_id, code, counter_no, procedure_name, applicant_name, status,
            received_at, due_at, returned_at, synced_at,
            json_build_object({snapshot_fields})::text AS snapshot
        FROM dossiers, LATERAL (SELECT dossiers.snapshot::json AS snap) s
        WHERE dossiers.uuid = args.uuid) d) AS dossier,
    (SELECT coalesce(json_agg(json_build_object(
            'at', ev.at, 'action', ev.action, 'details', ev.details) ORDER BY ev.seq), '[]'::json)
        FROM dossier_events ev WHERE ev.dossier_uuid = args.uuid) AS events,
    (SELECT row_to_json(r) FROM ratings r
        WHERE r.dossier_uuid = args.uuid AND r.legacy = 0) AS rating,
    (SELECT json_agg(dv) FROM (
        SELECT {device_columns} FROM devices
        WHERE args.short <> '' AND devices.short_id = args.short) dv) AS devices
FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS args(uuid, short, n)
ORDER BY args.n
""".replace(
    "{snapshot_fields}", ", ".join(f"'{f}', snap->'{f}'" for f in PAGE_SNAPSHOT_FIELDS)
).replace("{device_columns}", ", ".join(DEVICE_COLUMNS))
"""What a status page needs for each (dossier UUID, device short id), one row per pair in the
order given: the dossier, its events and its rating as JSON (the columns are text and
integers, which JSON carries unchanged), and, when a short id is given (the page's device
cache missed), the devices of that short id, so that a page costs one round trip even then.
Only the columns and snapshot fields the page shows leave the database: no ID number, phone
or address reaches the page code, and a page decodes a few hundred bytes instead of the whole
snapshot. One statement for one page or for a batch of pages (`portal.batching`)."""

# Page batches in flight per worker. One: pages that arrive while a batch is at the database
# gather into the next, so each round trip carries as many as possible. Measured with
# `bench.bench_portal`: 1 beat 2 and 4 (4 was slowest), with the same lone-page latency.
_PAGE_BATCHES_IN_FLIGHT = 1


class _Conn:
    """A psycopg connection that takes the `?` placeholders the shared SQL is written with."""

    def __init__(self, conn: psycopg.Connection[Any]):
        self.conn = conn

    def execute(self, sql: str, args: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        return self.conn.execute(sql.replace("?", "%s"), tuple(args))


def schema_version(conn: psycopg.Connection[Any]) -> int:
    """The schema version of this database (0: new), from the `portal_schema` table."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS portal_schema (version INTEGER NOT NULL, "
        "migrated_at TEXT NOT NULL)"
    )
    row = conn.execute("SELECT max(version) AS v FROM portal_schema").fetchone()
    return int(row["v"] or 0) if row else 0


def migrate_postgres(
    conn: psycopg.Connection[Any],
    target: int = SCHEMA_VERSION,
    *,
    then: Callable[[psycopg.Connection[Any]], None] | None = None,
) -> None:
    """Apply each missing migration of the one schema up to `target`, each in its own
    transaction, one process at a time (an advisory lock, still held while `then` runs);
    `conn` is in autocommit mode."""
    conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
    try:
        with conn.transaction():
            current = schema_version(conn)
        if current > SCHEMA_VERSION:
            raise RuntimeError(
                f"portal schema {current} is newer than this portal ({SCHEMA_VERSION})"
            )
        for version in range(current, target):
            with conn.transaction():
                migration = MIGRATIONS[version]
                for statement in migration.statements("postgresql"):
                    conn.execute(statement.encode())
                if migration.data is not None:
                    migration.data(_Conn(conn))
                conn.execute(
                    "INSERT INTO portal_schema(version, migrated_at) VALUES (%s, %s)",
                    (version + 1, utc_now().isoformat(timespec="seconds")),
                )
        if then is not None:
            then(conn)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))


class PostgresStorage(SQLStorage):
    """`Storage` over PostgreSQL; `url` is a libpq URL (`postgresql://user@host:port/db`)."""

    def __init__(
        self,
        url: str,
        *,
        clock: Any = utc_now,
        min_size: int = 1,
        max_size: int = 10,
        timeout: float = 30.0,
    ):
        self.url = url
        self.clock = clock
        self._device_cache = {}
        self._async_size = (min_size, max_size, timeout)
        # The citizen page's pool: asyncio connections for `citizen_view_async`, opened on
        # first use in the server's event loop (one per loop; see `_apool`).
        self._async_pool: AsyncConnectionPool[psycopg.AsyncConnection[Any]] | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        self._async_lock: asyncio.Lock | None = None
        self.page_reads: Coalescer[tuple[str, str], dict[str, Any]] | None = None
        self.pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            kwargs={"row_factory": dict_row, "autocommit": True},
            open=True,
        )
        try:
            self.migrate()
            self.load_hash_key()
        except BaseException:
            self.pool.close()
            raise

    # -- plumbing --------------------------------------------------------------------------

    @property
    def version(self) -> int:
        with self.pool.connection() as conn:
            return schema_version(conn)

    def migrate(self, target: int = SCHEMA_VERSION) -> None:
        with self.pool.connection() as conn:
            migrate_postgres(conn, target, then=self._raise_change_floor)

    def _raise_change_floor(self, conn: psycopg.Connection[Any] | None = None) -> None:
        """Change ids never below the clock (see `change_id_floor`), under the migration lock
        when called from `migrate`."""
        if conn is None:
            with self.pool.connection() as own:
                self._raise_change_floor(own)
            return
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('changes', 'id'), GREATEST(%s, "
            "(SELECT coalesce(max(id), 1) FROM changes), coalesce(pg_sequence_last_value("
            "pg_get_serial_sequence('changes', 'id')::regclass), 1)))",
            (change_id_floor(self.clock()),),
        )

    @contextmanager
    def _tx(self) -> Iterator[_Conn]:
        with self.pool.connection() as conn, conn.transaction():
            yield _Conn(conn)

    @contextmanager
    def _read(self) -> Iterator[_Conn]:
        with self.pool.connection() as conn:  # autocommit: each read is its own snapshot
            yield _Conn(conn)

    _FOR_UPDATE = " FOR UPDATE"

    def _serialize(self, c: Any, key: int) -> None:
        c.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK + key,))

    def _unique_violation(self, exc: BaseException) -> bool:
        return isinstance(exc, psycopg.errors.UniqueViolation)

    def close(self) -> None:
        self.pool.close()

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read-only SQL for tests and reports (`?` placeholders, as on SQLite)."""
        with self.pool.connection() as conn:
            cur = conn.cursor(row_factory=tuple_row)
            cur.execute(sql.replace("?", "%s"), args)
            return cur.fetchall()

    def citizen_view(self, dossier_uuid: str) -> CitizenView:
        """`SQLStorage.citizen_view` in one statement, so one round trip."""
        with self.pool.connection() as conn:
            row = conn.execute(_CITIZEN_VIEWS, ([dossier_uuid], [""])).fetchone()
        return self._view(row)

    async def citizen_view_async(self, dossier_uuid: str) -> CitizenView:
        """`citizen_view` without leaving the event loop, over an asyncio connection (no
        thread wake-up, no GIL hand-over with the sync API's threads), and read together with
        the other pages waiting at the same moment (`portal.batching`)."""
        view, _ = await self.page_read_async(dossier_uuid, "")
        return view

    async def page_read_async(
        self, dossier_uuid: str, short_id: str
    ) -> tuple[CitizenView, list[Device]]:
        """`citizen_view_async` and, for a non-empty `short_id`, the devices of that short id
        (uncached; they fill the cache) in the same statement: a page whose device is not in
        this worker's cache still costs one round trip, batched with the others. (The dossier
        is read before its token is checked, but only the page's own fields, and nothing of
        it is used unless the token verifies.)"""
        await self._apool()
        assert self.page_reads is not None
        key = short_id.lower()
        row = await self.page_reads.get((dossier_uuid, key))
        devices: list[Device] = []
        if key:
            rows = row["devices"] or []
            devices = self._remember_devices(key, [device_from_row(r) for r in rows])
        return self._view(row), devices

    async def _read_pages(self, keys: list[tuple[str, str]]) -> list[dict[str, Any]]:
        pool = await self._apool()
        async with pool.connection() as conn:
            cur = await conn.execute(
                _CITIZEN_VIEWS, ([uuid for uuid, _ in keys], [short for _, short in keys])
            )
            return await cur.fetchall()

    async def devices_by_short_id_async(self, short_id: str) -> list[Device]:
        """`devices_by_short_id` (uncached; it fills the cache) from the event loop."""
        key = short_id.lower()
        rows = await self._fetch_async("SELECT * FROM devices WHERE short_id = ?", (key,))
        return self._remember_devices(key, [device_from_row(r) for r in rows])

    async def authenticate_async(self, token: str) -> Device:
        """`authenticate` on the event loop: no threadpool hop for every sync request."""
        rows = await self._fetch_async(AUTHENTICATE_SQL, (sha256_hex(token),))
        return authenticated(rows[0] if rows else None)

    async def changes_since_async(
        self, device_id: str, cursor: int, limit: int
    ) -> tuple[list[Change], bool]:
        """`changes_since` on the event loop: a pull costs no threadpool hop."""
        rows = await self._fetch_async(CHANGES_SINCE_SQL, (device_id, cursor, limit + 1))
        return changes_page(rows, limit)

    async def _fetch_async(self, sql: str, args: tuple[Any, ...]) -> list[dict[str, Any]]:
        """A read over the asyncio pool (`?` placeholders, as the shared SQL is written)."""
        pool = await self._apool()
        async with pool.connection() as conn:
            cur = await conn.execute(sql.replace("?", "%s"), args)
            return await cur.fetchall()

    def _view(self, row: Any) -> CitizenView:
        assert row is not None
        dossier = row["dossier"]
        if dossier is None:
            return CitizenView(None, [], None)
        return CitizenView(dossier, list(row["events"]), rating_from_row(row["rating"]))

    async def _apool(self) -> AsyncConnectionPool[psycopg.AsyncConnection[Any]]:
        loop = asyncio.get_running_loop()
        pool = self._async_pool
        if pool is not None and self._async_loop is loop:
            return pool
        if self._async_lock is None or self._async_loop is not loop:
            self._async_lock = asyncio.Lock()
            self._async_loop = loop
        async with self._async_lock:
            if self._async_pool is not None and self._async_loop is loop:
                return self._async_pool
            if self._async_pool is not None:  # made in another, finished event loop
                old, self._async_pool = self._async_pool, None
                with contextlib.suppress(Exception):
                    await old.close(timeout=0)
            _, max_size, timeout = self._async_size
            pool = AsyncConnectionPool(
                self.url,
                min_size=max_size,  # open them all now: no connecting while pages wait
                max_size=max_size,
                timeout=timeout,
                kwargs={"row_factory": dict_row, "autocommit": True},
                open=False,
            )
            await pool.open(wait=True, timeout=timeout)
            self.page_reads = Coalescer(self._read_pages, max_inflight=_PAGE_BATCHES_IN_FLIGHT)
            self._async_pool = pool
            self._async_loop = loop
            return pool

    async def aclose(self) -> None:
        """Close the citizen page's asyncio pool (from the loop it was opened in)."""
        pool, self._async_pool = self._async_pool, None
        if pool is not None and self._async_loop is asyncio.get_running_loop():
            await pool.close()

    def reset(self) -> None:
        """Empty every table (tests share one database between cases)."""
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(
                "TRUNCATE enrollment_codes, devices, ingest, dossiers, dossier_events, tickets, "
                "ratings, changes, lookup_failures RESTART IDENTITY"
            )
