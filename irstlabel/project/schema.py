"""The project database: SQLite in WAL mode, schema versioned with ``PRAGMA user_version``.

Every user action is one transaction. WAL with ``synchronous=FULL`` makes a
committed action survive ``kill -9`` and power loss; an uncommitted one
leaves no trace.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from urllib.parse import quote

from ..core.errors import IrstlabelError, NotWritable

FRAME_STATES = ("todo", "in_progress", "done", "flagged")
TARGET_STATES = ("pending", "accepted", "edited", "rejected")

_V1 = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS frames (
    frame_id TEXT PRIMARY KEY,
    state TEXT NOT NULL DEFAULT 'todo' CHECK (state IN {FRAME_STATES}),
    edited INTEGER NOT NULL DEFAULT 0,
    mask_sha256 TEXT,
    updated REAL
);
CREATE TABLE IF NOT EXISTS targets (
    frame_id TEXT NOT NULL,
    target INTEGER NOT NULL,
    area INTEGER NOT NULL,
    x REAL NOT NULL,
    y REAL NOT NULL,
    r0 INTEGER NOT NULL, c0 INTEGER NOT NULL, r1 INTEGER NOT NULL, c1 INTEGER NOT NULL,
    lpd_old REAL,
    lpd_new REAL,
    change TEXT,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN {TARGET_STATES}),
    source TEXT NOT NULL,
    PRIMARY KEY (frame_id, target)
);
CREATE TABLE IF NOT EXISTS edits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL,
    frame_id TEXT NOT NULL,
    action TEXT NOT NULL,
    source TEXT,
    detail TEXT,
    mask_sha256 TEXT
);
CREATE INDEX IF NOT EXISTS edits_by_frame ON edits (frame_id, id);
CREATE TABLE IF NOT EXISTS checkpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    created REAL NOT NULL,
    config TEXT,
    metrics TEXT
);
CREATE TABLE IF NOT EXISTS prediction_sets (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('checkpoint', 'folder')),
    source TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS evaluations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    prediction_set TEXT NOT NULL,
    split TEXT NOT NULL,
    created REAL NOT NULL,
    options TEXT,
    result TEXT NOT NULL
);
"""



def _v2(db: sqlite3.Connection) -> None:
    """Targets get stable ids (1-based; version 1 stored 0-based list positions), anchors and SCR."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(targets)")}
    if "anchor_r" in columns:
        return
    # through negatives: "target + 1" in one pass collides with the next row's key (UNIQUE is checked per row)
    db.execute("UPDATE targets SET target = -target - 1")
    db.execute("UPDATE targets SET target = -target")
    for column in ("anchor_r INTEGER", "anchor_c INTEGER", "scr REAL", "parts INTEGER NOT NULL DEFAULT 1"):
        db.execute(f"ALTER TABLE targets ADD COLUMN {column}")


# MIGRATIONS[k] takes the schema from version k to k + 1: SQL or a function of the connection.
# Each is idempotent, so a database whose tables exist but whose user_version was never set is
# repaired, not refused.
MIGRATIONS = [_V1, _v2]
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open (creating or migrating) the project database.

    `readonly` opens of a database on a read-only filesystem (where SQLite
    cannot create its ``-shm`` file) fall back to SQLite's read-only and then
    immutable modes; such a database is read as it is and never migrated.
    """
    try:
        db = sqlite3.connect(path, timeout=10.0, isolation_level=None)
    except sqlite3.DatabaseError as exc:
        if readonly:
            return _connect_read_only(path, exc)
        raise IrstlabelError(path, f"project database cannot be opened ({exc})") from None
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            _migrate(db, path)
    except sqlite3.DatabaseError as exc:
        db.close()
        if readonly:
            return _connect_read_only(path, exc)
        raise IrstlabelError(path, f"project database cannot be opened ({exc})") from None
    except IrstlabelError:
        db.close()
        raise
    return db


def _connect_read_only(path: Path, first_error: Exception) -> sqlite3.Connection:
    if not path.is_file():
        raise IrstlabelError(path, f"project database cannot be opened ({first_error})")
    for mode in ("mode=ro", "immutable=1"):
        try:
            db = sqlite3.connect(f"file:{quote(str(path.resolve()))}?{mode}", uri=True, isolation_level=None)
            version = db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError:
            continue
        if version != SCHEMA_VERSION:
            db.close()
            raise IrstlabelError(path, f"project database has schema {version}, this irstlabel reads {SCHEMA_VERSION}; "
                                       "open it once where it can be written to upgrade it")
        return db
    raise IrstlabelError(path, f"project database cannot be opened ({first_error})")


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the schema up to date in one BEGIN IMMEDIATE transaction.

    The version is read again inside the transaction: of several processes
    opening a new project at once, the first migrates and the others find the
    work done (reading it outside would let two of them create the tables).
    """
    with transaction(db):
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise IrstlabelError(path, f"project database has schema {version}, newer than this irstlabel "
                                       f"({SCHEMA_VERSION})")
        for step in range(version, SCHEMA_VERSION):
            if callable(MIGRATIONS[step]):
                MIGRATIONS[step](db)
                continue
            for statement in filter(str.strip, MIGRATIONS[step].split(";")):
                db.execute(statement)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


class transaction:
    """``with transaction(db):`` one BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error).

    A database that cannot be written (disk full, read-only, I/O error) is an
    IrstlabelError naming the database file; the transaction is rolled back, so
    nothing it began is kept.
    """

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise _unwritable(self.db, exc) from None
        return self.db

    def __exit__(self, kind, value, traceback):
        if kind is None:
            try:
                self.db.execute("COMMIT")
                return False
            except sqlite3.OperationalError as exc:
                value = exc
        if self.db.in_transaction:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.OperationalError:
                pass  # SQLite has rolled back already (SQLITE_FULL does)
        if isinstance(value, sqlite3.OperationalError):
            raise _unwritable(self.db, value) from None
        return False


def _unwritable(db: sqlite3.Connection, exc: Exception) -> IrstlabelError:
    path = next((row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"), None)
    return NotWritable(path or None, f"project database cannot be written ({exc}); nothing was changed in it")
