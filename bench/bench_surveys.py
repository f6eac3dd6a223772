"""Benchmark the respondent's survey page: its weight on a weak network and the server's times.

    .venv/bin/python bench/bench_surveys.py [--workers 2] [--clients 10] [--answers 300]

On a fresh instance folder under /tmp, `flask serve` (gunicorn) with one parents' survey round:
the bytes a phone downloads for the page (HTML and its two scripts, gzipped as sent), the load
time that implies on Chrome's "Slow 3G" profile (400 kbit/s, 400 ms round trip: the page, then
both scripts in parallel, each on a fresh connection), then the server's times for opening the
page and for taking an answer with ``--clients`` respondents at once (p50 / p95), and that the
database holds exactly the answers sent. Prints one table with its targets.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inspect_app.storage import surveys  # noqa: E402
from inspect_app.storage.db import open_database  # noqa: E402
from tests import live_server  # noqa: E402

TARGETS = {
    # what a phone downloads before it can answer (gzipped)
    "page_kb": 30,
    # "under two minutes" leaves the page a few seconds to appear on a weak network
    "slow3g_s": 3.0,
    "p95_page": 0.2,
    "p95_answer": 0.3,
    # the bureau reading a county round (ranking column, school pages) while answers arrive
    "read_after_answer": 0.05,
    "read_unchanged": 0.02,
}
READ_SCHOOLS = 20
READ_ANSWERS = 50  # per school
SLOW_3G_BYTES_PER_S = 400_000 / 8
SLOW_3G_RTT = 0.4


def fetch(url: str) -> tuple[int, bytes, float]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read()
    return len(body), body, time.perf_counter() - start


def post(url: str, body: dict) -> tuple[int, float]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, time.perf_counter() - start


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def read_rows(instance, schools: int) -> list[tuple]:
    """The bureau's read of a round (surveys/gathering.py) with ``schools`` × 50 answers:
    the first read scores every answer, a read after one new answer re-scores one school."""
    from inspect_app.surveys import gathering

    db = open_database(instance.database)
    try:
        survey = next(
            db.query("SELECT hash FROM survey_versions WHERE survey_id = 'parent_satisfaction'")
        )
        admin = next(db.query("SELECT id FROM users WHERE username = 'admin'"))["id"]
        round_id = surveys.create_round(
            db, survey_id="parent_satisfaction", survey_hash=survey["hash"], title="read",
            school_ids=instance.school_ids[:schools], created_by=admin,
        )  # fmt: skip
        answers = {"overall": "satisfied", "aid_satisfaction": "average", "child_boards": True,
                   "boarding_conditions": "fairly_satisfied", "meal_quality": "unknown"}  # fmt: skip

        def add(school_id: int) -> None:
            surveys.add_response(
                db, response_id=str(uuid.uuid4()), round_id=round_id, school_id=school_id,
                group="parent", device_hash=uuid.uuid4().hex, answers=answers,
                received_on="2026-12-01",
            )  # fmt: skip

        for school_id in instance.school_ids[:schools]:
            for _ in range(READ_ANSWERS):
                add(school_id)
        round_row = surveys.get_round(db, round_id)

        def read() -> float:
            start = time.perf_counter()
            gathering.round_results(db, round_row, 5)
            return time.perf_counter() - start

        first = read()
        add(instance.school_ids[0])
        after = read()
        unchanged = read()
    finally:
        db.close()
    label = f"{schools} schools × {READ_ANSWERS} answers"
    return [
        (f"bureau reads a round ({label}), first", f"{first * 1000:.0f} ms", "", True,
         "every answer scored once (~80 µs each)"),
        ("  … after one new answer", f"{after * 1000:.0f} ms",
         f"≤ {TARGETS['read_after_answer'] * 1000:.0f} ms", after <= TARGETS["read_after_answer"],
         "only that school re-scored"),
        ("  … nothing new", f"{unchanged * 1000:.0f} ms",
         f"≤ {TARGETS['read_unchanged'] * 1000:.0f} ms", unchanged <= TARGETS["read_unchanged"],
         "results reused"),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--answers", type=int, default=300)
    parser.add_argument("--read-schools", type=int, default=READ_SCHOOLS)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-surveys-"))
    instance = live_server.prepare_instance(
        folder / "instance", inspectors=1, school_count=max(2, args.read_schools),
        SURVEY_ADDRESS_LIMIT=args.answers * 2,
    )  # fmt: skip
    db = open_database(instance.database)
    try:
        survey = next(
            db.query("SELECT hash FROM survey_versions WHERE survey_id = 'parent_satisfaction'")
        )
        admin = next(db.query("SELECT id FROM users WHERE username = 'admin'"))["id"]
        round_id = surveys.create_round(
            db, survey_id="parent_satisfaction", survey_hash=survey["hash"], title="bench",
            school_ids=instance.school_ids[:1], created_by=admin,
        )  # fmt: skip
        code = surveys.round_schools(db, round_id)[0]["code"]
    finally:
        db.close()
    server, base = live_server.serve(instance, folder / "serve.log", workers=args.workers)
    rows = []
    try:
        page_url = f"{base}/s/{code}"
        size_html, body, _ = fetch(page_url)
        raw_html = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
        sizes = {"HTML": size_html}
        for script in ("/static/js/survey.js", "/static/js/engine.js"):
            sizes[script.rsplit("/", 1)[1]] = fetch(base + script)[0]
        total = sum(sizes.values())
        rows.append(
            ("page weight, gzipped (HTML + 2 scripts)", f"{total / 1024:.1f} KB",
             f"≤ {TARGETS['page_kb']} KB", total / 1024 <= TARGETS["page_kb"],
             ", ".join(f"{k} {v / 1024:.1f}" for k, v in sizes.items())
             + f"; HTML unzipped {len(raw_html) / 1024:.1f} KB")
        )  # fmt: skip
        # page: connect + request (2 RTT) and its bytes; then both scripts at once on new
        # connections (2 RTT) sharing the link
        slow = 2 * SLOW_3G_RTT + size_html / SLOW_3G_BYTES_PER_S
        slow += 2 * SLOW_3G_RTT + (total - size_html) / SLOW_3G_BYTES_PER_S
        rows.append(
            ("load on Slow 3G (estimate)", f"{slow:.2f} s", f"≤ {TARGETS['slow3g_s']} s",
             slow <= TARGETS["slow3g_s"], "400 kbit/s, 400 ms RTT")
        )  # fmt: skip
        token = json.loads(
            re.search(r'id="survey-data">(.*?)</script>', raw_html.decode()).group(1)
        )["token"]

        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            page_times = list(pool.map(lambda _: fetch(page_url)[2], range(args.clients * 10)))
        rows.append(
            (f"open the page, {args.clients} at once", f"{statistics.median(page_times) * 1000:.0f} / {p95(page_times) * 1000:.0f} ms",
             f"p95 ≤ {TARGETS['p95_page'] * 1000:.0f} ms", p95(page_times) <= TARGETS["p95_page"], "p50 / p95")
        )  # fmt: skip

        def answer(n: int) -> tuple[int, float]:
            return post(page_url, {
                "token": token, "device": f"bench-{n:06d}-{uuid.uuid4().hex[:10]}",
                "id": str(uuid.uuid4()),
                "answers": {"overall": "satisfied", "aid_satisfaction": "average",
                            "meal_quality": "fairly_satisfied", "comment": "希望多开展家长会"},
            })  # fmt: skip

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            results = list(pool.map(answer, range(args.answers)))
        elapsed = time.perf_counter() - started
        times = [t for _, t in results]
        errors = sum(1 for status, _ in results if status != 201)
        rows.append(
            (f"send an answer, {args.clients} at once", f"{statistics.median(times) * 1000:.0f} / {p95(times) * 1000:.0f} ms",
             f"p95 ≤ {TARGETS['p95_answer'] * 1000:.0f} ms", p95(times) <= TARGETS["p95_answer"] and not errors,
             f"p50 / p95; {args.answers / elapsed:.0f} answers/s; {errors} not 201")
        )  # fmt: skip
    finally:
        code_exit = server.stop()
    db = open_database(instance.database)
    try:
        stored = db.table("survey_responses").count
    finally:
        db.close()
    rows.append(
        ("answers in the database", str(stored), f"= {args.answers}", stored == args.answers,
         f"Ctrl-C exit code {code_exit}")
    )  # fmt: skip
    rows += read_rows(instance, args.read_schools)
    widths = [max(len(str(r[i])) for r in rows) for i in range(3)]
    print(f"{'measure':<{widths[0]}}  {'value':>{widths[1]}}  {'target':<{widths[2]}}  ok    notes")
    for name, value, target, ok, notes in rows:
        print(
            f"{name:<{widths[0]}}  {value:>{widths[1]}}  {target:<{widths[2]}}  "
            f"{'yes' if ok else 'NO ':<4}  {notes}"
        )
    print(f"gunicorn: {args.workers} processes; {os.cpu_count()} cores")
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
