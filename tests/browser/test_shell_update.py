"""A new version of the phone's shell: the service worker installs it by asking the server
which files changed, so a phone on a metered rural connection downloads only those."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspect_app.web import inspector

from .conftest import login
from .helpers import start_inspection, wait_for_service_worker, wait_until

pytestmark = pytest.mark.browser

SHELL_FILES = [f"/static/{name}" for name in inspector.SHELL_STATIC]


class Requests:
    """What the live server answered, per path: (status, If-None-Match sent)."""

    def __init__(self, app):
        self.seen: list[tuple[str, int, str | None]] = []
        inner = app.wsgi_app

        def wsgi_app(environ, start_response):
            path, condition = environ["PATH_INFO"], environ.get("HTTP_IF_NONE_MATCH")

            def record(status, headers, *args):
                self.seen.append((path, int(status.split()[0]), condition))
                return start_response(status, headers, *args)

            return inner(environ, record)

        app.wsgi_app = wsgi_app


def test_a_new_shell_version_downloads_no_unchanged_file_again(
    page, context, live_server, monkeypatch
):
    login(page)
    wait_for_service_worker(page)
    first = page.evaluate("caches.keys()")
    requests = Requests(live_server.app)

    # A deployment whose shell files are all the same (the version moves, as it does when
    # only the service worker or a page template changed).
    monkeypatch.setattr(inspector, "shell_version", lambda: "nextversion")
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    wait_until(page, "caches.has('inspect-shell-nextversion')")
    wait_until(page, "caches.keys().then((k) => k.length === 2)")  # the old shell deleted
    assert "inspect-shell-nextversion" not in first

    static = {path: (status, condition) for path, status, condition in requests.seen
              if path in SHELL_FILES}  # fmt: skip
    assert set(static) == set(SHELL_FILES), "every shell file is checked with the server"
    assert all(condition for _, condition in static.values()), static
    assert {status for status, _ in static.values()} == {304}, static

    # What the new cache holds is the files themselves, not empty 304 answers.
    folder = Path(live_server.app.static_folder)
    sizes = page.evaluate(
        """async (urls) => {
            const cache = await caches.open('inspect-shell-nextversion');
            const out = {};
            for (const url of urls) out[url] = (await (await cache.match(url)).arrayBuffer()).byteLength;
            return out;
        }""",
        SHELL_FILES,
    )
    for url, size in sizes.items():
        assert size == (folder / url.removeprefix("/static/")).stat().st_size, url

    # and the phone works from it with no signal
    context.set_offline(True)
    start_inspection(page)
    assert page.locator(".section .item").count() > 0
