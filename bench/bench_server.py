"""Benchmark the production server on loopback: `flask serve` (gunicorn + one document worker).

    .venv/bin/python bench/bench_server.py [--workers 4] [--clients 20] [--rounds 3]

On a fresh instance folder under /tmp: 20 phones upload one inspection each (a photo, then
the inspection, built beforehand as a phone's outbox holds them) at the same moment, three
rounds; then the time from the last upload until every uploaded inspection has its signed
report; then reads of the home page, the bureau dashboard and a checklist's JSON at 1, 10
and 20 concurrent clients (p50/p95), after the documents so that rendering does not colour
them. Prints one table with its targets.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from inspect_app.storage.db import open_database  # noqa: E402
from tests import live_server  # noqa: E402

TARGETS = {
    "errors": 0,
    "uploads_per_s": 8.0,
    # Reads at 20 clients; the first two are what a bureau's staff wait on, the last the phone.
    "p95_home": 0.5,
    "p95_dashboard": 1.0,
    "p95_checklist": 0.5,
    # Documents: about a second each, one worker.
    "documents_s_each": 1.5,
}
READS_PER_CLIENT = 10


def upload_rounds(base, instance, clients: int, rounds: int):
    phones = []
    for n in range(clients):
        c = live_server.Client(base)
        c.login(instance.inspectors[n % len(instance.inspectors)])
        phones.append(c)
    checklist = phones[0].checklist()
    errors: list[str] = []
    ids: list[str] = []
    durations = []
    for r in range(rounds):
        barrier = threading.Barrier(clients + 1)

        # Built before the clock starts: a phone's outbox holds them ready, and building them
        # here would take the server's CPU on this shared machine.
        ready = [
            phones[n].prepare_upload(
                instance.school_ids[(n + r) % len(instance.school_ids)], checklist, 1000 * r + n
            )
            for n in range(clients)
        ]

        def phone(n: int, barrier: threading.Barrier = barrier, ready: list = ready) -> None:
            barrier.wait()
            try:
                ids.append(phones[n].send_upload(ready[n])["id"])
            except Exception as exc:  # counted, shown below
                errors.append(repr(exc))

        threads = [threading.Thread(target=phone, args=(n,)) for n in range(clients)]
        for t in threads:
            t.start()
        barrier.wait()
        start = time.perf_counter()
        for t in threads:
            t.join()
        durations.append(time.perf_counter() - start)
    return ids, errors, durations, checklist


def reads(base, path: str, clients: int) -> tuple[float, float, int]:
    sessions = []
    for _ in range(clients):
        c = live_server.Client(base)
        c.login("admin")
        c.get(path)  # warm: this client's first visit
        sessions.append(c)
    times: list[float] = []
    errors = []

    def client(c) -> None:
        for _ in range(READS_PER_CLIENT):
            start = time.perf_counter()
            try:
                c.get(path)
            except Exception as exc:  # counted
                errors.append(exc)
            times.append(time.perf_counter() - start)

    threads = [threading.Thread(target=client, args=(c,)) for c in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], len(errors)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench_server_"))
    instance = live_server.prepare_instance(folder / "instance", inspectors=5, school_count=12)
    server, base = live_server.serve(instance, folder / "serve.log", workers=args.workers)
    rows = []
    try:
        ids, errors, durations, checklist = upload_rounds(base, instance, args.clients, args.rounds)
        uploaded_at = time.perf_counter()
        total = args.clients * args.rounds
        rate = total / sum(durations)
        rows.append(
            ("uploads: errors", f"{len(errors)} of {total}", "0", not errors,
             errors[0][:80] if errors else "")
        )  # fmt: skip
        rows.append(
            (f"uploads: {args.clients} at once × {args.rounds}", f"{rate:.1f}/s",
             f"≥ {TARGETS['uploads_per_s']:.0f}/s", rate >= TARGETS["uploads_per_s"],
             "rounds " + ", ".join(f"{d:.2f} s" for d in durations))
        )  # fmt: skip
        db = open_database(instance.database)
        try:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                issued = db.execute(
                    "SELECT count(DISTINCT subject_id) FROM reports WHERE kind = 'report'"
                ).fetchone()[0]
                if issued >= len(ids):
                    break
                time.sleep(0.2)
            waited = time.perf_counter() - uploaded_at
        finally:
            db.close()
        limit = TARGETS["documents_s_each"] * len(ids)
        rows.append(
            (f"all {len(ids)} reports issued after last upload", f"{waited:.1f} s",
             f"≤ {limit:.0f} s", issued >= len(ids) and waited <= limit,
             f"{issued} issued, {waited / max(1, len(ids)):.2f} s each, one worker")
        )  # fmt: skip
        pages = {
            "home": "/",
            "dashboard": "/bureau/",
            "checklist": f"/api/checklists/{checklist['hash']}",
        }
        for name, path in pages.items():
            for clients in (1, 10, 20):
                p50, p95, failed = reads(base, path, clients)
                target = TARGETS[f"p95_{name}"]
                checked = clients == 20
                rows.append(
                    (f"read {name} ({path[:24]}), {clients} clients",
                     f"{p50 * 1000:.0f} / {p95 * 1000:.0f} ms",
                     f"p95 ≤ {target * 1000:.0f} ms" if checked else "",
                     (p95 <= target and not failed) if checked else True,
                     f"p50 / p95, {failed} errors")
                )  # fmt: skip
    finally:
        code = server.stop()
    log = server.output()
    rows.append(
        ("log: database is locked / tracebacks",
         f"{log.count('database is locked')} / {log.count('Traceback')}", "0 / 0",
         "database is locked" not in log and "Traceback" not in log, f"Ctrl-C exit code {code}")
    )  # fmt: skip
    widths = [max(len(str(r[i])) for r in rows) for i in range(3)]
    print(f"{'measure':<{widths[0]}}  {'value':>{widths[1]}}  {'target':<{widths[2]}}  ok    notes")
    for name, value, target, ok, notes in rows:
        print(
            f"{name:<{widths[0]}}  {value:>{widths[1]}}  {target:<{widths[2]}}  "
            f"{'yes' if ok else 'NO ':<4}  {notes}"
        )
    print(
        f"gunicorn: {args.workers} processes × 4 threads; 1 document worker; {os.cpu_count()} cores"
    )
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
