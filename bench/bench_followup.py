"""Benchmark the 回头看 reads on a province: what 工作台 asks for on every visit online.

    .venv/bin/python bench/bench_followup.py [--db /tmp/bench_bureau.db] [--runs 5]

Starts from bench_bureau.py's province database (generated there when missing: 10 000 schools,
40 000 inspections, ~540 000 rectifications), copies it, makes each item's reviewer the
inspector who found it and plans 20 schools for one inspector, then prints one table, medians
of ``--runs`` interleaved runs: the inspector's list of schools to go back to (GET
/api/followups), the bureau's (every school with open items), one school's pack for the phone
(GET /api/followups/schools/<id>, the school with the most open items), and the check that a
file belongs to a school's open items.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_bureau import generate  # noqa: E402
from inspect_app.rectification import followups  # noqa: E402
from inspect_app.storage import assignments, schools  # noqa: E402
from inspect_app.storage import followups as store  # noqa: E402
from inspect_app.storage.db import migrate, open_database  # noqa: E402

TODAY = date(2026, 12, 10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="/tmp/bench_bureau.db")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not Path(args.db).exists():
        print(f"生成基准数据库 {args.db} …", flush=True)
        generate(args.db)
    folder = tempfile.mkdtemp(prefix="bench_followup_")
    path = str(Path(folder) / "followup.db")
    shutil.copy(args.db, path)
    migrate(path)  # a database generated before the latest migrations (0029b's index) gets them
    db = open_database(path)
    with db.conn:
        db.execute(
            "UPDATE rectifications SET reviewer_id = "
            "(SELECT inspector_id FROM inspections i WHERE i.id = rectifications.inspection_id)"
        )
    inspector = {"id": 6, "role": "inspector"}
    planned = [s for s in range(1, 10_001) if s % 500 == 3][:20]
    for school_id in planned:
        assignments.assign(db, inspector["id"], school_id, "2026-09-01", "2027-01-31")
    bureau = {"id": 0, "role": "bureau"}
    busiest = db.execute(
        "SELECT school_id FROM rectifications WHERE status != 'closed' "
        "GROUP BY school_id ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()[0]
    school = schools.get(db, busiest)
    assert school is not None
    open_items = db.execute(
        "SELECT count(*) FROM rectifications WHERE status != 'closed'"
    ).fetchone()[0]
    items = db.execute("SELECT count(*) FROM rectifications").fetchone()[0]
    cases = {
        "督学的回头看学校（GET /api/followups）": (
            lambda: followups.schools_for(db, inspector, TODAY),
            0.2,
        ),
        "教育局的回头看学校（全部学校）": (lambda: followups.schools_for(db, bureau, TODAY), 2.0),
        "一所学校的整改事项包（离线带走）": (
            lambda: followups.pack(db, inspector, school, TODAY)["items"],
            0.1,
        ),
        "文件属于该校未销号事项的核对": (
            lambda: store.school_file(db, busiest, "0" * 64),
            0.05,
        ),
    }
    sizes = {name: len(fn() or []) for name, (fn, _) in cases.items()}  # also warms the cache
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, (fn, _) in cases.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    db.close()
    shutil.rmtree(folder)
    print(f"数据量：rectifications {items:,}，未销号 {open_items:,}；督学计划内学校 {len(planned)}")
    print(f"CPU {os.cpu_count()} 核，负载 {os.getloadavg()[0]:.1f}；中位数（{args.runs} 次交替）")
    print(f"{'项目':<36}{'结果数':>8}{'实测':>8}{'目标':>8}  结论")
    for name, (_, target) in cases.items():
        seconds = statistics.median(times[name])
        verdict = "达标" if seconds <= target else "未达标"
        print(f"{name:<36}{sizes[name]:>8}{seconds:>8.3f}{target:>8.2f}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
