"""Benchmark counting overdue items against whoever fixes them (migration 0028) on a province.

    .venv/bin/python bench/bench_unit_overdue.py [--db /tmp/bench_bureau.db] [--share 0.1] [--runs 5]

Starts from bench_bureau.py's province database (generated there when missing: 10 000 schools,
40 000 inspections, ~540 000 rectifications), copies it and gives ``--share`` of the items to
five county units (through the tally triggers), then prints one table, medians of ``--runs``
interleaved runs: the dashboard's rectification walk split by unit, the per-unit overdue
figures, the bulletin's overdue rows per school, one full figure-set computation (what the
worker does after a write), and the upgrade itself (0028's tally rebuild on the copy).
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
from inspect_app.bureau import gathering  # noqa: E402
from inspect_app.common import periods  # noqa: E402
from inspect_app.storage import analytics as store  # noqa: E402
from inspect_app.storage import migrations  # noqa: E402
from inspect_app.storage.db import open_database  # noqa: E402

UNITS = ["县财政局", "县住建局", "县编办", "东镇人民政府", "西乡人民政府"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="/tmp/bench_bureau.db")
    parser.add_argument("--share", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not Path(args.db).exists():
        print(f"生成基准数据库 {args.db} …", flush=True)
        generate(args.db)
    folder = tempfile.mkdtemp(prefix="bench_units_")
    path = str(Path(folder) / "units.db")
    shutil.copy(args.db, path)
    db = open_database(path)
    every = max(1, round(1 / args.share)) if args.share > 0 else 0
    with db.conn:
        for n, name in enumerate(UNITS, 1):
            db.execute(
                "INSERT OR IGNORE INTO units (id, name, kind, created_at) "
                "VALUES (?, ?, 'department', '')",
                [n, name],
            )
        if every:
            db.execute(f"UPDATE rectifications SET unit_id = 1 + id % 5 WHERE id % {every} = 0")
    items = db.execute("SELECT count(*) FROM rectifications").fetchone()[0]
    unit_items = db.execute(
        "SELECT count(*) FROM rectifications WHERE unit_id IS NOT NULL"
    ).fetchone()[0]
    year = periods.Filters(period=periods.year_period(2026))
    f = year.with_checklist(store.most_used_checklist(db, year) or "")
    today = date(2026, 12, 10)
    cases = {
        "整改统计（按学校，区分责任单位）": (
            lambda: store.rectifications_by_school(db, f, today),
            0.5,
        ),
        "逾期事项（按责任单位）": (lambda: store.overdue_by_unit(db, f, today), 0.5),
        "通报逾期清单（每校前 2 项，仅学校负责）": (
            lambda: store.overdue_by_school(db, f, today, 2),
            3.0,
        ),
        "总览数据汇总（后台计算一次）": (lambda: gathering.gather_uncached(db, f, today), 10.0),
    }
    for fn, _ in cases.values():
        fn()  # warm the page cache
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, (fn, _) in cases.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    db.execute("DROP TABLE rectification_escalations")
    start = time.perf_counter()
    with db.conn:
        migrations._unit_overdue(db)
    upgrade = time.perf_counter() - start
    db.close()
    shutil.rmtree(folder)
    print(f"数据量：rectifications {items:,}，其中责任单位负责 {unit_items:,}")
    print(f"CPU {os.cpu_count()} 核，负载 {os.getloadavg()[0]:.1f}；中位数（{args.runs} 次交替）")
    print(f"{'项目':<40}{'实测':>8}{'目标':>8}  结论")
    rows = [(name, statistics.median(times[name]), target) for name, (_, target) in cases.items()]
    rows.append(("升级 0028：重建整改统计表（一次性）", upgrade, 60.0))
    for name, seconds, target in rows:
        print(
            f"{name:<40}{seconds:>8.3f}{target:>8.1f}  {'达标' if seconds <= target else '未达标'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
