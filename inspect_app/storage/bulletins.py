"""Issued bulletins: what each covers (period, checklist), its 点评 text and who issued it.

The signed PDF itself is a row of ``reports`` (kind ``bulletin``); this table is its record.
"""

from __future__ import annotations

from sqlite_utils import Database


def record(
    db: Database,
    *,
    report_id: str,
    period_kind: str,
    period_key: str,
    checklist_id: str,
    checklist_title: str,
    commentary: str,
    inspected: int,
    issued_by: int | None,
) -> None:
    db.table("bulletins").insert(
        {"report_id": report_id, "period_kind": period_kind, "period_key": period_key,
         "checklist_id": checklist_id, "checklist_title": checklist_title,
         "commentary": commentary, "inspected": inspected, "issued_by": issued_by}
    )  # fmt: skip


def get(db: Database, report_id: str) -> dict | None:
    return next(db.query("SELECT * FROM bulletins WHERE report_id = ?", [report_id]), None)


def issued(db: Database, limit: int = 100) -> list[dict]:
    """Issued bulletins, newest first, with their record and issuer's name when there is one.

    Bulletins issued before their record was kept come with NULL record fields.
    """
    return list(
        db.query(
            """SELECT r.*, b.period_kind, b.period_key, b.checklist_id, b.checklist_title,
                      b.inspected, u.display_name AS issuer_name
               FROM reports r
               LEFT JOIN bulletins b ON b.report_id = r.id
               LEFT JOIN users u ON u.id = b.issued_by
               WHERE r.kind = 'bulletin'
               ORDER BY r.created_at DESC, r.version DESC LIMIT ?""",
            [limit],
        )
    )
