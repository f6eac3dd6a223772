"""The bureau's dashboard, ranking and section figures, computed once and read from the database.

A province's overview costs about a second of one core to compute (10 000 schools' latest
inspections, section sums, failed items, rectifications). It is computed by whichever process
needs it first — or by the document worker, which refreshes recently viewed sets after the
data changed — and kept in ``figure_sets`` (storage/figure_sets.py), so every server process
answers from it cold: the dashboard reads a few kilobytes, the ranking one compressed list.

Figures are exact for the data version they were computed at. While a worker is running, a
set computed less than ``stale_seconds`` ago is shown even if data arrived since (the page says
so, and the worker is already recomputing it); otherwise a stale set is recomputed in the
request. Bulletins compute from the data; an export reads a set's schools and ranking only
while the set is current (:func:`current_ranking`), else it computes them too.
"""

from __future__ import annotations

import json
import time
import zlib
from array import array
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlite_utils import Database

from inspect_app.bureau import figures, gathering
from inspect_app.common import periods
from inspect_app.common.clock import now
from inspect_app.storage import analytics, figure_sets

TOP = 5  # best and worst schools on the dashboard
NOT_INSPECTED_SHOWN = 60
OVERDUE_SHOWN = 20
# A viewed set's view is recorded at most this often (a write per page view would queue
# behind every upload).
VIEW_EVERY = timedelta(seconds=60)
# Sets viewed within this long are refreshed by the worker when the data changes.
REFRESH_VIEWED_WITHIN = timedelta(days=2)
# While uploads keep arriving, a set is recomputed at most this often (a province's costs the
# worker about a second of a core each time): the dashboard trails the data by seconds.
REFRESH_AT_MOST_EVERY = timedelta(seconds=10)
FORGET_AFTER = timedelta(days=7)
# While a worker runs, a set computed this recently is shown even if data arrived since (the
# worker refreshes it within seconds; the page says it is being recomputed).
STALE_SECONDS = 120


@dataclass
class Figures:
    """What the dashboard, ranking and section pages show for one set of filters."""

    filters: periods.Filters
    today: date
    summary: dict
    sections: list[dict]
    section_averages: list[dict]
    township_sections: list[dict]
    common_problems: list[dict]
    overdue_by_school: list[dict]  # the first OVERDUE_SHOWN schools
    overdue_schools: int
    not_inspected: list[dict]  # the first NOT_INSPECTED_SHOWN schools
    not_inspected_count: int
    top: list[dict]
    bottom: list[dict]  # the last TOP ranked schools after the first TOP
    ranked: int
    computed_at: str
    version: str
    fresh: bool  # computed at the current data version
    # Overdue items per county unit (a set stored before 0028 has none, and is stale anyway).
    overdue_by_unit: list[dict] = field(default_factory=list)


def key_of(filters: periods.Filters, today: date) -> str:
    """The set's key: the filters as their query string, and the day (overdue depends on it)."""
    return json.dumps([filters.query_args(), today.isoformat()], ensure_ascii=False,
                      sort_keys=True)  # fmt: skip


def filters_of(key: str) -> tuple[periods.Filters, date]:
    """The filters and day a key names (the worker recomputes sets from their keys)."""
    args, day = json.loads(key)
    period = periods.parse_period(args["period"], args["key"], date.fromisoformat(day))
    checklist = args.get("checklist", "all")
    return periods.Filters(
        period=period,
        township_id=args.get("township") or None,
        stage=args.get("stage", ""),
        checklist_id="" if checklist == "all" else checklist,
        type=args.get("type", ""),
    ), date.fromisoformat(day)


def _pack(value) -> bytes:
    return zlib.compress(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), 1)


def _unpack(data: bytes):
    return json.loads(zlib.decompress(data))


def sort_name(sort: str, descending: bool) -> str:
    return f"{sort}:{'desc' if descending else 'asc'}"


def compute(db: Database, filters: periods.Filters, today: date, *, viewed: bool) -> None:
    """Compute the overview of ``filters`` from the data and store it as a set.

    The rows and the data version are read in one read transaction, so the version names
    exactly the data the figures come from. Every order a ranking table can be sorted in is
    computed here too (by :func:`inspect_app.bureau.figures.sort_ranking`, as the live pages
    sorted), so a page of it is 60 rows read by position.
    """
    start = time.perf_counter()
    with figure_sets.reading(db):
        version = figure_sets.current_version(db) or ""
        rows = gathering.gather_uncached(db, filters, today)
    overview = figures.overview(rows, filters, today)
    ranked = overview.ranking
    not_inspected = figures.not_inspected(overview.schools, ranked)
    head = {
        "summary": overview.summary,
        "sections": overview.sections,
        "section_averages": overview.section_averages,
        "township_sections": overview.township_sections,
        "common_problems": overview.common_problems,
        "overdue_by_school": overview.overdue_by_school[:OVERDUE_SHOWN],
        "overdue_schools": len(overview.overdue_by_school),
        "overdue_by_unit": overview.overdue_by_unit,
        "not_inspected": not_inspected[:NOT_INSPECTED_SHOWN],
        "not_inspected_count": len(not_inspected),
        "top": ranked[:TOP],
        "bottom": ranked[TOP:][-TOP:],
        "ranked": len(ranked),
    }
    position = {id(row): n for n, row in enumerate(ranked)}
    orders = {
        sort_name(sort, descending): array(
            "i", [position[id(r)] for r in figures.sort_ranking(list(ranked), sort, descending)]
        )
        for sort in figures.SORT_KEYS
        for descending in (True, False)
    }
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    figure_sets.store(
        db, key_of(filters, today), version=version, head=_pack(head),
        rows=[encode(row) for row in ranked], orders=orders,
        seconds=time.perf_counter() - start, viewed=viewed,
    )  # fmt: skip


