"""The bureau's read queries: latest inspection per school, section sums, failures, rectifications.

Every query takes the same :class:`inspect_app.common.periods.Filters`, so the dashboard, the
exports and the bulletin select exactly the same inspections. Only valid inspections count
(superseded and revoked ones never do).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from datetime import date

from sqlite_utils import Database

from inspect_app.common.periods import Filters

# Compiled checklist versions are immutable, so their parsed form is cached by hash.
_compiled: dict[str, dict] = {}

# Separates (and precedes) the item ids in inspection_outcomes.failed / .assessed.
SEP = "\x1f"


def _school_where(f: Filters, alias: str = "s") -> tuple[list[str], list]:
    where: list[str] = []
    params: list[object] = []
    if f.township_id:
        where.append(f"{alias}.township_id = ?")
        params.append(f.township_id)
    if f.stage:
        where.append(f"{alias}.stage = ?")
        params.append(f.stage)
    return where, params


def _period_clauses(f: Filters, alias: str) -> tuple[list[str], list]:
    """Valid inspections (``alias``) in the period matching checklist and type."""
    where = [f"{alias}.status = 'valid'", f"{alias}.date BETWEEN ? AND ?"]
    params: list = [f.period.start.isoformat(), f.period.end.isoformat()]
    if f.checklist_id:
        where.append(f"{alias}.checklist_id = ?")
        params.append(f.checklist_id)
    if f.type:
        where.append(f"{alias}.type = ?")
        params.append(f.type)
    return where, params


def inspection_where(f: Filters, alias: str = "i") -> tuple[str, list]:
    """Valid inspections in the period matching checklist, type and the school filters."""
    where, params = _period_clauses(f, alias)
    school_where, school_params = _school_where(f)
    if school_where:
        where.append(
            f"{alias}.school_id IN (SELECT s.id FROM schools s WHERE {' AND '.join(school_where)})"
        )
        params += school_params
    return " AND ".join(where), params


def _latest_cte(f: Filters) -> tuple[str, list]:
    """``latest``: each school's newest valid inspection in the period (date, then receipt).

    Only the columns below are read, all of them in the ``inspections_period`` index, so the
    period's inspections are one index range and no table row is visited.
    """
    where, params = inspection_where(f)
    sql = f"""latest AS (
        SELECT id, school_id, checklist_id, checklist_hash, type, date, total, grade, vetoed,
               findings, inspector_id, received_at
        FROM (SELECT i.id, i.school_id, i.checklist_id, i.checklist_hash, i.type, i.date,
                     i.total, i.grade, i.vetoed, i.findings, i.inspector_id, i.received_at,
                     ROW_NUMBER() OVER (
                  PARTITION BY i.school_id ORDER BY i.date DESC, i.received_at DESC) AS rn
              FROM inspections i WHERE {where})
        WHERE rn = 1)"""
    return sql, params


def _ids(latest: list[dict]) -> str:
    """The latest inspections' ids as a JSON array, joined with ``json_each`` (one query
    computes the latest set; the others reuse it instead of recomputing the window)."""
    return json.dumps([r["id"] for r in latest])


_SCHOOL_SQL = """SELECT s.id, s.code, s.name, s.stage, s.township_id, t.name AS township
    FROM schools s JOIN regions t ON t.id = s.township_id"""


def schools_in_scope(db: Database, f: Filters) -> list[dict]:
    where, params = _school_where(f)
    sql = _SCHOOL_SQL + (" WHERE " + " AND ".join(where) if where else "")
    return _rows(db.execute(sql + " ORDER BY t.name, s.code", params))


def _school_latest_match(f: Filters, alias: str) -> tuple[str, list]:
    """A school's (``s``) valid inspections in the period matching checklist and type."""
    where, params = _period_clauses(f, alias)
    return " AND ".join([f"{alias}.school_id = s.id", *where]), params


