"""文号: configurable pattern, one gapless sequence per kind and year, unique under concurrency,
printed on the documents and shown where documents are listed and verified."""

from __future__ import annotations

import multiprocessing
import random
import subprocess
import threading

import pytest
from bs4 import BeautifulSoup

from inspect_app.common import docnumbers
from inspect_app.common.clock import today_in_china
from inspect_app.documents import issuing, numbering
from inspect_app.documents.signing import init_keys
from inspect_app.inspections import catalog, receiving
from inspect_app.storage import document_numbers, reports, users
from inspect_app.storage.db import open_database

from . import factories


@pytest.fixture
def keys(app):
    return init_keys(app.config["KEYS_DIR"], organization=app.config["BUREAU_NAME"])


@pytest.fixture
def failing_inspections(app, db, county):
    """Four failing inspections (each has a report and a notice to issue), received as insp.

    Of the shortest shipped checklist (经常性督导, 19 items): numbering is what is tested
    here, and its report and notice take about half the rendering time of the 114 items of
    the comprehensive one."""
    with app.app_context():
        checklist = catalog.current()["routine_visit"].compiled
    inspector = users.get(db, county["insp"])
    ids = []
    for n, school in enumerate(["school_a", "school_b", "school_c", "school_a"]):
        body = factories.payload(county[school], checklist, passing=False, date=f"2026-10-0{n + 1}")
        receiving.receive(db, body, body["id"], inspector)
        ids.append(body["id"])
    return ids


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return "".join(out.stdout.split())


def test_patterns_are_checked_and_formatted():
    assert docnumbers.format_number("青督〔{year}〕{seq}号", 2026, 12) == "青督〔2026〕12号"
    assert docnumbers.format_number("青督〔{year}〕{seq:03d}号", 2026, 7) == "青督〔2026〕007号"
    for bad in ("青督〔{year}〕号", "青督{seq}号", "{year}{seq}{school}", "{year}{seq"):
        with pytest.raises(docnumbers.PatternError, match="文号格式"):
            docnumbers.check_pattern(bad)
    chosen = docnumbers.patterns({"DOCUMENT_NUMBER_PATTERNS": {"report": "川督〔{year}〕{seq}号"}})
    assert chosen["report"] == "川督〔{year}〕{seq}号" and chosen["bulletin"].endswith("号")


def test_report_and_notice_carry_their_number_and_no_internal_key(
    app, client, auth, db, failing_inspections, keys, tmp_path
):
    app.config["DOCUMENT_NUMBER_PATTERNS"] = {
        "report": "川督检〔{year}〕{seq:03d}号",
        "notice": "川督改〔{year}〕{seq}号",
    }
    year = today_in_china().year
    inspection_id = failing_inspections[0]
    report, notice = issuing.issue_documents(db, app.config, inspection_id)
    assert report["doc_number"] == f"川督检〔{year}〕001号"
    assert notice["doc_number"] == f"川督改〔{year}〕1号"  # each kind counts on its own
    text = _text(reports.read(app.config["REPORTS_DIR"], report), tmp_path)
    assert f"川督检〔{year}〕001号" in text
    assert "报告编号" not in text and inspection_id[:8] not in text
    assert "SHA-256" not in text and report["id"][:8] not in text
    assert f"川督改〔{year}〕1号" in _text(
        reports.read(app.config["REPORTS_DIR"], notice), tmp_path
    )
    # a corrected version is a new document with its own number, naming the one it replaces
    second = issuing.issue_report(db, app.config, inspection_id, reason="更正得分")
    assert second["doc_number"] == f"川督检〔{year}〕002号"
    assert f"替代川督检〔{year}〕001号" in _text(
        reports.read(app.config["REPORTS_DIR"], second), tmp_path
    )
    # shown on the inspection page and on the public verification page
    auth.login("bureau")
    page = client.get(f"/inspections/{inspection_id}").get_data(as_text=True)
    assert f"川督检〔{year}〕002号" in page and f"川督改〔{year}〕1号" in page
    verify = BeautifulSoup(
        client.get(f"/verify/{report['id']}").get_data(as_text=True), "html.parser"
    )
    assert verify.select_one("#doc-number").get_text() == f"川督检〔{year}〕001号"
    response = client.get(f"/documents/{second['id']}.pdf")
    assert "002" in response.headers["Content-Disposition"]


