"""Every row a bureau overview needs, read through storage once and kept until the data changes.

The dashboard, the ranking, the exports and the bulletin of the same filters all start here,
so a page and the document issued from it are built from the same rows.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date

from sqlite_utils import Database

from inspect_app.bureau.figures import section_table
from inspect_app.common.gc_pause import gc_paused
from inspect_app.common.periods import DEFAULT_PERIOD, Filters, current_period
from inspect_app.storage import analytics as store


def gather(
    db: Database, f: Filters, today: date, problems: int = 10, overdue_rows: int = 0
) -> dict:
    """Every row the overview needs, for :func:`inspect_app.bureau.figures.overview`.

    The latest inspection per school is computed once and reused by the section sums and the
    failed items. Overdue rectifications arrive as counts per school; ``overdue_rows`` of each
    school's overdue rectifications are read too when asked (the bulletin lists two; the pages
    show only the counts, and reading them for a province costs more than the rest).

    The result is kept in a small in-process cache keyed by the database file, the filters,
    ``today`` and ``bureau_data_version`` (bumped by triggers on every write the overview
    reads, migration 0013), so the dashboard and the ranking of the same filters reuse it
    until the data changes. Callers must not modify the returned rows.
    """
    key = _cache_key(db, f, today, problems, overdue_rows)
    if key is not None:
        with _cache_lock:
            rows = _cache.get(key)
            if rows is not None:
                _cache.move_to_end(key)
                return rows
    rows = gather_uncached(db, f, today, problems, overdue_rows)
    if key is not None:
        with _cache_lock:
            _cache[key] = rows
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return rows


def gather_uncached(
    db: Database, f: Filters, today: date, problems: int = 10, overdue_rows: int = 0
) -> dict:
    """:func:`gather` without the cache (what a cold dashboard load costs)."""
    with gc_paused():
        compiled = store.newest_version(db, f.checklist_id) if f.checklist_id else None
        schools = store.schools_in_scope(db, f)
        latest = store.latest_inspections(db, f)
        fails = store.failed_items(db, f, problems, latest=latest)
        counts, overdue = store.rectifications_by_school(db, f, today)
        by_id = {s["id"]: s for s in schools}
        for entry in overdue:
            school = by_id.get(entry["school_id"])
            if school is None:  # a rectification filed under a school outside the filters
                school = store.school_row(db, entry["school_id"])
            entry.update(school_code=school["code"], school_name=school["name"],
                         township=school["township"])  # fmt: skip
        return {
            "schools": schools,
            "latest": latest,
            # Percentages rather than the ~100 000 summed rows: what every overview of these
            # rows reads, and far fewer objects to keep and to free.
            "section_scores": section_table(
                store.section_tuples(db, latest), [r["id"] for r in latest]
            )
            if compiled
            else {},
            "compiled": compiled,
            "rectifications": counts,
            "overdue_schools": overdue,
            "overdue_units": store.overdue_by_unit(db, f, today),
            "overdue": store.overdue_by_school(db, f, today, overdue_rows) if overdue_rows else [],
            "failed_items": fails,
            "labels": store.item_labels(db, {r["checklist_id"] for r in fails}),
        }


# A province's overview rows take tens of MB: keep only the last few sets of filters.
CACHE_SIZE = 4
_cache: OrderedDict[tuple, dict] = OrderedDict()
_cache_lock = threading.Lock()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def default_filters(db: Database, today: date) -> Filters:
    """The dashboard with nothing chosen: this term, every school, the most used checklist."""
    filters = Filters(period=current_period(DEFAULT_PERIOD, today))
    return filters.with_checklist(store.most_used_checklist(db, filters) or "")


def _cache_key(db: Database, f: Filters, today: date, *args: int) -> tuple | None:
    """None (no caching) for an in-memory database or one without the version counter.

    The file path keeps two databases apart within a process, ``origin`` a file replaced
    by another at the same path, and ``n`` every write since.
    """
    version = store.data_version(db)
    if version is None:
        return None
    path, (origin, n) = version
    return (path, origin, n, f, today, *args)
