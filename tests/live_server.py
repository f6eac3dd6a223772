"""The app as deployed, on loopback: `flask serve` (gunicorn + one document worker) or a
bare `flask worker`, in their own processes, over a prepared instance folder; and an HTTP
client that logs in and uploads inspections the way the phone does (docs/sync-api.md).

Shared by tests/test_serving.py and bench/bench_server.py. Plain functions and classes,
no fixtures, standard library only for HTTP (real sockets, real cookies, real CSRF).
"""

from __future__ import annotations

import atexit
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from inspect_app import create_app
from inspect_app.directory.passwords import hash_password
from inspect_app.documents import issuing
from inspect_app.storage import assignments, schools, users
from inspect_app.storage.db import open_database

from . import factories

PASSWORD = "correct-horse-1"
PROJECT = Path(__file__).resolve().parents[1]
# Cheap password hashes and quick worker polling: the tests measure the server, not argon2.
FAST = {
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 8192,
    "DOCUMENT_WORKER_POLL_SECONDS": 0.2,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Instance:
    """A prepared instance folder: one county, ``school_count`` schools, inspectors, an admin."""

    path: Path
    school_ids: list[int]
    inspectors: list[str]
    settings: dict

    @property
    def database(self) -> str:
        return str(self.path / "inspect.db")

    def env(self, **extra) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("INSPECT_")}
        env["INSPECT_INSTANCE_PATH"] = str(self.path)
        for key, value in {**self.settings, **extra}.items():
            env[f"INSPECT_{key}"] = json.dumps(value)
        return env


# Migrated instance folders already built in this process, by their settings (see _first_start).
_first_starts: dict[str, Path] = {}


def _first_start(settings: dict) -> Path:
    """What `flask init-db` and `keys init` leave in a new instance folder with ``settings``:
    the migrated database with the shipped checklists stored, and the signing keys.

    Built once per process and copied for every instance: the migrations and the key
    generation cost about 2 s of CPU each time, and what the tests here prove starts after
    them. The instance's session key is not copied, so every instance makes its own at its
    first start, as a deployment does.
    """
    key = json.dumps(settings, sort_keys=True, default=str)
    if key not in _first_starts:
        folder = Path(tempfile.mkdtemp(prefix="inspect-first-start-")) / "instance"
        app = create_app({"INSTANCE_PATH": str(folder), **settings})
        # Signing keys before any process starts, as `make run` does (`keys init`): processes
        # creating them on first use at the same moment would overwrite each other's.
        issuing.key_paths(app.config)
        # A self-contained database file (WAL folded in), so a plain copy of it is complete.
        with closing(sqlite3.connect(app.config["DATABASE"])) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode=DELETE")
        (folder / "secret_key").unlink(missing_ok=True)
        atexit.register(shutil.rmtree, folder.parent, ignore_errors=True)
        _first_starts[key] = folder
    return _first_starts[key]


def prepare_instance(
    path: Path, *, inspectors: int = 4, school_count: int = 6, **settings
) -> Instance:
    """Create the instance folder and its database, as `make run` would before serving, with
    its plan: every inspector planned for every school."""
    settings = {**FAST, **settings}
    shutil.copytree(_first_start(settings), path)
    app = create_app({"INSTANCE_PATH": str(path), **settings})
    db = open_database(app.config["DATABASE"])
    try:
        pw = hash_password(PASSWORD, app.config)
        county = schools.ensure_region(db, "测试县", "county")
        township = schools.ensure_region(db, "东镇", "township", county)
        school_ids = [
            schools.save(
                db,
                {
                    "code": f"L{n:03d}",
                    "name": f"东镇第{n + 1}小学",
                    "township_id": township,
                    "stage": "小学",
                    "enrolment": 300,
                },
            )  # fmt: skip
            for n in range(school_count)
        ]
        names = [f"duxue{n}" for n in range(inspectors)]
        for name in names:
            inspector = users.create(db, username=name, display_name=f"督学{name}",
                                     role="inspector", password_hash=pw)  # fmt: skip
            # every inspector planned for every school: the server files an inspector's
            # inspections only of the schools the plan gives them
            for school_id in school_ids:
                assignments.assign(db, inspector, school_id, "2020-01-01", "2030-12-31")
        users.create(db, username="admin", display_name="管理员", role="admin", password_hash=pw)
    finally:
        db.close()
    return Instance(path, school_ids, names, settings)