def test_a_failed_issue_gives_its_number_back(app, db, failing_inspections, keys, monkeypatch):
    year = today_in_china().year
    real_sign = issuing.sign_pdf
    calls = {"n": 0}

    def flaky_sign(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("signing device unplugged")
        return real_sign(*args, **kwargs)

    monkeypatch.setattr(issuing, "sign_pdf", flaky_sign)
    with pytest.raises(RuntimeError):
        issuing.issue_report(db, app.config, failing_inspections[0])
    assert document_numbers.issued(db, "report", year) == []
    row = issuing.issue_report(db, app.config, failing_inspections[1])
    assert row["doc_number"].endswith(f"〔{year}〕1号")  # the number given back, no gap


def test_threads_issuing_at_once_get_distinct_gapless_numbers(app, failing_inspections, keys):
    """Each thread has its own connection, as each request and worker does."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(failing_inspections))

    def issue(inspection_id: str) -> None:
        db = open_database(app.config["DATABASE"])
        try:
            start.wait()
            issuing.issue_documents(db, app.config, inspection_id)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=issue, args=(i,)) for i in failing_inspections]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    db = open_database(app.config["DATABASE"])
    year = today_in_china().year
    for kind, prefix in (("report", "青督检"), ("notice", "青督改")):
        numbers = [r["doc_number"] for r in db.query(
            "SELECT doc_number FROM reports WHERE kind = ? ORDER BY doc_number", [kind])]  # fmt: skip
        expected = [f"{prefix}〔{year}〕{n}号" for n in range(1, len(failing_inspections) + 1)]
        assert sorted(numbers) == sorted(expected)
    db.close()


def _reserve_many(path: str, reports_dir: str, worker: int, count: int, out) -> None:
    """One process: reserve numbers and store a document for most, fail (release) the rest."""
    db = open_database(path)
    rng = random.Random(worker)
    stored = 0
    config = {"TODAY_OVERRIDE": "2026-06-01"}
    for n in range(count):
        report_id = f"{worker}-{n}-0000-0000-0000-000000000000"
        try:
            with numbering.numbered(db, config, "bulletin", report_id) as number:
                if rng.random() < 0.25:
                    raise RuntimeError("render failed")
                reports.store(
                    db, reports_dir, report_id=report_id, kind="bulletin",
                    subject_id=f"p{worker}-{n}", school_id=None, version=1,
                    sha256=f"{worker:02d}{n:062d}", pdf=b"%PDF-1.7 test", doc_number=number,
                )  # fmt: skip
                stored += 1
        except RuntimeError:
            pass
    db.close()
    out.put(stored)


def test_processes_reserving_at_once_never_share_or_skip_a_number(app, db):
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    workers = [
        ctx.Process(
            target=_reserve_many,
            args=(app.config["DATABASE"], app.config["REPORTS_DIR"], w, 25, out),
        )
        for w in range(4)
    ]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=120)
        assert p.exitcode == 0
    stored = sum(out.get(timeout=5) for _ in workers)
    assert 0 < stored < 100  # some failed on purpose
    numbers = [r["doc_number"] for r in db.query("SELECT doc_number FROM reports")]
    assert len(numbers) == len(set(numbers)) == stored
    assert sorted(document_numbers.issued(db, "bulletin", 2026)) == list(range(1, stored + 1))
    assert {n for n in numbers} == {f"青督通〔2026〕{s}号" for s in range(1, stored + 1)}
