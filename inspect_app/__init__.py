"""inspect_app: field inspections for education bureaus (教育督导检查)."""

from __future__ import annotations

import os
from contextlib import closing
from pathlib import Path

from flask import Flask, g
from flask_wtf.csrf import CSRFProtect

from .config import PROJECT_ROOT, Defaults, secret_key
from .reports.fonts import check_cjk_font

csrf = CSRFProtect()


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application.

    The instance folder holds everything a deployment owns (database, keys, media, reports);
    ``INSPECT_INSTANCE_PATH`` moves it.
    """
    instance_path = os.environ.get("INSPECT_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    if test_config and test_config.get("INSTANCE_PATH"):
        instance_path = test_config["INSTANCE_PATH"]
    app = Flask(
        __name__,
        instance_path=os.path.abspath(instance_path),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("INSPECT")
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(app.instance_path)
    if not app.config.get("DATABASE"):
        app.config["DATABASE"] = os.path.join(app.instance_path, "inspect.db")
    for key, folder in (("MEDIA_DIR", "media"), ("REPORTS_DIR", "reports"), ("KEYS_DIR", "keys")):
        app.config.setdefault(key, None)
        app.config[key] = app.config[key] or os.path.join(app.instance_path, folder)
        Path(app.config[key]).mkdir(parents=True, exist_ok=True)

    from . import cli, security

    # Who is asking is settled before the CSRF check, so an expired login on the JSON API
    # answers 401 (the phone keeps its queue and asks for a login) rather than a CSRF 400.
    app.before_request(security.load_user)
    app.before_request(security.api_login_gate)
    csrf.init_app(app)
    # Reports need a CJK font; refuse to start without one rather than print tofu boxes later.
    check_cjk_font()
    app.json.ensure_ascii = False  # Chinese messages stay readable on the wire

    from .storage import db

    db.init_app(app)
    db.migrate(app.config["DATABASE"])

    from . import catalog

    with closing(db.open_database(app.config["DATABASE"])) as conn:
        catalog.init_app(app, conn)

    from .web import (
        admin,
        auth,
        bureau,
        documents,
        errors,
        inspector,
        main,
        review,
        school,
        sync,
        verify,
    )

    for blueprint in (
        auth.bp,
        main.bp,
        admin.bp,
        inspector.bp,
        sync.bp,
        documents.bp,
        verify.bp,
        school.bp,
        review.bp,
        bureau.bp,
    ):
        app.register_blueprint(blueprint)
    errors.init_app(app)
    cli.init_app(app)

    @app.context_processor
    def globals_for_templates():
        return {
            "bureau_name": app.config["BUREAU_NAME"],
            "role_names": security.ROLE_NAMES,
            "current_user": g.get("user"),
        }

    if app.config["ISSUE_IN_BACKGROUND"] and not app.testing:
        from . import worker

        worker.start(app)
    return app