@dataclass
class Ranking:
    """What an export shows of an overview: the schools in scope, the ranked ones' rows in
    ranking order and the chosen checklist's sections that make columns."""

    filters: periods.Filters
    today: date
    schools: list[dict]
    ranking: list[dict]
    sections: list[dict]


def current_ranking(db: Database, filters: periods.Filters, today: date) -> Ranking | None:
    """The schools and ranking of the set stored for ``filters`` on ``today`` when it is
    current (computed at the data version there is now), else None; read in one snapshot.

    A set's rows are the ranked rows as JSON, which gives back the same values (numbers,
    text, None, the section percentages); the schools are not in the set (the dashboard
    keeps only the first unvisited), so they are read here, in the same snapshot, which
    costs little beside computing the ranking.
    """
    with figure_sets.reading(db):
        version = figure_sets.current_version(db)
        found = figure_sets.get(db, key_of(filters, today))
        if found is None or version is None or found["version"] != version:
            return None
        head = _unpack(found["head"])
        texts = figure_sets.rows(db, found["id"], list(range(head["ranked"])))
        schools = analytics.schools_in_scope(db, filters)
    ranking = [json.loads(texts[n]) for n in range(head["ranked"])]
    return Ranking(filters, today, schools, ranking, head["sections"])


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _load(db: Database, filters: periods.Filters, today: date, stale_seconds: float, then=None):
    """(stored set, whether current, ``then(stored)`` read in the same snapshot).

    A set is used when it is current, or computed less than ``stale_seconds`` ago; otherwise
    (or when there is none) it is computed first.
    """
    key = key_of(filters, today)
    for attempt in range(2):
        with figure_sets.reading(db):
            version = figure_sets.current_version(db)
            stored = figure_sets.get(db, key)
            usable = stored is not None and (
                attempt == 1  # just computed: a write since then is shown next time
                or stored["version"] == version
                or (now() - _moment(stored["computed_at"])).total_seconds() <= stale_seconds
            )
            if stored is not None and usable:
                extra = then(stored) if then else None
                fresh = stored["version"] == version
        if stored is not None and usable:
            if not stored["viewed_at"] or now() - _moment(stored["viewed_at"]) > VIEW_EVERY:
                figure_sets.viewed(db, stored["id"])
            return stored, fresh, extra
        compute(db, filters, today, viewed=True)
    raise RuntimeError("figure set vanished while being read")  # forget_before raced us


def _figures(filters, today, stored: dict, fresh: bool) -> Figures:
    return Figures(filters=filters, today=today, computed_at=stored["computed_at"],
                   version=stored["version"], fresh=fresh, **_unpack(stored["head"]))  # fmt: skip


def dashboard(
    db: Database, filters: periods.Filters, today: date, *, stale_seconds: float = 0
) -> Figures:
    """The dashboard's figures (no per-school rows beyond the best and worst few)."""
    stored, fresh, _ = _load(db, filters, today, stale_seconds)
    return _figures(filters, today, stored, fresh)


def ranking_page(
    db: Database, filters: periods.Filters, today: date, *, sort: str = "total",
    descending: bool = True, page: int = 1, per_page: int = 60, stale_seconds: float = 0,
) -> tuple[Figures, list[dict], int, int]:  # fmt: skip
    """(figures, the ranked rows of ``page`` in ``sort`` order, that page, number of pages);
    a page past the last is the last."""
    sort = sort if sort in figures.SORT_KEYS else "total"

    def read(stored: dict) -> tuple[list[dict], int, int]:
        positions = figure_sets.order(db, stored["id"], sort_name(sort, descending))
        if positions is None:  # stored with every order; a set without one has no rows
            positions = array("i")
        pages = max(1, -(-len(positions) // per_page))
        shown = min(max(1, page), pages)
        wanted = list(positions[(shown - 1) * per_page : shown * per_page])
        texts = figure_sets.rows(db, stored["id"], wanted)
        return [json.loads(texts[n]) for n in wanted], shown, pages

    stored, fresh, (rows, shown, pages) = _load(db, filters, today, stale_seconds, read)
    return _figures(filters, today, stored, fresh), rows, shown, pages


def refresh_stale(db: Database, today: date, limit: int = 5) -> int:
    """Recompute sets viewed lately whose data changed (the worker calls this when idle);
    returns how many were recomputed. Old unviewed sets are dropped."""
    version = figure_sets.current_version(db)
    if version is None:
        return 0
    done = 0
    moment = now()
    for stored in figure_sets.stale_viewed(
        db, version, moment - REFRESH_VIEWED_WITHIN, moment - REFRESH_AT_MOST_EVERY, limit
    ):
        filters, day = filters_of(stored["key"])
        if day != today:  # yesterday's set: the next view computes today's
            continue
        compute(db, filters, today, viewed=False)
        done += 1
    if done:
        figure_sets.forget_before(db, now() - FORGET_AFTER)
    return done
