"""TRUSTED_PROXIES: behind a reverse proxy, throttling keys on the client's address."""

import pytest
from flask import request

from inspect_app import create_app

from .support import csrf_token


def make_app(tmp_path, proxies: int):
    return create_app(
        {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "test",
         "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8192, "TRUSTED_PROXIES": proxies,
         "LOGIN_MAX_FAILURES_PER_ADDRESS": 3}
    )  # fmt: skip


def fail_from(client, address: str):
    token = csrf_token(client)
    return client.post(
        "/login",
        data={"username": "nobody", "password": "bad", "csrf_token": token},
        headers={"X-Forwarded-For": address},
    )


def wrong_guesses_from(app, forwarded_for: str, count: int) -> list[int]:
    client = app.test_client()
    return [fail_from(client, forwarded_for).status_code for _ in range(count)]


@pytest.mark.parametrize("proxies", [1, 2])
def test_behind_a_proxy_one_address_locks_out_only_itself(tmp_path, proxies):
    app = make_app(tmp_path, proxies)
    # Each proxy but the last appends the address it received the request from.
    hops = ", ".join(["10.0.0.2"] * (proxies - 1))

    def chain(client_address: str) -> str:
        return f"{client_address}, {hops}" if hops else client_address

    # One client's four wrong guesses: the fourth is locked out.
    assert wrong_guesses_from(app, chain("203.0.113.7"), 4)[-1] == 429
    # Another client behind the same proxies is not.
    assert wrong_guesses_from(app, chain("198.51.100.20"), 1) == [401]


def test_without_trusted_proxies_the_header_is_ignored(tmp_path):
    app = make_app(tmp_path, 0)
    client = app.test_client()
    # A client that makes up a new X-Forwarded-For for every guess is still one address.
    statuses = [fail_from(client, f"192.0.2.{n}").status_code for n in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_trusted_proxy_scheme_reaches_the_app(tmp_path):
    app = make_app(tmp_path, 1)
    seen = {}

    @app.get("/_scheme")
    def scheme():
        seen["scheme"] = request.scheme
        return "ok"

    scheme.access = ("public",)
    app.test_client().get("/_scheme", headers={"X-Forwarded-Proto": "https"})
    assert seen["scheme"] == "https"
