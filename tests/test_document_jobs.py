"""Documents as jobs: queued with the inspection, claimed under a lease, failures kept with
their reason and retried with back-off, an admin's queue page and retry button, and what a
user sees while a document is being prepared."""

from __future__ import annotations

import gzip
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from inspect_app.common.clock import now
from inspect_app.documents import issuing, worker
from inspect_app.documents.render import MissingGlyphError
from inspect_app.storage import jobs, reports
from inspect_app.storage.db import open_database, write


def test_every_received_inspection_has_its_documents_queued(db, received):
    queued = {j["inspection_id"]: j for j in jobs.waiting(db)}
    assert set(queued) == set(received["ids"].values())
    assert all(j["status"] == "queued" and j["attempts"] == 0 for j in queued.values())
    # Receiving the same inspection again queues nothing new.
    jobs.enqueue(db, received["ids"]["b"])
    assert jobs.counts(db)["queued"] == len(received["ids"])


@pytest.fixture
def fake_issue(monkeypatch):
    """ensure_documents replaced: records calls, raises what ``fail`` maps an id to."""
    calls: list[str] = []
    fail: dict[str, Exception] = {}

    def ensure(db, config, inspection_id):
        calls.append(inspection_id)
        if inspection_id in fail:
            raise fail[inspection_id]
        return {"id": "x"}

    monkeypatch.setattr(issuing, "ensure_documents", ensure)
    return calls, fail


def _drain(app, db) -> int:
    w = worker.Worker(app.config, "test-worker")
    n = 0
    while w.run_once(db):
        n += 1
    return n


def _make_due(db, job_id: int) -> None:
    # The back-off has passed.
    db.execute("UPDATE document_jobs SET run_after = '2000-01-01T00:00:00Z' WHERE id = ?", [job_id])


