"""Bureau roll-ups as pure functions over rows: summary, ranking, sections, plan.

The SQL lives in :mod:`inspect_app.storage.analytics`; this module only shapes and counts what
it returns. The dashboard, the exports and the bulletin all call :func:`overview`, so the
numbers they print can never disagree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from operator import itemgetter
from typing import Final

from inspect_app.checklist.formatting import round_half_away
from inspect_app.common.gc_pause import gc_paused
from inspect_app.common.periods import Filters

GRADE_ORDER = ("优秀", "良好", "合格", "不合格")


def percent(earned: float | None, possible: float | None) -> float | None:
    """A section's percentage exactly as the scoring function rounds it."""
    if not possible:
        return None
    return round_half_away((earned or 0) / possible * 100, 1)


def mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return round_half_away(sum(values) / len(values), 1) if values else None


@dataclass
class Overview:
    """Everything the dashboard, exports and bulletin show for one set of filters."""

    filters: Filters
    today: date
    schools: list[dict]
    ranking: list[dict]
    summary: dict
    sections: list[dict] = field(default_factory=list)  # [{id, title}] of the chosen checklist
    section_averages: list[dict] = field(default_factory=list)
    township_sections: list[dict] = field(default_factory=list)
    common_problems: list[dict] = field(default_factory=list)
    overdue_by_school: list[dict] = field(default_factory=list)
    # Overdue items a county department or township fixes, per unit (not the schools').
    overdue_by_unit: list[dict] = field(default_factory=list)


def summary(
    schools: list[dict], latest: list[dict], rectifications: dict, grade_bands: list[str]
) -> dict:
    """Head figures: coverage, average, grades, vetoes and rectification counts."""
    inspected = {row["school_id"] for row in latest}
    grades = Counter(row["grade"] for row in latest if row["grade"])
    order = list(grade_bands) or list(GRADE_ORDER)
    order += [g for g in grades if g not in order]
    return {
        "schools": len(schools),
        "inspected": len(inspected),
        "not_inspected": len(schools) - len(inspected),
        "coverage": round_half_away(len(inspected) / len(schools) * 100, 1) if schools else None,
        "average": mean(row["total"] for row in latest),
        "grades": [{"grade": g, "count": grades.get(g, 0)} for g in order],
        "vetoed": sum(1 for row in latest if row["vetoed"]),
        "findings": sum(row["findings"] or 0 for row in latest),
        "rectifications": {
            "total": rectifications.get("total", 0),
            "open": rectifications.get("open", 0),
            "overdue": rectifications.get("overdue", 0),
            "closed": rectifications.get("closed", 0),
            # Of the overdue: the schools' own items, and those county units fix.
            "overdue_school": rectifications.get("overdue_school", 0),
            "overdue_units": rectifications.get("overdue_units", 0),
        },
    }


class _Missing(Enum):
    """A cache miss, told apart from a cached None (a percent of nothing possible)."""

    MISSING = 0


def section_table(
    section_rows: Iterable, ids: list[str] | None = None
) -> dict[str, dict[str, float | None]]:
    """inspection id → section id → percent, from summed earned/possible rows (dicts, or
    ``(inspection_id, section_id, earned, possible)`` tuples).

    With ``ids`` the rows are ``(position, section_id, earned, possible)`` tuples, as
    :func:`inspect_app.bureau.gathering.gather` reads them: ``ids[position]`` is the
    inspection id (a small integer is cheaper to read than a 36-character id).
    """
    if ids is not None:
        return _section_table_by_position(section_rows, ids)
    out: dict[str, dict[str, float | None]] = {}
    # The same (earned, possible) pairs recur across thousands of schools: round each once.
    cache: dict[tuple, float | None] = {}
    scores: dict[str, float | None] = {}
    last: object = cache  # no inspection id
    missing: Final = _Missing.MISSING
    for row in section_rows:
        if type(row) is tuple:  # (inspection id, section id, earned, possible)
            inspection_id, section_id, earned, possible = row
            pair = (earned, possible)
        else:
            inspection_id, section_id = row["inspection_id"], row["section_id"]
            pair = (row["earned"], row["possible"])
        value = cache.get(pair, missing)
        if value is missing:
            value = cache[pair] = percent(*pair)
        if inspection_id is not last and inspection_id != last:  # rows come grouped by inspection
            scores = out.setdefault(inspection_id, {})
            last = inspection_id
        scores[section_id] = value
    return out


