"""The bureau's 逾期升级督办记录 on a province: a copy of bench_bureau's database, every item
overdue on 2026-12-10 escalated that day (a province's first daily run, as 0028's record holds
it), 10 % of the items given to county units; the page's count and rows for a month and a year,
filtered by unit and reason, the last page, and one page's notice look-ups.

    .venv/bin/python bench/bench_escalation_log.py [--db /tmp/bench_bureau.db] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_bureau import generate  # noqa: E402
from inspect_app.storage import escalation_log  # noqa: E402
from inspect_app.storage.db import migrate, open_database  # noqa: E402

DAY = "2026-12-10"
PAGE = 50


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="/tmp/bench_bureau.db")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not Path(args.db).exists():
        print(f"生成基准数据库 {args.db} …", flush=True)
        generate(args.db)
    folder = tempfile.mkdtemp(prefix="bench_escalations_")
    path = str(Path(folder) / "esc.db")
    shutil.copy(args.db, path)
    migrate(path)  # a benchmark file from before gets the newer migrations (0034's index)
    db = open_database(path)
    with db.conn:
        for n in range(1, 6):
            db.execute(
                "INSERT OR IGNORE INTO units (id, name, kind, created_at) "
                "VALUES (?, ?, 'department', '')",
                [n, f"县直部门{n}"],
            )
        db.execute("UPDATE rectifications SET unit_id = 1 + id % 5 WHERE id % 10 = 0")
        db.execute("DELETE FROM rectification_escalations")
        db.execute(
            """INSERT INTO rectification_escalations
                 (rectification_id, key, reason, deadline, days_overdue, school_id, unit_id,
                  day, at)
               SELECT id, 'overdue:' || deadline, 'overdue', deadline,
                      CAST(julianday(?) - julianday(deadline) AS INTEGER), school_id, unit_id,
                      ?, ? || 'T00:30:00Z'
               FROM rectifications WHERE status != 'closed' AND deadline < ?""",
            [DAY, DAY, DAY, DAY],
        )
    escalations = db.execute("SELECT count(*) FROM rectification_escalations").fetchone()[0]
    month, year = ("2026-12-01", "2026-12-31"), ("2026-01-01", "2026-12-31")
    last = max(0, (escalation_log.count(db, *year) - 1) // PAGE * PAGE)
    cases = {
        "本月升级记录：总数": (lambda: escalation_log.count(db, *month), 0.5),
        "本月升级记录：第 1 页": (lambda: escalation_log.page(db, *month, limit=PAGE), 0.3),
        "全年：总数": (lambda: escalation_log.count(db, *year), 0.5),
        "全年：最后一页": (
            lambda: escalation_log.page(db, *year, limit=PAGE, offset=last),
            1.0,
        ),
        "某县直部门：总数 + 第 1 页": (
            lambda: (
                escalation_log.count(db, *month, 3),
                escalation_log.page(db, *month, 3, limit=PAGE),
            ),
            0.5,
        ),
        "学校自身 + 屡查屡犯：总数 + 第 1 页": (
            lambda: (
                escalation_log.count(db, *month, 0, "repeat"),
                escalation_log.page(db, *month, 0, "repeat", limit=PAGE),
            ),
            0.5,
        ),
        "本月按责任方汇总": (lambda: escalation_log.by_unit(db, *month), 0.5),
        "一页 50 条的通知记录": (
            lambda: [
                escalation_log.messages(db, row)
                for row in escalation_log.page(db, *month, limit=PAGE)
            ],
            0.3,
        ),
    }
    for fn, _ in cases.values():
        fn()  # warm the page cache
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, (fn, _) in cases.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    db.close()
    shutil.rmtree(folder)
    print(f"升级记录 {escalations:,} 条（{DAY} 一天）")
    print(f"CPU {os.cpu_count()} 核，负载 {os.getloadavg()[0]:.1f}；中位数（{args.runs} 次交替）")
    print(f"{'项目':<36}{'实测':>8}{'目标':>8}  结论")
    for name, (_, target) in cases.items():
        seconds = statistics.median(times[name])
        print(
            f"{name:<36}{seconds:>8.3f}{target:>8.1f}  {'达标' if seconds <= target else '未达标'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
