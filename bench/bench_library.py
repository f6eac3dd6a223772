"""Benchmark the checklist library: workbooks both ways, and what the library adds per request.

    .venv/bin/python bench/bench_library.py

Measured on the biggest shipped checklist (CPU time of this process, best of five):
- writing it as a workbook (a download) and checking a workbook (an upload) — targets ≤ 1.5 s
  and ≤ 1.5 s, so an upload answers within a clerk's patience on a small server;
- `catalog.current()` — the database read every /api/bootstrap now makes instead of using a
  list loaded at start-up — target ≤ 2000 µs; `catalog.surveys()`, the same read for the
  survey library (the round-opening page) — target ≤ 2000 µs;
- the phone preview's framed page (the biggest checklist compiled into the page, a school's
  facts) — target ≤ 300 ms;
- a whole upload → check → publish through the app (test client, wall time) — target ≤ 3 s.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from inspect_app import create_app  # noqa: E402
from inspect_app.checklist import load_directory  # noqa: E402
from inspect_app.checklist import workbook as wb  # noqa: E402


def best(fn, runs: int = 5) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.process_time()
        result = fn()
        times.append(time.process_time() - start)
    return min(times), result


def main() -> None:
    loaded = load_directory(ROOT / "checklists")
    biggest = max(loaded.values(), key=lambda c: len(c.items))
    doc = yaml.safe_load(Path(biggest.path or "").read_text(encoding="utf-8"))
    write_s, data = best(lambda: wb.to_workbook(doc))
    check_s, (checklist, errors) = best(lambda: wb.check_workbook(data))  # type: ignore[misc]
    assert not errors and checklist is not None and checklist.hash == biggest.hash

    rows = [
        ("workbook written (download)", write_s * 1000, 1500.0, "ms"),
        ("workbook checked (upload)", check_s * 1000, 1500.0, "ms"),
    ]
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"TESTING": True, "INSTANCE_PATH": folder, "SECRET_KEY": "bench",
                          "WTF_CSRF_ENABLED": False, "ARGON2_TIME_COST": 1,
                          "ARGON2_MEMORY_COST": 8192})  # fmt: skip
        from inspect_app.directory.passwords import hash_password
        from inspect_app.inspections import catalog
        from inspect_app.storage import users
        from inspect_app.storage.db import open_database

        db = open_database(app.config["DATABASE"])
        users.create(db, username="clerk", display_name="文员", role="bureau",
                     password_hash=hash_password("correct-horse-1", app.config))  # fmt: skip
        from inspect_app.storage import schools

        county = schools.county_id(db, "青山县")
        schools.import_records(db, [{"code": "B001", "name": "青山县第一中学", "township": "城关镇",
                                     "stage": "初中", "boarding": True, "enrolment": 800}],
                               county)  # fmt: skip
        with app.app_context():
            catalog.current()  # warm the version cache, as a running process has it
            n = 500
            start = time.process_time()
            for _ in range(n):
                catalog.current()
            rows.append(("catalog.current() per request", (time.process_time() - start) / n * 1e6,
                         2000.0, "µs"))  # fmt: skip
            catalog.surveys()
            start = time.process_time()
            for _ in range(n):
                catalog.surveys()
            rows.append(("catalog.surveys() per request", (time.process_time() - start) / n * 1e6,
                         2000.0, "µs"))  # fmt: skip
        client = app.test_client()
        client.post("/login", data={"username": "clerk", "password": "correct-horse-1"})
        doc["version"] = "bench"
        upload = wb.to_workbook(doc)
        start = time.perf_counter()
        import io

        response = client.post("/library/upload", data={"file": (io.BytesIO(upload), "b.xlsx")},
                               content_type="multipart/form-data")  # fmt: skip
        location = response.headers["Location"]
        assert "/library/uploads/" in location, location
        assert client.get(location).status_code == 200
        phone_s = []
        for _ in range(5):
            start_phone = time.perf_counter()
            assert client.get(location + "/phone").status_code == 200
            phone_s.append(time.perf_counter() - start_phone)
        start += sum(phone_s)  # not part of the publication's own time
        published = client.post(location + "/publish")
        elapsed = time.perf_counter() - start
        assert "/library/checklists/" in published.headers["Location"]
        rows.append(("upload + check + page + publish", elapsed * 1000, 3000.0, "ms"))
        rows.append(("preview frame page (best of 5)", min(phone_s) * 1000, 300.0, "ms"))
        db.close()

    print(f"biggest checklist: {biggest.id} ({len(biggest.items)} items)")
    print(f"{'step':34} {'measured':>10} {'target':>10}  ok")
    for name, value, target, unit in rows:
        ok = "yes" if value <= target else "NO"
        print(f"{name:34} {value:9.1f}{unit:>2} {target:9.0f}{unit:>2}  {ok}")


if __name__ == "__main__":
    main()
