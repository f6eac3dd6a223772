"""Issue 14 "Field use" and issue 13's running score, as an inspector meets them on a phone:
what the bar says while the form is incomplete, and that nothing in it is cut off."""

from __future__ import annotations

import pytest

from .conftest import login, new_context
from .helpers import fill_all_sections, fill_section, start_inspection

pytestmark = pytest.mark.browser


def engine_result(page) -> dict:
    """The engine's own verdict on the draft on screen (the same module the form imports)."""
    return page.evaluate(
        """async () => {
          const { score } = await import('/static/js/engine.js');
          const store = await import('/static/js/inspector/store.js');
          const api = await import('/static/js/inspector/api.js');
          const draft = await store.get('drafts', decodeURIComponent(location.hash.slice(1)));
          const compiled = await api.checklist(draft.checklist_hash);
          const ids = new Set(compiled.sections.flatMap((s) => s.items.map((i) => i.id)));
          const answers = {};
          for (const [k, v] of Object.entries(draft.answers)) {
            if (ids.has(k) && !draft.na.includes(k) && v !== null && v !== '') answers[k] = v;
          }
          const photos = {};
          for (const p of await store.photosFor(draft.id)) photos[p.item] = (photos[p.item] || 0) + 1;
          const r = score(compiled, draft.school, { answers, na: draft.na, photos });
          return { progress: r.progress, complete: r.complete, total: r.total, grade: r.grade };
        }"""
    )


def fully_visible(page, selector: str, width: int) -> None:
    """The element's text is not clipped: its box is inside the viewport and not ellipsised."""
    el = page.locator(selector).first
    box = el.bounding_box()
    assert box is not None, selector
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (selector, box)
    clipped = el.evaluate("(e) => e.scrollWidth > e.clientWidth + 1")
    assert not clipped, f"{selector} text is cut off"


def overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


@pytest.mark.parametrize("width", [360, 412])
def test_running_score_bar_at_phone_width(browser, live_server, shot, width):
    context = new_context(browser, live_server, width=width)
    page = context.new_page()
    login(page)
    start_inspection(page)
    school = page.locator("#scorebar .sb-school strong").inner_text()
    assert school.startswith("河口乡石桥村教学点")
    assert page.locator("#total").inner_text() == "—"
    assert page.locator("#grade").inner_text() == "未开始"
    shot(page, f"bar-empty-{width}")

    # one section answered: points earned of points assessed, the share answered, no grade
    fill_section(page)
    r = engine_result(page)
    p = r["progress"]
    assert not r["complete"]
    assert page.locator("#total").inner_text() == f"已得 {p['earned']:g}/{p['assessed']:g} 分"
    assert page.locator("#answered").inner_text().startswith(f"已答 {p['answered']}/{p['items']}")
    grade = page.locator("#grade").inner_text()
    grades = ["优秀", "良好", "合格", "不合格"]
    assert grade not in grades, "a bare grade while the form is incomplete"
    assert grade == "进行中" or grade.startswith("预计 ")
    shot(page, f"bar-partial-{width}")
    for sel in ["#scorebar .sb-school strong", "#total", "#grade", "#answered", "#toc-toggle"]:
        fully_visible(page, sel, width)
    # 目录 is a full-size tap target, not squeezed, and nothing in the bar overlaps
    toc = page.locator("#toc-toggle").bounding_box()
    assert toc["width"] >= 44 and toc["height"] >= 44, toc
    boxes = {
        sel: page.locator(sel).bounding_box()
        for sel in ["#scorebar .sb-school strong", "#total", "#grade", "#answered", "#toc-toggle"]
    }
    names = list(boxes)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not overlap(boxes[a], boxes[b]), (a, b, boxes[a], boxes[b])
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width

    # walk on: from half answered the projected grade is marked 预计 and is the engine's
    while page.locator("#next").count():
        page.click("#next")
        page.wait_for_selector(".section")
        fill_section(page)
        r = engine_result(page)
        if r["complete"]:
            break
        grade = page.locator("#grade").inner_text()
        if r["progress"]["answered"] * 2 >= r["progress"]["items"] and r["progress"]["grade"]:
            assert grade == f"预计 {r['progress']['grade']}"
        else:
            assert grade == "进行中"
    fill_all_sections(page)
    r = engine_result(page)
    assert r["complete"]
    assert page.locator("#total").inner_text() == f"{r['total']:g} 分"
    assert page.locator("#grade").inner_text() == r["grade"]
    shot(page, f"bar-complete-{width}")
    for sel in ["#scorebar .sb-school strong", "#total", "#grade", "#toc-toggle"]:
        fully_visible(page, sel, width)
    context.close()
