"""Rows for the bureau's spreadsheet exports, read inspection by inspection; and export jobs.

A province's year is 40 000 inspections and 3.2 M answers. Sorting the answers by school in
one query made SQLite build a 3.2 M-row temporary B-tree before the first row came out;
instead the period's inspections are sorted (a small list) and each one's answers,
findings and rectifications are read through their indexes. Rows are plain tuples:
building a dict for each of millions of rows costs more than the query.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlite_utils import Database

from inspect_app.common.clock import now, stamp
from inspect_app.common.periods import Filters
from inspect_app.storage.analytics import inspection_where
from inspect_app.storage.db import write


def inspections(db: Database, f: Filters) -> list[tuple]:
    """(id, date, type, checklist_id, checklist_hash, school code, school name, township),
    for the valid inspections the filters select, by school code, date and id."""
    where, params = inspection_where(f)
    return db.execute(
        f"""SELECT i.id, i.date, i.type, i.checklist_id, i.checklist_hash,
                   s.code, s.name, t.name
            FROM inspections i JOIN schools s ON s.id = i.school_id
            JOIN regions t ON t.id = s.township_id
            WHERE {where}
            ORDER BY s.code, i.date, i.id""",
        params,
    ).fetchall()


# The per-inspection reads below come in index order, not the order a reader wants: SQLite
# sets up a sorter for every ORDER BY, which over 40 000 small queries cost more than the
# reading itself. Callers put the rows in checklist order (or by number) in Python.


def answers(db: Database, inspection_id: str) -> list[tuple]:
    """(item_id, outcome, earned, possible, value, note), read from the covering index
    ``inspection_answers_export`` (by item id)."""
    return db.execute(
        """SELECT item_id, outcome, earned, possible, value, note FROM inspection_answers
           WHERE inspection_id = ?""",
        [inspection_id],
    ).fetchall()


def findings(db: Database, inspection_id: str) -> list[tuple]:
    """(item_id, value, problem, basis, action, owner, unit, deadline) for each failed item,
    by item id: the problem as this inspection measured it, and the rectification item it
    opened or joined (a repeat finding joins the item an earlier visit opened). ``unit`` is
    the responsible county unit, None for the school itself."""
    return db.execute(
        """SELECT a.item_id, a.value, COALESCE(f.problem, r.problem), r.basis, r.action, r.owner,
                  un.name, r.deadline
           FROM inspection_answers a
           LEFT JOIN rectification_findings f
             ON f.inspection_id = a.inspection_id AND f.item_id = a.item_id
           LEFT JOIN rectifications r ON r.id = f.rectification_id
           LEFT JOIN units un ON un.id = r.unit_id
           WHERE a.inspection_id = ? AND a.outcome = 'fail'""",
        [inspection_id],
    ).fetchall()


def rectifications(db: Database, inspection_id: str) -> list[tuple]:
    """(seq, number, problem, basis, action, owner, unit, deadline, status, extension_until,
    closed_at) of every item the inspection found (opened or joined), in no particular order."""
    return db.execute(
        """SELECT f.seq, r.number, f.problem, r.basis, r.action, r.owner, un.name, r.deadline,
                  r.status, r.extension_until, r.closed_at
           FROM rectification_findings f
           JOIN rectifications r ON r.id = f.rectification_id
           LEFT JOIN units un ON un.id = r.unit_id
           WHERE f.inspection_id = ?""",
        [inspection_id],
    ).fetchall()


# ---------------------------------------------------------------------------
# Kept fragments: each inspection's rows of a long sheet, rendered and deflated once
# (bureau/exports.py _fragments). Triggers remove an inspection's fragments when its
# answers, findings, rectification items or their units change (0030), and when it is no
# longer valid or is deleted (0035).


def string_ids(db: Database, texts: Iterable[str]) -> dict[str, int]:
    """The stable numbers of shared strings (``export_strings``), numbering new ones."""
    wanted = sorted(set(texts))
    with write(db):
        db.conn.executemany(
            "INSERT INTO export_strings (text) VALUES (?) ON CONFLICT (text) DO NOTHING",
            [(t,) for t in wanted],
        )
        return dict(
            db.execute(
                "SELECT text, id FROM export_strings WHERE text IN (SELECT value FROM json_each(?))",
                [json.dumps(wanted, ensure_ascii=False)],
            ).fetchall()
        )


def all_strings(db: Database) -> list[tuple[int, str]]:
    """Every shared string (id, text), by id."""
    return db.execute("SELECT id, text FROM export_strings ORDER BY id").fetchall()


def kept_fragments(db: Database, sheet: str, prints: dict[str, str]) -> dict:
    """Kept fragments of ``sheet`` for the inspections in ``prints`` (id → fingerprint) that
    match their fingerprint: {id: (rows, data, crc, size, slots)}."""
    rows = db.execute(
        """SELECT inspection_id, fingerprint, rows, data, crc, size, slots FROM export_fragments
           WHERE sheet = ? AND inspection_id IN (SELECT value FROM json_each(?))
             AND data IS NOT NULL""",
        [sheet, json.dumps(list(prints))],
    ).fetchall()
    return {
        iid: (n, data, crc, size, slots or b"")
        for iid, fingerprint, n, data, crc, size, slots in rows
        if prints.get(iid) == fingerprint
    }


def kept_prints(db: Database, sheet: str) -> dict[str, str]:
    """The fingerprint of every kept fragment of ``sheet`` (their data not read)."""
    return dict(
        db.execute(
            "SELECT inspection_id, fingerprint FROM export_fragments "
            "WHERE sheet = ? AND data IS NOT NULL",
            [sheet],
        ).fetchall()
    )


def fragments_state(db: Database) -> tuple:
    """Changes when the data an export shows may have changed or kept fragments were
    removed: the bureau's data version (0013) and how many fragment rows there are (from
    the primary key's index: the table itself is ~100 MB for a province)."""
    return (
        db.execute("SELECT n FROM bureau_data_version WHERE id = 1").fetchone(),
        db.execute("SELECT count(*) FROM export_fragments").fetchone(),
    )


