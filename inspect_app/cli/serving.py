"""Serving as deployed: ``flask serve`` (gunicorn and one document worker) and ``flask worker``.

``serve`` is a small supervisor: it starts gunicorn (several web processes) and exactly one
document worker process, restarts the worker if it dies, and on Ctrl-C or SIGTERM stops both
cleanly (gunicorn finishes the requests in hand, the worker the document in hand). If
gunicorn itself exits (its port is taken, say) everything stops, with its exit code.
``flask run`` stays the development server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from inspect_app.documents import issuing
from inspect_app.documents import worker as document_worker
from inspect_app.web.request_log import configure_logging

# How long children get to finish what they are doing after SIGTERM before being killed:
# longer than gunicorn's own graceful timeout (gunicorn_conf.py) and than one document.
STOP_GRACE_SECONDS = 40
# A worker that dies at once (a broken install) is restarted no faster than this.
RESTART_DELAY_SECONDS = 2.0


@click.command("worker")
@with_appcontext
def worker_command() -> None:
    """Run the document worker: issue signed documents of received inspections until stopped."""
    configure_logging()
    document_worker.run_forever(current_app.config)


def gunicorn_command(host: str, port: int, workers: int) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn",
        "--config", "python:inspect_app.cli.gunicorn_conf",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        "inspect_app:create_app()",
    ]  # fmt: skip


def worker_process_command() -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "inspect_app", "worker"]


class Supervisor:
    """Runs gunicorn and one document worker; :meth:`run` returns gunicorn's exit code."""

    def __init__(self, web: list[str], worker: list[str]):
        self.web_command = web
        self.worker_command = worker
        self.stopping = False
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None

    def _stop(self, signum, frame) -> None:
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGTERM, self._stop)
        self.web = subprocess.Popen(self.web_command)
        self.worker = subprocess.Popen(self.worker_command)
        code = 0
        try:
            while not self.stopping:
                web_code = self.web.poll()
                if web_code is not None:
                    click.echo(f"Web 服务进程已退出（代码 {web_code}），正在停止。", err=True)
                    code = web_code or 1
                    break
                if self.worker.poll() is not None:
                    click.echo(
                        f"文档生成进程已退出（代码 {self.worker.returncode}），正在重新启动。",
                        err=True,
                    )
                    time.sleep(RESTART_DELAY_SECONDS)
                    if not self.stopping:
                        self.worker = subprocess.Popen(self.worker_command)
                time.sleep(0.2)
        finally:
            self._terminate()
        return code

    def _terminate(self) -> None:
        children = [p for p in (self.web, self.worker) if p is not None and p.poll() is None]
        for child in children:
            child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


@click.command("serve")
@click.option("--host", default=None, help="监听地址（默认取配置 SERVE_HOST）")
@click.option("--port", type=int, default=None, help="端口（默认取配置 SERVE_PORT）")
@click.option("--workers", type=int, default=None, help="Web 进程数（默认取配置 SERVE_WORKERS）")
@with_appcontext
def serve_command(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve in production: gunicorn web processes and one document worker (Ctrl-C stops both)."""
    config = current_app.config
    host = host or config["SERVE_HOST"]
    port = port or int(config["SERVE_PORT"])
    workers = workers or int(config["SERVE_WORKERS"])
    # Signing keys exist before any child starts: processes creating them on first use at the
    # same moment (the worker, a web process issuing a bulletin) would overwrite each other's.
    issuing.key_paths(config)
    # The children build their own app from the same environment: pass the instance along.
    os.environ.setdefault("INSPECT_INSTANCE_PATH", current_app.instance_path)
    click.echo(f"正在启动：http://{host}:{port}（{workers} 个 Web 进程，1 个文档生成进程）")
    supervisor = Supervisor(gunicorn_command(host, port, workers), worker_process_command())
    sys.exit(supervisor.run())
