"""Gunicorn settings for ``flask serve`` (loaded with ``--config python:…``).

Threaded workers (gthread) rather than sync ones: without a buffering proxy in front (``make
run``), a phone sending a photo over a slow uplink would hold a sync worker for the whole
upload; with threads the other requests go on. Uploads mostly wait on SQLite's write lock,
which gunicorn's processes and threads share fairly.
"""

from __future__ import annotations

from importlib import import_module

import gunicorn.http.wsgi

from inspect_app.web.request_log import configure_logging

# Name no product in the Server header: gunicorn writes it from this module-level value
# (read once per response), so a scanner learns nothing from it.
gunicorn.http.wsgi.SERVER = "web"

PDF_ENGINES = ("inspect_app.documents.layout", "pyhanko.sign.signers", "pyhanko.sign.validation")

worker_class = "gthread"
threads = 4
# The app is built once in the master (migrations run once, not raced by every worker) and
# forked; no thread or database connection is open at that point.
preload_app = True
# A bulletin is rendered inside its request (an explicit bureau action) and takes seconds.
timeout = 60
graceful_timeout = 30
accesslog = "-"
errorlog = "-"
# Address, request id, request line, status, bytes, milliseconds.
access_log_format = '%(h)s %({x-request-id}o)s "%(r)s" %(s)s %(B)s %(M)sms'


def when_ready(server) -> None:
    """Compile every page template once, in the master, before the web processes are forked.

    Otherwise each process compiles the templates a page needs on its first request after a
    restart (measured: the province ranking's p95 at 10 bureau users right after a restart
    was that first compile in each process, on a busy machine).
    """
    app = server.app.wsgi()
    env = app.jinja_env
    for name in env.list_templates(extensions=["html"]):
        if not name.startswith("reports/"):  # documents have their own environment
            env.get_template(name)
    # The app loads WeasyPrint and pyHanko at its first document, not at start (a command
    # starts a second sooner); a web process previews bulletins and verifies PDFs, so they are
    # loaded here once, before the fork, rather than in one of those requests in each process.
    for module in PDF_ENGINES:
        import_module(module)


def post_worker_init(worker) -> None:
    configure_logging()
