"""A shared phone: duxue1 used 工作台 and logged out, duxue2 logs in. Offline, the phone's
copy of the bootstrap (the service worker's and IndexedDB's) is duxue1's: 工作台 and 开始新的检查
must show none of it to duxue2 (name, schools, recent inspections), and say why; duxue1's own
offline 工作台 still shows duxue1's."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from .conftest import login
from .helpers import wait_for_service_worker

pytestmark = pytest.mark.browser

OTHER = "本机保存的数据属于另一账号"


def logout(page) -> None:
    page.goto("/account/")
    page.evaluate("document.querySelector('form[action=\"/logout\"]').submit()")
    page.wait_for_url("**/login*")


def test_another_account_offline_sees_none_of_the_kept_bootstrap(page, context, live_server, shot):
    duxue1 = live_server.query("SELECT display_name FROM users WHERE username = 'duxue1'")[0]
    name1 = duxue1["display_name"]
    names = [r["name"] for r in live_server.query("SELECT name FROM schools")]
    assert names
    login(page)
    wait_for_service_worker(page)
    # expect() and evaluate, not wait_for_function: its polling evaluates a string in the page,
    # which the pages' CSP (script-src 'self') refuses whenever the first check is not yet true
    expect(page.locator("#hello")).to_contain_text(name1)
    page.wait_for_selector("#schools a")
    # the service worker has kept the bootstrap (its own warm-up and the page's request)
    deadline = time.monotonic() + 15
    kept = "caches.open('inspect-data-v1').then((c) => c.match('/api/bootstrap')).then((r) => !!r)"
    while not page.evaluate(kept):
        assert time.monotonic() < deadline, "the service worker kept no bootstrap"
        page.wait_for_timeout(100)

    # An unfinished inspection of duxue1's on this phone (the shape new.js gives a draft).
    page.evaluate(
        """async (school) => {
          const store = await import('/static/js/inspector/store.js');
          const boot = await store.getMeta('bootstrap');
          const now = new Date().toISOString();
          await store.put('drafts', { id: 'draft-of-duxue1', status: 'draft', school: { name: school },
            type: '综合督导', date: now.slice(0, 10), answers: {}, updated_at: now,
            inspector: { id: boot.user.id, username: boot.user.username, display_name: boot.user.display_name } });
        }""",
        names[0],
    )

    # duxue1, offline, reload: their own 工作台 from the phone's copy, their draft listed.
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#schools a")
    assert f"{name1}，您好" in page.locator("#hello").inner_text()
    assert page.locator("#drafts .draft-item").count() == 1
    assert page.locator("#other-account").is_hidden()
    context.set_offline(False)

    # duxue2 signs in and the signal drops before 工作台 was asked online.
    logout(page)
    login(page, "duxue2", next_path="/account/")
    context.set_offline(True)
    page.goto("/inspector/")
    page.wait_for_selector("#other-account:visible")
    body = page.locator("body").inner_text()
    assert OTHER in page.locator("#other-account").inner_text()
    assert OTHER in page.locator("#schools").inner_text()
    assert name1 not in body
    assert [n for n in names if n in body] == []
    assert page.locator("#schools a").count() == 0
    assert page.locator("#recent .recent-item").count() == 0
    assert page.locator("#drafts .draft-item").count() == 0  # duxue1's draft is not listed
    shot(page, "second-account-offline-home")
    # 开始新的检查 offers none of duxue1's schools either.
    page.goto("/inspector/new")
    page.wait_for_selector("#school-error:not(:empty)")
    assert OTHER in page.locator("#school-error").inner_text()
    body = page.locator("body").inner_text()
    assert [n for n in names if n in body] == []
    assert page.locator("#school option[value]:not([value=''])").count() == 0
    # Nor does the form open duxue1's unfinished inspection by its address: its owner
    # finishes it.
    page.goto("/inspector/form#draft-of-duxue1")
    page.wait_for_selector("#not-yours")
    refused = page.locator("#not-yours").inner_text()
    assert "这份检查由另一账号填写" in refused and "（duxue1）" in refused
    assert page.locator(".item, #scorebar *").count() == 0
    shot(page, "second-account-form-refused")

    # Online again as duxue2: the server's bootstrap replaces duxue1's on the phone and in the
    # service worker's cache, so duxue2's own 工作台 works offline afterwards.
    context.set_offline(False)
    page.goto("/inspector/")
    expect(page.locator("#hello")).to_contain_text("王秀兰")
    page.wait_for_selector("#schools a")
    kept = page.evaluate(
        "caches.open('inspect-data-v1').then((c) => c.match('/api/bootstrap')).then((r) => r.json())"
    )
    assert kept["user"]["username"] == "duxue2"
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#schools a")
    assert "王秀兰，您好" in page.locator("#hello").inner_text()
    assert page.locator("#other-account").is_hidden()
    assert name1 not in page.locator("body").inner_text()
    shot(page, "second-account-own-offline")
