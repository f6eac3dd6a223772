"""The bureau's computed figures, kept in the database for every server process.

A set (``figure_sets``) is one overview — one set of filters, one day — as
:mod:`inspect_app.bureau.stored` computed it, with the ``bureau_data_version`` it was computed
at: a small compressed ``head`` every dashboard reads, one ``figure_rows`` row per ranked school
and, per sort order, the rows' positions (``figure_orders``), so a page of a province's
ranking reads 60 rows. A set is replaced whole in one transaction; read it inside
:func:`reading` to see one version of it.
"""

from __future__ import annotations

import json
import sqlite3
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlite_utils import Database

from inspect_app.common.clock import stamp
from inspect_app.storage.db import write

_COLUMNS = ("id", "key", "version", "computed_at", "seconds", "viewed_at")


@contextmanager
def reading(db: Database) -> Iterator[Database]:
    """A read transaction (one snapshot of the database), unless one is open already."""
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    conn.execute("BEGIN DEFERRED")
    try:
        yield db
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


def current_version(db: Database) -> str | None:
    """``origin:n`` of ``bureau_data_version`` (bumped by triggers on every write the overview
    reads, migration 0013); None without that table."""
    try:
        row = db.execute("SELECT origin, n FROM bureau_data_version WHERE id = 1").fetchone()
    except sqlite3.OperationalError:
        return None
    return f"{row[0]}:{row[1]}" if row else None


def get(db: Database, key: str) -> dict | None:
    """The set stored under ``key`` (its columns, ``head`` as compressed bytes), or None."""
    row = db.execute(
        f"SELECT {', '.join(_COLUMNS)}, head FROM figure_sets WHERE key = ?", [key]
    ).fetchone()
    return dict(zip([*_COLUMNS, "head"], row, strict=True)) if row else None


def order(db: Database, set_id: int, sort: str) -> array | None:
    """The positions of a set's rows in ``sort`` order (e.g. ``total:desc``)."""
    row = db.execute(
        "SELECT positions FROM figure_orders WHERE set_id = ? AND sort = ?", [set_id, sort]
    ).fetchone()
    if row is None:
        return None
    positions = array("i")
    positions.frombytes(row[0])
    return positions


def rows(db: Database, set_id: int, positions: list[int]) -> dict[int, str]:
    """position → the row's JSON text, for the given positions."""
    return dict(
        db.execute(
            """SELECT position, row FROM figure_rows
               WHERE set_id = ? AND position IN (SELECT value FROM json_each(?))""",
            [set_id, json.dumps(positions)],
        ).fetchall()
    )


def store(
    db: Database, key: str, *, version: str, head: bytes, rows: list[str],
    orders: dict[str, array], seconds: float, viewed: bool,
) -> None:  # fmt: skip
    """Replace the set under ``key``; a set computed at an older data version never replaces
    a newer one (two processes may compute the same set at once)."""
    at = stamp()
    with write(db):
        old = db.execute("SELECT id, version FROM figure_sets WHERE key = ?", [key]).fetchone()
        if old is not None:
            if _newer(old[1], version):
                return
            db.execute("DELETE FROM figure_rows WHERE set_id = ?", [old[0]])
            db.execute("DELETE FROM figure_orders WHERE set_id = ?", [old[0]])
        set_id = db.execute(
            """INSERT INTO figure_sets (key, version, computed_at, seconds, viewed_at, head)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (key) DO UPDATE SET version = excluded.version,
                 computed_at = excluded.computed_at, seconds = excluded.seconds,
                 viewed_at = COALESCE(excluded.viewed_at, viewed_at), head = excluded.head
               RETURNING id""",
            [key, version, at, seconds, at if viewed else None, head],
        ).fetchone()[0]
        db.conn.executemany(
            "INSERT INTO figure_rows (set_id, position, row) VALUES (?, ?, ?)",
            ((set_id, n, text) for n, text in enumerate(rows)),
        )
        db.conn.executemany(
            "INSERT INTO figure_orders (set_id, sort, positions) VALUES (?, ?, ?)",
            ((set_id, sort, positions.tobytes()) for sort, positions in orders.items()),
        )


def _newer(a: str, b: str) -> bool:
    """Whether version ``a`` is later than ``b`` (same database origin, larger counter)."""
    origin_a, _, n_a = a.rpartition(":")
    origin_b, _, n_b = b.rpartition(":")
    return origin_a == origin_b and int(n_a) > int(n_b)


def viewed(db: Database, set_id: int) -> None:
    """Record that a set was read (the worker refreshes recently viewed sets only)."""
    db.execute("UPDATE figure_sets SET viewed_at = ? WHERE id = ?", [stamp(), set_id])


def stale_viewed(
    db: Database, version: str, since: datetime, computed_before: datetime, limit: int = 20
) -> list[dict]:
    """Sets viewed since ``since`` that were computed before ``computed_before`` at another
    data version, most recently viewed first."""
    found = db.execute(
        f"""SELECT {", ".join(_COLUMNS)} FROM figure_sets
            WHERE version != ? AND viewed_at >= ? AND computed_at <= ?
            ORDER BY viewed_at DESC LIMIT ?""",
        [version, stamp(since), stamp(computed_before), limit],
    ).fetchall()
    return [dict(zip(_COLUMNS, row, strict=True)) for row in found]


def forget_before(db: Database, moment: datetime) -> int:
    """Drop sets neither viewed nor computed since ``moment`` (and their rows)."""
    at = stamp(moment)
    cursor = db.execute(
        "DELETE FROM figure_sets WHERE computed_at < ? AND COALESCE(viewed_at, '') < ?", [at, at]
    )
    return cursor.rowcount
