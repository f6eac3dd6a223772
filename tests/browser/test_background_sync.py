"""Background Sync (issue 14): an inspection queued offline goes up when the network is back
even with no inspector page open, where the browser has it (Chromium); the outbox's retries on
page open stay the fallback."""

from __future__ import annotations

import time

import pytest

from .conftest import FULL_CHROMIUM, launch, login
from .helpers import fill_to_signing, outbox, start_inspection, wait_for_service_worker

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(playwright):
    """The full chromium: the headless shell the other tests drive answers every sync
    registration with "Background Sync is disabled"."""
    browser = launch(playwright, FULL_CHROMIUM)
    yield browser
    browser.close()


def registration(page) -> dict:
    return page.evaluate(
        """async () => {
          const reg = await navigator.serviceWorker.ready;
          return { script: reg.active.scriptURL, sync: 'sync' in reg,
                   tags: reg.sync ? await reg.sync.getTags() : [] };
        }"""
    )


def test_what_chromium_supports(page, live_server):
    login(page)
    wait_for_service_worker(page)
    reg = registration(page)
    support = page.evaluate(
        "({ sync: 'SyncManager' in window, periodic: 'PeriodicSyncManager' in window })"
    )
    # Debian's chromium: one-off Background Sync (not the periodic kind), so the module worker
    # with the outbox in it
    assert support["sync"] is True
    assert reg["sync"] is True and reg["script"].endswith("/sw.js?module=1")
    # where the permission is refused (Playwright's default; Chrome's own default is to allow)
    # asking fails quietly and the page-open retries remain
    asked = page.evaluate(
        "async () => (await import('/static/js/inspector/outbox.js')).requestBackgroundSync()"
    )
    assert asked is False
    context = page.context
    context.grant_permissions(["background-sync"])
    context.set_offline(True)  # online, the browser would fire the event at once
    asked = page.evaluate(
        "async () => (await import('/static/js/inspector/outbox.js')).requestBackgroundSync()"
    )
    assert asked is True and "inspect-outbox" in registration(page)["tags"]
    context.set_offline(False)


def test_queued_offline_sent_with_no_page_open(page, context, live_server, shot):
    context.grant_permissions(["background-sync"])  # as Chrome allows it by default
    login(page)
    wait_for_service_worker(page)
    inspection_id = start_inspection(page)
    fill_to_signing(page, by_hand=False)
    context.set_offline(True)
    page.click("#submit")
    page.wait_for_selector("#lock-state[data-state]")
    assert [i["state"] for i in outbox(page)] in (["queued"], ["waiting"])
    # the phone asked to be woken when the network is back
    assert "inspect-outbox" in registration(page)["tags"]
    shot(page, "queued-offline")

    # no inspector page open any more: the tab now shows a blank page
    cdp = context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    cdp.send("ServiceWorker.enable")
    page.goto("about:blank")
    assert not live_server.query("SELECT id FROM inspections")
    context.set_offline(False)
    deadline = time.time() + 5
    while not registrations and time.time() < deadline:
        page.wait_for_timeout(100)
    reg = next(
        r for r in registrations if r["scopeURL"].startswith(live_server.url) and not r["isDeleted"]
    )
    # what the browser does when connectivity returns: fire the sync event at the worker
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": live_server.url,
            "registrationId": reg["registrationId"],
            "tag": "inspect-outbox",
            "lastChance": False,
        },
    )
    deadline = time.time() + 30
    rows: list[dict] = []
    while time.time() < deadline and not rows:
        rows = live_server.query("SELECT id, inspector_id FROM inspections")
        time.sleep(0.3)
    assert [r["id"] for r in rows] == [inspection_id]
    # and the phone knows: an inspector page opened later shows it received, the outbox empty
    page.goto("/inspector/")
    page.wait_for_selector("#outbox-count:text-is('0')")
    page.wait_for_selector(f".recent-item[data-id='{inspection_id}']")
    shot(page, "sent-in-background")
