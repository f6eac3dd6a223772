"""Steps an inspector takes on the phone, shared by the browser tests and bench/bench_form.py."""

from __future__ import annotations

import datetime as dt
import time

SCHOOL = "河口乡石桥村教学点"
CHECKLIST = "教育精准扶贫综合督导"


def start_inspection(page, school: str = SCHOOL, checklist: str = CHECKLIST, shot=None) -> str:
    """Fill the start page and open the form; returns the inspection's UUID."""
    page.goto("/inspector/new")
    page.wait_for_selector("#school option[value]:not([value=''])", state="attached")
    page.select_option(
        "#school",
        label=next(
            o for o in page.locator("#school option").all_inner_texts() if o.startswith(school)
        ),
    )
    page.wait_for_selector("#checklist option[value]:not([value=''])", state="attached")
    option = next(
        o for o in page.locator("#checklist option").all_inner_texts() if o.startswith(checklist)
    )
    page.select_option("#checklist", label=option)
    page.wait_for_selector("#geo-status[data-state]")
    if shot:
        shot(page, "start")
    page.click("#begin")
    page.wait_for_url("**/inspector/form#*")
    page.wait_for_selector("body[data-ready='1']")
    return page.url.split("#", 1)[1]


def answer_item(page, item, today: str) -> None:
    """Give one visible item a passing answer, by its type."""
    kind = item.get_attribute("class").split("item-")[1].split()[0]
    if kind == "yesno":
        item.locator(".opt[data-value=true]").click()
    elif kind == "choice" or kind == "multi":
        item.locator(".opt").first.click()
    elif kind in ("integer", "decimal"):
        item.locator(".control input").fill("5")
    elif kind == "date":
        item.locator(".control input").fill(today)
    elif kind == "text":
        item.locator(".control textarea").fill("现场查看情况良好")
    elif kind == "sample":
        # 抽样: a list of 学籍号, draw, and mark every drawn file 合格
        item.locator(".control textarea").fill("\n".join(f"G2015{k:04d}" for k in range(12)))
        item.locator(".sample-draw").click()
        item.locator(".sample-row").first.wait_for()
        for button in item.locator(".sample-row .opt[data-value=ok]").all():
            button.click()


def fill_section(page, photos=None, skip: set[str] | None = None) -> list[str]:
    """Answer every unanswered visible item of the section on screen. Returns the item ids."""
    today = dt.date.today().isoformat()
    done = []
    # relevance can reveal items as we answer, so look again until nothing new appears
    for _ in range(4):
        fresh = False
        for item in page.locator(".section .item:not([hidden])").all():
            item_id = item.get_attribute("data-item")
            if item_id in done or (skip and item_id in skip):
                continue
            outcome = item.get_attribute("data-outcome")
            kind = item.get_attribute("class")
            if outcome == "unanswered" and "item-photo" not in kind and "item-computed" not in kind:
                answer_item(page, item, today)
            if photos and item.locator(".evidence-msg:not([hidden])").count():
                item.locator("input[type=file]").set_input_files(photos[:1])
                item.locator(".thumb").first.wait_for()
            done.append(item_id)
            fresh = True
        if not fresh:
            break
    return done


def fill_all_sections(page, photos=None, shot=None, stop_after: int | None = None) -> int:
    """Walk the form section by section, answering everything. Returns sections filled."""
    n = 0
    while True:
        fill_section(page, photos)
        n += 1
        if shot:
            shot(page, f"section{n}")
        if stop_after and n >= stop_after:
            return n
        if page.locator("#next").count():
            page.click("#next")
            page.wait_for_selector(".section")
        else:
            return n


def sign(page, role: str) -> None:
    pad = page.locator(f"#pad-{role}")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.6)
    page.mouse.down()
    for k in range(1, 30):
        page.mouse.move(
            x + w * (0.1 + 0.8 * k / 30), y + h * (0.5 + 0.3 * ((-1) ** k) * 0.5), steps=2
        )
    page.mouse.up()
    if role == "school" and not page.locator("#sig-school-name").input_value():
        page.fill("#sig-school-name", "孙德明")
    page.click(f"#sig-{role}-save")
    page.wait_for_selector(f"#sign-{role}[data-signed='1']")


def fill_to_signing(page, photos=None, shot=None) -> None:
    """From an open form: answer everything, review, and sign on both pads."""
    fill_all_sections(page, photos=photos, shot=shot)
    page.click("#to-review")
    page.wait_for_selector("#review-total")
    if shot:
        shot(page, "review", full_page=True)
    page.click("#to-sign")
    sign(page, "inspector")
    sign(page, "school")
    if shot:
        shot(page, "signed")


def wait_for_service_worker(page) -> None:
    """Until the service worker controls the page and has cached the shell."""
    page.evaluate("navigator.serviceWorker.ready")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
        page.evaluate("navigator.serviceWorker.ready")
    wait_until(page, "navigator.serviceWorker.controller !== null")


def wait_until(page, expression: str, seconds: float = 30) -> None:
    """Until a page expression is true. Not page.wait_for_function: when its first check is false,
    Playwright evaluates the string inside the page, which the pages' CSP (script-src 'self')
    refuses; evaluate goes through the debugging protocol, which the CSP does not govern."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"not true within {seconds} s: {expression}"
        page.wait_for_timeout(50)


def outbox(page) -> list[dict]:
    """The phone's outbox, read straight from IndexedDB."""
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
            const req = indexedDB.open('inspect');
            req.onsuccess = () => {
              const r = req.result.transaction('outbox').objectStore('outbox').getAll();
              r.onsuccess = () => resolve(r.result.map((x) => ({id: x.id, state: x.state, message: x.message,
                photos: x.payload.photos.length})));
              r.onerror = () => reject(r.error);
            };
            req.onerror = () => reject(req.error);
        })"""
    )
