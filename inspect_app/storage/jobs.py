"""Document jobs (an inspection's report and notice to issue) and the workers' heartbeats.

A job is claimed under a lease: claiming and finishing are single write transactions, and
only the holder of the current claim token may finish or fail a job, so two workers started
by mistake never issue one inspection's documents twice, and a crashed worker's job is
claimed again once its lease has passed.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlite_utils import Database

from inspect_app.common.clock import now, stamp
from inspect_app.storage.db import write

# Why a job with an expired lease stops being retried: its worker died while holding it.
CRASHED = "生成过程中断（文档生成进程意外退出）"


def enqueue(db: Database, inspection_id: str, at: str | None = None) -> None:
    """Queue the documents of ``inspection_id``; a second call for it changes nothing."""
    at = at or stamp()
    db.execute(
        """INSERT OR IGNORE INTO document_jobs
           (inspection_id, status, attempts, run_after, created_at, updated_at)
           VALUES (?, 'queued', 0, ?, ?, ?)""",
        [inspection_id, at, at, at],
    )


def requeue(db: Database, inspection_id: str, at: str | None = None) -> None:
    """Queue the inspection's documents again (a new document of it is due, e.g. its 整改报告).

    A running claim is dropped: its worker's finish no longer counts, and the job is claimed
    again, so the new document is issued even if the running one had already looked."""
    at = at or stamp()
    enqueue(db, inspection_id, at)
    db.execute(
        """UPDATE document_jobs SET status = 'queued', attempts = 0, run_after = ?, claim = NULL,
             lease_until = NULL, last_error = NULL, updated_at = ?, finished_at = NULL
           WHERE inspection_id = ?""",
        [at, at, inspection_id],
    )


def claim(
    db: Database, worker_id: str, *, lease_seconds: float, max_attempts: int,
    moment: datetime | None = None,
) -> dict | None:  # fmt: skip
    """Take the next due job for ``worker_id``, or None when none is due.

    Due: queued and past its back-off, or running under a lease that has passed (its worker
    died). A dead worker's job that has used up its attempts is marked failed instead, so a
    document that crashes the worker every time cannot take it down forever.
    """
    moment = moment or now()
    at = stamp(moment)
    with write(db):
        while True:
            row = next(
                db.query(
                    """SELECT * FROM document_jobs
                       WHERE (status = 'queued' AND run_after <= :at)
                          OR (status = 'running' AND lease_until <= :at)
                       ORDER BY run_after, id LIMIT 1""",
                    {"at": at},
                ),
                None,
            )
            if row is None:
                return None
            if row["status"] == "running" and row["attempts"] >= max_attempts:
                db.execute(
                    """UPDATE document_jobs SET status = 'failed', claim = NULL, lease_until = NULL,
                       last_error = ?, updated_at = ? WHERE id = ?""",
                    [CRASHED, at, row["id"]],
                )
                continue
            token = secrets.token_hex(16)
            db.execute(
                """UPDATE document_jobs SET status = 'running', attempts = attempts + 1,
                   claim = ?, claimed_by = ?, lease_until = ?, updated_at = ? WHERE id = ?""",
                [token, worker_id, stamp(moment + timedelta(seconds=lease_seconds)), at, row["id"]],
            )
            return get(db, row["id"])


def finish(db: Database, job_id: int, claim_token: str) -> bool:
    """Mark the job done; False when the claim was lost (its lease passed and another took it)."""
    at = stamp()
    cursor = db.execute(
        """UPDATE document_jobs SET status = 'done', claim = NULL, lease_until = NULL,
           last_error = NULL, finished_at = ?, updated_at = ? WHERE id = ? AND claim = ?""",
        [at, at, job_id, claim_token],
    )
    return cursor.rowcount == 1


def fail(
    db: Database, job_id: int, claim_token: str, reason: str, *, retry_at: datetime | None
) -> bool:
    """Record why the job failed; queue it again at ``retry_at``, or stop (None) for an admin."""
    at = stamp()
    status = "queued" if retry_at else "failed"
    cursor = db.execute(
        """UPDATE document_jobs SET status = ?, claim = NULL, lease_until = NULL, last_error = ?,
           run_after = ?, updated_at = ? WHERE id = ? AND claim = ?""",
        [status, reason[:2000], stamp(retry_at) if retry_at else at, at, job_id, claim_token],
    )
    return cursor.rowcount == 1


def retry(db: Database, job_id: int) -> bool:
    """An admin's retry: queue a failed or waiting job now, with a fresh count of attempts."""
    at = stamp()
    cursor = db.execute(
        """UPDATE document_jobs SET status = 'queued', attempts = 0, run_after = ?, updated_at = ?
           WHERE id = ? AND status IN ('failed', 'queued')""",
        [at, at, job_id],
    )
    return cursor.rowcount == 1


