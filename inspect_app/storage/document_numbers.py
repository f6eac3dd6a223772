"""Handing out document numbers: one sequence per kind and year, no number twice, no gaps.

A number must be printed on the PDF before the PDF is stored, so it is reserved first, in a
short write transaction of its own, and rendering (about a second) happens outside any lock.
A render that fails releases its number and the next document of that kind takes it, so the
numbers issued stay 1, 2, 3, … A process that dies mid-render leaves a reservation without a
report; after ``STALE_MINUTES`` that number is handed out again as well.

The primary key (kind, year, seq) makes a duplicate impossible whatever the callers do; the
unique index on ``reports.doc_number`` guards the printed text too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlite_utils import Database

from inspect_app.common.clock import now, stamp

STALE_MINUTES = 15  # a render takes seconds: a reservation this old lost its process


@contextmanager
def _write(db: Database) -> Iterator[None]:
    """BEGIN IMMEDIATE: take the write lock up front, so concurrent reservers queue on the
    busy timeout instead of failing on a stale read snapshot."""
    conn = db.conn
    if conn.in_transaction:
        conn.execute("SAVEPOINT reserve_number")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK TO SAVEPOINT reserve_number")
                conn.execute("RELEASE SAVEPOINT reserve_number")
            raise
        conn.execute("RELEASE SAVEPOINT reserve_number")
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def reserve(db: Database, kind: str, year: int, report_id: str) -> int:
    """The sequence number ``report_id`` will carry: the lowest one free again, else the next."""
    stale = stamp(now() - timedelta(minutes=STALE_MINUTES))
    for _ in range(5):  # another writer without BEGIN IMMEDIATE could still collide on the key
        try:
            with _write(db):
                free = db.execute(
                    """SELECT seq FROM document_numbers d
                       WHERE kind = ? AND year = ? AND (report_id IS NULL OR (
                         reserved_at < ? AND NOT EXISTS (
                           SELECT 1 FROM reports r WHERE r.id = d.report_id)))
                       ORDER BY seq LIMIT 1""",
                    [kind, year, stale],
                ).fetchone()
                if free:
                    db.execute(
                        """UPDATE document_numbers SET report_id = ?, reserved_at = ?
                           WHERE kind = ? AND year = ? AND seq = ?""",
                        [report_id, stamp(), kind, year, free[0]],
                    )
                    return int(free[0])
                seq = db.execute(
                    "SELECT COALESCE(MAX(seq), 0) + 1 FROM document_numbers WHERE kind = ? AND year = ?",
                    [kind, year],
                ).fetchone()[0]
                db.execute(
                    """INSERT INTO document_numbers (kind, year, seq, report_id, reserved_at)
                       VALUES (?, ?, ?, ?, ?)""",
                    [kind, year, seq, report_id, stamp()],
                )
                return int(seq)
        except sqlite3.IntegrityError:
            continue
    raise RuntimeError(f"could not reserve a {kind} number for {year}")


def release(db: Database, kind: str, year: int, seq: int, report_id: str) -> None:
    """Give a reserved number back (its document was not stored); a no-op once it is used."""
    with _write(db):
        db.execute(
            """UPDATE document_numbers SET report_id = NULL
               WHERE kind = ? AND year = ? AND seq = ? AND report_id = ?
                 AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.id = ?)""",
            [kind, year, seq, report_id, report_id],
        )


def issued(db: Database, kind: str, year: int) -> list[int]:
    """The sequence numbers of stored documents of a kind and year, in order."""
    rows = db.execute(
        """SELECT d.seq FROM document_numbers d JOIN reports r ON r.id = d.report_id
           WHERE d.kind = ? AND d.year = ? ORDER BY d.seq""",
        [kind, year],
    ).fetchall()
    return [r[0] for r in rows]
