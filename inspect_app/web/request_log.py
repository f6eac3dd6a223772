"""Request ids and the log format that carries them.

Every response has an ``X-Request-Id``: the one a reverse proxy sent (nginx's
``$request_id``), or a new one. Gunicorn's access log prints it (cli/serving.py sets the
format), and every log record written while a request is handled carries it, so one id
leads from a failed request's access log line to its traceback.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid

from flask import Flask, Response, g, has_request_context, request

HEADER = "X-Request-Id"
# A proxy's id is kept only if it looks like one: it is written into logs verbatim.
_VALID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
FORMAT = "%(asctime)s [%(process)d] %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def request_id() -> str:
    """The current request's id ("-" outside a request)."""
    if not has_request_context():
        return "-"
    return g.get("request_id", "-")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record a handler formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


def configure_logging(level: int = logging.INFO) -> None:
    """Send the application's log records to stderr with their request ids (once per process).

    Used by the production server and the document worker; ``flask run`` and the tests keep
    Flask's own logging.
    """
    root = logging.getLogger()
    if any(isinstance(f, RequestIdFilter) for h in root.handlers for f in h.filters):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    logging.getLogger("inspect_app").setLevel(level)


def _assign() -> None:
    incoming = request.headers.get(HEADER, "")
    g.request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex


def _answer(response: Response) -> Response:
    response.headers[HEADER] = request_id()
    return response


def init_app(app: Flask) -> None:
    # First of all before_request hooks, so even the login check's log lines carry the id.
    app.before_request_funcs.setdefault(None, []).insert(0, _assign)
    app.after_request(_answer)
