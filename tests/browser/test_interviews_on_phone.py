"""An inspector records a 座谈 on the phone, offline: it joins the inspection once complete,
goes out through the outbox when the network returns, becomes a rectification item and prints
in the report."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from inspect_app.documents import issuing
from inspect_app.storage import reports

from .conftest import login
from .helpers import fill_all_sections, sign, start_inspection, wait_for_service_worker

pytestmark = pytest.mark.browser


def test_an_interview_recorded_offline_reaches_the_rectification_list_and_the_report(
    page, context, live_server, shot
):
    login(page)
    wait_for_service_worker(page)
    inspection_id = start_inspection(page)
    context.set_offline(True)
    page.reload()  # the form, interviews.js included, comes from the service worker
    page.wait_for_selector("body[data-ready='1']")
    fill_all_sections(page, by_hand=False)
    page.click("#to-review")
    page.wait_for_selector("#review-total")

    page.click("#add-interview")
    editor = page.locator("#interview-editor")
    editor.locator("select[name=group]").select_option("教师")
    editor.locator("input[name=topics]").fill("乡村教师生活补助、培训")
    page.click("#save-interview")  # incomplete: says what is missing, keeps what was typed
    problems = page.locator("#interview-problems li").all_inner_texts()
    assert "参加人数应为 1 至 1000 的整数" in problems
    assert "第 1 条反映：请填写内容（不超过 500 字）" in problems
    editor.locator("input[name=participants]").fill("6")
    editor.locator("textarea[name=text]").fill("生活补助按月足额发放")
    page.click("#add-statement")
    second = page.locator("#interview-editor .statement").nth(1)
    second.locator("textarea[name=text]").fill("近两年没有参加过县级以上培训")
    second.locator("input[name=finding]").check()
    second.locator("textarea[name=action]").fill("制定教师培训计划，本学期每人至少参加一次县级培训")
    second.locator("input[name=days]").fill("45")
    # closing the page mid-way loses nothing: the editor is part of the draft, once its
    # write (queued behind the previous keystrokes' writes) has landed in IndexedDB
    _wait_until_drafted(page, inspection_id, '"days":"45"')
    page.reload()
    page.wait_for_selector("#interview-editor")
    assert (
        page.locator("#interview-editor .statement")
        .nth(1)
        .locator("textarea[name=text]")
        .input_value()
        == "近两年没有参加过县级以上培训"
    )
    page.click("#save-interview")
    page.wait_for_selector(".interview[data-index='0']")
    assert "教师座谈（6 人）：乡村教师生活补助、培训" in page.locator("#interviews").inner_text()
    shot(page, "interview-saved", full_page=True)

    page.click("#to-sign")
    sign(page, "inspector")
    sign(page, "school")
    page.click("#submit")
    page.wait_for_selector("#lock-state[data-state=waiting]")
    assert live_server.query("SELECT COUNT(*) AS n FROM inspections")[0]["n"] == 0

    context.set_offline(False)  # the 'online' event flushes the outbox
    page.goto("/inspector/")
    page.wait_for_selector("#outbox-count:text-is('0')", timeout=20000)
    stored = json.loads(
        live_server.query("SELECT payload FROM inspections WHERE id = ?", [inspection_id])[0][
            "payload"
        ]
    )
    assert stored["interviews"] == [{
        "group": "教师", "participants": 6, "topics": "乡村教师生活补助、培训",
        "statements": [
            {"text": "生活补助按月足额发放", "finding": False},
            {"text": "近两年没有参加过县级以上培训", "finding": True,
             "action": "制定教师培训计划，本学期每人至少参加一次县级培训", "owner": "校长", "days": 45},
        ],
    }]  # fmt: skip
    rows = live_server.query(
        "SELECT problem, owner FROM rectifications WHERE inspection_id = ? AND item_id = 'interview'",
        [inspection_id],
    )
    assert rows == [{"problem": "座谈中教师反映：近两年没有参加过县级以上培训", "owner": "校长"}]

    db = live_server.db()
    try:
        issuing.issue_report(db, live_server.app.config, inspection_id)
        data = reports.read(
            live_server.app.config["REPORTS_DIR"], reports.current(db, inspection_id, "report")
        )
    finally:
        db.close()
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    assert "四、座谈了解" in text and "教师座谈（6 人）" in text
    assert "近两年没有参加过县级以上培训" in text.replace("\n", "")


def _wait_until_drafted(page, inspection_id: str, text: str, seconds: float = 10) -> None:
    """Until the draft stored in IndexedDB holds ``text`` (page.evaluate awaits the read;
    wait_for_function would take the pending promise itself as truthy)."""
    deadline = time.monotonic() + seconds
    read = """async (id) => {
        const store = await import('/static/js/inspector/store.js');
        return JSON.stringify(await store.get('drafts', id));
    }"""
    while text not in (page.evaluate(read, inspection_id) or ""):
        assert time.monotonic() < deadline, f"draft never held {text}"
        page.wait_for_timeout(50)
