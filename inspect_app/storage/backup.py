"""The database side of backups: an online copy of the live file, checks of a copy, a restore.

``cli/backup.py`` copies the folders around it; this module is only what speaks SQLite.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlite_utils import Database

from inspect_app.storage.db import BUSY_TIMEOUT_SECONDS

# Instance folder → the table whose ``path`` column names its files (relative to the folder).
FILE_TABLES = {"reports": "reports", "media": "photos", "evidence": "evidence_files"}
# A database holding any of these rows is an instance in use, not a fresh one.
DATA_TABLES = ("users", "schools", "inspections")


def _connect(path: str | Path) -> sqlite3.Connection:
    return sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS)


def snapshot(source: str | Path, dest: str | Path) -> None:
    """Copy the live database at ``source`` to a new self-contained file ``dest``.

    SQLite's backup API in one step: a single read transaction over the whole copy, so the copy
    is exactly one committed state, and in WAL mode writers go on meanwhile (a step-wise copy
    restarts whenever another connection writes, and might never finish under steady uploads).
    The copy is switched to a rollback journal so it is one file, with no ``-wal`` beside it.
    """
    with closing(_connect(source)) as src, closing(sqlite3.connect(str(dest))) as out:
        src.backup(out)
        out.execute("PRAGMA journal_mode=DELETE")


def restore(source: str | Path, target: str | Path) -> None:
    """Replace the content of the database ``target`` with the copy at ``source``.

    Through the backup API rather than by replacing the file, so connections that already
    have ``target`` open (this process's own) see the restored content, not a deleted file.
    """
    with closing(sqlite3.connect(str(source))) as src, closing(_connect(target)) as out:
        src.backup(out)
        out.execute("PRAGMA journal_mode=WAL")


def integrity_problem(path: str | Path) -> str | None:
    """None when ``PRAGMA integrity_check`` passes; otherwise SQLite's first complaint."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            answer = conn.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        return str(exc)
    return None if answer == "ok" else str(answer)


def _tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    )
    return [row[0] for row in rows]


def table_counts(path: str | Path) -> dict[str, int]:
    """Rows per table (what a restore is compared against)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return {
            name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            for name in _tables(conn)
        }


def holds_data(path: str | Path) -> dict[str, int]:
    """The non-empty tables among DATA_TABLES, with their counts ({} for a fresh instance)."""
    if not Path(path).exists():
        return {}
    counts = table_counts(path)
    return {name: counts[name] for name in DATA_TABLES if counts.get(name)}


def referenced_files(path: str | Path) -> dict[str, list[str]]:
    """Per instance folder, the relative paths of the files the database's rows point at."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        present = set(_tables(conn))
        return {
            folder: [row[0] for row in conn.execute(f'SELECT path FROM "{table}"')]
            for folder, table in FILE_TABLES.items()
            if table in present
        }


def applied_migrations(path: str | Path) -> list[str]:
    """The named migrations recorded in a database (sqlite-utils' ``_sqlite_migrations``)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        if "_sqlite_migrations" not in _tables(conn):
            return []
        return [row[0] for row in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]


def documents(db: Database) -> list[dict]:
    """Every stored document's row (reports, notices, bulletins), oldest first."""
    return list(db.query("SELECT * FROM reports ORDER BY created_at, id"))
