"""The app factory: configuration, database, checklists, blueprints, commands."""

from __future__ import annotations

import os
from contextlib import closing
from pathlib import Path

from flask import Flask, g
from flask.json.provider import DefaultJSONProvider
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from inspect_app import config
from inspect_app.common import vocabulary
from inspect_app.config import PROJECT_ROOT, secret_key
from inspect_app.documents.fonts import check_cjk_font

csrf = CSRFProtect()


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application.

    The instance folder holds everything a deployment owns (database, keys, media, reports);
    ``INSPECT_INSTANCE_PATH`` moves it.
    """
    app = Flask(
        __name__,
        instance_path=config.instance_path(test_config),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    app.config.update(config.load(test_config))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(app.instance_path)
    if not app.config.get("DATABASE"):
        app.config["DATABASE"] = os.path.join(app.instance_path, "inspect.db")
    for key, folder in (("MEDIA_DIR", "media"), ("REPORTS_DIR", "reports"), ("KEYS_DIR", "keys")):
        app.config.setdefault(key, None)
        app.config[key] = app.config[key] or os.path.join(app.instance_path, folder)
        Path(app.config[key]).mkdir(parents=True, exist_ok=True)

    if app.config["TRUSTED_PROXIES"]:
        # Behind N reverse proxies, the client's address and scheme are the ones the proxies
        # report in X-Forwarded-For/-Proto (login throttling keys on the address; HTTPS
        # redirects and secure cookies need the scheme). Without proxies the headers are
        # ignored: any client can send them.
        proxies = int(app.config["TRUSTED_PROXIES"])
        # Wrapping wsgi_app is how Flask documents middleware; mypy sees a method replaced.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    from inspect_app import cli
    from inspect_app.web import guards

    # Who is asking is settled before the CSRF check, so an expired login on the JSON API
    # answers 401 (the phone keeps its queue and asks for a login) rather than a CSRF 400.
    app.before_request(guards.load_user)
    app.before_request(guards.api_login_gate)
    app.before_request(guards.password_change_gate)
    csrf.init_app(app)
    # Reports need a CJK font; refuse to start without one rather than print tofu boxes later.
    check_cjk_font()
    assert isinstance(app.json, DefaultJSONProvider)  # Flask's own, the one that has the setting
    app.json.ensure_ascii = False  # Chinese messages stay readable on the wire

    from inspect_app.storage import db

    db.init_app(app)
    db.migrate(app.config["DATABASE"])

    from inspect_app.inspections import catalog

    with closing(db.open_database(app.config["DATABASE"])) as conn:
        catalog.init_app(app, conn)

    from inspect_app.web import (
        account,
        admin,
        auth,
        bureau,
        documents,
        errors,
        followup,
        headers,
        health,
        inspector,
        library,
        main,
        request_log,
        respond,
        review,
        school,
        static_files,
        surveys,
        sync,
        verify,
    )

    request_log.init_app(app)

    # Before any route is added: rules pick their converters when they are added.
    app.url_map.converters["int"] = errors.DatabaseIdConverter
    for blueprint in (
        auth.bp,
        account.bp,
        main.bp,
        admin.bp,
        inspector.bp,
        sync.bp,
        followup.bp,
        documents.bp,
        verify.bp,
        school.bp,
        review.bp,
        bureau.bp,
        health.bp,
        surveys.bp,
        respond.bp,
        library.bp,
    ):
        app.register_blueprint(blueprint)
    # A survey answer carries no session cookie, so there is nothing for a forged cross-site
    # request to use; it is guarded by its own form token, limits and honeypot (web/respond.py).
    csrf.exempt(respond.submit)
    errors.init_app(app)
    headers.init_app(app)
    static_files.init_app(app)
    cli.init_app(app)

    @app.context_processor
    def globals_for_templates():
        return {
            "bureau_name": app.config["BUREAU_NAME"],
            "role_names": vocabulary.ROLE_NAMES,
            "current_user": g.get("user"),
        }

    # No document rendering here: web processes store jobs, the one `flask worker` process
    # issues them (documents/worker.py).
    return app
