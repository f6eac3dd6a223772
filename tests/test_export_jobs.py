"""Exports as background jobs (bureau/export_jobs.py): asked for on a page, written by the
worker with progress, downloaded from any server process; a dead worker's export is taken up
again."""

from __future__ import annotations

import io
import json
import os
import re
import threading
import time
import urllib.parse
from datetime import timedelta

from bs4 import BeautifulSoup
from openpyxl import load_workbook

from inspect_app.bureau import export_jobs
from inspect_app.common.clock import now
from inspect_app.storage import exports as storage
from inspect_app.storage.db import open_database

from . import live_server
from .support import TERM, csrf_token

QUERY = {**TERM, "checklist": "fupin_comprehensive"}


def _start(client, fmt: str = "xlsx") -> int:
    token = csrf_token(client, "/bureau/")
    response = client.post("/bureau/exports", data={**QUERY, "format": fmt, "csrf_token": token})
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_the_export_is_written_in_the_background_with_progress(
    app, client, auth, db, received, monkeypatch
):
    auth.login("bureau")
    job_id = _start(client)
    page = BeautifulSoup(
        client.get(f"/bureau/exports/{job_id}").get_data(as_text=True), "html.parser"
    )
    assert page.select_one("#export-status").get_text() == "排队中"
    assert page.select_one('meta[http-equiv="refresh"]')  # the page follows the export
    assert "2026—2027学年上学期" in page.select_one("#export h2").get_text()
    assert client.get(f"/bureau/exports/{job_id}/download").status_code == 404

    reports: list[tuple[str, int, int]] = []
    recorded = storage.job_progress

    def spy(db, job_id, claim, *, done, total, stage, lease_seconds):
        reports.append((stage, done, total))
        # what another process sees while the export runs
        seen = client.get(f"/bureau/exports/{job_id}.json").get_json()
        assert seen["status"] == "running" and seen["download"] is None
        return recorded(db, job_id, claim, done=done, total=total, stage=stage,
                        lease_seconds=lease_seconds)  # fmt: skip

    monkeypatch.setattr(export_jobs, "REPORT_EVERY_SECONDS", 0)
    monkeypatch.setattr(storage, "job_progress", spy)
    assert export_jobs.ExportWorker(app.config, threading.Event()).run_once(db)
    inspections = 3  # the term's valid inspections (a_old, a_new, b)
    totals = {t for _, _, t in reports if t}
    assert totals == {3 * inspections}
    done = [d for _, d, t in reports if t]
    assert done == sorted(done) and done[-1] == 3 * inspections
    assert {s for s, _, _ in reports} >= {"检查条目", "问题清单", "整改情况"}

    status = client.get(f"/bureau/exports/{job_id}.json").get_json()
    assert status["status"] == "done" and status["percent"] == 100
    response = client.get(status["download"])
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames == ["学校汇总", "检查条目", "问题清单", "整改情况", "满意度测评"]
    listed = BeautifulSoup(client.get("/bureau/exports").get_data(as_text=True), "html.parser")
    row = listed.select_one("#export-list tbody tr")
    assert row["data-status"] == "done" and "下载" in row.get_text()


def test_an_export_is_on_the_disk_before_it_is_offered_for_download(
    app, client, auth, db, received, monkeypatch
):
    # after a power cut, 下载 must not hand the bureau an empty or half-written workbook
    auth.login("bureau")
    job_id = _start(client)
    events: list[str] = []
    real_fsync, finish = os.fsync, storage.finish_job

    def fsync(fd: int) -> None:
        events.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    def finished(*args, **kwargs):
        events.append("offered")
        return finish(*args, **kwargs)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(storage, "finish_job", finished)
    assert export_jobs.ExportWorker(app.config, threading.Event()).run_once(db)
    path = storage.get_job(db, job_id)["path"]
    assert events[-3:] == [f"{path}.part", os.path.dirname(path), "offered"]


def test_a_dead_workers_export_is_taken_up_again_and_a_failure_is_shown(
    app, client, auth, db, received, monkeypatch
):
    auth.login("bureau")
    job_id = _start(client, "zip")
    # A worker claims it and dies: its lease runs out and another claims it.
    first = storage.claim_job(db, "dead:1", lease_seconds=60, max_attempts=3)
    assert first["id"] == job_id
    assert storage.claim_job(db, "w:2", lease_seconds=60, max_attempts=3) is None
    later = storage.claim_job(db, "w:2", lease_seconds=60, max_attempts=3,
                              moment=now() + timedelta(seconds=61))  # fmt: skip
    assert later["id"] == job_id and later["attempts"] == 2
    # The dead worker's claim can neither report nor finish.
    assert not storage.job_progress(db, job_id, first["claim"], done=1, total=3, stage="x",
                                    lease_seconds=60)  # fmt: skip
    # A failing export is recorded with its reason, and shown.
    monkeypatch.setattr(export_jobs.exports, "write_csv_zip", _broken)
    storage.fail_job(db, job_id, later["claim"], "x", retry_at=now())
    monkeypatch.setattr(export_jobs, "ATTEMPTS", 3)
    assert export_jobs.ExportWorker(app.config, threading.Event()).run_once(db)
    job = storage.get_job(db, job_id)
    assert job["status"] == "failed" and "磁盘已满" in job["last_error"]
    page = client.get(f"/bureau/exports/{job_id}").get_data(as_text=True)
    assert "导出失败" in page and "磁盘已满" in page


def _broken(*args, **kwargs):
    raise OSError("磁盘已满")


_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def test_an_export_through_the_real_server(tmp_path):
    """`flask serve`: one web process takes the request, the worker writes the file, and
    clients of the other processes follow its progress and download it."""
    instance = live_server.prepare_instance(tmp_path / "instance", school_count=3)
    server, base = live_server.serve(instance, tmp_path / "serve.log", workers=2)
    try:
        clerk = live_server.Client(base)
        clerk.login("admin")
        html = clerk.get("/bureau/?period=year&key=2026&checklist=all").decode()
        token = _CSRF.search(html).group(1)
        form = urllib.parse.urlencode(
            {"period": "year", "key": "2026", "checklist": "all", "format": "xlsx",
             "csrf_token": token}
        ).encode()  # fmt: skip
        start = time.monotonic()
        status, headers, body = clerk.request(
            "POST", "/bureau/exports", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        # urllib follows the redirect to the status page: the request itself is short
        assert status == 200 and "数据导出" in body.decode()
        assert time.monotonic() - start < 15  # a page view, even on a busy machine
        db = open_database(instance.database)
        try:
            job_id = db.execute("SELECT max(id) FROM export_jobs").fetchone()[0]
        finally:
            db.close()
        watchers = []
        for _ in range(3):
            c = live_server.Client(base)
            c.login("admin")
            watchers.append(c)
        seen = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            state = json.loads(watchers[len(seen) % 3].get(f"/bureau/exports/{job_id}.json"))
            seen.append(state["status"])
            if state["status"] in ("done", "failed"):
                break
            time.sleep(0.2)
        assert state["status"] == "done", state
        downloads = [w.get(state["download"]) for w in watchers]
        assert downloads[0] == downloads[1] == downloads[2]
        book = load_workbook(io.BytesIO(downloads[0]), read_only=True)
        schools = list(book["学校汇总"].values)
        assert len(schools) == 1 + 3  # every school of the county, none inspected yet
    finally:
        server.stop()
    log = server.output()
    assert "Traceback" not in log
