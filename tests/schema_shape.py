"""What a database really holds, read back as comparable values: tables, columns (type
family, nullability, default), primary keys, unique constraints, indexes with their predicate,
and (SQLite) triggers. Used by the schema tests of the portal (SQLite against PostgreSQL) and
of the counter store (migrated step by step against fresh)."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

# Bookkeeping of each backend's migrations, not part of the data.
BOOKKEEPING = {"portal_schema", "sqlite_sequence"}


@dataclass
class Table:
    columns: dict[str, tuple[str, bool, str | None]] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()
    unique: set[tuple[str, ...]] = field(default_factory=set)
    indexes: set[tuple[str, tuple[str, ...], bool, str]] = field(default_factory=set)
    triggers: set[tuple[str, str]] = field(default_factory=set)


def _type(name: str) -> str:
    """The type's family: what both databases store alike (SQLite's INTEGER is 64-bit)."""
    name = name.lower()
    if "int" in name or name == "bigserial":
        return "integer"
    return name


def _default(value: str | None) -> str | None:
    """The default as both databases would agree on it (a generated key has none)."""
    if value is None or value.startswith("nextval("):
        return None
    return re.sub(r"::[a-z ]+", "", value).strip()


def _predicate(text: str) -> str:
    text = re.sub(r"::[a-z ]+", "", text.lower())
    return re.sub(r"[()\s]", "", text)


def sqlite_shape(conn: sqlite3.Connection) -> dict[str, Table]:
    shape: dict[str, Table] = {}
    names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    for (name,) in names:
        if name in BOOKKEEPING:
            continue
        table = shape[name] = Table()
        pk: list[tuple[int, str]] = []
        for _, col, typ, notnull, default, pk_pos in conn.execute(f'PRAGMA table_info("{name}")'):
            # A primary key column holds no NULL on PostgreSQL; on SQLite the key of a rowid
            # table could, but storage always writes one.
            table.columns[col] = (_type(typ), bool(notnull or pk_pos), _default(default))
            if pk_pos:
                pk.append((pk_pos, col))
        table.primary_key = tuple(col for _, col in sorted(pk))
        for _, index, unique, origin, partial in conn.execute(f'PRAGMA index_list("{name}")'):
            cols = tuple(r[2] for r in conn.execute(f'PRAGMA index_info("{index}")'))
            if origin == "pk":
                continue
            if origin == "u":
                table.unique.add(cols)
                continue
            sql = conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (index,)
            ).fetchone()[0]
            where = _predicate(sql.split(" WHERE ", 1)[1]) if partial else ""
            table.indexes.add((index, cols, bool(unique), where))
        for trigger, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (name,)
        ):
            table.triggers.add((trigger, " ".join(sql.split())))
    return shape


PG_COLUMNS = """
SELECT table_name, column_name, data_type, is_nullable = 'NO', column_default
FROM information_schema.columns WHERE table_schema = 'public'
"""
PG_INDEXES = """
SELECT t.relname, i.relname, ix.indisprimary, ix.indisunique,
    coalesce(pg_get_expr(ix.indpred, ix.indrelid), ''),
    EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = ix.indexrelid AND k.contype = 'u'),
    array(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n)
          JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
          ORDER BY k.n)
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace s ON s.oid = t.relnamespace
WHERE s.nspname = 'public'
"""


def pg_shape(url: str) -> tuple[dict[str, Table], dict[tuple[str, str], str]]:
    """The shape, and each integer column's PostgreSQL type."""
    import psycopg

    shape: dict[str, Table] = {}
    widths: dict[tuple[str, str], str] = {}
    with psycopg.connect(url) as conn:
        for table, col, typ, notnull, default in conn.execute(PG_COLUMNS).fetchall():
            if table in BOOKKEEPING:
                continue
            shape.setdefault(table, Table()).columns[col] = (_type(typ), notnull, _default(default))
            if _type(typ) == "integer":
                widths[(table, col)] = typ
        for table, index, primary, unique, where, constraint, cols in conn.execute(
            PG_INDEXES
        ).fetchall():
            if table in BOOKKEEPING:
                continue
            if primary:
                shape[table].primary_key = tuple(cols)
            elif constraint:
                shape[table].unique.add(tuple(cols))
            else:
                shape[table].indexes.add((index, tuple(cols), unique, _predicate(where)))
    return shape, widths
