"""Regions (county → township) and schools."""

from __future__ import annotations

from sqlite_utils import Database

from inspect_app.common.clock import stamp
from inspect_app.storage import inserted_id
from inspect_app.storage.db import write

SCHOOL_FIELDS = (
    "code", "name", "township_id", "stage", "boarding", "township_central", "poverty_village",
    "enrolment", "principal", "phone", "address", "latitude", "longitude",
)  # fmt: skip

_SELECT = """
    SELECT schools.*, t.name AS township, c.name AS county
    FROM schools
    JOIN regions t ON t.id = schools.township_id
    LEFT JOIN regions c ON c.id = t.parent_id
"""


def ensure_region(db: Database, name: str, kind: str, parent_id: int | None = None) -> int:
    rows = list(
        db.query(
            "SELECT id FROM regions WHERE name = ? AND kind = ? AND parent_id IS ?",
            [name, kind, parent_id],
        )
    )
    if rows:
        return rows[0]["id"]
    return inserted_id(
        db.table("regions").insert({"name": name, "kind": kind, "parent_id": parent_id})
    )


def townships(db: Database) -> list[dict]:
    return list(
        db.query(
            """SELECT t.id, t.name, c.name AS county FROM regions t
               LEFT JOIN regions c ON c.id = t.parent_id
               WHERE t.kind = 'township' ORDER BY t.name"""
        )
    )


def township_by_name(db: Database, name: str) -> dict | None:
    rows = list(db.query("SELECT * FROM regions WHERE kind = 'township' AND name = ?", [name]))
    return rows[0] if rows else None


def count(db: Database) -> int:
    return db.table("schools").count


def get(db: Database, school_id: int) -> dict | None:
    rows = list(db.query(_SELECT + " WHERE schools.id = ?", [school_id]))
    return rows[0] if rows else None


def by_code(db: Database, code: str) -> dict | None:
    rows = list(db.query(_SELECT + " WHERE schools.code = ?", [code]))
    return rows[0] if rows else None


def search(
    db: Database, *, q: str = "", township_id: int | None = None, stage: str = ""
) -> list[dict]:
    where: list[str] = ["1 = 1"]
    params: list[object] = []
    if q:
        where.append("(schools.name LIKE ? OR schools.code LIKE ?)")
        params += [f"%{q}%", f"%{q}%"]
    if township_id:
        where.append("schools.township_id = ?")
        params.append(township_id)
    if stage:
        where.append("schools.stage = ?")
        params.append(stage)
    sql = _SELECT + " WHERE " + " AND ".join(where) + " ORDER BY t.name, schools.code"
    return list(db.query(sql, params))


def save(db: Database, record: dict, school_id: int | None = None) -> int:
    """Insert a school, or update it when ``school_id`` is given."""
    row = {key: record.get(key) for key in SCHOOL_FIELDS if key in record}
    for flag in ("boarding", "township_central", "poverty_village"):
        if flag in row:
            row[flag] = int(bool(row[flag]))
    row["updated_at"] = stamp()
    if school_id is None:
        row["created_at"] = row["updated_at"]
        return inserted_id(db.table("schools").insert(row))
    db.table("schools").update(school_id, row)
    return school_id


def as_scoring_school(school: dict) -> dict:
    """The school attributes checklists may refer to as ``school.*``."""
    return {
        "code": school["code"],
        "name": school["name"],
        "stage": school["stage"],
        "boarding": bool(school["boarding"]),
        "township_central": bool(school["township_central"]),
        "poverty_village": bool(school["poverty_village"]),
        "enrolment": school["enrolment"] or 0,
    }


def import_records(db: Database, records: list[dict], county_id: int) -> dict:
    """Insert or update (by code) every record in one transaction; create missing townships."""
    created, updated, new_townships = 0, 0, []
    with write(db):
        for record in records:
            township = township_by_name(db, record["township"])
            if township is None:
                township_id = ensure_region(db, record["township"], "township", county_id)
                new_townships.append(record["township"])
            else:
                township_id = township["id"]
            existing = by_code(db, record["code"])
            save(db, {**record, "township_id": township_id}, existing["id"] if existing else None)
            if existing:
                updated += 1
            else:
                created += 1
    return {"created": created, "updated": updated, "new_townships": new_townships}


def county_id(db: Database, name: str) -> int:
    return ensure_region(db, name, "county")
