"""The supervision plan (督导计划): which inspector looks after which school, when."""

from __future__ import annotations

from datetime import date

from sqlite_utils import Database

from .clock import stamp


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
        db["assignments"].update(existing["id"], {"planned_visits": planned_visits})
        return existing["id"]
    return (
        db["assignments"]
        .insert(
            {"inspector_id": inspector_id, "school_id": school_id, "period_start": start, "period_end": end,
             "planned_visits": planned_visits, "created_by": by, "created_at": stamp()}
        )
        .last_pk
    )  # fmt: skip