def reserve_fragments(db: Database, sheet: str, prints: dict[str, str]) -> str:
    """Mark the fragments about to be rendered (before their data is read); the token that
    :func:`keep_fragments` must still find. A change to an inspection's data in between
    deletes its row, and the fragment rendered from older data is not kept."""
    token = secrets.token_hex(8)
    with write(db):
        db.conn.executemany(
            """INSERT INTO export_fragments (inspection_id, sheet, fingerprint, token, rows, crc,
                 size, data) VALUES (?, ?, ?, ?, 0, 0, 0, NULL)
               ON CONFLICT (inspection_id, sheet) DO UPDATE SET fingerprint = excluded.fingerprint,
                 token = excluded.token, data = NULL""",
            [(iid, sheet, fingerprint, token) for iid, fingerprint in prints.items()],
        )
    return token


def keep_fragments(db: Database, sheet: str, token: str, made: list[tuple]) -> None:
    """Keep rendered fragments, ``made`` as (inspection id, rows, crc, size, data, slots),
    where their reservation still stands."""
    with write(db):
        db.conn.executemany(
            """UPDATE export_fragments SET rows = ?, crc = ?, size = ?, data = ?, slots = ?
               WHERE inspection_id = ? AND sheet = ? AND token = ?""",
            [(n, crc, size, data, slots or None, iid, sheet, token)
             for iid, n, crc, size, data, slots in made],
        )  # fmt: skip


# ---------------------------------------------------------------------------
# Export jobs: a spreadsheet the bureau asked for, written by the worker (bureau/export_jobs.py)

_JOB_COLUMNS = """j.id, j.format, j.args, j.label, j.status, j.done, j.total, j.stage,
    j.attempts, j.run_after, j.lease_until, j.claim, j.claimed_by, j.last_error, j.path,
    j.filename, j.size, j.rows, j.requested_by, j.created_at, j.updated_at, j.finished_at"""


def enqueue_job(db: Database, *, format: str, args: str, label: str, requested_by: int) -> int:
    """Queue an export (``format`` xlsx or zip, ``args`` the filters as stored); its id."""
    at = stamp()
    with write(db):
        return db.execute(
            """INSERT INTO export_jobs (format, args, label, status, done, total, attempts,
                 run_after, requested_by, created_at, updated_at)
               VALUES (?, ?, ?, 'queued', 0, 0, 0, ?, ?, ?, ?) RETURNING id""",
            [format, args, label, at, requested_by, at, at],
        ).fetchone()[0]


