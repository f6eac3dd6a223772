"""Rows for the bureau's spreadsheet exports, read inspection by inspection.

A province's year is 40 000 inspections and 3.2 M answers. Sorting the answers by school in
one query made SQLite build a 3.2 M-row temporary B-tree before the first row came out;
instead the period's inspections are sorted (a small list) and each one's answers,
findings and rectifications are read through their indexes. Rows are plain tuples:
building a dict for each of millions of rows costs more than the query.
"""

from __future__ import annotations

from sqlite_utils import Database

from inspect_app.common.periods import Filters
from inspect_app.storage.analytics import inspection_where


def inspections(db: Database, f: Filters) -> list[tuple]:
    """(id, date, type, checklist_id, checklist_hash, school code, school name, township),
    for the valid inspections the filters select, by school code, date and id."""
    where, params = inspection_where(f)
    return db.execute(
        f"""SELECT i.id, i.date, i.type, i.checklist_id, i.checklist_hash,
                   s.code, s.name, t.name
            FROM inspections i JOIN schools s ON s.id = i.school_id
            JOIN regions t ON t.id = s.township_id
            WHERE {where}
            ORDER BY s.code, i.date, i.id""",
        params,
    ).fetchall()


# The per-inspection reads below come in index order, not the order a reader wants: SQLite
# sets up a sorter for every ORDER BY, which over 40 000 small queries cost more than the
# reading itself. Callers put the rows in checklist order (or by number) in Python.


def answers(db: Database, inspection_id: str) -> list[tuple]:
    """(item_id, outcome, earned, possible, value, note), read from the covering index
    ``inspection_answers_export`` (by item id)."""
    return db.execute(
        """SELECT item_id, outcome, earned, possible, value, note FROM inspection_answers
           WHERE inspection_id = ?""",
        [inspection_id],
    ).fetchall()


def findings(db: Database, inspection_id: str) -> list[tuple]:
    """(item_id, value, problem, basis, action, owner, deadline) for each failed item,
    with the rectification item it opened (at most one per item), by item id."""
    return db.execute(
        """SELECT a.item_id, a.value, r.problem, r.basis, r.action, r.owner, r.deadline
           FROM inspection_answers a
           LEFT JOIN rectifications r ON r.inspection_id = a.inspection_id AND r.item_id = a.item_id
           WHERE a.inspection_id = ? AND a.outcome = 'fail'""",
        [inspection_id],
    ).fetchall()


def rectifications(db: Database, inspection_id: str) -> list[tuple]:
    """(seq, problem, basis, action, owner, deadline, status, extension_until, closed_at),
    in no particular order."""
    return db.execute(
        """SELECT seq, problem, basis, action, owner, deadline, status, extension_until,
                  closed_at
           FROM rectifications WHERE inspection_id = ?""",
        [inspection_id],
    ).fetchall()
