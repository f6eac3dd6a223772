"""The supervision plan (督导计划): which inspector looks after which school, when."""

from __future__ import annotations

from datetime import date

from sqlite_utils import Database

from inspect_app.common.clock import stamp
from inspect_app.storage import inserted_id


def school_ids_for(db: Database, inspector_id: int, on: date | None = None) -> set[int]:
    day = (on or date.today()).isoformat()
    rows = db.query(
        "SELECT school_id FROM assignments WHERE inspector_id = ? AND period_start <= ? AND period_end >= ?",
        [inspector_id, day, day],
    )
    return {r["school_id"] for r in rows}


def assign(
    db: Database,
    inspector_id: int,
    school_id: int,
    start: str,
    end: str,
    planned_visits: int = 2,
    by: int | None = None,
) -> int:
    existing = next(
        db.query(
            "SELECT id FROM assignments WHERE inspector_id = ? AND school_id = ? AND period_start = ? AND period_end = ?",
            [inspector_id, school_id, start, end],
        ),
        None,
    )
    if existing:
        db.table("assignments").update(existing["id"], {"planned_visits": planned_visits})
        return existing["id"]
    return inserted_id(
        db.table("assignments").insert(
            {"inspector_id": inspector_id, "school_id": school_id, "period_start": start, "period_end": end,
             "planned_visits": planned_visits, "created_by": by, "created_at": stamp()}
        )
    )  # fmt: skip


def remove(db: Database, assignment_id: int) -> bool:
    """Delete one assignment; False when there was none."""
    if next(db.query("SELECT 1 FROM assignments WHERE id = ?", [assignment_id]), None) is None:
        return False
    db.execute("DELETE FROM assignments WHERE id = ?", [assignment_id])
    return True


def progress(
    db: Database, start: str, end: str, *, township_id: int | None = None, stage: str = ""
) -> list[dict]:
    """Assignments overlapping [start, end] with the visits done by the period's end.

    A visit is a valid inspection by the assigned inspector at that school dated within the
    assignment and no later than ``end``: the plan as it stood at the end of the period viewed,
    so a term-long assignment reads the same in its term and in its current month (counting
    only the month's visits against the whole term's planned ones made it look behind).
    """
    where = ["a.period_start <= ?", "a.period_end >= ?"]
    params: list[object] = [end, start]
    if township_id:
        where.append("s.township_id = ?")
        params.append(township_id)
    if stage:
        where.append("s.stage = ?")
        params.append(stage)
    sql = f"""
        SELECT a.id, a.inspector_id, a.school_id, a.period_start, a.period_end, a.planned_visits,
               u.display_name AS inspector_name, s.code AS school_code, s.name AS school_name,
               s.stage, t.name AS township,
               (SELECT COUNT(*) FROM inspections i
                WHERE i.school_id = a.school_id AND i.inspector_id = a.inspector_id
                  AND i.status = 'valid'
                  AND i.date BETWEEN a.period_start AND MIN(a.period_end, ?)) AS done,
               (SELECT MAX(i.date) FROM inspections i
                WHERE i.school_id = a.school_id AND i.inspector_id = a.inspector_id
                  AND i.status = 'valid'
                  AND i.date BETWEEN a.period_start AND MIN(a.period_end, ?)) AS last_visit
        FROM assignments a
        JOIN users u ON u.id = a.inspector_id
        JOIN schools s ON s.id = a.school_id
        JOIN regions t ON t.id = s.township_id
        WHERE {" AND ".join(where)}
        ORDER BY u.display_name, t.name, s.code"""
    return list(db.query(sql, [end, end, *params]))


def unassigned_schools(
    db: Database, start: str, end: str, *, township_id: int | None = None, stage: str = ""
) -> list[dict]:
    """Schools with no assignment overlapping the period."""
    where: list[str] = []
    params: list[object] = []
    if township_id:
        where.append("s.township_id = ?")
        params.append(township_id)
    if stage:
        where.append("s.stage = ?")
        params.append(stage)
    extra = (" AND " + " AND ".join(where)) if where else ""
    return list(
        db.query(
            f"""SELECT s.id, s.code, s.name, s.stage, t.name AS township FROM schools s
                JOIN regions t ON t.id = s.township_id
                WHERE NOT EXISTS (SELECT 1 FROM assignments a WHERE a.school_id = s.id
                                  AND a.period_start <= ? AND a.period_end >= ?){extra}
                ORDER BY t.name, s.code""",
            [end, start, *params],
        )
    )


def routine_visits(
    db: Database,
    checklist_id: str,
    start: str,
    end: str,
    *,
    township_id: int | None = None,
    stage: str = "",
) -> list[dict]:
    """Every school with its valid routine visits (挂牌督导: inspections with `checklist_id`)
    dated in [start, end], by any inspector: the count, the latest date, and the inspectors
    the plan gives it in that period (names joined by 、)."""
    where: list[str] = []
    params: list[object] = []
    if township_id:
        where.append("s.township_id = ?")
        params.append(township_id)
    if stage:
        where.append("s.stage = ?")
        params.append(stage)
    extra = ("WHERE " + " AND ".join(where)) if where else ""
    visits = """FROM inspections i WHERE i.school_id = s.id AND i.checklist_id = ?
                  AND i.status = 'valid' AND i.date BETWEEN ? AND ?"""
    return list(
        db.query(
            f"""SELECT s.id, s.code, s.name, s.stage, t.name AS township,
                   (SELECT COUNT(*) {visits}) AS visits,
                   (SELECT MAX(i.date) {visits}) AS last_visit,
                   (SELECT group_concat(name, '、') FROM (
                      SELECT DISTINCT u.display_name AS name FROM assignments a
                      JOIN users u ON u.id = a.inspector_id
                      WHERE a.school_id = s.id AND a.period_start <= ? AND a.period_end >= ?
                      ORDER BY u.display_name)) AS inspectors
                FROM schools s JOIN regions t ON t.id = s.township_id
                {extra}
                ORDER BY t.name, s.code""",
            [checklist_id, start, end, checklist_id, start, end, end, start, *params],
        )
    )
