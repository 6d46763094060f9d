"""The counter store's schema, built up one migration at a time: index i of `MIGRATIONS` takes
the schema from version i to i + 1 (`Store.migrate` applies each in its own transaction and
bumps `user_version` with it), and `rebuild_table` is how one changes a table SQLite cannot
alter in place."""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils


def rebuild_table(db: sqlite_utils.Database, table: str, columns: str) -> None:
    """Give `table` new column definitions the one way SQLite allows (a CHECK or a constraint
    cannot be altered in place): create the new table, copy every row, drop the old one,
    rename, put back its indexes and triggers, check the foreign keys.

    The one home of a table rebuild (sqlite.org/lang_altertable.html, "other kinds of table
    schema changes"), so a migration cannot forget a step: columns both tables have are
    copied, a new column takes its default; a row, an index or a trigger lost, or a foreign
    key broken, raises and the migration's transaction rolls back. Runs inside that
    transaction (`Store.migrate`).
    """
    conn = db.conn
    new = f"{table}_rebuilt"
    kept = [
        sql
        for (sql,) in conn.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') "
            "AND sql IS NOT NULL ORDER BY type, name",
            (table,),
        )
    ]
    old_columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
    conn.execute(f"CREATE TABLE {new} ({columns})")
    new_columns = {row[1] for row in conn.execute(f"PRAGMA table_info({new})")}
    lost = [c for c in old_columns if c not in new_columns]
    if lost:
        raise RuntimeError(f"rebuilding {table} would drop the columns {lost}")
    names = ", ".join(old_columns)
    conn.execute(f"INSERT INTO {new}({names}) SELECT {names} FROM {table}")
    before = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    after = conn.execute(f"SELECT count(*) FROM {new}").fetchone()[0]
    if before != after:
        raise RuntimeError(f"rebuilding {table} copied {after} of {before} rows")
    conn.execute(f"DROP TABLE {table}")
    conn.execute(f"ALTER TABLE {new} RENAME TO {table}")
    for sql in kept:
        conn.execute(sql)
    if conn.execute(f"PRAGMA foreign_key_check({table})").fetchall():
        raise RuntimeError(f"rebuilding {table} broke a foreign key")


def _v1(db: sqlite_utils.Database) -> None:
    """Officers, dossiers, timeline, audit, code sequences, outbox, settings."""
    db.executescript(
        """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE officers (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            full_name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('officer', 'supervisor')),
            secret_hash TEXT NOT NULL,
            failed_attempts INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
        CREATE TABLE dossiers (
            uuid TEXT PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            procedure_code TEXT NOT NULL,
            procedure_name TEXT NOT NULL,
            field TEXT NOT NULL,
            applicant_kind TEXT NOT NULL DEFAULT 'person',
            applicant_name TEXT NOT NULL,
            applicant_id TEXT NOT NULL DEFAULT '',
            applicant_phone TEXT NOT NULL DEFAULT '',
            applicant_email TEXT NOT NULL DEFAULT '',
            applicant_address TEXT NOT NULL DEFAULT '',
            representative_name TEXT NOT NULL DEFAULT '',
            representative_id TEXT NOT NULL DEFAULT '',
            representative_phone TEXT NOT NULL DEFAULT '',
            representative_paper TEXT NOT NULL DEFAULT '',
            documents TEXT NOT NULL DEFAULT '[]',
            sets_count INTEGER NOT NULL DEFAULT 1,
            fee_amount INTEGER NOT NULL DEFAULT 0,
            payment_method TEXT NOT NULL DEFAULT 'cash',
            channel INTEGER NOT NULL DEFAULT 1,
            delivery TEXT NOT NULL DEFAULT 'counter',
            duration REAL NOT NULL,
            duration_unit TEXT NOT NULL,
            status TEXT NOT NULL,
            status_code INTEGER NOT NULL,
            received_at TEXT NOT NULL,
            due_at TEXT NOT NULL,
            paused_at TEXT,
            paused_from_status TEXT,
            finished_at TEXT,
            returned_at TEXT,
            returned_to TEXT NOT NULL DEFAULT '',
            closed_reason TEXT NOT NULL DEFAULT '',
            officer_id INTEGER NOT NULL REFERENCES officers(id),
            counter_no INTEGER NOT NULL,
            device_id TEXT NOT NULL,
            ticket TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            search_text TEXT NOT NULL DEFAULT '',
            updated_at TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1
        );
        CREATE INDEX dossiers_received ON dossiers(received_at);
        CREATE INDEX dossiers_status ON dossiers(status, due_at);
        CREATE INDEX dossiers_applicant_id ON dossiers(applicant_id);
        CREATE INDEX dossiers_phone ON dossiers(applicant_phone);
        CREATE TABLE dossier_events (
            id INTEGER PRIMARY KEY,
            dossier_uuid TEXT NOT NULL REFERENCES dossiers(uuid),
            at TEXT NOT NULL,
            action TEXT NOT NULL,
            from_status TEXT,
            to_status TEXT NOT NULL,
            officer_id INTEGER,
            details TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX dossier_events_dossier ON dossier_events(dossier_uuid, id);
        CREATE TRIGGER dossier_events_no_update BEFORE UPDATE ON dossier_events
            BEGIN SELECT RAISE(ABORT, 'dossier_events is append-only'); END;
        CREATE TRIGGER dossier_events_no_delete BEFORE DELETE ON dossier_events
            BEGIN SELECT RAISE(ABORT, 'dossier_events is append-only'); END;
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            officer_id INTEGER,
            username TEXT NOT NULL DEFAULT '',
            action TEXT NOT NULL,
            object TEXT NOT NULL DEFAULT '',
            details TEXT NOT NULL DEFAULT '{}',
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
        CREATE TABLE code_sequences (
            day TEXT NOT NULL,
            counter_no INTEGER NOT NULL,
            last_seq INTEGER NOT NULL,
            PRIMARY KEY (day, counter_no)
        );
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            schema_version INTEGER NOT NULL,
            payload TEXT NOT NULL,
            created_at TEXT NOT NULL,
            acked_at TEXT,
            rejected_reason TEXT
        );
        """
    )


