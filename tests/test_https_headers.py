"""Behind the HTTPS proxy: HSTS and secure cookies, and the proxy's headers believed only when
TRUSTED_PROXIES says a proxy is there (any client can send X-Forwarded-Proto)."""

from __future__ import annotations

import pytest

from .instances import make_app


@pytest.fixture
def proxied(tmp_path, bare_template):
    def build(**config):
        folder = tmp_path / f"instance{len(list(tmp_path.iterdir()))}"
        bare_template.copy_to(folder)
        return make_app(folder, **config).test_client()

    return build


def test_hsts_over_https_reported_by_a_trusted_proxy(proxied):
    client = proxied(TRUSTED_PROXIES=1)
    answer = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/login").headers  # plain http


def test_forged_proto_without_a_proxy_is_ignored(proxied):
    client = proxied()  # TRUSTED_PROXIES = 0
    answer = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in answer.headers


def test_hsts_can_be_turned_off_and_cookies_made_secure(proxied):
    client = proxied(TRUSTED_PROXIES=1, HSTS_MAX_AGE=0, SESSION_COOKIE_SECURE=True)
    answer = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in answer.headers
    cookie = answer.headers.get("Set-Cookie", "")
    assert "session=" in cookie and "Secure" in cookie