def _section_table_by_position(section_rows: Iterable, ids: list[str]) -> dict:
    """:func:`section_table` of ``(position, section_id, earned, possible)`` rows (a province
    has ~100 000: this loop does only what they need)."""
    out: dict[str, dict[str, float | None]] = {}
    # earned → possible → percent: the same pairs recur across thousands of schools, so each
    # is rounded once (two lookups are cheaper than building a key tuple per row; the keys
    # compare as the tuples did).
    cache: dict[float, dict[float, float | None]] = {}
    scores: dict[str, float | None] = {}
    last = -1  # no position
    missing: Final = _Missing.MISSING
    for position, section_id, earned, possible in section_rows:
        by_possible = cache.get(earned)
        if by_possible is None:
            by_possible = cache[earned] = {}
        value = by_possible.get(possible, missing)
        if value is missing:
            value = by_possible[possible] = percent(earned, possible)
        if position != last:  # rows come grouped by inspection
            last = position
            scores = out.setdefault(ids[position], {})
        scores[section_id] = value
    return out


SORT_KEYS = {
    "total": "得分",
    "change": "变化",
    "name": "学校",
    "township": "乡镇",
    "date": "检查日期",
    "findings": "问题数",
}


def ranking(
    latest: list[dict], sections: dict, sort: str = "total", descending: bool = True
) -> list[dict]:
    """One row per school (its latest inspection), ranked by grade, then score.

    The grade comes first because a veto or a failed critical item caps it whatever the
    score: a 不合格 school with 90 points ranks below every 良好 one (``rank`` is this order
    always, whatever the table is sorted by). Ties share a rank (1, 2, 2, 4); schools
    without a score come last.
    """
    rows = []
    changes: dict[float, float] = {}  # a province's changes take a few hundred values
    for row in latest:
        total, previous = row["total"], row.get("prev_total")
        if total is None or previous is None:
            change = None
        else:
            difference = total - previous
            change = changes.get(difference)
            if change is None:
                change = changes[difference] = round_half_away(difference, 1)
        # A copy: ``latest`` is shared by every overview of the cached rows.
        ranked = row.copy()
        ranked["change"] = change
        ranked["sections"] = sections.get(row["id"], {})
        rows.append(ranked)
    # Best grade first, then highest score; sorted() is stable, so ties stay in row order.
    by_standing = sorted((r for r in rows if r["total"] is not None), key=_standing)
    rank, last = 0, object()
    for n, row in enumerate(by_standing, start=1):
        standing = _standing(row)
        if standing != last:
            rank, last = n, standing
        row["rank"] = rank
    for row in rows:
        if row["total"] is None:
            row["rank"] = None
    return sort_ranking(rows, sort, descending)


def sort_ranking(rows: list[dict], sort: str = "total", descending: bool = True) -> list[dict]:
    """Ranked rows (as :func:`ranking` makes them) in the order a table is sorted by.

    Whatever order ``rows`` come in, the result is the same: ties fall back to school code.
    """
    sort = sort if sort in SORT_KEYS else "total"
    by_code = itemgetter("school_code")
    if sort in ("name", "township", "date"):
        key_name = {"name": "school_code", "township": "township", "date": "date"}[sort]
        rows.sort(key=by_code)
        return sorted(rows, key=lambda r: r[key_name] or "", reverse=descending)
    present = sorted((r for r in rows if r[sort] is not None), key=by_code)
    missing = sorted((r for r in rows if r[sort] is None), key=by_code)
    if sort == "total":  # the ranking itself: grade, then score
        present.sort(key=_standing, reverse=not descending)
    else:
        present.sort(key=itemgetter(sort), reverse=descending)  # stable: ties stay in code order
    return present + missing


_GRADE_RANK = {grade: n for n, grade in enumerate(GRADE_ORDER)}


def _standing(row: dict) -> tuple[int, float]:
    """Sort key, smallest first: the grade's place (unknown grades after 不合格), then score."""
    return _GRADE_RANK.get(row.get("grade") or "", len(GRADE_ORDER)), -(row["total"] or 0)


