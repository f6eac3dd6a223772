"""The document worker: the one process that issues received inspections' signed documents.

Run as ``flask --app inspect_app worker`` (``flask serve`` starts exactly one beside the web
server). Rendering and signing take about a second per document, too long for a phone's
upload to wait, and WeasyPrint's font state is not safe to share between threads, so no web
process renders: the upload stores the inspection together with its job (storage/jobs.py)
and this process claims the jobs one at a time, under a lease.

A failure (a missing glyph, an unreadable photo, a bug) is recorded with its reason and the
job is retried with back-off, so it never blocks the jobs behind it; after
``DOCUMENT_JOB_ATTEMPTS`` attempts it waits for an admin's retry (管理 → 文档队列). A worker
killed mid-job leaves its job running under a lease; when the lease passes it is claimed
again. The worker records a heartbeat, read by the admin page and /healthz.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sqlite3
import threading
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

from inspect_app.bureau import export_jobs, stored
from inspect_app.common.clock import CHINA, now, stamp, today_in_china
from inspect_app.documents import followup_record, issuing
from inspect_app.documents.render import ReportError
from inspect_app.storage import followups, jobs
from inspect_app.storage.db import open_database

log = logging.getLogger(__name__)

# Beats are writes; one every few seconds is plenty for "alive within the last minute".
BEAT_EVERY = timedelta(seconds=5)
# Heartbeats of workers silent this long are dropped from the admin page.
FORGET_AFTER = timedelta(days=7)
# How often an idle worker looks for bureau figures whose data changed (bureau/stored.py).
FIGURES_EVERY = timedelta(seconds=3)
# Overdue items a worker escalates per notification pass (the rest in the next passes).
ESCALATIONS_PER_PASS = 5000


def retry_delay(config: Mapping, attempts: int) -> timedelta | None:
    """How long after its ``attempts``-th failure a job is tried again; None: stop trying.

    Doubling from DOCUMENT_RETRY_SECONDS (1, 2, 4 … minutes by default), capped at an hour:
    a missing font or a full disk is usually fixed within hours, and a quick first retry
    covers a passing fault.
    """
    if attempts >= int(config["DOCUMENT_JOB_ATTEMPTS"]):
        return None
    base = float(config["DOCUMENT_RETRY_SECONDS"])
    return timedelta(seconds=min(base * 2 ** (attempts - 1), 3600))


def failure_reason(exc: BaseException) -> str:
    """What the admin page shows for a failed attempt (the document layer's errors are Chinese)."""
    if isinstance(exc, ReportError):
        return str(exc) or type(exc).__name__
    return f"内部错误：{type(exc).__name__}: {exc}"[:2000]


class Worker:
    """Claims and runs document jobs; :meth:`run` loops until :meth:`stop`."""

    def __init__(self, config: Mapping, worker_id: str | None = None):
        self.config = config
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.started_at = stamp()
        self.issued = 0
        self.failed = 0
        self._stop = threading.Event()
        self._last_beat = now() - BEAT_EVERY
        self._last_figures = now() - FIGURES_EVERY
        self._last_notify = now() - timedelta(seconds=float(config.get("NOTIFY_EVERY_SECONDS", 30)))
        self._daily_done_on: date | None = None
        self._job_id: int | None = None
        # 回头看记录 that failed to issue, and when to try each again (in memory: a restart
        # tries them at once, which is what an admin restarting after a fix wants).
        self._record_retry: dict[str, tuple[datetime, int]] = {}

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        db = open_database(self.config["DATABASE"])
        try:
            jobs.forget_workers_before(db, now() - FORGET_AFTER)
            self._beat(db, None, force=True)
            # Beats also go on during a long render (a busy machine, a 150-item report), so
            # a stale heartbeat means a dead or hung process, not a slow document.
            beating = threading.Thread(target=self._keep_beating, name="heartbeat", daemon=True)
            beating.start()
            # Spreadsheet exports have their own thread: a province's workbook takes tens of
            # seconds, and the documents behind it should not wait for it.
            exporting = threading.Thread(
                target=export_jobs.ExportWorker(self.config, self._stop).run, name="exports",
                daemon=True,
            )  # fmt: skip
            exporting.start()
            poll = float(self.config["DOCUMENT_WORKER_POLL_SECONDS"])
            while not self._stop.is_set():
                try:
                    if self.run_once(db):
                        continue
                    self._idle(db)
                except sqlite3.Error:
                    # The database itself failed (a full disk, a lock held past busy_timeout):
                    # the job in hand, if any, is claimed again when its lease passes.
                    log.exception("document worker could not reach the database")
                self._stop.wait(poll)
        finally:
            self._stop.set()
            db.close()

    def _keep_beating(self) -> None:
        db = open_database(self.config["DATABASE"])
        try:
            while not self._stop.wait(BEAT_EVERY.total_seconds()):
                try:
                    self._beat(db, self._job_id, force=True)
                except sqlite3.Error:
                    log.exception("document worker could not record its heartbeat")
        finally:
            db.close()

    def run_once(self, db) -> bool:
        """Claim one due job and run it, else issue one waiting 回头看记录; False when neither
        was due."""
        job = jobs.claim(
            db, self.worker_id,
            lease_seconds=float(self.config["DOCUMENT_LEASE_SECONDS"]),
            max_attempts=int(self.config["DOCUMENT_JOB_ATTEMPTS"]),
        )  # fmt: skip
        if job is None:
            return self.followup_records(db)
        self._job_id = job["id"]
        self._beat(db, job["id"], force=True)
        try:
            issuing.ensure_documents(db, self.config, job["inspection_id"])
        except Exception as exc:  # any failure is the job's, recorded; the worker goes on
            self.failed += 1
            delay = retry_delay(self.config, job["attempts"])
            log.exception(
                "documents of inspection %s failed (attempt %s)",
                job["inspection_id"], job["attempts"],
            )  # fmt: skip
            jobs.fail(
                db, job["id"], job["claim"], failure_reason(exc),
                retry_at=now() + delay if delay is not None else None,
            )  # fmt: skip
        else:
            self.issued += 1
            if not jobs.finish(db, job["id"], job["claim"]):
                log.warning("job %s finished after its lease passed", job["id"])
        self._job_id = None
        self._beat(db, None, force=True)
        return True

    def followup_records(self, db) -> bool:
        """Issue one received 回头看's record (its visit has no 记录 yet); False when none is
        waiting. After the inspections' jobs: a report a school is waiting for comes first."""
        moment = now()
        waiting = [
            v for v in followups.unrecorded(db, 20)
            if self._record_retry.get(v, (moment, 0))[0] <= moment
        ]  # fmt: skip
        if not waiting:
            return False
        visit_id = waiting[0]
        try:
            followup_record.issue(db, self.config, visit_id)
        except sqlite3.IntegrityError:
            # Another worker issued it meanwhile: record theirs.
            followup_record.issue(db, self.config, visit_id)
        except Exception as exc:  # recorded and retried later; the worker goes on
            self.failed += 1
            attempts = self._record_retry.get(visit_id, (moment, 0))[1] + 1
            # Doubling as a job's back-off does, then hourly: a record is never given up on.
            delay = retry_delay(self.config, attempts) or timedelta(hours=1)
            self._record_retry[visit_id] = (moment + delay, attempts)
            log.exception("回头看记录 of visit %s failed: %s", visit_id, failure_reason(exc))
        else:
            self.issued += 1
            self._record_retry.pop(visit_id, None)
        return True

    def _idle(self, db) -> None:
        self._beat(db, None)
        if now() - self._last_figures >= FIGURES_EVERY:
            # Between documents: the dashboards bureau staff looked at lately are recomputed
            # once the data changed, so their next view is current without waiting.
            stored.refresh_stale(db, today_in_china(self.config.get("TODAY_OVERRIDE")))
            self._last_figures = now()
        every = timedelta(seconds=float(self.config.get("NOTIFY_EVERY_SECONDS", 30)))
        if self.config.get("NOTIFY_FROM_WORKER", True) and now() - self._last_notify >= every:
            self.notify(db)
            self._last_notify = now()

    def notify(self, db) -> dict:
        """Between documents: send the notices that are due (e-mail, webhook), each claimed
        under a lease so that another worker or `flask notify` never sends it too; once a day
        also raise overdue items (逾期升级) and send the previous days' digests."""
        from inspect_app.rectification import delivery, notifications

        counts: dict = {}
        try:
            day = today_in_china(self.config.get("TODAY_OVERRIDE"))
            if self._daily_done_on != day:
                # A share per pass: a province's first day records many thousands, and the
                # documents behind it should not wait minutes; the rest in the next passes.
                counts["escalated"], complete = notifications.escalate_overdue(
                    db, day, ESCALATIONS_PER_PASS
                )
                if complete:
                    start = datetime.combine(day, time(0), CHINA)
                    counts["digests"] = delivery.send_digests(db, self.config, start)
                    self._daily_done_on = day
            counts.update(delivery.deliver_due(db, self.config))
        except sqlite3.Error:
            raise  # the run loop logs it and goes on
        except Exception:  # a notice must never stop the documents
            log.exception("document worker could not send notifications")
        return counts

    def _beat(self, db, job_id: int | None, *, force: bool = False) -> None:
        if not force and now() - self._last_beat < BEAT_EVERY:
            return
        jobs.beat(
            db, self.worker_id, pid=os.getpid(), started_at=self.started_at, job_id=job_id,
            issued=self.issued, failed=self.failed,
        )  # fmt: skip
        self._last_beat = now()


def run_forever(config: Mapping) -> None:
    """The ``worker`` command: run until SIGTERM or SIGINT, finishing the job in hand first."""
    # Documents can wait a few seconds; a phone's upload and a page view should not wait for
    # a render. A lower CPU priority lets the web processes go first when cores are scarce.
    os.nice(10)
    worker = Worker(config)

    def stop(signum, frame) -> None:
        log.info("document worker %s stopping (signal %s)", worker.worker_id, signum)
        worker.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("document worker %s started", worker.worker_id)
    worker.run()
    log.info("document worker %s stopped", worker.worker_id)