class Process:
    """A child process of the app, stopped with a signal; its output goes to a log file."""

    def __init__(self, instance: Instance, args: list[str], log: Path, **env):
        self.log_path = log
        self._log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "inspect_app", *args],
            cwd=PROJECT, env=instance.env(**env), stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.popen.pid

    def kill(self) -> None:
        """SIGKILL: a crash, with no chance to clean up."""
        self.popen.kill()
        self.popen.wait(10)
        self._log.close()

    def stop(self, sig: int = signal.SIGINT, timeout: float = 45) -> int:
        """Send ``sig`` (Ctrl-C by default) and wait for the exit code."""
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        try:
            return self.popen.wait(timeout)
        finally:
            self._log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


def serve(instance: Instance, log: Path, *, workers: int = 2, **env) -> tuple[Process, str]:
    """`flask serve` on a free loopback port; returns it and its base URL once it answers."""
    port = free_port()
    process = Process(
        instance, ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        log, **env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"server exited:\n{process.output()}")
        try:
            urllib.request.urlopen(f"{base}/login", timeout=2).read()
            return process, base
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            # a refused connection costs next to nothing: ask often, so a test waits for the
            # server no longer than it takes to start
            time.sleep(0.05)
    process.stop(signal.SIGKILL)
    raise RuntimeError(f"server did not answer within 60 s:\n{process.output()}")


def worker(instance: Instance, log: Path, **env) -> Process:
    return Process(instance, ["worker"], log, **env)


class HttpError(Exception):
    def __init__(self, status: int, body: str):
        super().__init__(f"HTTP {status}: {body[:300]}")
        self.status = status


_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class Client:
    """One browser or phone: its own cookies, logged in through the real login form."""

    def __init__(self, base: str, timeout: float = 60):
        self.base = base
        self.timeout = timeout
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.api_token = ""

    def request(self, method: str, path: str, data: bytes | None = None, headers=None):
        """(status, headers, body); raises HttpError on 4xx/5xx."""
        req = urllib.request.Request(
            self.base + path, data=data, method=method, headers=headers or {}
        )
        try:
            with self.opener.open(req, timeout=self.timeout) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            raise HttpError(exc.code, exc.read().decode(errors="replace")) from None

    def get(self, path: str, **headers) -> bytes:
        return self.request("GET", path, headers=headers)[2]

    def login(self, username: str, password: str = PASSWORD) -> None:
        html = self.get("/login").decode()
        token = _CSRF.search(html).group(1)
        form = urllib.parse.urlencode(
            {"username": username, "password": password, "csrf_token": token}
        ).encode()
        self.request("POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
        session = json.loads(self.get("/api/session"))
        assert session["user"]["username"] == username
        self.api_token = session["csrf_token"]

    def put(self, path: str, data: bytes, content_type: str) -> dict:
        _, _, body = self.request(
            "PUT", path, data, {"Content-Type": content_type, "X-CSRFToken": self.api_token}
        )
        return json.loads(body)

    def checklist(self, checklist_id: str = "fupin_comprehensive") -> dict:
        bootstrap = json.loads(self.get("/api/bootstrap"))
        entry = next(c for c in bootstrap["checklists"] if c["id"] == checklist_id)
        return json.loads(self.get(f"/api/checklists/{entry['hash']}"))

    @staticmethod
    def prepare_upload(school_id: int, checklist: dict, photo_seed: int) -> tuple[bytes, bytes]:
        """What a phone's outbox holds for one inspection: its photo and the JSON payload."""
        photo = factories.jpeg_bytes(photo_seed, size=(800, 600))
        body = factories.payload(school_id, checklist, photos=[factories.sha256(photo)])
        return photo, json.dumps(body, ensure_ascii=False).encode()

    def send_upload(self, prepared: tuple[bytes, bytes]) -> dict:
        """The outbox flush: the photo, then the inspection (docs/sync-api.md)."""
        photo, body = prepared
        self.put(f"/api/photos/{factories.sha256(photo)}", photo, "image/jpeg")
        inspection_id = json.loads(body)["id"]
        return self.put(f"/api/inspections/{inspection_id}", body, "application/json")

    def upload_inspection(self, school_id: int, checklist: dict, photo_seed: int) -> dict:
        return self.send_upload(self.prepare_upload(school_id, checklist, photo_seed))
