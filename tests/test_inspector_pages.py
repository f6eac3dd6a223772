"""The inspector's phone shells: cacheable (no token, no user data), and the service worker and
manifest served as the browser needs them. Who may open them is in the access matrix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from inspect_app.config import PROJECT_ROOT
from inspect_app.web.inspector import SHELL_STATIC

PAGES = ["/inspector/", "/inspector/new", "/inspector/form"]


@pytest.mark.parametrize("path", PAGES)
def test_shell_has_no_token_and_no_user_data(client, auth, county, path):
    auth.login("insp")
    response = client.get(path)
    html = response.get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.html["lang"] == "zh-CN"
    assert not soup.select("input[name=csrf_token]")
    assert "测试insp" not in html
    assert response.headers["Cache-Control"] == "no-cache"
    assert soup.select_one("link[rel=manifest]")["href"] == "/static/manifest.webmanifest"
    # only our own scripts, as modules; nothing from another host
    scripts = [s["src"] for s in soup.select("script[src]")]
    assert scripts and all(s.startswith("/static/js/inspector/") for s in scripts)
    assert all(s.get("type") == "module" for s in soup.select("script[src]"))
    assert not [t for t in soup.select("[src], [href]") if "//" in (t.get("src") or t.get("href"))]


def test_service_worker_at_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    body = response.get_data(as_text=True)
    assert "__VERSION__" not in body and "__SHELL__" not in body
    for name in SHELL_STATIC:
        assert f"'/static/{name}'" in body
    for page in PAGES:
        assert f"'{page}'" in body
    # the classic worker has no outbox; the module one (Background Sync) imports it
    assert "__OUTBOX_IMPORT__" not in body and "const backgroundFlush = null;" in body
    module = client.get("/sw.js?module=1").get_data(as_text=True)
    assert "import { backgroundFlush } from '/static/js/inspector/outbox.js';" in module
    assert "__OUTBOX_IMPORT__" not in module


def test_service_worker_version_changes_with_the_shell(client, app, tmp_path, monkeypatch):
    first = client.get("/sw.js").get_data(as_text=True)
    static = tmp_path / "static"
    for name in (*SHELL_STATIC, "sw.js"):
        target = static / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((PROJECT_ROOT / "static" / name).read_bytes())
    (static / "js/inspector/form.js").write_text("// changed\n", encoding="utf-8")
    monkeypatch.setattr(app, "static_folder", str(static))
    second = client.get("/sw.js").get_data(as_text=True)
    version = lambda body: body.split("const VERSION = '")[1].split("'")[0]  # noqa: E731
    assert version(first) != version(second)


def test_shell_files_exist_and_manifest_is_installable():
    static = Path(PROJECT_ROOT / "static")
    for name in SHELL_STATIC:
        assert (static / name).is_file(), name
    manifest = json.loads((static / "manifest.webmanifest").read_text(encoding="utf-8"))
    assert manifest["start_url"] == "/inspector/"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert (static / icon["src"].removeprefix("/static/")).is_file()


def test_every_phone_module_is_precached():
    # A module the form imports but the service worker does not precache breaks the form offline.
    static = Path(PROJECT_ROOT / "static")
    modules = {p.relative_to(static).as_posix() for p in (static / "js/inspector").glob("*.js")}
    # preview.js boots the form inside the library's desktop preview frame, which is online by
    # definition (the version comes from the server); a phone never needs it offline.
    modules -= {"js/inspector/preview.js"}
    assert modules <= set(SHELL_STATIC), modules - set(SHELL_STATIC)
