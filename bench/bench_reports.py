"""Benchmark the document layer: render + sign an inspection report, warm.

    .venv/bin/python bench/bench_reports.py [--runs 7]

Prints one table: median wall time for a 60-item report with 4 photos (render + PAdES
signature with visible stamp), its PDF size, the peak RSS of a fresh process doing that
work, and the median for a 150-item report. "Warm" means one untimed run first (fontconfig,
Pango, the Jinja templates and the stamp font are loaded once per process).
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

from tests.sample_report import sample_context  # noqa: E402

from inspect_app.documents.render import render_report  # noqa: E402
from inspect_app.documents.signing import init_keys, load_signer, sign_pdf  # noqa: E402

TARGETS = {"median_60": 1.0, "size_60_kb": 600, "peak_rss_mb": 300, "median_150": 2.5}


def render_and_sign(context, photos, signer) -> bytes:
    pdf = render_report(context, photo_loader=photos.__getitem__)
    return sign_pdf(pdf, signer, reason="督导检查报告签发", location="青川县")


def timed(n_items: int, runs: int, signer) -> tuple[float, list[float], float, bytes]:
    """Median wall time, all wall times, median CPU time (process_time) and the last PDF.

    CPU time is reported too because the bench often shares the machine with CI: wall time
    then includes waiting for a core, CPU time mostly does not.
    """
    context, photos = sample_context(n_items, 4)
    render_and_sign(context, photos, signer)  # warm-up
    times, cpu, pdf = [], [], b""
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        pdf = render_and_sign(context, photos, signer)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(times), times, statistics.median(cpu), pdf


def child(keys_dir: str) -> None:
    """One fresh process: render + sign the 60-item report twice, report peak RSS."""
    keys = init_keys(keys_dir)
    signer = load_signer(keys["key"], keys["cert"], keys["ca_cert"])
    context, photos = sample_context(60, 4)
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
        median_60, times_60, cpu_60, pdf_60 = timed(60, args.runs, signer)
        median_150, times_150, cpu_150, pdf_150 = timed(150, max(3, args.runs // 2), signer)
        proc = subprocess.run(
            [sys.executable, __file__, "--child", keys_dir],
            capture_output=True,
            text=True,
            check=True,
        )
        peak = json.loads(proc.stdout.strip().splitlines()[-1])["peak_rss_mb"]

    rows = [
        (
            "render+sign 60 items, 4 photos (median)",
            f"{median_60:.3f} s",
            f"≤ {TARGETS['median_60']} s",
            median_60 <= TARGETS["median_60"],
            f"cpu {cpu_60:.3f} s, min {min(times_60):.3f} max {max(times_60):.3f}, n={len(times_60)}",
        ),
        (
            "signed PDF size, 60 items",
            f"{len(pdf_60) / 1024:.0f} KB",
            f"≤ {TARGETS['size_60_kb']} KB",
            len(pdf_60) / 1024 <= TARGETS["size_60_kb"],
            "",
        ),
        (
            "peak RSS of the render process",
            f"{peak:.0f} MB",
            f"≤ {TARGETS['peak_rss_mb']} MB",
            peak <= TARGETS["peak_rss_mb"],
            "fresh process, ru_maxrss",
        ),
        (
            "render+sign 150 items, 4 photos (median)",
            f"{median_150:.3f} s",
            f"≤ {TARGETS['median_150']} s",
            median_150 <= TARGETS["median_150"],
            f"cpu {cpu_150:.3f} s, n={len(times_150)}, {len(pdf_150) / 1024:.0f} KB",
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