def _section_values(
    rows: list[dict], sections: list[dict]
) -> tuple[dict[str, list[float]], dict[str, tuple[list, dict[str, list[float]]]]]:
    """Each section's non-empty percentages over ``rows``, in row order, and per township its
    rows' totals and section percentages (also in row order).

    Each scored row's percentages are read once into a tuple in section order; the tuples
    are then turned into columns with ``zip`` (a province has ~100 000 percentages).
    """
    ids = [s["id"] for s in sections]
    townships: dict[str, tuple[list, dict[str, list[float]]]] = {}
    scored: dict[str, list[tuple]] = {}  # township → its scored rows' percentages
    everyone: list[tuple] = []
    for row in rows:
        township = row["township"]
        group = townships.get(township)
        if group is None:
            group = townships[township] = ([], {})
            scored[township] = []
        group[0].append(row["total"])
        scores = row["sections"]
        if scores:
            vector = tuple(map(scores.get, ids))
            everyone.append(vector)
            scored[township].append(vector)

    def columns(vectors: list[tuple]) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {i: [] for i in ids}
        for i, column in zip(ids, zip(*vectors, strict=True), strict=False):
            out[i] = [v for v in column if v is not None]
        return out

    for township, group in townships.items():
        group[1].update(columns(scored[township]))
    return columns(everyone), townships


def _averages(values: dict[str, list[float]], sections: list[dict]) -> list[dict]:
    return [
        {**sec, "average": mean(values[sec["id"]]), "schools": len(values[sec["id"]])}
        for sec in sections
    ]


def _townships(townships: dict, sections: list[dict]) -> list[dict]:
    return [
        {
            "township": township,
            "schools": len(townships[township][0]),
            "average": mean(townships[township][0]),
            "sections": {s["id"]: mean(townships[township][1][s["id"]]) for s in sections},
        }
        for township in sorted(townships)
    ]


def section_averages(ranking_rows: list[dict], sections: list[dict]) -> list[dict]:
    """Average percentage of each section over the ranked schools (the section has to apply)."""
    return _averages(_section_values(ranking_rows, sections)[0], sections)


def township_sections(ranking_rows: list[dict], sections: list[dict]) -> list[dict]:
    """Per township: school count, average total and each section's average percentage."""
    return _townships(_section_values(ranking_rows, sections)[1], sections)


def common_problems(fail_rows: list[dict], labels: dict, limit: int = 10) -> list[dict]:
    """Items most often failed: ``fail_rows`` carry checklist_id, item_id, failed, assessed."""
    out = []
    for row in fail_rows:
        info = labels.get((row["checklist_id"], row["item_id"]), {})
        out.append(
            {
                **row,
                "label": info.get("label", row["item_id"]),
                "section": info.get("section_title", row.get("section_id") or ""),
                "checklist": info.get("checklist_title", row["checklist_id"]),
                "basis": info.get("basis", ""),
                "rate": round_half_away(row["failed"] / row["assessed"] * 100, 1)
                if row["assessed"]
                else None,
            }
        )
    out.sort(key=lambda r: (-r["failed"], -(r["rate"] or 0), r["checklist_id"], r["item_id"]))
    return out[:limit]


def overdue_by_school(rows: list[dict], schools: list[dict] | None = None) -> list[dict]:
    """Overdue rectifications grouped by school, most overdue first.

    Rows may be every overdue rectification, or (from the storage layer) only each school's
    first few carrying ``school_count`` / ``school_oldest`` for the whole school. ``schools``
    (school_id, school_code, school_name, township, count, oldest), when given, lists every
    school with overdue rectifications; ``rows`` then holds none or a few of each school's.
    """
    groups: dict[int, dict] = {}
    for school in schools or ():
        groups[school["school_id"]] = {**school, "rectifications": []}
    for row in rows:
        entry = groups.get(row["school_id"])
        if entry is None:
            entry = groups[row["school_id"]] = {
                "school_id": row["school_id"], "school_name": row["school_name"],
                "school_code": row["school_code"], "township": row["township"], "rectifications": [],
            }  # fmt: skip
        entry["rectifications"].append(row)
    out = list(groups.values())
    if schools is None:
        for entry in out:
            first = entry["rectifications"][0]
            if first.get("school_count") is not None:
                entry["count"] = first["school_count"]
                entry["oldest"] = first["school_oldest"]
            else:
                entry["count"] = len(entry["rectifications"])
                entry["oldest"] = min(r["deadline"] for r in entry["rectifications"])
    out.sort(key=lambda e: (-e["count"], e["oldest"], e["school_code"]))
    return out


