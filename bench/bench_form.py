"""Measure the inspector's phone form in Debian's chromium against a live server on loopback.

    .venv/bin/python bench/bench_form.py

Prints one table: first-load weight of the form page (HTML + CSS + JS, uncompressed) and any
third-party requests; a reload with no network (must be served entirely by the service worker);
time until the form is usable with the CPU slowed down 4× (CDP Emulation.setCPUThrottlingRate);
and the time to flush an outbox of 20 inspections with 4 photos each.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, login, make_live_server  # noqa: E402
from tests.browser.helpers import (  # noqa: E402
    fill_to_signing,
    start_inspection,
    wait_for_service_worker,
)

WEIGHT_TARGET_KB = 150
USABLE_TARGET_MS = 1000
FLUSH_TARGET_S = 20
OUTBOX_SIZE = 20
PHOTOS_EACH = 4

# Clone the queued inspection into OUTBOX_SIZE entries, each with PHOTOS_EACH distinct
# phone-sized JPEGs (1600×1200, with noise so they compress about like real photos).
MAKE_OUTBOX = """async ([count, perInspection]) => {
  const store = await import('/static/js/inspector/store.js');
  const { sha256Hex, uuid } = await import('/static/js/inspector/util.js');
  const [template] = await store.all('outbox');
  await store.del('outbox', template.id);
  for (const p of await store.photosFor(template.id)) await store.del('photos', p.id);
  const canvas = document.createElement('canvas');
  canvas.width = 1600; canvas.height = 1200;
  const ctx = canvas.getContext('2d');
  const item = Object.keys(template.payload.responses.answers)[0];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const id = uuid();
    const photos = [];
    for (let k = 0; k < perInspection; k++) {
      ctx.fillStyle = `hsl(${(i * 37 + k * 91) % 360}, 60%, 50%)`;
      ctx.fillRect(0, 0, 1600, 1200);
      const noise = ctx.getImageData(0, 0, 400, 300);
      for (let j = 0; j < noise.data.length; j++) noise.data[j] = j % 4 === 3 ? 255 : 100 + Math.random() * 60;
      for (let x = 0; x < 4; x++) for (let y = 0; y < 4; y++) ctx.putImageData(noise, x * 400, y * 300);
      ctx.fillStyle = '#fff'; ctx.font = '120px sans-serif'; ctx.fillText(`${i}-${k}`, 100, 200);
      const blob = await new Promise((r) => canvas.toBlob(r, 'image/jpeg', 0.8));
      const sha256 = await sha256Hex(blob);
      bytes += blob.size;
      await store.put('photos', { id: uuid(), inspection: id, item, blob, sha256, width: 1600, height: 1200,
        caption: '', created_at: new Date().toISOString(), uploaded: false });
      photos.push({ sha256, item, caption: '' });
    }
    const payload = structuredClone(template.payload);
    payload.id = id;
    payload.photos = photos;
    payload.responses.photos = { [item]: perInspection };
    await store.put('outbox', { ...template, id, payload, state: 'queued', attempts: 0, next_try: 0,
      queued_at: new Date(Date.now() + i).toISOString() });
  }
  return bytes;
}"""


def kb(n: int) -> str:
    return f"{n / 1024:.1f} KB"


def main() -> None:
    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        server = make_live_server(Path(tmp))
        host = urlsplit(server.url).netloc
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, locale="zh-CN", base_url=server.url,
            service_workers="allow", geolocation={"latitude": 26.58, "longitude": 107.51, "accuracy": 15},
            permissions=["geolocation"],
        )  # fmt: skip
        page = context.new_page()
        login(page)
        inspection_id = start_inspection(page)

        # 1. first-load weight, in a fresh context (no HTTP cache, no service worker)
        cold = browser.new_context(
            viewport={"width": 390, "height": 844}, base_url=server.url, service_workers="block",
            storage_state=context.storage_state(),
        )  # fmt: skip
        cold_page = cold.new_page()
        sizes: dict[str, int] = {}
        third_party: list[str] = []

        def on_response(response):
            if urlsplit(response.url).netloc != host:
                third_party.append(response.url)
                return
            kind = response.request.resource_type
            if kind in ("document", "stylesheet", "script"):
                sizes[response.url] = len(response.body())

        cold_page.on("response", on_response)
        cold_page.on(
            "request",
            lambda r: third_party.append(r.url) if urlsplit(r.url).netloc != host else None,
        )
        # the draft lives in the other context's IndexedDB; the page still loads every module
        cold_page.goto(f"/inspector/form#{inspection_id}")
        cold_page.wait_for_load_state("networkidle")
        weight = sum(sizes.values())
        rows.append((
            "表单页首次加载（HTML+CSS+JS，未压缩）", kb(weight), f"≤ {WEIGHT_TARGET_KB} KB",
            "通过" if weight <= WEIGHT_TARGET_KB * 1024 else "未达标",
        ))  # fmt: skip
        rows.append(
            ("第三方请求", str(len(set(third_party))), "0", "通过" if not third_party else "未达标")
        )
        cold.close()

        # 2. reload with no network: every request answered by the service worker
        wait_for_service_worker(page)
        page.goto(f"/inspector/form#{inspection_id}")
        page.wait_for_selector("body[data-ready='1']")
        context.set_offline(True)
        served: list[tuple[str, bool]] = []
        page.on("response", lambda r: served.append((r.url, r.from_service_worker)))
        page.reload()
        page.wait_for_selector("body[data-ready='1']")
        page.wait_for_load_state("networkidle")
        by_sw = sum(1 for _, sw in served if sw)
        rows.append((
            "断网重新加载（由 Service Worker 提供）", f"{by_sw}/{len(served)} 个请求", "全部",
            "通过" if served and by_sw == len(served) else "未达标",
        ))  # fmt: skip
        context.set_offline(False)

        # 3. time until the form is usable, CPU slowed down 4×, warm service worker
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        timings = []
        for _ in range(3):
            page.goto(f"/inspector/form#{inspection_id}")
            page.wait_for_selector("body[data-ready='1']")
            timings.append(int(page.evaluate("document.body.dataset.readyAt")))
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        usable = sorted(timings)[1]
        rows.append((
            "表单可用时间（CPU 降速 4×，中位数）", f"{usable} ms", f"≤ {USABLE_TARGET_MS} ms",
            "通过" if usable <= USABLE_TARGET_MS else "未达标",
        ))  # fmt: skip

        # 4. flush an outbox of 20 inspections × 4 photos
        fill_to_signing(page)
        context.set_offline(True)
        page.click("#submit")
        page.wait_for_selector("#lock-state[data-state=waiting]")
        page.goto("/inspector/")
        photo_bytes = page.evaluate(MAKE_OUTBOX, [OUTBOX_SIZE, PHOTOS_EACH])
        page.reload()
        page.wait_for_selector(f"#outbox-count:text-is('{OUTBOX_SIZE}')")
        started = time.perf_counter()
        context.set_offline(False)
        page.wait_for_selector("#outbox-count:text-is('0')", timeout=120000)
        flushed = time.perf_counter() - started
        count = server.query("SELECT count(*) AS n FROM inspections")[0]["n"]
        stored = server.query("SELECT count(*) AS n FROM inspection_photos")[0]["n"]
        rows.append((
            f"上传待上传队列（{OUTBOX_SIZE} 份 × {PHOTOS_EACH} 张照片，共 {kb(photo_bytes)}）",
            f"{flushed:.1f} s（服务器收到 {count} 份、{stored} 张）", f"≤ {FLUSH_TARGET_S} s",
            "通过" if flushed <= FLUSH_TARGET_S and count == OUTBOX_SIZE else "未达标",
        ))  # fmt: skip
        browser.close()
        server.httpd.shutdown()

    width = max(len(r[0]) for r in rows)
    print(f"{'指标':<{width}}  {'结果':<28}  {'目标':<12}  结论")
    for name, value, target, verdict in rows:
        print(f"{name:<{width}}  {value:<28}  {target:<12}  {verdict}")
    for name, size in sorted(sizes.items()):
        print(f"  {urlsplit(name).path:<44} {kb(size)}")


if __name__ == "__main__":
    main()
