"""Benchmark the checklist core: load+validate every shipped checklist, and scores per second.

    .venv/bin/python bench/bench_checklists.py [--sets 10000] [--dir checklists]

Targets: loading and validating all of checklists/*.yaml in ≤ 100 ms; scoring random answer
sets on the biggest checklist at ≥ 5 000 per second on one core. Times are CPU time of this
process (time.process_time), so other work on a shared machine distorts them less; the load
time is the best of five runs, the scoring rate the median of --repeat runs over the same
answer sets (after one warm-up run, as a server that has scored before). Other processes on
a shared machine still slow a CPU-bound loop (caches, frequency), so the load average before
and after is printed beside the result.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inspect_app.checklist import Checklist, load_directory, score  # noqa: E402
from inspect_app.checklist.expressions import STAGES  # noqa: E402

LOAD_TARGET_MS = 100.0
SCORE_TARGET_PER_S = 5000.0


def random_responses(rng: random.Random, checklist: Checklist) -> dict:
    answers: dict = {}
    for item in checklist.items.values():
        t = item["type"]
        if t in ("computed", "note", "photo") or rng.random() < 0.1:
            continue
        if t == "yesno":
            answers[item["id"]] = rng.random() < 0.7
        elif t == "choice":
            answers[item["id"]] = rng.choice(item["choices"])["value"]
        elif t == "multi":
            answers[item["id"]] = [c["value"] for c in item["choices"] if rng.random() < 0.5]
        elif t == "integer":
            answers[item["id"]] = rng.choice([0, 1, 3, 8, 12, 40, 120, 600])
        elif t == "decimal":
            answers[item["id"]] = round(rng.uniform(0, 200), 1)
        elif t == "date":
            answers[item["id"]] = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        else:
            answers[item["id"]] = "见附件"
    na = [i["id"] for i in checklist.items.values() if i["na_allowed"] and rng.random() < 0.1]
    photos = {i: 1 for i in checklist.items if rng.random() < 0.5}
    return {"answers": answers, "na": na, "photos": photos}


def random_school(rng: random.Random) -> dict:
    return {
        "code": "3301001",
        "name": "测试学校",
        "stage": rng.choice(STAGES),
        "boarding": rng.random() < 0.5,
        "township_central": rng.random() < 0.5,
        "poverty_village": rng.random() < 0.3,
        "enrolment": rng.choice([40, 300, 900, 2400]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=str(Path(__file__).resolve().parent.parent / "checklists"))
    parser.add_argument("--sets", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed scoring runs (median)")
    args = parser.parse_args()
    load_before = os.getloadavg()

    load_runs = []
    for _ in range(5):
        start = time.process_time()
        loaded = load_directory(args.dir)
        load_runs.append((time.process_time() - start) * 1000)
    load_ms = min(load_runs)

    biggest = max(loaded.values(), key=lambda c: len(c.items))
    rng = random.Random(20260401)
    cases = [(random_school(rng), random_responses(rng, biggest)) for _ in range(args.sets)]
    rates = []
    for run in range(args.repeat + 1):
        start = time.process_time()
        for school, responses in cases:
            score(biggest, school, responses)
        if run:  # the first run warms what scoring remembers per checklist
            rates.append(args.sets / (time.process_time() - start))
    per_second = statistics.median(rates)
    load_after = os.getloadavg()

    rows = [
        ("measure", "result", "target", "ok"),
        (
            f"load+validate {len(loaded)} checklists ({sum(len(c.items) for c in loaded.values())} items)",
            f"{load_ms:.1f} ms",
            f"≤ {LOAD_TARGET_MS:.0f} ms",
            "yes" if load_ms <= LOAD_TARGET_MS else "NO",
        ),
        (
            f"score {args.sets} random answer sets on {biggest.id} ({len(biggest.items)} items)",
            f"{per_second:,.0f} /s (median of {len(rates)}, {min(rates):,.0f}–{max(rates):,.0f})",
            f"≥ {SCORE_TARGET_PER_S:,.0f} /s",
            "yes" if per_second >= SCORE_TARGET_PER_S else "NO",
        ),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    cores = os.cpu_count()
    print(
        f"load average (1/5/15 min) before {' '.join(f'{x:.2f}' for x in load_before)}, "
        f"after {' '.join(f'{x:.2f}' for x in load_after)}; {cores} cores"
    )


if __name__ == "__main__":
    main()
