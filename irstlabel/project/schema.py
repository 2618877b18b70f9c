"""The project database: SQLite in WAL mode, schema versioned with ``PRAGMA user_version``.

Every user action is one transaction. WAL with ``synchronous=FULL`` makes a
committed action survive ``kill -9`` and power loss; an uncommitted one
leaves no trace.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..core.errors import IrstlabelError

FRAME_STATES = ("todo", "in_progress", "done", "flagged")
TARGET_STATES = ("pending", "accepted", "edited", "rejected")

_V1 = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE frames (
    frame_id TEXT PRIMARY KEY,
    state TEXT NOT NULL DEFAULT 'todo' CHECK (state IN {FRAME_STATES}),
    edited INTEGER NOT NULL DEFAULT 0,
    mask_sha256 TEXT,
    updated REAL
);
CREATE TABLE targets (
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
CREATE TABLE edits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL,
    frame_id TEXT NOT NULL,
    action TEXT NOT NULL,
    source TEXT,
    detail TEXT,
    mask_sha256 TEXT
);
CREATE INDEX edits_by_frame ON edits (frame_id, id);
CREATE TABLE checkpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    created REAL NOT NULL,
    config TEXT,
    metrics TEXT
);
CREATE TABLE prediction_sets (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('checkpoint', 'folder')),
    source TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE evaluations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    prediction_set TEXT NOT NULL,
    split TEXT NOT NULL,
    created REAL NOT NULL,
    options TEXT,
    result TEXT NOT NULL
);
"""

MIGRATIONS = [_V1]  # MIGRATIONS[k] takes the schema from version k to k + 1
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating or migrating) the project database."""
    try:
        db = sqlite3.connect(path, timeout=10.0, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        version = db.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise IrstlabelError(path, f"project database cannot be opened ({exc})") from None
    if version > SCHEMA_VERSION:
        db.close()
        raise IrstlabelError(path, f"project database has schema {version}, newer than this irstlabel ({SCHEMA_VERSION})")
    for step in range(version, SCHEMA_VERSION):
        with transaction(db):
            for statement in filter(str.strip, MIGRATIONS[step].split(";")):
                db.execute(statement)
            db.execute(f"PRAGMA user_version={step + 1}")
    return db


class transaction:
    """``with transaction(db):`` one BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error)."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, value, traceback):
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
        return False
