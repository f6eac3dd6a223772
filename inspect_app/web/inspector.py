"""The inspector's phone pages: HTML shells for the offline-first form (data lives in IndexedDB).

The pages carry no per-user data and no CSRF token, so the service worker may cache them and
serve them with no network; the scripts fetch the user, the token and the reference data from
the JSON API (docs/sync-api.md). The service worker itself is served from the site root so its
scope covers ``/inspector/`` and the ``/api/`` reads it caches.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, request

from inspect_app.web.guards import public, role_required

bp = Blueprint("inspector", __name__, url_prefix="/inspector")

INSPECTOR_ROLES = ("inspector", "bureau", "admin")

# Everything the form needs with no network. Paths are relative to the static folder; the
# service worker precaches them under a cache named after their combined content hash.
SHELL_STATIC = (
    "css/app.css",
    "css/inspector.css",
    "css/followup.css",
    "js/engine.js",
    "js/inspector/util.js",
    "js/inspector/store.js",
    "js/inspector/api.js",
    "js/inspector/outbox.js",
    "js/inspector/photos.js",
    "js/inspector/bulk.js",
    "js/inspector/locked.js",
    "js/inspector/interviews.js",
    "js/inspector/plausible.js",
    "js/inspector/sample.js",
    "js/inspector/signature.js",
    "js/inspector/signing.js",
    "js/inspector/draftlock.js",
    "js/inspector/home.js",
    "js/inspector/new.js",
    "js/inspector/form.js",
    "js/inspector/followup.js",
    "js/inspector/followup_home.js",
    "manifest.webmanifest",
    "icons/icon-192.png",
    "icons/icon-512.png",
)
SHELL_PAGES = ("/inspector/", "/inspector/new", "/inspector/form", "/inspector/followup")


def _folder(path: str | os.PathLike[str] | None) -> Path:
    """The app's static or template folder: create_app sets both (Flask types them Optional)."""
    assert path is not None
    return Path(path)


@lru_cache(maxsize=8)
def _shell_version(static_folder: str, stamp: tuple) -> str:
    digest = hashlib.sha256()
    for name in (*SHELL_STATIC, "sw.js"):
        digest.update(name.encode())
        digest.update((Path(static_folder) / name).read_bytes())
    for page in ("home", "new", "form", "followup", "_shell"):
        path = _folder(current_app.template_folder) / "inspector" / f"{page}.html"
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def shell_version() -> str:
    """A short hash of every shell file, so any change installs a new service worker."""
    static = _folder(current_app.static_folder)
    templates = _folder(current_app.template_folder) / "inspector"
    files = [static / n for n in (*SHELL_STATIC, "sw.js")] + sorted(templates.glob("*.html"))
    stamp = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files if p.exists())
    return _shell_version(str(static), stamp)


def _page(template: str, page: str):
    response = Response(render_template(template, page=page, version=shell_version()))
    # The shell is revalidated on every online visit; offline the service worker answers.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/")
@role_required(*INSPECTOR_ROLES)
def home():
    return _page("inspector/home.html", "home")


@bp.route("/new")
@role_required(*INSPECTOR_ROLES)
def new():
    return _page("inspector/new.html", "new")


@bp.route("/form")
@role_required(*INSPECTOR_ROLES)
def form():
    return _page("inspector/form.html", "form")


@public
def service_worker():
    """The service worker at the site root (scope ``/``), stamped with the shell version."""
    source = (_folder(current_app.static_folder) / "sw.js").read_text(encoding="utf-8")
    urls = [*SHELL_PAGES, *(f"/static/{name}" for name in SHELL_STATIC)]
    # ?module=1: the module worker (Chromium, Background Sync) imports the outbox to send it
    # from the sync event; the classic one has none and relies on pages being open.
    outbox = (
        "import { backgroundFlush } from '/static/js/inspector/outbox.js';"
        if request.args.get("module") == "1"
        else "const backgroundFlush = null;"
    )
    body = (
        source.replace("__OUTBOX_IMPORT__", outbox)
        .replace("__VERSION__", shell_version())
        .replace("__SHELL__", ",\n  ".join(f"'{url}'" for url in urls))
    )
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.record_once
def _register_root_routes(state) -> None:
    # Blueprint rules are prefixed with /inspector; the service worker must sit at the root.
    state.app.add_url_rule("/sw.js", "inspector.service_worker", service_worker)
