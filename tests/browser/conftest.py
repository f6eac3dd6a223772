"""Real-browser fixtures: a live server on loopback with the demo county, and Debian's chromium.

Playwright drives Debian's chromium-headless-shell (never a downloaded browser): the old
headless mode, without the full browser's window machinery, costs the tests about a third
less CPU. test_background_sync.py drives the full /usr/bin/chromium instead, the only one
of the two with Background Sync. Every test gets a fresh
instance folder (a copy of the demo county, seeded once per run), so the database it queries
holds only what that test's phone sent.
"""

from __future__ import annotations

import io
import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from inspect_app.demo.county import DEMO_PASSWORD
from inspect_app.storage.db import open_database

from ..instances import Template, build_template, make_app

CHROMIUM = "/usr/bin/chromium-headless-shell"
FULL_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SHOTS = Path("/tmp/shots")
VIEWPORT = {"width": 390, "height": 844}


class LiveServer:
    def __init__(self, app, httpd):
        self.app = app
        self.httpd = httpd
        self.url = f"http://127.0.0.1:{httpd.server_port}"

    def db(self):
        return open_database(self.app.config["DATABASE"])

    def query(self, sql: str, params=()) -> list[dict]:
        db = self.db()
        try:
            return list(db.query(sql, params))
        finally:
            db.close()


def _seed_demo(app, db) -> dict:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return {}


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, bare_template) -> Template:
    """The demo county (``seed-demo``), seeded once per run; each live server gets a copy."""
    return build_template(tmp_path_factory, "demo", _seed_demo, bare_template)


def make_live_server(tmp_path: Path, template: Template) -> LiveServer:
    folder = tmp_path / "instance"
    template.copy_to(folder)
    # the login throttle would trip when tests log in many times from 127.0.0.1
    app = make_app(folder, SECRET_KEY="browser-tests", LOGIN_MAX_FAILURES=1000)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    serve(httpd)
    return LiveServer(app, httpd)


# How often serve_forever looks for shutdown(): at its default 0.5 s, stopping each test's
# server waited half a second (67 tests, half a minute); a look every 50 ms costs the idle
# server about 2 ms of CPU a second.
POLL_SECONDS = 0.05


def serve(httpd) -> None:
    """Serve on a daemon thread until httpd.shutdown()."""
    threading.Thread(target=httpd.serve_forever, args=(POLL_SECONDS,), daemon=True).start()


@pytest.fixture
def live_server(tmp_path, demo_template):
    server = make_live_server(tmp_path, demo_template)
    yield server
    server.httpd.shutdown()


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def launch(playwright, executable: str):
    if not os.path.exists(executable):
        pytest.skip(f"Debian's {os.path.basename(executable)} is not installed")
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)


@pytest.fixture(scope="session")
def browser(playwright):
    browser = launch(playwright, CHROMIUM)
    yield browser
    browser.close()


def new_context(browser, server: LiveServer, *, width: int = 390, geolocation: bool = True):
    options = {
        "viewport": {"width": width, "height": 844},
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "base_url": server.url,
        "service_workers": "allow",
        "accept_downloads": True,
        "has_touch": True,
    }
    if geolocation:
        options["geolocation"] = {"latitude": 26.58, "longitude": 107.51, "accuracy": 15}
        options["permissions"] = ["geolocation"]
    return browser.new_context(**options)


@pytest.fixture
def context(browser, live_server):
    ctx = new_context(browser, live_server)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.js_errors = errors
    yield page
    assert not errors, f"JavaScript errors: {errors}"


class Shots:
    """page.screenshot of every step into /tmp/shots/<test>-<n>-<step>.png."""

    def __init__(self, name: str):
        self.name = re.sub(r"[^a-z0-9_]+", "_", name.lower())
        self.n = 0
        SHOTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, page, step: str, full_page: bool = False) -> Path:
        self.n += 1
        path = SHOTS / f"{self.name}-{self.n:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def shot(request):
    return Shots(request.node.name)


def login(
    page, username: str = "duxue1", password: str = DEMO_PASSWORD, next_path: str = "/inspector/"
):
    page.goto(f"/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{next_path}*")


@pytest.fixture(scope="session")
def photo_files(tmp_path_factory):
    """Camera-sized JPEGs (4000×3000, with EXIF orientation on one) made with Pillow, once
    per run: tests only pick them in a file input, which reads them."""
    from PIL import Image, ImageDraw

    tmp_path = tmp_path_factory.mktemp("photos")
    paths = []
    for i, color in enumerate(["#c0392b", "#2e86c1", "#27ae60", "#f39c12", "#8e44ad"]):
        img = Image.new("RGB", (4000, 3000), color)
        draw = ImageDraw.Draw(img)
        for k in range(0, 4000, 250):
            draw.line([(k, 0), (4000 - k, 3000)], fill="white", width=12)
        draw.rectangle([100, 100, 1400, 700], fill="white")
        buf = io.BytesIO()
        exif = Image.Exif()
        if i == 1:
            exif[0x0112] = 6  # rotate 90° when shown: must come out portrait
        img.save(buf, "JPEG", quality=92, exif=exif.tobytes())
        path = tmp_path / f"photo{i}.jpg"
        path.write_bytes(buf.getvalue())
        paths.append(str(path))
    return paths