def claim_job(
    db: Database, worker_id: str, *, lease_seconds: float, max_attempts: int,
    moment: datetime | None = None,
) -> dict | None:  # fmt: skip
    """Take the next due export, as :func:`inspect_app.storage.jobs.claim` takes documents:
    queued, or running under a lease that has passed (its worker died); a dead worker's job
    that used its attempts up is failed instead."""
    moment = moment or now()
    at = stamp(moment)
    # Polled every second: a plain read first, so an idle poll never takes the write lock
    # the uploads queue for.
    if not db.execute(
        "SELECT 1 FROM export_jobs WHERE status IN ('queued', 'running') LIMIT 1"
    ).fetchone():
        return None
    with write(db):
        while True:
            row = db.execute(
                """SELECT id, status, attempts FROM export_jobs
                   WHERE (status = 'queued' AND run_after <= :at)
                      OR (status = 'running' AND lease_until <= :at)
                   ORDER BY run_after, id LIMIT 1""",
                {"at": at},
            ).fetchone()
            if row is None:
                return None
            job_id, status, attempts = row
            if status == "running" and attempts >= max_attempts:
                db.execute(
                    """UPDATE export_jobs SET status = 'failed', claim = NULL, lease_until = NULL,
                       last_error = ?, updated_at = ? WHERE id = ?""",
                    [EXPORT_CRASHED, at, job_id],
                )
                continue
            token = secrets.token_hex(16)
            db.execute(
                """UPDATE export_jobs SET status = 'running', attempts = attempts + 1,
                   claim = ?, claimed_by = ?, lease_until = ?, done = 0, stage = NULL,
                   updated_at = ? WHERE id = ?""",
                [token, worker_id, stamp(moment + timedelta(seconds=lease_seconds)), at, job_id],
            )
            return get_job(db, job_id)


def jobs_waiting(db: Database) -> bool:
    """Whether an export is queued or being written (a plain read, polled while preparing)."""
    return (
        db.execute(
            "SELECT 1 FROM export_jobs WHERE status IN ('queued', 'running') LIMIT 1"
        ).fetchone()
        is not None
    )


EXPORT_CRASHED = "导出过程中断（后台进程意外退出）"


def job_progress(
    db: Database, job_id: int, claim: str, *, done: int, total: int, stage: str,
    lease_seconds: float,
) -> bool:  # fmt: skip
    """Record how far the export is (and extend its lease); False when the claim was lost."""
    at = now()
    cursor = db.execute(
        """UPDATE export_jobs SET done = ?, total = ?, stage = ?, lease_until = ?, updated_at = ?
           WHERE id = ? AND claim = ?""",
        [done, total, stage, stamp(at + timedelta(seconds=lease_seconds)), stamp(at), job_id,
         claim],
    )  # fmt: skip
    return cursor.rowcount == 1


def finish_job(
    db: Database, job_id: int, claim: str, *, path: str, filename: str, size: int, rows: str
) -> bool:
    at = stamp()
    cursor = db.execute(
        """UPDATE export_jobs SET status = 'done', claim = NULL, lease_until = NULL,
           last_error = NULL, path = ?, filename = ?, size = ?, rows = ?, done = total,
           finished_at = ?, updated_at = ? WHERE id = ? AND claim = ?""",
        [path, filename, size, rows, at, at, job_id, claim],
    )
    return cursor.rowcount == 1


def fail_job(
    db: Database, job_id: int, claim: str, reason: str, *, retry_at: datetime | None
) -> bool:
    """Record why the export failed; queue it again at ``retry_at``, or stop (None)."""
    at = stamp()
    cursor = db.execute(
        """UPDATE export_jobs SET status = ?, claim = NULL, lease_until = NULL, last_error = ?,
           run_after = ?, updated_at = ? WHERE id = ? AND claim = ?""",
        ["queued" if retry_at else "failed", reason[:2000], stamp(retry_at) if retry_at else at,
         at, job_id, claim],
    )  # fmt: skip
    return cursor.rowcount == 1


def get_job(db: Database, job_id: int) -> dict | None:
    cursor = db.execute(
        f"""SELECT {_JOB_COLUMNS}, u.display_name AS requested_by_name FROM export_jobs j
            LEFT JOIN users u ON u.id = j.requested_by WHERE j.id = ?""",
        [job_id],
    )
    row = cursor.fetchone()
    return dict(zip([d[0] for d in cursor.description], row, strict=True)) if row else None


def recent_jobs(db: Database, limit: int = 30) -> list[dict]:
    """The latest exports, newest first, with who asked for them."""
    cursor = db.execute(
        f"""SELECT {_JOB_COLUMNS}, u.display_name AS requested_by_name FROM export_jobs j
            LEFT JOIN users u ON u.id = j.requested_by ORDER BY j.id DESC LIMIT ?""",
        [limit],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def finished_before(db: Database, moment: datetime) -> list[dict]:
    """Exports finished before ``moment``: their files are removed."""
    return list(
        db.query(
            """SELECT id, path FROM export_jobs
               WHERE status = 'done' AND updated_at < ?""",
            [stamp(moment)],
        )
    )


def expire_job(db: Database, job_id: int) -> None:
    """An old export whose file was removed: listed as 已过期, no longer downloadable."""
    db.execute(
        "UPDATE export_jobs SET status = 'expired', path = NULL, updated_at = ? WHERE id = ? "
        "AND status = 'done'",
        [stamp(), job_id],
    )
