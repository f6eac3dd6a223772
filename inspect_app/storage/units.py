"""Responsible units (责任单位): county departments and township governments that fix findings."""

from __future__ import annotations

from sqlite_utils import Database

from inspect_app.common.clock import stamp
from inspect_app.storage import inserted_id


def get(db: Database, unit_id: int) -> dict | None:
    rows = list(db.query("SELECT * FROM units WHERE id = ?", [unit_id]))
    return rows[0] if rows else None


def by_name(db: Database, name: str) -> dict | None:
    rows = list(db.query("SELECT * FROM units WHERE name = ?", [name]))
    return rows[0] if rows else None


def list_all(db: Database, *, active_only: bool = False) -> list[dict]:
    """Every unit with its number of accounts and of open items, by kind then name."""
    where = "WHERE u.active = 1" if active_only else ""
    return list(
        db.query(
            f"""SELECT u.*,
                  (SELECT count(*) FROM users a WHERE a.unit_id = u.id AND a.active = 1) AS accounts,
                  (SELECT count(*) FROM rectifications r
                    WHERE r.unit_id = u.id AND r.status != 'closed') AS open_items
                FROM units u {where} ORDER BY u.kind, u.name"""
        )
    )


def ensure(db: Database, name: str, kind: str) -> int:
    """The id of the unit called ``name``, creating it (of ``kind``) when it is new.

    A checklist's fix template names units in words (「县财政局」), so the first finding that
    names one brings it into the list, where the bureau can add its accounts.
    """
    db.execute(
        "INSERT OR IGNORE INTO units (name, kind, active, created_at) VALUES (?, ?, 1, ?)",
        [name, kind, stamp()],
    )
    return db.execute("SELECT id FROM units WHERE name = ?", [name]).fetchone()[0]


def create(
    db: Database, *, name: str, kind: str, head: str = "", head_email: str = "",
    head_phone: str = "",
) -> int:  # fmt: skip
    """A new unit; ``head_email`` / ``head_phone`` are where its escalations reach its head."""
    return inserted_id(
        db.table("units").insert(
            {
                "name": name,
                "kind": kind,
                "head": head,
                "head_email": head_email,
                "head_phone": head_phone,
                "active": 1,
                "created_at": stamp(),
            }
        )  # fmt: skip
    )


def update(db: Database, unit_id: int, **fields) -> None:
    db.table("units").update(unit_id, fields)


def accounts(db: Database, unit_id: int) -> list[dict]:
    """The unit's active accounts (who is told about its items)."""
    return list(
        db.query(
            "SELECT * FROM users WHERE unit_id = ? AND active = 1 AND role = 'department'",
            [unit_id],
        )
    )
