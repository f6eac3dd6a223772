"""The last keystroke before the page goes away is kept: each change's IndexedDB write waits
for the one before it, and a write not committed when the page goes (a reload, a swipe away,
the phone locking) is lost with it; the form copies the draft to localStorage on pagehide /
visibilitychange and takes the copy back on load. Without that copy this test lost the
note's last characters, or all of them, in two runs of three."""

from __future__ import annotations

import pytest

from .conftest import login
from .helpers import CHECKLIST, SCHOOL, start_inspection

pytestmark = pytest.mark.browser

NOTE = "台账齐全，资助专干现场说明了本学期的比对记录和差异处理。" * 4


def test_typed_then_reloaded_at_once_keeps_the_last_character(page, live_server):
    login(page)
    start_inspection(page)
    card = page.locator("#item-poor_students_total")
    card.locator(".tool-note").click()
    # A thumb types faster than each change's write commits: the keystrokes of one word land
    # within a few milliseconds, then the page goes away (reload here; a swipe or the phone
    # locking in the field) before the last one's turn in the write queue has come.
    page.evaluate(
        """(text) => {
          const note = document.querySelector('#item-poor_students_total .note-input');
          const number = document.querySelector('#item-poor_students_total .control input');
          for (const c of text) { note.value += c; note.dispatchEvent(new Event('input')); }
          for (const c of '86') { number.value += c; number.dispatchEvent(new Event('input')); }
          location.reload();
        }""",
        NOTE,
    )
    page.wait_for_selector("body[data-ready='1']")
    assert page.locator("#item-poor_students_total .note-input").input_value() == NOTE
    assert page.locator("#item-poor_students_total .control input").input_value() == "86"
    # the copy was taken back into IndexedDB and removed
    assert (
        page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('inspect-rescue:'))")
        == []
    )


def test_previous_refused_says_why_instead_of_waiting_for_a_network(page, live_server):
    # The demo 教学点 is in duxue1's plan when the start page loads, and the bureau takes it
    # out before the form asks for last time's answers: the server refuses them (403). That is
    # no network problem to retry on every visit: the form says why, once, and keeps the answer
    # so it does not ask again.
    asked: list[int] = []
    page.on("response", lambda r: asked.append(r.status) if "/previous?" in r.url else None)
    login(page)
    page.goto("/inspector/new")
    page.wait_for_selector("#school option[value]:not([value=''])", state="attached")
    db = live_server.db()
    try:
        db.execute(
            "DELETE FROM assignments WHERE inspector_id = (SELECT id FROM users WHERE username"
            " = 'duxue1') AND school_id = (SELECT id FROM schools WHERE name = ?)",
            [SCHOOL],
        )
        db.conn.commit()
    finally:
        db.close()
    # the page loaded before the change still offers it
    page.select_option("#school", label=next(
        o for o in page.locator("#school option").all_inner_texts() if o.startswith(SCHOOL)
    ))  # fmt: skip
    page.wait_for_selector("#checklist option[value]:not([value=''])", state="attached")
    page.select_option("#checklist", label=next(
        o for o in page.locator("#checklist option").all_inner_texts() if o.startswith(CHECKLIST)
    ))  # fmt: skip
    page.wait_for_selector("#geo-status[data-state]")
    page.click("#begin")
    page.wait_for_url("**/inspector/form#*")
    page.wait_for_selector("body[data-ready='1']")
    denied = page.locator("#previous-denied")
    denied.wait_for()
    assert (
        denied.inner_text()
        == "未能调取上次检查的数据：该校不在您的督导计划内，不能调取其历史检查记录。"
    )
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    denied.wait_for()
    assert asked and set(asked) == {403}
    count = len(asked)
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    assert len(asked) == count  # not asked again