# ---------------------------------------------------------------------------
# Supervision plan


def plan_status(planned: int, done: int, start: date, end: date, today: date) -> tuple[str, int]:
    """(status, visits expected by today) for one assignment.

    Visits are expected evenly over the assignment's days; a plan is 滞后 when fewer visits
    are done than the elapsed share calls for, and 未完成 once its period is over.
    """
    if done >= planned:
        return "已完成", planned
    if today > end:
        return "未完成", planned
    if today < start:
        return "未开始", 0
    days = (end - start).days + 1
    elapsed = (today - start).days + 1
    expected = int(planned * elapsed / days)
    return ("滞后" if done < expected else "按计划"), expected


def plan_rows(rows: list[dict], today: date) -> list[dict]:
    out = []
    for row in rows:
        status, expected = plan_status(
            row["planned_visits"],
            row["done"],
            date.fromisoformat(row["period_start"]),
            date.fromisoformat(row["period_end"]),
            today,
        )
        out.append(
            {**row, "status": status, "expected": expected, "behind": status in ("滞后", "未完成")}
        )
    return out


def plan_totals(rows: list[dict]) -> dict:
    planned = sum(r["planned_visits"] for r in rows)
    done = sum(min(r["done"], r["planned_visits"]) for r in rows)
    return {
        "assignments": len(rows),
        "planned": planned,
        "done": done,
        "progress": round_half_away(done / planned * 100, 1) if planned else None,
        "behind": sum(1 for r in rows if r["behind"]),
        "schools_behind": len({r["school_id"] for r in rows if r["behind"]}),
    }


def by_inspector(rows: list[dict]) -> list[dict]:
    groups: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row["inspector_id"]].append(row)
    out = []
    for inspector_id, items in groups.items():
        totals = plan_totals(items)
        out.append(
            {"inspector_id": inspector_id, "inspector_name": items[0]["inspector_name"], **totals}
        )
    out.sort(key=lambda r: r["inspector_name"])
    return out


def days_overdue(deadline: str, today: date) -> int:
    return (today - date.fromisoformat(deadline)).days


def overview(
    rows: dict, filters: Filters, today: date, sort: str = "total", descending: bool = True
) -> Overview:
    """Shape what :func:`inspect_app.bureau.gathering.gather` returned into the figures."""
    with gc_paused():
        compiled = rows.get("compiled")
        grade_bands = [g["grade"] for g in compiled["grades"]] if compiled else list(GRADE_ORDER)
        sections = (
            [{"id": s["id"], "title": s["title"]} for s in compiled["sections"]] if compiled else []
        )
        scores = rows.get("section_scores")
        if scores is None:  # rows read some other way (the benchmark's earlier queries)
            scores = section_table(rows["section_rows"])
        ranked = ranking(rows["latest"], scores, sort, descending)
        values, townships = _section_values(ranked, sections)
        # Only sections some ranked school was scored on make columns.
        sections = [s for s in sections if values[s["id"]]]
        return Overview(
            filters=filters,
            today=today,
            schools=rows["schools"],
            ranking=ranked,
            summary=summary(rows["schools"], rows["latest"], rows["rectifications"], grade_bands),
            sections=sections,
            section_averages=_averages(values, sections),
            township_sections=_townships(townships, sections),
            common_problems=common_problems(
                rows["failed_items"], rows["labels"], len(rows["failed_items"])
            ),
            overdue_by_school=overdue_by_school(rows["overdue"], rows.get("overdue_schools")),
            overdue_by_unit=rows.get("overdue_units", []),
        )


def not_inspected(schools: list[dict], ranking_rows: list[dict]) -> list[dict]:
    inspected = {r["school_id"] for r in ranking_rows}
    return [s for s in schools if s["id"] not in inspected]
