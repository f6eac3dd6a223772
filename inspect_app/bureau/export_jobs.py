"""Spreadsheet exports as background jobs: asked for on a page, written by the worker.

A province's full-year workbook is 4.3 M rows: rendered from the data it took minutes on a
busy machine, too long for a web request behind a proxy's 60 s timeout; copied from each
inspection's kept rows (exports._fragments) it takes seconds. Kept rows hold on every day,
and the worker renders again those a write removed, for the exports asked for lately, while
it is idle (:meth:`ExportWorker.prepare`). The bureau asks for it
(:func:`start`), a job row in the database (storage/exports.py) is claimed under a lease by
the export thread of the worker process (:class:`ExportWorker`), which writes the file beside
the database and reports its progress; any server process shows the progress and serves the
finished file. A worker that dies mid-export leaves its lease to run out, and the export is
started again.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path

from sqlite_utils import Database

from inspect_app.bureau import exports, stored
from inspect_app.common import periods
from inspect_app.common.clock import now, stamp, today_in_china
from inspect_app.storage import analytics
from inspect_app.storage import exports as storage
from inspect_app.storage.db import open_database
from inspect_app.storage.files import sync_file, sync_folder

log = logging.getLogger(__name__)

FORMATS = {"xlsx": "Excel 工作簿", "zip": "CSV 压缩包"}
STATUS = {"queued": "排队中", "running": "导出中", "done": "已完成", "failed": "失败",
          "expired": "已过期"}  # fmt: skip
LEASE_SECONDS = 120  # renewed with every progress report (about every second)
ATTEMPTS = 3
RETRY_AFTER = timedelta(seconds=30)
KEEP = timedelta(days=7)  # finished files are removed after this
POLL_SECONDS = 1.0
REPORT_EVERY_SECONDS = 1.0
# Exports asked for this recently are kept prepared while the worker is idle (the rows a
# write removed rendered and kept again), so the next export only copies them.
PREPARE_ASKED_WITHIN = timedelta(days=7)
PREPARE_AT_MOST = 3  # sets of filters
PREPARE_EVERY_SECONDS = 60  # how often an idle worker looks for writes since


def folder(config: Mapping) -> str:
    """Where finished exports are kept: ``EXPORTS_DIR``, or ``exports`` beside the database."""
    path = config.get("EXPORTS_DIR") or os.path.join(
        os.path.dirname(os.path.abspath(config["DATABASE"])), "exports"
    )
    os.makedirs(path, exist_ok=True)
    return path


def label(db: Database, filters: periods.Filters) -> str:
    """The export in words, for the list: period, checklist, and the school filters."""
    parts = [filters.period.label]
    titles = {c["id"]: c["title"] for c in analytics.checklist_titles(db)}
    parts.append(titles.get(filters.checklist_id, filters.checklist_id) or "全部检查单")
    if filters.type:
        parts.append(filters.type)
    if filters.township_id:
        township = next((s["township"] for s in analytics.schools_in_scope(db, filters)), None)
        parts.append(township or "所选乡镇")
    if filters.stage:
        parts.append(filters.stage)
    return " · ".join(parts)


def start(db: Database, fmt: str, filters: periods.Filters, today: date, by: int) -> int:
    """Queue an export of ``filters`` as of ``today``; the job's id."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    return storage.enqueue_job(
        db, format=fmt, args=stored.key_of(filters, today), label=label(db, filters),
        requested_by=by,
    )  # fmt: skip


def percent(job: dict) -> int:
    """How far the export is, 0–100 (100 only once the file is complete)."""
    if job["status"] == "done":
        return 100
    if not job["total"]:
        return 0
    return min(99, int(job["done"] * 100 / job["total"]))