def _v2(db: sqlite_utils.Database) -> None:
    """Diacritic- and đ-folded full-text index over code, names, ID number and phone."""
    db.executescript(
        """
        CREATE VIRTUAL TABLE dossier_search USING fts5(
            search_text,
            content='dossiers',
            content_rowid='rowid',
            tokenize="unicode61 remove_diacritics 2 tokenchars '.-'",
            prefix='2 3 4'
        );
        INSERT INTO dossier_search(rowid, search_text) SELECT rowid, search_text FROM dossiers;
        CREATE TRIGGER dossiers_search_ai AFTER INSERT ON dossiers BEGIN
            INSERT INTO dossier_search(rowid, search_text) VALUES (new.rowid, new.search_text);
        END;
        CREATE TRIGGER dossiers_search_au AFTER UPDATE OF search_text ON dossiers BEGIN
            INSERT INTO dossier_search(dossier_search, rowid, search_text)
                VALUES ('delete', old.rowid, old.search_text);
            INSERT INTO dossier_search(rowid, search_text) VALUES (new.rowid, new.search_text);
        END;
        """
    )


def _v3(db: sqlite_utils.Database) -> None:
    """The print spool: each job is a row written with the dossier or ticket it prints."""
    db.executescript(
        """
        CREATE TABLE print_jobs (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            kind TEXT NOT NULL,
            ref TEXT NOT NULL DEFAULT '',
            printer TEXT NOT NULL,
            document TEXT NOT NULL,
            copies INTEGER NOT NULL DEFAULT 1,
            reprint INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sent', 'cancelled')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            next_attempt_at TEXT NOT NULL,
            sent_at TEXT,
            bytes_sha256 TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX print_jobs_pending ON print_jobs(status, next_attempt_at);
        CREATE INDEX print_jobs_ref ON print_jobs(ref);
        """
    )


