"""Steps an inspector takes on the phone, shared by the browser tests and bench/bench_form.py."""

from __future__ import annotations

import datetime as dt
import time

SCHOOL = "河口乡石桥村教学点"
CHECKLIST = "教育精准扶贫综合督导"


def start_inspection(page, school: str = SCHOOL, checklist: str = CHECKLIST, shot=None) -> str:
    """Fill the start page and open the form; returns the inspection's UUID."""
    fill_start_page(page, school, checklist)
    if shot:
        shot(page, "start")
    page.click("#begin")
    page.wait_for_url("**/inspector/form#*")
    page.wait_for_selector("body[data-ready='1']")
    return page.url.split("#", 1)[1]


def fill_start_page(page, school: str = SCHOOL, checklist: str = CHECKLIST) -> None:
    """Choose the school and the checklist on the start page, and wait for the location."""
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


# What a tap or a keyboard does to each kind of item, done inside the page: the button's own
# click, or the value and the event the form listens for; a sample item's draw is left to
# answer_item. The demo checklist's 72 items cost the browser 1.2 CPU-s this way against
# 4-5 CPU-s tapped through Playwright (scrolling, actionability checks, input events and a
# frame for each tap; measured 2026-12-03), for tests that only need the answers.
_ANSWER_SECTION = """async ([today, skip]) => {
  const done = [];
  const sample = [];
  const answered = [];
  const evidence = () => done.filter((id) => document.getElementById(`item-${id}`)
    ?.querySelector('.evidence-msg:not([hidden])'));
  // relevance can reveal items as we answer, so look again until nothing new appears
  for (let pass = 0; pass < 4; pass++) {
    let fresh = false;
    for (const item of document.querySelectorAll('.section .item:not([hidden])')) {
      const id = item.dataset.item;
      if (done.includes(id) || skip.includes(id)) continue;
      const kind = item.className.split('item-')[1].split(' ')[0];
      if (item.dataset.outcome === 'unanswered') {
        if (kind === 'sample') sample.push(id);
        else if (kind === 'yesno') item.querySelector('.opt[data-value=true]').click();
        else if (kind === 'choice' || kind === 'multi') item.querySelector('.opt').click();
        else if (['integer', 'decimal', 'date', 'text'].includes(kind)) {
          const input = item.querySelector('.control input, .control textarea');
          input.value = kind === 'date' ? today : kind === 'text' ? '现场查看情况良好' : '5';
          input.dispatchEvent(new Event(kind === 'date' ? 'change' : 'input', { bubbles: true }));
        }
        if (!['sample', 'photo', 'computed'].includes(kind)) answered.push(id);
      }
      done.push(id);
      fresh = true;
    }
    if (!fresh) break;
  }
  // Until the draft in IndexedDB has them all: the form writes it after each change, and a
  // test reading it (or reloading) must not see the answers of a moment ago.
  const store = await import('/static/js/inspector/store.js');
  const id = decodeURIComponent(location.hash.slice(1));
  for (let wait = 0; wait < 250; wait++) {
    const draft = await store.get('drafts', id);
    if (answered.every((a) => a in draft.answers || draft.na.includes(a))) {
      return { done, sample, evidence: evidence(), saved: true };
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { done, sample, evidence: evidence(), saved: false };
}"""


def fill_section(
    page, photos=None, skip: set[str] | None = None, by_hand: bool = True
) -> list[str]:
    """Answer every unanswered visible item of the section on screen. Returns the item ids.

    ``by_hand=False`` answers inside the page (_ANSWER_SECTION) instead of tapping each item,
    for tests that need a filled form rather than the filling: the tests of the filling
    itself tap (test_complete_inspection_with_photos, the bulk-confirm tests, the score bar
    at 360 px, bench_form.py).
    """
    today = dt.date.today().isoformat()
    if not by_hand:
        found = page.evaluate(_ANSWER_SECTION, [today, sorted(skip or ())])
        assert found["saved"], "the draft was not saved with the answers within 5 s"
        for item_id in found["sample"]:
            answer_item(page, page.locator(f"#item-{item_id}"), today)
        for item_id in found["evidence"] if photos else ():
            item = page.locator(f"#item-{item_id}")
            item.locator("input[type=file]").set_input_files(photos[:1])
            item.locator(".thumb").first.wait_for()
        return found["done"]
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


def fill_all_sections(
    page, photos=None, shot=None, stop_after: int | None = None, by_hand: bool = True
) -> int:
    """Walk the form section by section, answering everything. Returns sections filled."""
    n = 0
    while True:
        fill_section(page, photos, by_hand=by_hand)
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
    # a zigzag of ten strokes: plenty of ink (signature.js refuses less than 60 px), and each
    # pointer event costs the browser a frame
    for k in range(1, 11):
        page.mouse.move(x + w * (0.1 + 0.8 * k / 10), y + h * (0.5 + 0.15 * (-1) ** k))
    page.mouse.up()
    if role == "school" and not page.locator("#sig-school-name").input_value():
        page.fill("#sig-school-name", "孙德明")
    page.click(f"#sig-{role}-save")
    page.wait_for_selector(f"#sign-{role}[data-signed='1']")


def fill_to_signing(page, photos=None, shot=None, by_hand: bool = True) -> None:
    """From an open form: answer everything, review, and sign on both pads."""
    fill_all_sections(page, photos=photos, shot=shot, by_hand=by_hand)
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