def _rows(cursor: sqlite3.Cursor) -> list[dict]:
    """A cursor's rows as dicts, built in one comprehension (cheaper than ``db.query``)."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def latest_inspections(db: Database, f: Filters) -> list[dict]:
    """Latest inspection per school (date, then receipt), with the school and the previous
    inspection's score, in school id order.

    The previous inspection is the school's valid inspection with the same checklist just
    before the latest one, whenever it was (it may lie before the period).

    The schools in scope are walked once; each school's newest inspection in the period and
    its previous one are single seeks in ``inspections_school_latest`` and
    ``inspections_previous`` (migration 0014), which hold every column read here.
    """
    match, params = _school_latest_match(f, "i")
    newest, newest_params = _school_latest_match(f, "n")
    school_where, school_params = _school_where(f)
    sql = f"""SELECT i.id, i.school_id, i.checklist_id, i.checklist_hash, i.type, i.date,
               i.total, i.grade, i.vetoed, i.findings, i.inspector_id, i.received_at,
               s.code AS school_code, s.name AS school_name, s.stage, s.township_id,
               t.name AS township, u.display_name AS inspector_name,
               p.id AS prev_id, p.total AS prev_total, p.grade AS prev_grade, p.date AS prev_date
        FROM schools s
        CROSS JOIN inspections i INDEXED BY inspections_school_latest ON {match} AND i.rowid = (
            SELECT n.rowid FROM inspections n WHERE {newest}
            ORDER BY n.date DESC, n.received_at DESC LIMIT 1)
        JOIN regions t ON t.id = s.township_id
        LEFT JOIN users u ON u.id = i.inspector_id
        LEFT JOIN inspections p ON p.school_id = i.school_id AND p.checklist_id = i.checklist_id
            AND p.status = 'valid' AND p.rowid = (
            SELECT q.rowid FROM inspections q
            WHERE q.school_id = i.school_id AND q.checklist_id = i.checklist_id
              AND q.status = 'valid' AND (q.date, q.received_at) < (i.date, i.received_at)
            ORDER BY q.date DESC, q.received_at DESC LIMIT 1)
        {"WHERE " + " AND ".join(school_where) if school_where else ""}
        ORDER BY s.id"""
    return _rows(db.execute(sql, [*params, *newest_params, *school_params]))


def section_rows(
    db: Database, f: Filters, source: str = "summary", latest: list[dict] | None = None
) -> list[dict]:
    """Summed earned/possible per (latest inspection, section).

    ``latest`` is :func:`latest_inspections` when the caller already has it (it is then not
    computed again). ``source="answers"`` sums inspection_answers directly (what the summary
    table replaced; kept for the benchmark's before/after and for checking the table).
    """
    if source == "answers":
        cte, params = _latest_cte(f)
        sql = f"""WITH {cte}
            SELECT a.inspection_id, a.section_id, SUM(a.earned) AS earned,
                   SUM(a.possible) AS possible
            FROM latest l JOIN inspection_answers a ON a.inspection_id = l.id
            GROUP BY a.inspection_id, a.section_id"""
        return list(db.query(sql, params))
    if latest is None:
        latest = latest_inspections(db, f)
    return [
        {"inspection_id": latest[n]["id"], "section_id": s, "earned": e, "possible": p}
        for n, s, e, p in section_tuples(db, latest)
    ]


def section_tuples(db: Database, latest: list[dict]) -> sqlite3.Cursor:
    """(position in ``latest``, section id, earned, possible) of the given inspections, as
    tuples grouped by inspection; the position is read instead of the 36-character id."""
    return db.execute(
        """SELECT j.key, x.section_id, x.earned, x.possible
           FROM json_each(?) j JOIN inspection_sections x ON x.inspection_id = j.value""",
        [_ids(latest)],
    )


def failed_items(
    db: Database, f: Filters, limit: int = 10, latest: list[dict] | None = None
) -> list[dict]:
    """Items failed at the most schools (latest inspections), with how many were assessed.

    Both counts come from one pass over ``inspection_outcomes`` (one row per inspection)
    rather than from the ~80 answer rows of each latest inspection.
    """
    if latest is None:
        latest = latest_inspections(db, f)
    checklists = [r["checklist_id"] for r in latest]
    # An inspection's position in ``latest`` is cheaper to read than its 36-character id.
    rows = db.execute(
        """SELECT j.key, o.failed, o.assessed
           FROM json_each(?) j JOIN inspection_outcomes o ON o.inspection_id = j.value""",
        [_ids(latest)],
    )
    # Per checklist, every inspection's ids joined into one string: counting its pieces (and,
    # below, occurrences of an id between separators) runs in C instead of once per inspection.
    fails_of: dict[str, list[str]] = defaultdict(list)
    assessed_of: dict[str, list[str]] = defaultdict(list)
    for position, fails, assessed in rows:
        checklist_id = checklists[position]
        if fails:
            fails_of[checklist_id].append(fails)
        if assessed:
            assessed_of[checklist_id].append(assessed)
    failed: Counter = Counter()
    for checklist_id, strings in fails_of.items():
        items = "".join(strings).split(SEP)[1:]  # each string starts with SEP
        failed.update({(checklist_id, item): n for item, n in Counter(items).items()})
    top = sorted(failed.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    if not top:
        return []
    # How many schools were assessed on each of those items (passed or failed): an id occurs
    # at most once per inspection, and each inspection's string is closed by SEP below.
    joined = {c: SEP.join(strings) + SEP for c, strings in assessed_of.items()}
    return [
        {"checklist_id": c, "item_id": i, "failed": n,
         "assessed": joined.get(c, "").count(SEP + i + SEP)}
        for (c, i), n in top
    ]  # fmt: skip


def rectifications_by_school(db: Database, f: Filters, today: date) -> tuple[dict, list[dict]]:
    """Rectifications opened by the period's inspections (total, open, overdue, closed) and,
    for every school with overdue ones of its own, how many and the oldest deadline
    (``school_id``, ``count``, ``oldest``), from one walk over the schools' ``rectification_tally``.

    Overdue means open and past the deadline, as on every page: a requested extension counts
    once it is approved and becomes the deadline (migration 0016). An item a county department
    or township fixes (``unit_id``, migration 0028) is overdue against that unit, not against
    the school: ``overdue`` counts every late item, ``overdue_school`` the schools' own and
    ``overdue_units`` the units' (per unit: :func:`overdue_by_unit`); a school's entry counts
    only its own.

    The walk follows school order, so the per-school sums need no sort of the period's rows:
    they are grouped by the inspection's school, and only should a rectification's school ever
    differ from its inspection's (``MIN`` and ``MAX`` then disagree) is the walk repeated,
    grouped by both (that grouping sorts the period's tally rows: ~7 ms for a province).
    """
    match, params = _school_latest_match(f, "i")
    school_where, school_params = _school_where(f)
    day = today.isoformat()
    late = "NOT t.closed AND t.deadline < ?"
    sql = f"""SELECT {{school}}, SUM(t.n), SUM(CASE WHEN NOT t.closed THEN t.n END),
                   SUM(CASE WHEN t.closed THEN t.n END),
                   SUM(CASE WHEN {late} THEN t.n END),
                   SUM(CASE WHEN {late} AND t.unit_id = 0 THEN t.n END),
                   MIN(CASE WHEN {late} AND t.unit_id = 0 THEN t.deadline END)
            FROM schools s
            CROSS JOIN inspections i INDEXED BY inspections_school_latest ON {{match}}
            JOIN rectification_tally t ON t.inspection_id = i.id
            {{where}}
            GROUP BY {{group}}"""
    where = "WHERE " + " AND ".join(school_where) if school_where else ""
    args = [day, day, day, *params, *school_params]
    rows = db.execute(
        sql.format(school="MIN(t.school_id), MAX(t.school_id)", match=match, where=where,
                   group="s.id"), args
    ).fetchall()  # fmt: skip
    if all(row[0] == row[1] for row in rows):
        rows = [row[1:] for row in rows]
    else:
        rows = db.execute(
            sql.format(school="t.school_id", match=match, where=where, group="s.id, t.school_id"),
            args,
        ).fetchall()
    counts = {"total": 0, "open": 0, "overdue": 0, "closed": 0, "overdue_school": 0,
              "overdue_units": 0}  # fmt: skip
    # A rectification's school is its inspection's; should they ever differ, a school's sums
    # arrive in several rows and are merged here.
    schools: dict[int, dict] = {}
    for school_id, total, open_, closed, all_late, late_, oldest in rows:
        counts["total"] += total
        counts["open"] += open_ or 0
        counts["overdue"] += all_late or 0
        counts["overdue_school"] += late_ or 0
        counts["closed"] += closed or 0
        if late_:
            entry = schools.get(school_id)
            if entry is None:
                schools[school_id] = {"school_id": school_id, "count": late_, "oldest": oldest}
            else:
                entry["count"] += late_
                entry["oldest"] = min(entry["oldest"], oldest)
    counts["overdue_units"] = counts["overdue"] - counts["overdue_school"]
    return counts, list(schools.values())


def overdue_by_unit(db: Database, f: Filters, today: date) -> list[dict]:
    """Open items past their deadline that a county department or township fixes, per unit
    (``unit_id``, ``name``, ``kind``, ``count``, ``schools``, ``oldest``), most items first:
    the same inspections as :func:`rectifications_by_school`, so the two add up.

    Read from the units' items (the ``unit_id, status`` index, migration 0023) rather than the
    period's tally: they are a minority, so this costs nothing where no unit has items and
    stays far below the tally walk where many do."""
    where, params = inspection_where(f)
    return _rows(
        db.execute(
            f"""SELECT r.unit_id, u.name, u.kind, COUNT(*) AS count,
                       COUNT(DISTINCT r.school_id) AS schools, MIN(r.deadline) AS oldest
                FROM rectifications r INDEXED BY idx_rectifications_unit_id_status
                JOIN inspections i ON i.id = r.inspection_id
                JOIN units u ON u.id = r.unit_id
                WHERE r.unit_id IS NOT NULL AND r.status != 'closed' AND r.deadline < ?
                  AND {where}
                GROUP BY r.unit_id ORDER BY count DESC, oldest, u.name""",
            [today.isoformat(), *params],
        )
    )


def overdue_by_school(db: Database, f: Filters, today: date, keep: int = 2) -> list[dict]:
    """Open rectifications past their deadline, grouped by school: each school's first ``keep`` rows
    (by deadline, then seq, then id) carry ``school_count`` and ``school_oldest`` for the whole
    school, so a province's hundreds of thousands of overdue rows never reach Python. Only the
    school's own items: one a county unit fixes is that unit's (:func:`overdue_by_unit`).

    Counts come from ``rectification_tally`` (open items per inspection and deadline); only
    the (inspection, deadline) groups that can hold a school's first ``keep`` rows are read
    from ``rectifications``, at most ``keep`` rows each.
    """
    where, params = inspection_where(f)
    groups = db.execute(
        f"""SELECT t.school_id, t.deadline, t.inspection_id, i.date, t.n
            FROM inspections i JOIN rectification_tally t ON t.inspection_id = i.id
            WHERE {where} AND t.unit_id = 0 AND NOT t.closed AND t.deadline < ?""",
        [*params, today.isoformat()],
    ).fetchall()
    groups.sort(key=lambda g: (g[0], g[1]))  # by school, then deadline (sorting here is faster)
    totals: dict[int, list] = {}  # school id → [count, oldest deadline]
    wanted: dict[tuple, None] = {}  # (inspection id, school id, deadline) of groups to read
    dates: dict[str, str] = {}
    taken: dict[int, tuple] = {}  # school id → (rows taken so far, deadline of the last group)
    for school_id, deadline, inspection_id, day, n in groups:
        entry = totals.get(school_id)
        if entry is None:
            totals[school_id] = [n, deadline]
        else:
            entry[0] += n
        have, last = taken.get(school_id, (0, None))
        # Every group up to the deadline at which the school has ``keep`` rows (all groups
        # sharing that deadline too: their rows interleave by seq).
        if have < keep or deadline == last:
            taken[school_id] = (have + n, deadline)
            wanted[(inspection_id, school_id, deadline)] = None
            dates[inspection_id] = day
    if not wanted:
        return []
    rows = db.execute(
        """SELECT r.id, r.school_id, r.problem, r.deadline, r.status, r.owner, r.seq,
                  r.inspection_id, s.code, s.name, t.name
           FROM json_each(?) g
           JOIN rectifications r ON r.id IN (
               SELECT x.id FROM rectifications x
               WHERE x.inspection_id = json_extract(g.value, '$[0]')
                 AND x.school_id = json_extract(g.value, '$[1]')
                 AND x.deadline = json_extract(g.value, '$[2]') AND x.status != 'closed'
                 AND x.unit_id IS NULL
               ORDER BY x.seq, x.id LIMIT ?)
           JOIN schools s ON s.id = r.school_id JOIN regions t ON t.id = s.township_id""",
        [json.dumps(list(wanted)), keep],
    ).fetchall()
    # ORDER BY code, deadline, seq, id (a NULL seq first, as SQLite sorts it)
    rows.sort(key=lambda r: (r[8], r[1], r[3], r[6] is not None, r[6] or 0, r[0]))
    out: list[dict] = []
    per_school: Counter = Counter()
    for r in rows:
        school_id = r[1]
        per_school[school_id] += 1
        if per_school[school_id] > keep:
            continue
        count, oldest = totals[school_id]
        out.append(
            {"id": r[0], "school_id": school_id, "problem": r[2], "deadline": r[3],
             "status": r[4], "owner": r[5], "seq": r[6], "inspection_date": dates[r[7]],
             "school_code": r[8], "school_name": r[9], "township": r[10],
             "school_count": count, "school_oldest": oldest}
        )  # fmt: skip
    return out


def most_used_checklist(db: Database, f: Filters) -> str | None:
    where, params = inspection_where(f.with_checklist(""))
    row = next(
        db.query(
            f"""SELECT i.checklist_id, COUNT(*) AS n FROM inspections i WHERE {where}
                GROUP BY i.checklist_id ORDER BY n DESC, i.checklist_id LIMIT 1""",
            params,
        ),
        None,
    )
    return row["checklist_id"] if row else None


def compiled_version(db: Database, checklist_hash: str) -> dict | None:
    if checklist_hash not in _compiled:
        row = next(
            db.query("SELECT compiled FROM checklist_versions WHERE hash = ?", [checklist_hash]),
            None,
        )
        if row is None:
            return None
        _compiled[checklist_hash] = json.loads(row["compiled"])
    return _compiled[checklist_hash]


def newest_version(db: Database, checklist_id: str) -> dict | None:
    row = next(
        db.query(
            "SELECT hash FROM checklist_versions WHERE checklist_id = ? ORDER BY stored_at DESC, rowid DESC LIMIT 1",
            [checklist_id],
        ),
        None,
    )
    return compiled_version(db, row["hash"]) if row else None


def checklist_titles(db: Database) -> list[dict]:
    """Checklists ever used or loaded, newest title per id."""
    return list(
        db.query(
            """SELECT checklist_id AS id, title FROM checklist_versions v
               WHERE rowid = (SELECT MAX(rowid) FROM checklist_versions w WHERE w.checklist_id = v.checklist_id)
               ORDER BY checklist_id"""
        )
    )


def item_labels(db: Database, checklist_ids: set[str]) -> dict[tuple[str, str], dict]:
    """(checklist id, item id) → label, section title, basis; newer versions win."""
    labels: dict[tuple[str, str], dict] = {}
    if not checklist_ids:
        return labels
    rows = db.query(
        "SELECT hash FROM checklist_versions WHERE checklist_id IN (SELECT value FROM json_each(?)) ORDER BY rowid",
        [json.dumps(sorted(checklist_ids))],
    )
    for row in rows:
        compiled = compiled_version(db, row["hash"])
        if compiled is None:  # cannot happen: the hash was just read from checklist_versions
            continue
        for section in compiled["sections"]:
            for item in section["items"]:
                labels[(compiled["id"], item["id"])] = {
                    "label": item.get("label", item["id"]),
                    "section_title": section["title"],
                    "checklist_title": compiled["title"],
                    "basis": item.get("basis") or "",
                }
    return labels


def school_inspections(db: Database, school_id: int) -> list[dict]:
    return list(
        db.query(
            """SELECT i.id, i.date, i.type, i.checklist_id, i.checklist_hash, i.total, i.grade,
                      i.vetoed, i.findings, i.status, i.received_at, u.display_name AS inspector_name,
                      v.title AS checklist_title
               FROM inspections i LEFT JOIN users u ON u.id = i.inspector_id
               JOIN checklist_versions v ON v.hash = i.checklist_hash
               WHERE i.school_id = ? ORDER BY i.date, i.received_at""",
            [school_id],
        )
    )


def school_sections(db: Database, inspection_id: str) -> list[dict]:
    return list(
        db.query("SELECT * FROM inspection_sections WHERE inspection_id = ?", [inspection_id])
    )


def school_open_rectifications(db: Database, school_id: int) -> list[dict]:
    return list(
        db.query(
            """SELECT r.*, i.date AS inspection_date, un.name AS unit_name FROM rectifications r
               JOIN inspections i ON i.id = r.inspection_id
               LEFT JOIN units un ON un.id = r.unit_id
               WHERE r.school_id = ? AND r.status != 'closed' AND i.status = 'valid'
               ORDER BY r.deadline, r.seq""",
            [school_id],
        )
    )


def school_reports(db: Database, school_id: int) -> list[dict]:
    return list(
        db.query(
            "SELECT * FROM reports WHERE school_id = ? ORDER BY created_at DESC, version DESC",
            [school_id],
        )
    )


# ---------------------------------------------------------------------------
# Exports: streamed rows (never the whole province in memory at once)


# ---------------------------------------------------------------------------
# Bulletins in the reports table (written by storage.reports.store)


def reports_of_kind(db: Database, kind: str, limit: int = 100) -> list[dict]:
    return list(
        db.query(
            "SELECT * FROM reports WHERE kind = ? ORDER BY created_at DESC, version DESC LIMIT ?",
            [kind, limit],
        )
    )


def school_row(db: Database, school_id: int) -> dict:
    """One school with its township, shaped as :func:`schools_in_scope` shapes them."""
    return next(db.query(_SCHOOL_SQL + " WHERE s.id = ?", [school_id]))


def data_version(db: Database) -> tuple[str, tuple] | None:
    """(database file, ``bureau_data_version`` row): changes with every write the overview
    reads (triggers, migration 0013). None for an in-memory database or one without it."""
    try:
        version = db.execute("SELECT origin, n FROM bureau_data_version WHERE id = 1").fetchone()
    except sqlite3.OperationalError:
        return None
    path = next((r[2] for r in db.execute("PRAGMA database_list") if r[1] == "main"), "")
    if version is None or not path:
        return None
    return path, tuple(version)
