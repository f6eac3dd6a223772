"""How large a request may be: the evidence form's stated limits (10 files of 10 MB) fit under
the app's cap and nginx's, and a request over them gets a Chinese page, from either."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from inspect_app.config import Defaults
from inspect_app.rectification.evidence import MAX_EVIDENCE_BYTES
from inspect_app.web.school import MAX_FILES

from .support import version_on

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx.conf"
PAGE_413 = ROOT / "static" / "errors" / "413.html"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

FORM = {
    "measures": "已制定资助台账管理制度",
    "result": "台账与银行记录一致",
    "done_on": "2026-11-24",
}


def test_four_nine_mb_photos_reach_the_form_and_keep_the_answer(receive, login, frozen):
    _, rows = receive()
    school = login("sch_a")
    url = f"/school/rectifications/{rows[0]['id']}/respond"
    # Each under the 10 MB a file may be, 36 MB together; not real JPEGs, so the form answers.
    photo = b"\xff\xd8\xff" + b"\0" * (9 * 1024 * 1024)
    response = school.post(
        url,
        {**FORM, "version": version_on(school.page(url))},
        files={"evidence": [(photo, f"照片{n}.jpg") for n in range(4)]},
    )
    assert response.status_code == 400
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert "「照片3.jpg」" in page.select_one("#evidence-error").get_text()
    assert page.select_one("#measures").get_text().strip() == FORM["measures"]


def test_a_request_over_the_cap_gets_a_chinese_page_naming_it(app, receive, login, frozen):
    _, rows = receive()
    school = login("sch_a")
    url = f"/school/rectifications/{rows[0]['id']}/respond"
    version = version_on(school.page(url))
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    response = school.post(
        url, {**FORM, "version": version}, files={"evidence": [(b"\0" * (3 << 20), "大.jpg")]}
    )
    assert response.status_code == 413
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert page.select_one("h1").get_text() == "文件过大"
    assert "合计超过 2 MB" in page.select_one(".error-page").get_text()


def _nginx_cap_mib() -> int:
    return int(re.search(r"client_max_body_size (\d+)m;", SITE.read_text()).group(1))


def test_the_caps_cover_the_stated_limits_and_agree():
    # Ten files at their largest and the form's text must fit, and nginx must let through
    # exactly what the app accepts: smaller, and nginx's English page returns; larger, and the
    # app's Chinese one shows while nginx's static page names a cap no longer in force.
    assert Defaults.MAX_CONTENT_LENGTH > MAX_FILES * MAX_EVIDENCE_BYTES
    assert _nginx_cap_mib() * 1024 * 1024 == Defaults.MAX_CONTENT_LENGTH
    stated = BeautifulSoup(PAGE_413.read_text(encoding="utf-8"), "html.parser")
    assert f"合计超过 {_nginx_cap_mib()} MB" in stated.select_one(".error-page").get_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def nginx_port(tmp_path):
    """deploy/nginx.conf's https server, on plain http (no certificate needed to be refused),
    its 413 page's root at this checkout; no app behind it, since nginx answers alone."""
    if not os.path.exists(NGINX):
        pytest.skip("未安装 nginx，无法测试其 413 页面")
    port = _free_port()
    site = SITE.read_text(encoding="utf-8")
    for old, new in [
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{port};"),
        ("listen 80;", f"listen 127.0.0.1:{_free_port()};"),
        ("root /srv/inspect_app/static;", f"root {ROOT / 'static'};"),
    ]:
        assert old in site, f"deploy/nginx.conf no longer has {old!r}"
        site = site.replace(old, new)
    site = "\n".join(
        line for line in site.splitlines() if "listen [::]" not in line and "ssl_" not in line
    )
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    temps = ("body", "proxy", "fastcgi", "uwsgi", "scgi")
    for temp in temps:
        (tmp_path / temp).mkdir()
    paths = "".join(f"    {t}_temp_path {tmp_path / t};\n" for t in temps)
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log notice;\nevents {{ worker_connections 16; }}\n"
        f"http {{\n    access_log off;\n{paths.replace('body_temp', 'client_body_temp')}"
        f"    include /etc/nginx/mime.types;\n    include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    proxy = subprocess.Popen([NGINX, "-c", str(conf)], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proxy.poll() is None, proxy.stderr.read() if proxy.stderr else ""
                assert time.monotonic() < deadline, "nginx did not start listening"
                time.sleep(0.1)
        yield port
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)


def test_nginx_answers_an_oversize_upload_with_the_chinese_page(nginx_port):
    connection = http.client.HTTPConnection("127.0.0.1", nginx_port, timeout=10)
    # nginx judges by the declared length, before reading the body.
    connection.putrequest("POST", "/school/rectifications/1/respond")
    connection.putheader("Content-Type", "multipart/form-data; boundary=x")
    connection.putheader("Content-Length", str(_nginx_cap_mib() * 1024 * 1024 + 1))
    connection.endheaders()
    response = connection.getresponse()
    body = response.read().decode("utf-8")
    connection.close()
    assert response.status == 413
    page = BeautifulSoup(body, "html.parser")
    assert page.select_one("h1").get_text() == "文件过大"
    assert "每个文件不能超过 10 MB" in page.get_text()