def test_a_missing_glyph_is_recorded_and_retried_later_without_blocking_others(
    app, db, received, fake_issue
):
    calls, fail = fake_issue
    broken = received["ids"]["a_old"]
    fail[broken] = MissingGlyphError("文档中有字符无法显示（缺少字形）：𠮷")
    assert _drain(app, db) == len(received["ids"])
    job = jobs.for_inspection(db, broken)
    assert job["status"] == "queued" and job["attempts"] == 1
    assert "缺少字形" in job["last_error"] and "𠮷" in job["last_error"]
    # Back-off: the first retry is DOCUMENT_RETRY_SECONDS later, not at once.
    assert job["run_after"] > (now() + timedelta(seconds=50)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert jobs.counts(db)["done"] == len(received["ids"]) - 1
    # Once the font is there (here: the fake stops failing) the retry issues it.
    del fail[broken]
    _make_due(db, job["id"])
    assert _drain(app, db) == 1
    assert jobs.for_inspection(db, broken)["status"] == "done"
    assert calls.count(broken) == 2


def test_after_its_attempts_a_job_waits_for_an_admin_who_retries_it(
    app, db, received, fake_issue, login
):
    app.config["DOCUMENT_JOB_ATTEMPTS"] = 2
    calls, fail = fake_issue
    broken = received["ids"]["b"]
    fail[broken] = RuntimeError("照片文件不可读")
    _drain(app, db)
    job = jobs.for_inspection(db, broken)
    _make_due(db, job["id"])
    _drain(app, db)
    job = jobs.for_inspection(db, broken)
    assert job["status"] == "failed" and job["attempts"] == 2
    assert job["last_error"] == "内部错误：RuntimeError: 照片文件不可读"

    admin = login("admin")
    page = admin.page("/admin/documents")
    assert "照片文件不可读" in page.select_one("#job-failures").get_text()
    assert page.select_one("#jobs-failed").get_text() == "1"
    # The worker that just ran (in _drain) beat moments ago.
    assert "运行正常" in page.select_one("#worker-state").get_text()
    assert "test-worker" in page.get_text()
    assert admin.post(f"/admin/documents/{job['id']}/retry").status_code == 302
    job = jobs.for_inspection(db, broken)
    assert job["status"] == "queued" and job["attempts"] == 0
    # A retry without the form's CSRF token changes nothing.
    raw = admin.client.post(f"/admin/documents/{job['id']}/retry")
    assert raw.status_code == 400


def test_a_dead_workers_job_is_claimed_again_after_its_lease(db, received):
    start = now()
    first = jobs.claim(db, "A", lease_seconds=60, max_attempts=3, moment=start)
    # Within the lease nobody else gets it.
    others = [
        jobs.claim(db, "B", lease_seconds=60, max_attempts=3, moment=start)
        for _ in range(len(received["ids"]) - 1)
    ]
    assert first["id"] not in {o["id"] for o in others}
    assert jobs.claim(db, "B", lease_seconds=60, max_attempts=3, moment=start) is None
    later = start + timedelta(seconds=61)
    again = jobs.claim(db, "B", lease_seconds=60, max_attempts=3, moment=later)
    assert again["id"] == first["id"] and again["attempts"] == 2 and again["claimed_by"] == "B"
    # The dead worker's claim no longer counts: it cannot finish or fail the job.
    assert not jobs.finish(db, first["id"], first["claim"])
    assert jobs.finish(db, again["id"], again["claim"])


def test_a_job_that_keeps_killing_its_worker_stops_being_claimed(db, received):
    start = now()
    first = jobs.claim(db, "A", lease_seconds=10, max_attempts=1, moment=start)
    later = start + timedelta(seconds=11)
    nxt = jobs.claim(db, "B", lease_seconds=10, max_attempts=1, moment=later)
    assert nxt is None or nxt["id"] != first["id"]
    stopped = jobs.get(db, first["id"])
    assert stopped["status"] == "failed" and stopped["last_error"] == jobs.CRASHED


def test_a_report_not_issued_yet_is_a_page_saying_it_is_being_prepared(db, received, login):
    inspection = received["ids"]["a_new"]
    inspector = login("insp")
    response = inspector.get(f"/inspections/{inspection}/report.pdf")
    assert response.status_code == 202 and response.mimetype == "text/html"
    assert response.headers["Retry-After"] == "5"
    assert "报告正在生成" in response.get_data(as_text=True)
    assert reports.for_subject(db, inspection, "report") == []  # nothing rendered in the request
    # A job that stopped retrying says so, and where an admin looks.
    db.execute("UPDATE document_jobs SET status = 'failed', last_error = 'x'")
    for url in (f"/inspections/{inspection}/report.pdf", f"/inspections/{inspection}"):
        assert "正式文件生成失败" in inspector.get(url).get_data(as_text=True)


def test_healthz_needs_a_fresh_worker_heartbeat(app, client, db):
    body = client.get("/healthz").get_json()
    assert body["status"] == "fail" and not body["checks"]["worker"]["ok"]
    assert body["checks"]["database"]["ok"] and body["checks"]["font"]["ok"]
    jobs.beat(db, "w", pid=1, started_at="2026-01-01T00:00:00Z", job_id=None, issued=0, failed=0)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["status"] == "ok"
    app.config["HEALTH_MIN_FREE_MB"] = 10**12  # a petabyte: the disk is "full"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "磁盘" in response.get_json()["checks"]["disk"]["message"]


def test_every_response_carries_a_request_id(client):
    first = client.get("/login").headers["X-Request-Id"]
    second = client.get("/login").headers["X-Request-Id"]
    assert len(first) == 32 and first != second
    # A proxy's id is kept, so its log and ours name the same request; junk is replaced.
    assert (
        client.get("/login", headers={"X-Request-Id": "nginx-abc12345"}).headers["X-Request-Id"]
        == "nginx-abc12345"
    )
    assert (
        client.get("/login", headers={"X-Request-Id": "a b<c>"}).headers["X-Request-Id"] != "a b<c>"
    )


def test_static_files_are_gzipped_and_cached(app, client):
    path = Path(app.static_folder) / "js" / "inspector" / "form.js"
    response = client.get("/static/js/inspector/form.js", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data) == path.read_bytes()
    assert len(response.data) < path.stat().st_size / 2
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert "Accept-Encoding" in response.headers["Vary"]
    etag = response.headers["ETag"]
    again = client.get(
        "/static/js/inspector/form.js",
        headers={"Accept-Encoding": "gzip", "If-None-Match": etag},
    )
    assert again.status_code == 304
    plain = client.get("/static/js/inspector/form.js")
    assert "Content-Encoding" not in plain.headers and plain.data == path.read_bytes()


def test_writers_that_read_first_queue_for_the_lock_instead_of_failing(tmp_path):
    """Read-then-write transactions on eight connections at once: none is refused with
    "database is locked", and none loses another's update."""
    path = str(tmp_path / "w.db")
    setup = open_database(path)
    setup.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)")
    setup.execute("INSERT INTO counter VALUES (1, 0)")
    setup.close()
    errors: list[str] = []

    def bump() -> None:
        db = open_database(path)
        try:
            for _ in range(25):
                with write(db):
                    n = db.execute("SELECT n FROM counter WHERE id = 1").fetchone()[0]
                    db.execute("UPDATE counter SET n = ? WHERE id = 1", [n + 1])
        except sqlite3.Error as exc:
            errors.append(str(exc))
        finally:
            db.close()

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check = open_database(path)
    assert errors == []
    assert check.execute("SELECT n FROM counter").fetchone()[0] == 200
    check.close()


