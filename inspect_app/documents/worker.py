"""A background thread that issues the signed documents of newly received inspections.

Rendering and signing take about a second per document, too long to keep a phone's upload
waiting; the sync API stores the inspection, wakes this thread and answers at once. After
each pass (and at least every minute) it also refreshes the bureau's default dashboard, so
the first visit after new data is served from memory.
Anything the thread misses (a crash, a restart) is picked up on the next pass, because the
work list is derived from the database: inspections without a report.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from inspect_app.bureau import gathering
from inspect_app.common.clock import today_in_china
from inspect_app.documents import issuing
from inspect_app.storage.db import open_database

log = logging.getLogger(__name__)
_wake = threading.Event()


def wake() -> None:
    _wake.set()


def issue_pending(config) -> int:
    db = open_database(config["DATABASE"])
    issued = 0
    try:
        for inspection_id in issuing.missing_documents(db):
            try:
                issuing.ensure_documents(db, config, inspection_id)
                issued += 1
            except Exception:  # one bad inspection must not stop the others
                log.exception("could not issue documents for inspection %s", inspection_id)
    finally:
        db.close()
    return issued


def warm_dashboard(config) -> None:
    """Recompute the bureau's default dashboard if the data changed since it was cached."""
    db = open_database(config["DATABASE"])
    try:
        gathering.warm(db, today_in_china(config.get("TODAY_OVERRIDE")))
    finally:
        db.close()


def start(app: Flask) -> None:
    config = app.config

    def run() -> None:
        while True:
            _wake.wait(timeout=60)
            _wake.clear()
            try:
                issue_pending(config)
                warm_dashboard(config)
            except Exception:
                log.exception("document worker pass failed")

    threading.Thread(target=run, name="document-worker", daemon=True).start()
    wake()
