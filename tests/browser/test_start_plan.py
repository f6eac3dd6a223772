"""The start page offers the schools the inspector may inspect (the supervision plan,
inspections/plan.py) and nothing else; with no school in the plan it says whom to ask."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import login
from .helpers import SCHOOL

pytestmark = pytest.mark.browser


def offered(page) -> list[str]:
    page.goto("/inspector/new")
    # rendered from the bootstrap: the first option reads 请选择学校
    page.wait_for_selector("#school option:text-is('请选择学校')", state="attached")
    return page.locator("#school option[value]:not([value=''])").all_inner_texts()


def test_start_page_offers_only_the_planned_schools(page, live_server, shot):
    planned = {
        r["name"]
        for r in live_server.query(
            "SELECT s.name FROM assignments a JOIN schools s ON s.id = a.school_id JOIN users u"
            " ON u.id = a.inspector_id WHERE u.username = 'duxue3'"
            " AND a.period_start <= date('now', 'localtime') AND a.period_end >= date('now', 'localtime')"
        )
    }
    login(page, "duxue3")  # 城关镇, 石门镇 and 白云乡's team, not 河口乡's
    names = {o.split("（")[0] for o in offered(page)}
    assert names == planned and SCHOOL not in names
    expect(page.locator("#school optgroup")).to_have_attribute("label", "分配给我的")
    shot(page, "planned-only")

    db = live_server.db()
    try:
        db.execute(
            "DELETE FROM assignments WHERE inspector_id = (SELECT id FROM users WHERE username"
            " = 'duxue3')"
        )
        db.conn.commit()
    finally:
        db.close()
    assert offered(page) == []
    expect(page.locator("#school-error")).to_have_text(
        "督导计划中没有分配给您的学校，请联系督导室在「督导计划」中分配后再开始检查。"
    )
    shot(page, "no-plan")