def run(db: Database, config: Mapping, job: dict, stop: threading.Event | None = None) -> None:
    """Write the export of ``job`` (claimed by the caller) and mark it done.

    The file is written under a temporary name, flushed to the disk and renamed when complete,
    so a download never sees half a workbook, even after a power cut. Raises if the claim was lost (the lease passed and another worker
    took it) or the writing failed.
    """
    filters, today = stored.filters_of(job["args"])
    last = 0.0

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal last
        if stop is not None and stop.is_set():
            raise Stopped(job["id"])
        moment = time.monotonic()
        if moment - last < REPORT_EVERY_SECONDS and done < total:
            return
        last = moment
        if not storage.job_progress(
            db, job["id"], job["claim"], done=done, total=total, stage=stage,
            lease_seconds=LEASE_SECONDS,
        ):  # fmt: skip
            raise ClaimLost(job["id"])

    progress("汇总学校数据", 0, 0)
    overview = exports.ranking(db, filters, today)
    name = exports.filename(overview, job["format"])
    target = os.path.join(folder(config), f"export-{job['id']}.{job['format']}")
    partial = target + ".part"
    try:
        write = exports.write_xlsx if job["format"] == "xlsx" else exports.write_csv_zip
        counts = write(db, overview, partial, progress, int(config.get("SURVEY_MIN_RESPONSES", 5)))
        sync_file(Path(partial))
        os.replace(partial, target)
        sync_folder(Path(target).parent)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    if not storage.finish_job(
        db, job["id"], job["claim"], path=target, filename=name, size=os.path.getsize(target),
        rows=json.dumps(counts, ensure_ascii=False),
    ):  # fmt: skip
        raise ClaimLost(job["id"])


class ClaimLost(Exception):
    """Another worker holds the export now (this one's lease passed)."""


class Stopped(Exception):
    """The worker is stopping: the export is queued again for the next one."""


class ExportWorker:
    """Claims and writes exports one at a time; :meth:`run` loops until ``stop`` is set."""

    def __init__(self, config: Mapping, stop: threading.Event, worker_id: str | None = None):
        self.config = config
        self.stop = stop
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:exports"
        self._cleaned = 0.0
        self._looked = 0.0
        self._prepared: tuple | None = None  # storage.fragments_state when last prepared

    def run(self) -> None:
        db = open_database(self.config["DATABASE"])
        try:
            while not self.stop.is_set():
                try:
                    if self.run_once(db):
                        continue
                    self.clean(db)
                    if time.monotonic() - self._looked >= PREPARE_EVERY_SECONDS:
                        self._looked = time.monotonic()
                        self.prepare(db)
                except sqlite3.Error:
                    log.exception("export worker could not reach the database")
                self.stop.wait(POLL_SECONDS)
        finally:
            db.close()

    def run_once(self, db: Database) -> bool:
        """Claim one due export and write it; False when none was due."""
        job = storage.claim_job(
            db, self.worker_id, lease_seconds=LEASE_SECONDS, max_attempts=ATTEMPTS
        )
        if job is None:
            return False
        try:
            run(db, self.config, job, self.stop)
        except Stopped:
            storage.fail_job(
                db, job["id"], job["claim"], "后台进程重新启动，导出已重新排队", retry_at=now()
            )
        except ClaimLost:
            log.warning("export %s was taken over by another worker", job["id"])
        except Exception as exc:  # the job's failure, recorded; the worker goes on
            log.exception("export %s failed (attempt %s)", job["id"], job["attempts"])
            retry = now() + RETRY_AFTER if job["attempts"] < ATTEMPTS else None
            storage.fail_job(
                db,
                job["id"],
                job["claim"],
                f"导出出错：{type(exc).__name__}: {exc}",
                retry_at=retry,
            )
        return True

    def prepare(self, db: Database) -> None:
        """Render and keep the rows of the exports asked for lately that are not kept: a
        write removed them (or they were never rendered). Nothing to do while neither the
        data nor the kept rows changed since the last time. Gives way to an export asked
        for meanwhile (and goes on, from what it kept, when idle again)."""
        if storage.fragments_state(db) == self._prepared:
            return
        day = today_in_china(self.config.get("TODAY_OVERRIDE"))
        since = now() - PREPARE_ASKED_WITHIN
        wanted: dict[str, periods.Filters] = {}
        for job in storage.recent_jobs(db):
            if job["format"] == "xlsx" and job["created_at"] >= stamp(since):
                filters, _asked_on = stored.filters_of(job["args"])
                wanted.setdefault(stored.key_of(filters, day), filters)
        for filters in list(wanted.values())[:PREPARE_AT_MOST]:

            def give_way() -> bool:
                return self.stop.is_set() or storage.jobs_waiting(db)

            try:
                exports.prepare(db, filters, give_way)
            except sqlite3.Error:
                log.exception("export worker could not prepare %s", filters)
            if give_way():
                return
        self._prepared = storage.fragments_state(db)

    def clean(self, db: Database) -> None:
        """Remove finished exports older than ``KEEP`` (checked once an hour)."""
        if time.monotonic() - self._cleaned < 3600 and self._cleaned:
            return
        self._cleaned = time.monotonic()
        for job in storage.finished_before(db, now() - KEEP):
            if job["path"] and os.path.exists(job["path"]):
                os.unlink(job["path"])
            storage.expire_job(db, job["id"])