def test_a_nested_write_rolls_back_alone(tmp_path):
    db = open_database(str(tmp_path / "n.db"))
    db.execute("CREATE TABLE t (v TEXT)")
    with write(db):
        db.execute("INSERT INTO t VALUES ('outer')")
        with pytest.raises(ValueError), write(db):
            db.execute("INSERT INTO t VALUES ('inner')")
            raise ValueError("inner fails")
    assert [r[0] for r in db.execute("SELECT v FROM t")] == ["outer"]
    with pytest.raises(ValueError), write(db):
        db.execute("INSERT INTO t VALUES ('all')")
        raise ValueError
    assert [r[0] for r in db.execute("SELECT v FROM t")] == ["outer"]
    db.close()


def test_the_worker_outlives_a_database_error(app, db, received, fake_issue, monkeypatch):
    real_claim = jobs.claim
    failures = [sqlite3.OperationalError("disk I/O error")]

    def claim(*args, **kwargs):
        if failures:
            raise failures.pop()
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(jobs, "claim", claim)
    app.config["DOCUMENT_WORKER_POLL_SECONDS"] = 0.05
    w = worker.Worker(app.config, "resilient")
    thread = threading.Thread(target=w.run)
    thread.start()
    try:
        deadline = now() + timedelta(seconds=30)
        while jobs.counts(db)["done"] < len(received["ids"]) and now() < deadline:
            threading.Event().wait(0.05)
    finally:
        w.stop()
        thread.join(10)
    assert not failures and jobs.counts(db)["done"] == len(received["ids"])


def test_the_heartbeat_goes_on_during_a_long_render(app, db, received, monkeypatch):
    monkeypatch.setattr(worker, "BEAT_EVERY", timedelta(seconds=0.2))
    rendering, release = threading.Event(), threading.Event()

    def slow(db, config, inspection_id):
        rendering.set()
        release.wait(20)
        return {"id": "x"}

    monkeypatch.setattr(issuing, "ensure_documents", slow)
    w = worker.Worker(app.config, "slow")
    thread = threading.Thread(target=w.run)
    thread.start()
    try:
        assert rendering.wait(20)
        first = jobs.heartbeats(db)[0]
        threading.Event().wait(2.2)  # heartbeats are stamped to the second
        during = jobs.heartbeats(db)[0]
    finally:
        release.set()
        w.stop()
        thread.join(10)
    assert during["beat_at"] > first["beat_at"]
    assert during["job_id"] is not None  # the admin page shows what it is working on
