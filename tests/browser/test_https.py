"""The phone form over HTTPS through deploy/nginx.conf: secure cookies, HSTS, offline mode.

Phones reach the server by its address, and service workers, the camera and GPS work only on a
secure origin. The test makes its own authority and a certificate for 127.0.0.1, runs Debian's
nginx with the repository's site file in front of the app (TRUSTED_PROXIES=1), and has chromium
trust that certificate by its key (``--ignore-certificate-errors-spki-list``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.serving import make_server

from ..instances import make_app
from .conftest import CHROMIUM, CHROMIUM_ARGS, LiveServer, login, new_context, serve
from .helpers import fill_all_sections, sign, start_inspection, wait_for_service_worker

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
INSTALL = "apt-get install -y nginx（或运行 scripts/system-deps.sh --test）"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certificates(folder: Path) -> tuple[Path, Path, str]:
    """An authority and a leaf for 127.0.0.1/localhost; returns (cert, key, leaf SPKI hash)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "测试证书颁发机构")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    key_path.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return cert_path, key_path, base64.b64encode(hashlib.sha256(spki).digest()).decode()


def nginx_config(folder: Path, *, cert: Path, key: Path, app_port: int, https_port: int) -> Path:
    """deploy/nginx.conf with this test's ports and certificate, inside a main config.

    Each replaced text must be in the site file, so a change there that the test no longer
    exercises fails here instead of being silently skipped. IPv6 listeners are left out: the
    test machine may have no IPv6 loopback.
    """
    site = SITE.read_text(encoding="utf-8")
    for old, new in [
        ("server 127.0.0.1:5000;", f"server 127.0.0.1:{app_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen 80;", f"listen 127.0.0.1:{_free_port()};"),
        ("/etc/ssl/inspect_app/fullchain.pem", str(cert)),
        ("/etc/ssl/inspect_app/privkey.pem", str(key)),
        (
            "return 301 https://$host$request_uri;",
            f"return 301 https://$host:{https_port}$request_uri;",
        ),
    ]:
        assert old in site, f"deploy/nginx.conf no longer has {old!r}"
        site = site.replace(old, new)
    site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
    (folder / "site.conf").write_text(site, encoding="utf-8")
    for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / temp).mkdir()
    # As root, workers would run as nobody and could not write the test's temp folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = folder / "nginx.conf"
    main.write_text(
        f"""{user}daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log notice;
events {{ worker_connections 128; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include /etc/nginx/mime.types;
    include {folder}/site.conf;
}}
""",
        encoding="utf-8",
    )
    return main


@pytest.fixture
def https_server(tmp_path, demo_template):
    """The demo county served by the app on loopback and nginx with TLS in front of it."""
    if not os.path.exists(NGINX):
        pytest.skip(f"未安装 nginx，无法测试 HTTPS 部署：{INSTALL}")
    tls = tmp_path / "tls"
    tls.mkdir()
    cert, key, spki = make_certificates(tls)
    https_port = _free_port()
    folder = tmp_path / "instance"
    demo_template.copy_to(folder)
    public = f"https://127.0.0.1:{https_port}"
    app = make_app(
        folder,
        SECRET_KEY="browser-tests",
        LOGIN_MAX_FAILURES=1000,
        TRUSTED_PROXIES=1,
        SESSION_COOKIE_SECURE=True,
        PUBLIC_URL=public,
    )
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    serve(httpd)
    proxy_dir = tmp_path / "nginx"
    proxy_dir.mkdir()
    conf = nginx_config(
        proxy_dir, cert=cert, key=key, app_port=httpd.server_port, https_port=https_port
    )
    check = subprocess.run([NGINX, "-t", "-c", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proxy = subprocess.Popen([NGINX, "-c", str(conf)], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                break
            except OSError:
                assert proxy.poll() is None, proxy.stderr.read() if proxy.stderr else ""
                assert time.monotonic() < deadline, "nginx did not start listening"
                time.sleep(0.1)
        server = LiveServer(app, httpd)
        server.url = public
        server.spki = spki
        yield server
    finally:
        proxy.terminate()
        try:
            proxy.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proxy.kill()
            proxy.wait()
        httpd.shutdown()


@pytest.fixture
def https_browser(browser, https_server):
    """A chromium of its own that trusts the test certificate's key (and nothing else extra)."""
    trusting = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, f"--ignore-certificate-errors-spki-list={https_server.spki}"],
    )
    yield trusting
    trusting.close()


def test_phone_form_over_https_has_secure_cookie_hsts_and_works_offline(
    https_browser, https_server, shot, photo_files
):
    context = new_context(https_browser, https_server)
    page = context.new_page()
    page.set_default_timeout(20000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        first = page.goto("/login")
        assert first is not None and first.ok
        assert page.evaluate("window.isSecureContext && location.protocol") == "https:"
        assert first.headers.get("strict-transport-security", "").startswith("max-age=")
        login(page)
        session = [c for c in context.cookies() if c["name"] == "session"]
        assert session and session[0]["secure"], context.cookies()

        wait_for_service_worker(page)
        assert page.evaluate("navigator.serviceWorker.controller.state") == "activated"
        inspection_id = start_inspection(page)
        fill_all_sections(page, photos=photo_files, stop_after=1, by_hand=False)
        shot(page, "https-before-offline")

        context.set_offline(True)
        page.reload()  # from the service worker's cache, over the secure origin
        page.wait_for_selector("body[data-ready='1']")
        assert page.locator("#net").inner_text() == "离线"
        fill_all_sections(page, photos=photo_files, by_hand=False)
        page.click("#to-review")
        page.click("#to-sign")
        sign(page, "inspector")
        sign(page, "school")
        page.click("#submit")
        page.wait_for_selector("#lock-state[data-state=waiting]")
        page.goto("/inspector/")  # offline navigation, from the service worker's cache
        page.wait_for_selector(f".outbox-item[data-id='{inspection_id}']")
        assert page.locator("#outbox-count").inner_text() == "1"
        shot(page, "https-offline-queued")
        assert https_server.query("SELECT id FROM inspections") == []

        context.set_offline(False)  # the outbox flushes through nginx
        page.wait_for_selector("#outbox-count:text-is('0')", timeout=30000)
        shot(page, "https-synced")
        rows = https_server.query("SELECT id FROM inspections")
        assert [r["id"] for r in rows] == [inspection_id]
    finally:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"