def _v4(db: sqlite_utils.Database) -> None:
    """Sync state: outbox attempts, the pending index, changes pulled from the portal, ratings."""
    db.executescript(
        """
        ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE outbox ADD COLUMN last_error TEXT;
        CREATE INDEX outbox_pending ON outbox(seq)
            WHERE acked_at IS NULL AND rejected_reason IS NULL;
        CREATE INDEX outbox_rejected ON outbox(seq) WHERE rejected_reason IS NOT NULL;
        CREATE TABLE pulled_changes (
            change_id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            dossier_uuid TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            applied_at TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('applied', 'rejected')),
            reason TEXT NOT NULL DEFAULT '',
            data TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX pulled_changes_rejected ON pulled_changes(status);
        CREATE TABLE ratings (
            id INTEGER PRIMARY KEY,
            change_id INTEGER NOT NULL UNIQUE,
            dossier_uuid TEXT NOT NULL,
            score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
            comment TEXT NOT NULL DEFAULT '',
            rated_at TEXT NOT NULL,
            received_at TEXT NOT NULL
        );
        CREATE INDEX ratings_dossier ON ratings(dossier_uuid);
        """
    )


def _v5(db: sqlite_utils.Database) -> None:
    """Queue numbers: tickets, their events, per-counter call state, idempotent requests."""
    from counter.queue import create_queue_tables

    create_queue_tables(db)


def _v6(db: sqlite_utils.Database) -> None:
    """Indexes for the supervisor's figures over a long range of timeline events."""
    db.executescript(
        """
        CREATE INDEX IF NOT EXISTS dossier_events_at ON dossier_events(at);
        CREATE INDEX IF NOT EXISTS dossier_events_action_at ON dossier_events(action, at);
        """
    )


def _v7(db: sqlite_utils.Database) -> None:
    """Honest print job states: 'sending' (claimed by one worker, bytes may be leaving) and
    'uncertain' (bytes left, no confirmation: a person decides), and who claimed the job."""
    rebuild_table(
        db,
        "print_jobs",
        """
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            kind TEXT NOT NULL,
            ref TEXT NOT NULL DEFAULT '',
            printer TEXT NOT NULL,
            document TEXT NOT NULL,
            copies INTEGER NOT NULL DEFAULT 1,
            reprint INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sending', 'sent', 'uncertain', 'cancelled')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT NOT NULL DEFAULT '',
            next_attempt_at TEXT NOT NULL,
            sent_at TEXT,
            bytes_sha256 TEXT NOT NULL DEFAULT '',
            claimed_by TEXT NOT NULL DEFAULT ''
        """,
    )


def _v8(db: sqlite_utils.Database) -> None:
    """Fees that tell the truth and the forms kept with the dossier (Mẫu 02, 04).

    `payment_state` is filled for existing rows from what was recorded at intake; a dossier
    turned away at intake has no appointment (`due_at` is '').
    """
    db.executescript(
        """
        ALTER TABLE dossiers ADD COLUMN payment_state TEXT NOT NULL DEFAULT 'none';
        ALTER TABLE dossiers ADD COLUMN supplement_request TEXT NOT NULL DEFAULT '';
        ALTER TABLE dossiers ADD COLUMN extended_due_at TEXT;
        ALTER TABLE dossiers ADD COLUMN extension_reason TEXT NOT NULL DEFAULT '';
        UPDATE dossiers SET payment_state = CASE
            WHEN payment_method = 'exempt' THEN 'exempt'
            WHEN fee_amount <= 0 THEN 'none'
            WHEN payment_method = 'cash' THEN 'paid_cash'
            ELSE 'to_pay_transfer' END;
        """
    )


def _v9(db: sqlite_utils.Database) -> None:
    """The intake form in progress, one per officer, so Esc, a screen change or a crash never
    throws a half-filled dossier away (local only: never synced, gone once saved)."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS intake_drafts (
            officer_id INTEGER PRIMARY KEY REFERENCES officers(id),
            data TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """
    )


def _v10(db: sqlite_utils.Database) -> None:
    """The applicant's date of birth (ISO) and sex, as a scanned chip ID card gives them."""
    db.executescript(
        """
        ALTER TABLE dossiers ADD COLUMN applicant_birth_date TEXT NOT NULL DEFAULT '';
        ALTER TABLE dossiers ADD COLUMN applicant_sex TEXT NOT NULL DEFAULT '';
        """
    )


# Index i holds the migration that takes the schema from version i to i + 1.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1,
    _v2,
    _v3,
    _v4,
    _v5,
    _v6,
    _v7,
    _v8,
    _v9,
    _v10,
]
SCHEMA_VERSION = len(MIGRATIONS)
