"""The per-request database connection (flaskr pattern), opening a database file, and the
one way to write: a transaction that takes SQLite's write lock up front."""

from __future__ import annotations

import fcntl
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask, current_app, g
from flask.cli import with_appcontext
from sqlite_utils import Database

from inspect_app.storage.migrations import migrations

# How long a writer waits for another's transaction before giving up. Write transactions here
# last milliseconds (an upload is ~20 ms), so 20 concurrent uploads queue for well under a
# second; 15 s stays below gunicorn's 30 s worker timeout, so even a pathological wait ends as
# an error page rather than a killed worker.
BUSY_TIMEOUT_SECONDS = 15


@contextmanager
def write(db: Database) -> Iterator[Database]:
    """A write transaction: ``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any exception.

    A deferred ``BEGIN`` (sqlite-utils' ``atomic()``) reads first and asks for the write lock
    later; in WAL mode, if another connection committed in between, SQLite answers
    ``database is locked`` at once, without waiting: busy_timeout cannot help a transaction
    whose snapshot is stale. Taking the lock at ``BEGIN`` makes writers queue on busy_timeout
    instead. Nested inside an open transaction it is a savepoint, so storage functions that
    write can be combined into one transaction by their caller.
    """
    conn = db.conn
    if conn.in_transaction:
        savepoint = f"write_{secrets.token_hex(8)}"
        conn.execute(f"SAVEPOINT {savepoint}")
        try:
            yield db
        except BaseException:
            # A failed statement may already have ended the whole transaction.
            if conn.in_transaction:
                conn.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
                conn.execute(f"RELEASE SAVEPOINT {savepoint}")
            raise
        else:
            conn.execute(f"RELEASE SAVEPOINT {savepoint}")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        try:
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


class WritingDatabase(Database):
    """A sqlite-utils Database whose ``atomic()`` is :func:`write`.

    sqlite-utils wraps its own multi-statement writes (``insert_all``, ``upsert``, ``update``,
    ``transform``) in ``atomic()``; routing that through :func:`write` gives them the write
    lock up front too, so no write path is left with a deferred ``BEGIN``.
    """

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        with write(self):
            yield self


def open_database(path: str) -> Database:
    """Open a database file with the settings every connection needs."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False)
    # The implicit transaction Python's sqlite3 opens before a lone INSERT/UPDATE takes the
    # write lock at once as well.
    conn.isolation_level = "IMMEDIATE"
    db = WritingDatabase(conn)
    # WAL lets the dashboard read while an inspector's upload writes.
    db.query("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    # A commit is on the disk before it returns: a phone drops its copy of an inspection once
    # the server confirms it. Under NORMAL a commit reached the disk only at the next
    # checkpoint, so a power cut could take back what had been confirmed (files.py does the
    # same for the photos and documents).
    db.execute("PRAGMA synchronous=FULL")
    return db


def check_writable(db: Database, timeout_ms: int = 2000) -> None:
    """Raise ``sqlite3.Error`` unless this connection can take the write lock within
    ``timeout_ms`` (a read-only file or folder, a full disk, a writer stuck for long).
    Nothing is written: the transaction is rolled back."""
    previous = db.execute("PRAGMA busy_timeout").fetchone()[0]
    db.execute(f"PRAGMA busy_timeout = {int(timeout_ms)}")
    try:
        db.conn.execute("BEGIN IMMEDIATE")
        db.conn.execute("ROLLBACK")
    finally:
        db.execute(f"PRAGMA busy_timeout = {int(previous)}")


def get_db() -> Database:
    if "db" not in g:
        g.db = open_database(current_app.config["DATABASE"])
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def migrate(path: str) -> list[str]:
    """Apply pending migrations; returns the names applied. Safe to run any number of times,
    also by several processes at once (two servers started together on one database)."""
    # Each migration is its own transaction, but the list of pending ones is read before the
    # first: a second process starting at the same moment would run a migration the first has
    # just committed (「index … already exists」). An advisory lock beside the database file
    # makes the whole read-apply step one process's at a time.
    with open(f"{path}.migrate-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        db = open_database(path)
        try:
            pending = [m.name for m in migrations.pending(db)]
            migrations.apply(db)
            return pending
        finally:
            db.close()


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database. Never deletes data."""
    applied = migrate(current_app.config["DATABASE"])
    if applied:
        click.echo(f"已应用 {len(applied)} 个数据库迁移：{'、'.join(applied)}")
    else:
        click.echo("数据库已是最新，无需迁移。")
    click.echo(f"数据库文件：{current_app.config['DATABASE']}")


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
