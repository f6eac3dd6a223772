"""The app as deployed: gunicorn and the document worker in their own processes, on loopback.

No test client here: real sockets, real processes, real SQLite locking between processes.
20 phones upload at the same moment and every upload is stored; a document worker killed in
the middle of a job leaves it to be claimed again, issued once; two workers started by
mistake issue each document once; Ctrl-C stops everything cleanly.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from inspect_app import create_app
from inspect_app.inspections import catalog, receiving
from inspect_app.storage import jobs, reports, users
from inspect_app.storage.db import open_database

from . import factories, live_server

CLIENTS = 20
UPLOADS_EACH = 2


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_twenty_phones_upload_at_once_and_every_upload_is_stored(tmp_path):
    instance = live_server.prepare_instance(tmp_path / "instance", inspectors=4)
    server, base = live_server.serve(instance, tmp_path / "serve.log", workers=2)
    try:
        checklist = live_server.Client(base)
        checklist.login(instance.inspectors[0])
        compiled = checklist.checklist()
        start = threading.Barrier(CLIENTS)
        results: list[dict] = []
        errors: list[str] = []

        def phone(n: int) -> None:
            try:
                client = live_server.Client(base)
                client.login(instance.inspectors[n % len(instance.inspectors)])
                outbox = [
                    client.prepare_upload(
                        instance.school_ids[(n + k) % len(instance.school_ids)],
                        compiled,
                        n * 10 + k,
                    )
                    for k in range(UPLOADS_EACH)
                ]
                start.wait(30)  # every phone sends at the same moment
                for prepared in outbox:
                    results.append(client.send_upload(prepared))
            except Exception as exc:  # every failure is collected and reported below
                errors.append(f"phone {n}: {exc!r}")

        threads = [threading.Thread(target=phone, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert errors == []
        assert len(results) == CLIENTS * UPLOADS_EACH

        db = open_database(instance.database)
        try:
            ids = {r["id"] for r in results}
            stored = {r["id"] for r in db.query("SELECT id FROM inspections")}
            assert stored == ids
            # Each inspection arrived with its documents' job, in the same transaction.
            assert {j["inspection_id"] for j in db.query("SELECT * FROM document_jobs")} == ids
            photos = list(db.query("SELECT * FROM photos"))
            assert len(photos) == CLIENTS * UPLOADS_EACH
            media = instance.path / "media"
            assert all((media / p["path"]).stat().st_size == p["size"] for p in photos)
            # The one document worker started with the server issues them.
            wait_for(lambda: db.table("reports").count >= 1, 60, "a first report")
        finally:
            db.close()
        health = live_server.Client(base)
        status, headers, body = health.request("GET", "/healthz")
        assert status == 200 and json.loads(body)["status"] == "ok"
        assert len(headers["X-Request-Id"]) >= 16
        assert headers.get("Server") == "web"  # no product name or version
    finally:
        code = server.stop()  # Ctrl-C
    log = server.output()
    assert code == 0, log
    assert "database is locked" not in log and "Traceback" not in log, log
    assert "Shutting down: Master" in log and "stopped" in log, log
    # Access log lines carry the request id gunicorn's format asks for.
    assert '"PUT /api/inspections/' in log


@pytest.fixture
def queued(tmp_path):
    """An instance folder with four received inspections whose documents are queued.

    Of the shortest shipped checklist (经常性督导): claiming and issuing are what is tested,
    and its documents take about half the rendering time of the comprehensive checklist's
    (still seconds per job, far longer than the 0.1 s the tests poll at to catch one running)."""
    instance = live_server.prepare_instance(tmp_path / "instance", inspectors=1)
    app = create_app({"INSTANCE_PATH": str(instance.path), **instance.settings})
    db = open_database(instance.database)
    with app.app_context():
        compiled = catalog.current()["routine_visit"].compiled
    inspector = users.by_username(db, instance.inspectors[0])
    ids = []
    for n in range(4):
        body = factories.payload(instance.school_ids[n], compiled)
        receiving.receive(db, body, body["id"], inspector)
        ids.append(body["id"])
    yield instance, db, ids
    db.close()


def _reports_of(db, ids: list[str]) -> dict[str, list[dict]]:
    return {i: reports.for_subject(db, i, "report") for i in ids}


def test_a_worker_killed_mid_job_leaves_it_to_be_claimed_again_and_issued_once(
    queued, tmp_path: Path
):
    instance, db, ids = queued
    lease = 3
    first = live_server.worker(instance, tmp_path / "first.log", DOCUMENT_LEASE_SECONDS=lease)
    running = wait_for(
        lambda: next(db.query("SELECT * FROM document_jobs WHERE status = 'running'"), None),
        60, "the first worker to claim a job",
    )  # fmt: skip
    first.kill()  # mid-job: the claim stays, its lease running
    killed_job = running["id"]
    assert jobs.get(db, killed_job)["status"] == "running"

    second = live_server.worker(instance, tmp_path / "second.log", DOCUMENT_LEASE_SECONDS=lease)
    try:
        wait_for(
            lambda: jobs.counts(db)["done"] == len(ids), 240, "every job to be done"
        )  # fmt: skip
    finally:
        assert second.stop() == 0
    job = jobs.get(db, killed_job)
    # Claimed by the dead worker, then again after its lease passed.
    assert job["attempts"] == 2 and job["status"] == "done"
    issued = _reports_of(db, ids)
    assert all(len(rows) == 1 and rows[0]["status"] == "valid" for rows in issued.values())
    for rows in issued.values():
        data = reports.read(str(instance.path / "reports"), rows[0])
        assert factories.sha256(data) == rows[0]["sha256"]


def test_two_workers_started_by_mistake_issue_each_document_once(queued, tmp_path: Path):
    instance, db, ids = queued
    workers = [live_server.worker(instance, tmp_path / f"worker{n}.log") for n in range(2)]
    try:
        wait_for(lambda: jobs.counts(db)["done"] == len(ids), 240, "every job to be done")
    finally:
        codes = [w.stop() for w in workers]
    assert codes == [0, 0]
    issued = _reports_of(db, ids)
    assert all(len(rows) == 1 for rows in issued.values()), issued
    # Rendered once each: no PDF was made and thrown away (an orphan file in reports/).
    assert len(list((instance.path / "reports" / "report").glob("*.pdf"))) == len(ids)
    beats = jobs.heartbeats(db)
    assert len(beats) == 2 and sum(b["issued"] for b in beats) == len(ids)
