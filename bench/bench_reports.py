"""Benchmark the document layer: render + sign an inspection report, warm.

    .venv/bin/python bench/bench_reports.py [--runs 7]

Prints one table: median wall time for the report of tests/sample_report.py (every item of
the shipped 扶贫综合督导 checklist, scored by the real engine, with its findings and 4
photos: render + PAdES signature with visible stamp), its PDF size, and the peak RSS of a
fresh process doing that work. "Warm" means one untimed run first (fontconfig, Pango, the
Jinja templates and the stamp font are loaded once per process).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inspect_app.documents.render import render_report  # noqa: E402
from inspect_app.documents.signing import init_keys, load_signer, sign_pdf  # noqa: E402
from tests.sample_report import sample_context  # noqa: E402

# The report's target is the old 60-item target (1.0 s) and 150-item target (2.5 s)
# interpolated to its number of items.
TARGETS = {"median": 1.4, "size_kb": 600, "peak_rss_mb": 300}


def render_and_sign(context, photos, signer) -> bytes:
    pdf = render_report(context, photo_loader=photos.__getitem__)
    return sign_pdf(pdf, signer, reason="督导检查报告签发", location="青川县")


def timed(runs: int, signer) -> tuple[float, list[float], float, bytes, int]:
    """Median wall time, all wall times, median CPU time (process_time), the last PDF and
    the report's number of items.

    CPU time is reported too because the bench often shares the machine with CI: wall time
    then includes waiting for a core, CPU time mostly does not.
    """
    context, photos = sample_context(4)
    render_and_sign(context, photos, signer)  # warm-up
    times, cpu, pdf = [], [], b""
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        pdf = render_and_sign(context, photos, signer)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    items = len(context["result"]["items"])
    return statistics.median(times), times, statistics.median(cpu), pdf, items


def child(keys_dir: str) -> None:
    """One fresh process: render + sign the report twice, report peak RSS."""
    keys = init_keys(keys_dir)
    signer = load_signer(keys["key"], keys["cert"], keys["ca_cert"])
    context, photos = sample_context(4)
    for _ in range(2):
        render_and_sign(context, photos, signer)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(json.dumps({"peak_rss_mb": peak_kb / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child", metavar="KEYS_DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return

    with tempfile.TemporaryDirectory() as keys_dir:
        keys = init_keys(keys_dir, organization="青川县教育局")
        signer = load_signer(keys["key"], keys["cert"], keys["ca_cert"])
        median, times, cpu, pdf, items = timed(args.runs, signer)
        proc = subprocess.run(
            [sys.executable, __file__, "--child", keys_dir],
            capture_output=True,
            text=True,
            check=True,
        )
        peak = json.loads(proc.stdout.strip().splitlines()[-1])["peak_rss_mb"]

    rows = [
        (
            f"render+sign {items} items, 4 photos (median)",
            f"{median:.3f} s",
            f"≤ {TARGETS['median']} s",
            median <= TARGETS["median"],
            f"cpu {cpu:.3f} s, min {min(times):.3f} max {max(times):.3f}, n={len(times)}",
        ),
        (
            f"signed PDF size, {items} items",
            f"{len(pdf) / 1024:.0f} KB",
            f"≤ {TARGETS['size_kb']} KB",
            len(pdf) / 1024 <= TARGETS["size_kb"],
            "",
        ),
        (
            "peak RSS of the render process",
            f"{peak:.0f} MB",
            f"≤ {TARGETS['peak_rss_mb']} MB",
            peak <= TARGETS["peak_rss_mb"],
            "fresh process, ru_maxrss",
        ),
    ]
    widths = [max(len(str(r[i])) for r in rows) for i in range(3)]
    header = ("measure", "value", "target")
    widths = [max(w, len(h)) for w, h in zip(widths, header, strict=True)]
    print(
        f"{header[0]:<{widths[0]}}  {header[1]:>{widths[1]}}  {header[2]:<{widths[2]}}  ok    notes"
    )
    for name, value, target, ok, notes in rows:
        print(
            f"{name:<{widths[0]}}  {value:>{widths[1]}}  {target:<{widths[2]}}  "
            f"{'yes' if ok else 'NO ':<4}  {notes}"
        )
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
