"""Per-test CPU, for the suite-speed work: ``INSPECT_TEST_CPU=<folder> pytest ...`` writes one
line per test (seconds of CPU, wall, the test's id) to ``<folder>/<worker>.tsv``.

CPU counts the pytest process, the children it reaped (a `flask serve` and the gunicorn
workers it reaped) and every descendant still running (chromium and its renderers, the
Playwright driver, a server a fixture keeps), read from /proc before and after the test's
setup, call and teardown: a session-scoped browser's work is charged to the test that made it
work. Off unless the variable is set.

A rough guide, not an account: a descendant whose parent exits before it (a killed server's
children, adopted by init) takes its CPU out of the tree, so a test can even show a negative
figure; `/usr/bin/time` around the whole run is the total to trust.
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _descendants_cpu(root: int) -> float:
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        pid = int(entry)
        parents[pid] = int(fields[1])
        # utime, stime, and the reaped children's cutime, cstime
        cpu[pid] = sum(int(v) for v in fields[11:15]) / _TICK
    total = 0.0
    for pid in cpu:
        p = parents.get(pid)
        while p and p != root:
            p = parents.get(p)
        if p == root and pid != root:
            total += cpu[pid]
    return total


def cpu_now() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (
        own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
        + _descendants_cpu(os.getpid())
    )  # fmt: skip


def record(folder: str, nodeid: str, cpu: float, wall: float) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    path = Path(folder) / f"{worker}.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        f.write(f"{cpu:.2f}\t{wall:.2f}\t{nodeid}\n")


def clock() -> tuple[float, float]:
    return cpu_now(), time.monotonic()
