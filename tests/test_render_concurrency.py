"""Documents issued from several threads and processes at once are glyph-complete and verify.

Issue 12: rendering while another thread rendered set Chinese headings in DejaVu Sans (empty
boxes) in half the documents, and signed them; six threads at once hung the process. Now one
document is laid out at a time per process, and a PDF with a box or a fallback font is refused.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from inspect_app.documents import issuing, layout
from inspect_app.documents.signing import init_keys, verify_pdf
from inspect_app.documents.verification import check_pdf
from inspect_app.inspections import receiving
from inspect_app.storage import reports, users
from inspect_app.storage.db import open_database

from . import factories

ROOT = Path(__file__).resolve().parents[1]
CJK_ONLY = {"Noto-Sans-CJK-SC", "Noto-Sans-CJK-SC-Bold"}
HEADINGS = {
    "report": ["一、检查结论", "二、发现的主要问题", "三、检查明细"],
    "notice": ["整改事项"],
}


def pdftext(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def pdffonts(pdf: bytes) -> set[str]:
    """Embedded font names as poppler lists them, subset tag removed."""
    out = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True)
    rows = out.stdout.decode().splitlines()[2:]
    return {row.split()[0].split("+", 1)[-1] for row in rows if row.strip()}


def assert_glyph_complete(pdf: bytes, kind: str) -> None:
    assert pdffonts(pdf) == CJK_ONLY  # no DejaVu (or any other) fallback
    text = pdftext(pdf)
    for heading in HEADINGS[kind]:
        assert heading in text, heading


@pytest.fixture
def layout_probe(monkeypatch):
    """Counts how many layouts run at the same moment in this process (the most seen)."""
    seen = {"now": 0, "most": 0}
    guard = threading.Lock()
    write_pdf = layout._ReportHTML.write_pdf

    def probed(self, *args, **kwargs):
        with guard:
            seen["now"] += 1
            seen["most"] = max(seen["most"], seen["now"])
        try:
            return write_pdf(self, *args, **kwargs)
        finally:
            with guard:
                seen["now"] -= 1

    monkeypatch.setattr(layout._ReportHTML, "write_pdf", probed)
    return seen


def test_documents_issued_from_threads_at_once_are_glyph_complete_and_verify(
    app, db, county, checklist, layout_probe
):
    inspector = users.get(db, county["insp"])
    ids = []
    for school in ("school_a", "school_b"):
        body = factories.payload(county[school], checklist, passing=False)
        ids.append(receiving.receive(db, body, body["id"], inspector).inspection["id"])
    # A report and a notice of one inspection and the report of another, all at once.
    tasks = [
        (ids[0], issuing.issue_report),
        (ids[0], issuing.issue_notice),
        (ids[1], issuing.issue_report),
    ]
    failures: list[str] = []
    start = threading.Barrier(len(tasks))

    def issue(inspection_id: str, issue_one) -> None:
        conn = open_database(app.config["DATABASE"])
        try:
            start.wait()
            issue_one(conn, app.config, inspection_id)
        except Exception as exc:  # collected: an assertion in a thread would be lost
            failures.append(f"{inspection_id}: {type(exc).__name__}: {exc}")
        finally:
            conn.close()

    threads = [threading.Thread(target=issue, args=task) for task in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures
    assert layout_probe["most"] == 1  # one layout at a time, though three threads asked
    for inspection_id, kind in [(ids[0], "report"), (ids[0], "notice"), (ids[1], "report")]:
        row = reports.current(db, inspection_id, kind)
        assert row is not None, (inspection_id, kind)
        data = reports.read(app.config["REPORTS_DIR"], row)
        assert_glyph_complete(data, kind)
        outcome = check_pdf(db, data, app.config)
        assert outcome["ok"], outcome["reasons"]


def test_two_processes_rendering_in_two_threads_each(tmp_path):
    keys = init_keys(tmp_path / "keys", organization="青川县教育局")
    out = tmp_path / "pdfs"
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tests.concurrent_render", str(out), str(tmp_path / "keys")]
    procs = [
        subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err  # -6 was issue 12's "Aborted"
    pdfs = sorted(out.glob("*.pdf"))
    assert len(pdfs) == 4
    for path in pdfs:
        data = path.read_bytes()
        assert_glyph_complete(data, path.stem.rsplit("-", 1)[1])
        outcome = verify_pdf(data, [str(keys["ca_cert"])])
        assert outcome.ok, outcome.reasons