def get(db: Database, job_id: int) -> dict | None:
    return next(db.query("SELECT * FROM document_jobs WHERE id = ?", [job_id]), None)


def for_inspection(db: Database, inspection_id: str) -> dict | None:
    return next(
        db.query("SELECT * FROM document_jobs WHERE inspection_id = ?", [inspection_id]), None
    )


def counts(db: Database) -> dict[str, int]:
    """Jobs by status, every status present (0 when none)."""
    found = {
        r["status"]: r["n"]
        for r in db.query("SELECT status, count(*) AS n FROM document_jobs GROUP BY status")
    }
    return {status: found.get(status, 0) for status in ("queued", "running", "done", "failed")}


_LISTED = """SELECT j.*, i.date, i.school_id, s.name AS school_name
    FROM document_jobs j
    JOIN inspections i ON i.id = j.inspection_id
    JOIN schools s ON s.id = i.school_id"""


def waiting(db: Database, limit: int = 100) -> list[dict]:
    """Queued and running jobs, next due first."""
    return list(
        db.query(
            _LISTED + " WHERE j.status IN ('queued', 'running') ORDER BY j.run_after, j.id LIMIT ?",
            [limit],
        )
    )


def failures(db: Database, limit: int = 100) -> list[dict]:
    """Jobs that stopped (failed) or failed at least once and wait for their retry, latest first."""
    return list(
        db.query(
            _LISTED + " WHERE j.status = 'failed' OR (j.status IN ('queued', 'running')"
            " AND j.last_error IS NOT NULL) ORDER BY j.updated_at DESC, j.id DESC LIMIT ?",
            [limit],
        )
    )


def beat(
    db: Database, worker_id: str, *, pid: int, started_at: str, job_id: int | None,
    issued: int, failed: int,
) -> None:  # fmt: skip
    """Record that ``worker_id`` is alive (and what it is doing)."""
    db.table("worker_heartbeats").upsert(
        {"worker_id": worker_id, "pid": pid, "started_at": started_at, "beat_at": stamp(),
         "job_id": job_id, "issued": issued, "failed": failed},
        pk="worker_id",
    )  # fmt: skip


def forget_workers_before(db: Database, moment: datetime) -> None:
    """Drop the heartbeats of workers silent since ``moment`` (stopped long ago)."""
    db.execute("DELETE FROM worker_heartbeats WHERE beat_at < ?", [stamp(moment)])


def heartbeat_age(beat: dict, moment: datetime | None = None) -> float:
    """Seconds since a worker's heartbeat ``beat`` (a row of :func:`heartbeats`)."""
    at = datetime.fromisoformat(beat["beat_at"].replace("Z", "+00:00"))
    return ((moment or now()) - at).total_seconds()


def heartbeats(db: Database) -> list[dict]:
    """Every worker's last heartbeat, latest first."""
    return list(db.query("SELECT * FROM worker_heartbeats ORDER BY beat_at DESC"))
