"""Default configuration, and how a deployment overrides it.

Order (later wins): these defaults, ``<instance>/config.py``, ``INSPECT_*`` environment
variables (``INSPECT_DATABASE=/srv/x.db``; values are parsed as JSON when they can be), then
the ``test_config`` mapping handed to ``create_app``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from flask import Config

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Defaults:
    # Shown on every page and report; a deployment sets its own.
    BUREAU_NAME = "青山县教育局"
    COUNTY_NAME = "青山县"
    # The address people reach this server at: QR codes on printed reports point here.
    PUBLIC_URL = "http://127.0.0.1:5000"
    CHECKLIST_DIR = str(PROJECT_ROOT / "checklists")
    # Signing material. Unset: a self-signed authority is created in <instance>/keys on first use
    # (or by `flask keys init`). A deployment points these at its own PEM files or a PKCS#12 file.
    SIGNING_KEY = None
    SIGNING_CERT = None
    SIGNING_CA = None
    SIGNING_P12 = None
    SIGNING_PASSPHRASE = None
    # The document worker (`flask worker`, one process started by `flask serve`): how often
    # it looks for new jobs when idle, how long a claimed job is its own before another worker
    # may take it (a render takes seconds, so 5 minutes only matters after a crash), how many
    # attempts a failing job gets, and the first retry's delay (doubling, at most an hour).
    DOCUMENT_WORKER_POLL_SECONDS = 1.0
    DOCUMENT_LEASE_SECONDS = 300
    DOCUMENT_JOB_ATTEMPTS = 8
    DOCUMENT_RETRY_SECONDS = 60
    # /healthz: the worker's heartbeat must be younger than this (it beats every 5 s), and the
    # instance folder's disk must have this much free space.
    HEALTH_HEARTBEAT_MAX_AGE = 60
    HEALTH_MIN_FREE_MB = 500
    # `make run` / `flask serve`: the address and the number of gunicorn web processes.
    # Uploads are short and mostly wait on SQLite's write lock, so a few processes per core.
    SERVE_HOST = "127.0.0.1"
    SERVE_PORT = 5000
    SERVE_WORKERS = 4
    # 文号 of issued documents, per kind: {year} and {seq} (e.g. {seq:03d}); the sequence
    # restarts each year. A deployment sets its own abbreviation (inspect_app/common/docnumbers.py).
    DOCUMENT_NUMBER_PATTERNS = {
        "report": "青督检〔{year}〕{seq}号",
        "notice": "青督改〔{year}〕{seq}号",
        "bulletin": "青督通〔{year}〕{seq}号",
    }
    # Days after the last deadline within which a school reports back on its rectifications.
    RECTIFICATION_REPLY_DAYS = 30
    # The clocks the rules set (standards.md, 省): the school's written 整改报告 is due this many
    # days after the inspection's notice; after a reviewer sends an item back, the school's new
    # answer (the 复查 request) is due this many days after that decision.
    RECTIFICATION_REPORT_DAYS = 30
    RECTIFICATION_REVIEW_REQUEST_DAYS = 15
    # Notices beyond the in-app list (rectification/delivery.py, run by `flask notify`): e-mail
    # over SMTP (off while SMTP_HOST is unset), and a signed webhook to the bureau's SMS or
    # WeChat gateway (off while WEBHOOK_URL is unset). A failed delivery is retried after
    # NOTIFY_RETRY_SECONDS, doubling each time, NOTIFY_MAX_ATTEMPTS times in all.
    SMTP_HOST = None
    SMTP_PORT = 25
    SMTP_SENDER = "noreply@localhost"
    SMTP_STARTTLS = False
    SMTP_USER = None
    SMTP_PASSWORD = None
    WEBHOOK_URL = None
    WEBHOOK_SECRET = None
    NOTIFY_RETRY_SECONDS = 60
    NOTIFY_MAX_ATTEMPTS = 6
    # The document worker also sends due notices between jobs, every NOTIFY_EVERY_SECONDS
    # (and, once a day, raises overdue items and sends the previous days' digests), so cron's
    # `flask notify` is optional; each message is claimed under a lease of
    # NOTIFY_LEASE_SECONDS, so several workers or a cron run beside them never send one twice.
    NOTIFY_FROM_WORKER = True
    NOTIFY_EVERY_SECONDS = 30
    NOTIFY_LEASE_SECONDS = 120
    # None means "<instance>/inspect.db", resolved in create_app once the instance path is known.
    DATABASE = None
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # However often it is used, a login ends this many days after it began, so a copied cookie
    # kept busy does not last for ever; a phone's queued uploads wait for the next login.
    SESSION_MAX_AGE_DAYS = 7
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Login throttling: this many failures for one username, or LOGIN_MAX_FAILURES_PER_ADDRESS
    # from one address, within the window lock that key out until the window has passed. The
    # address allows more because a school's or a bureau's staff, and phones on a mobile
    # carrier's shared addresses, arrive from one address.
    LOGIN_MAX_FAILURES = 5
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    LOGIN_WINDOW_MINUTES = 15
    # Surveys (满意度测评): a school's results appear only once a respondent group has at least
    # this many responses, so that no answer can be traced to one of a few people.
    SURVEY_MIN_RESPONSES = 5
    # Answers from one address within the window: a school's parents on one Wi-Fi or a mobile
    # carrier's shared address answer from one address, so this is well above one person.
    SURVEY_ADDRESS_LIMIT = 60
    SURVEY_ADDRESS_WINDOW_MINUTES = 10
    # How old a survey page may be when its answer arrives (an answer kept offline for days).
    SURVEY_FORM_TOKEN_DAYS = 30
    # How many reverse proxies in front of the app set X-Forwarded-For and X-Forwarded-Proto.
    # 0 (no proxy) ignores those headers, which any client can send; behind one nginx it is 1,
    # or every login would seem to come from the proxy and one lock-out would lock out all.
    TRUSTED_PROXIES = 0
    # Strict-Transport-Security max-age (seconds) sent with every answer over HTTPS (the scheme
    # the proxy reports, TRUSTED_PROXIES): a phone that once reached the server securely never
    # tries plain http again, where its service worker and GPS would not work. 0 sends none.
    HSTS_MAX_AGE = 365 * 24 * 3600
    # argon2id cost; tests lower it to stay fast.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    # The largest form a school sends: 10 evidence files of up to 10 MB each (web/school.py
    # MAX_FILES, rectification/evidence.py MAX_EVIDENCE_BYTES) and their text; at 32 MiB four
    # phone photos already overflowed it and the typed answer was lost with a bare 413.
    # deploy/nginx.conf's client_max_body_size must be the same.
    MAX_CONTENT_LENGTH = 101 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session


def instance_path(test_config: Mapping | None = None) -> str:
    """The instance folder: ``test_config["INSTANCE_PATH"]``, ``INSPECT_INSTANCE_PATH`` or ./instance."""
    path = os.environ.get("INSPECT_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    if test_config and test_config.get("INSTANCE_PATH"):
        path = test_config["INSTANCE_PATH"]
    return os.path.abspath(path)


def load(test_config: Mapping | None = None) -> Config:
    """The configuration in the order this module's docstring gives, without building an app
    (so a command such as ``checklists validate`` can run when the app could not start)."""
    folder = instance_path(test_config)
    config = Config(folder)
    config.from_object(Defaults)
    config.from_pyfile("config.py", silent=True)
    config.from_prefixed_env("INSPECT")
    if test_config:
        config.update(test_config)
    return config


def secret_key(instance_path: str) -> str:
    """Return the instance's secret key, creating it on first start so no key is ever committed."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    os.chmod(path, 0o600)
    return key
