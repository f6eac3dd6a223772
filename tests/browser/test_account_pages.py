"""My account on a phone, and every page still working under the Content-Security-Policy."""

from __future__ import annotations

import pytest

from inspect_app.demo.county import DEMO_PASSWORD

from .conftest import login, new_context

pytestmark = pytest.mark.browser


def csp_violations(page) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda m: found.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return found


def test_my_logins_and_password_change_on_a_phone(browser, live_server, page, shot):
    violations = csp_violations(page)
    # A second device of the same inspector, so the list has something to end.
    other = new_context(browser, live_server, width=1280)
    other_page = other.new_page()
    login(other_page, next_path="/")
    login(page, next_path="/")
    page.goto("/account/")
    rows = page.locator("ul.logins > li")
    assert rows.count() == 2
    assert "本机" in rows.first.inner_text()
    shot(page, "account", full_page=True)
    # End the other device's login: it is logged out on its next request.
    rows.nth(1).locator("button").click()
    page.wait_for_selector("text=已退出该设备上的登录")
    other_page.goto("/schools")
    assert "/login" in other_page.url
    other.close()

    page.goto("/account/password")
    page.fill("#current", DEMO_PASSWORD)
    page.fill("#new", "12345678")
    page.fill("#confirm", "12345678")
    page.click("main button[type=submit]")
    error = page.locator("#new-error")
    assert error.inner_text().startswith("密码太容易被猜到")
    shot(page, "password-refused", full_page=True)
    page.fill("#current", DEMO_PASSWORD)
    page.fill("#new", "Quiet-Orchard-5163")
    page.fill("#confirm", "Quiet-Orchard-5163")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=密码已修改")
    assert violations == []


def test_bureau_filters_apply_themselves_without_inline_script(page, live_server):
    violations = csp_violations(page)
    login(page, "jyj", next_path="/bureau/")
    before = page.url
    kinds = page.locator("select[name=period] option").all()
    other = next(o.get_attribute("value") for o in kinds if not o.is_checked())
    with page.expect_navigation():
        page.select_option("select[name=period]", other)
    assert page.url != before and f"period={other}" in page.url
    assert violations == []


def test_phone_pages_run_under_the_policy(page, live_server):
    violations = csp_violations(page)
    login(page)  # duxue1, lands on /inspector/
    page.wait_for_selector("body[data-page]")
    page.goto("/inspector/new")
    page.wait_for_selector("#school option[value]:not([value=''])", state="attached")
    assert violations == []
