"""Where `portal.pg` callers (the server's `--database-url` path, the benches) still find the
PostgreSQL backend, which now lives in `portal.storage.pg` beside the SQLite one."""

from portal.storage.pg import PostgresStorage

__all__ = ["PostgresStorage"]
