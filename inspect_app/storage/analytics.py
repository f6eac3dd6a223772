"""The bureau's read queries: latest inspection per school, section sums, failures, rectifications.

Every query takes the same :class:`inspect_app.analytics.Filters`, so the dashboard, the
exports and the bulletin select exactly the same inspections. Only valid inspections count
(superseded and revoked ones never do).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterator
from datetime import date

from sqlite_utils import Database

from ..analytics import Filters

# Compiled checklist versions are immutable, so their parsed form is cached by hash.
_compiled: dict[str, dict] = {}

# Separates (and precedes) the item ids in inspection_outcomes.failed / .assessed.
SEP = "\x1f"


def _school_where(f: Filters, alias: str = "s") -> tuple[list[str], list]:
    where, params = [], []
    if f.township_id:
        where.append(f"{alias}.township_id = ?")
        params.append(f.township_id)
    if f.stage:
        where.append(f"{alias}.stage = ?")
        params.append(f.stage)
    return where, params


def _inspection_where(f: Filters, alias: str = "i") -> tuple[str, list]:
    """Valid inspections in the period matching checklist, type and the school filters."""
    where = [f"{alias}.status = 'valid'", f"{alias}.date BETWEEN ? AND ?"]
    params: list = [f.period.start.isoformat(), f.period.end.isoformat()]
    if f.checklist_id:
        where.append(f"{alias}.checklist_id = ?")
        params.append(f.checklist_id)
    if f.type:
        where.append(f"{alias}.type = ?")
        params.append(f.type)
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
    where, params = _inspection_where(f)
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


def schools_in_scope(db: Database, f: Filters) -> list[dict]:
    where, params = _school_where(f)
    sql = """SELECT s.id, s.code, s.name, s.stage, s.township_id, t.name AS township
             FROM schools s JOIN regions t ON t.id = s.township_id"""
    if where:
        sql += " WHERE " + " AND ".join(where)
    return list(db.query(sql + " ORDER BY t.name, s.code", params))


def latest_inspections(db: Database, f: Filters) -> list[dict]:
    """Latest inspection per school, with the school and the previous inspection's score.

    The previous inspection is the school's valid inspection with the same checklist just
    before the latest one, whenever it was (it may lie before the period).
    """
    cte, params = _latest_cte(f)
    sql = f"""WITH {cte}
        SELECT l.*, s.code AS school_code, s.name AS school_name, s.stage, s.township_id,
               t.name AS township, u.display_name AS inspector_name,
               p.id AS prev_id, p.total AS prev_total, p.grade AS prev_grade, p.date AS prev_date
        FROM latest l
        JOIN schools s ON s.id = l.school_id
        JOIN regions t ON t.id = s.township_id
        LEFT JOIN users u ON u.id = l.inspector_id
        LEFT JOIN inspections p ON p.rowid = (
            SELECT q.rowid FROM inspections q
            WHERE q.school_id = l.school_id AND q.checklist_id = l.checklist_id
              AND q.status = 'valid' AND (q.date, q.received_at) < (l.date, l.received_at)
            ORDER BY q.date DESC, q.received_at DESC LIMIT 1)"""
    return list(db.query(sql, params))


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
        {"inspection_id": i, "section_id": s, "earned": e, "possible": p}
        for i, s, e, p in _section_tuples(db, latest)
    ]


def _section_tuples(db: Database, latest: list[dict]) -> list[tuple]:
    """(inspection id, section id, earned, possible) of the given inspections, as tuples."""
    return db.execute(
        """SELECT x.inspection_id, x.section_id, x.earned, x.possible
           FROM json_each(?) j JOIN inspection_sections x ON x.inspection_id = j.value""",
        [_ids(latest)],
    ).fetchall()


def failed_items(
    db: Database, f: Filters, limit: int = 10, latest: list[dict] | None = None
) -> list[dict]:
    """Items failed at the most schools (latest inspections), with how many were assessed.

    Both counts come from one pass over ``inspection_outcomes`` (one row per inspection)
    rather than from the ~80 answer rows of each latest inspection.
    """
    if latest is None:
        latest = latest_inspections(db, f)
    checklist_of = {r["id"]: r["checklist_id"] for r in latest}
    rows = db.execute(
        """SELECT o.inspection_id, o.failed, o.assessed
           FROM json_each(?) j JOIN inspection_outcomes o ON o.inspection_id = j.value""",
        [_ids(latest)],
    ).fetchall()
    failed: Counter = Counter()
    for inspection_id, fails, _assessed in rows:
        if fails:
            checklist_id = checklist_of[inspection_id]
            failed.update((checklist_id, item) for item in fails.split(SEP)[1:])
    top = sorted(failed.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    if not top:
        return []
    # How many schools were assessed on each of those items (passed or failed).
    wanted: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for checklist_id, item in (key for key, _n in top):
        wanted[checklist_id].append((item, SEP + item + SEP))
    assessed: Counter = Counter()
    for inspection_id, _fails, items in rows:
        needles = wanted.get(checklist_of[inspection_id])
        if needles:
            items += SEP
            for item, needle in needles:
                if needle in items:
                    assessed[(checklist_of[inspection_id], item)] += 1
    return [
        {"checklist_id": c, "item_id": i, "failed": n, "assessed": assessed[(c, i)]}
        for (c, i), n in top
    ]


def rectification_counts(db: Database, f: Filters, today: date) -> dict:
    """Rectifications opened by the period's inspections: total, open, overdue, closed.

    Summed from ``rectification_tally`` (migration 0012: counts per inspection, closed or not,
    and deadline), a row or two per inspection rather than one per rectification.
    """
    where, params = _inspection_where(f)
    row = next(
        db.query(
            f"""SELECT COALESCE(SUM(t.n), 0) AS total,
                       COALESCE(SUM(CASE WHEN NOT t.closed THEN t.n END), 0) AS open,
                       COALESCE(SUM(CASE WHEN NOT t.closed AND t.due < ? THEN t.n END), 0)
                           AS overdue,
                       COALESCE(SUM(CASE WHEN t.closed THEN t.n END), 0) AS closed
                FROM inspections i JOIN rectification_tally t ON t.inspection_id = i.id
                WHERE {where}""",
            [today.isoformat(), *params],
        )
    )
    return dict(row)


def overdue_rectifications(db: Database, f: Filters, today: date) -> list[dict]:
    where, params = _inspection_where(f)
    return list(
        db.query(
            f"""SELECT r.id, r.school_id, r.problem, r.deadline, r.status, r.owner, r.seq,
                       i.date AS inspection_date, s.code AS school_code, s.name AS school_name,
                       t.name AS township
                FROM rectifications r JOIN inspections i ON i.id = r.inspection_id
                JOIN schools s ON s.id = r.school_id JOIN regions t ON t.id = s.township_id
                WHERE {where} AND r.status != 'closed' AND r.deadline < ?
                ORDER BY s.code, r.deadline, r.seq""",
            [*params, today.isoformat()],
        )
    )


def overdue_by_school(db: Database, f: Filters, today: date, keep: int = 2) -> list[dict]:
    """:func:`overdue_rectifications` grouped by school: each school's first ``keep`` rows
    (by deadline, then seq, then id) carry ``school_count`` and ``school_oldest`` for the whole
    school, so a province's hundreds of thousands of overdue rows never reach Python.

    Counts come from ``rectification_tally`` (open items per inspection and deadline); only
    the (inspection, deadline) groups that can hold a school's first ``keep`` rows are read
    from ``rectifications``, at most ``keep`` rows each.
    """
    where, params = _inspection_where(f)
    groups = db.execute(
        f"""SELECT t.school_id, t.deadline, t.inspection_id, i.date, t.n
            FROM inspections i JOIN rectification_tally t ON t.inspection_id = i.id
            WHERE {where} AND NOT t.closed AND t.deadline < ?""",
        [*params, today.isoformat()],
    ).fetchall()
    groups.sort(key=lambda g: (g[0], g[1]))  # by school, then deadline (sorting here is faster)
    totals: dict[int, list] = {}  # school id → [count, oldest deadline]
    wanted: dict[tuple, None] = {}  # (inspection id, school id, deadline) of groups to read
    dates: dict[str, str] = {}
    taken: dict[int, tuple] = {}  # school id → (rows taken so far, deadline of the last group)
    # A group may come as several rows (one per effective deadline); each is read once.
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
    where, params = _inspection_where(f.with_checklist(""))
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
        for section in compiled["sections"]:
            for item in section["items"]:
                labels[(compiled["id"], item["id"])] = {
                    "label": item.get("label", item["id"]),
                    "section_title": section["title"],
                    "checklist_title": compiled["title"],
                    "basis": item.get("basis") or "",
                }
    return labels


def gather(db: Database, f: Filters, today: date, problems: int = 10) -> dict:
    """Every row the overview needs, for :func:`inspect_app.analytics.overview`.

    The latest inspection per school is computed once and reused by the section sums and the
    failed items; overdue rectifications arrive grouped by school.

    The result is kept in a small in-process cache keyed by the database file, the filters,
    ``today`` and ``bureau_data_version`` (bumped by triggers on every write the overview
    reads, migration 0013), so the dashboard and the ranking of the same filters reuse it
    until the data changes. Callers must not modify the returned rows.
    """
    key = _cache_key(db, f, today, problems)
    if key is not None:
        with _cache_lock:
            rows = _cache.get(key)
            if rows is not None:
                _cache.move_to_end(key)
                return rows
    rows = gather_uncached(db, f, today, problems)
    if key is not None:
        with _cache_lock:
            _cache[key] = rows
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return rows


def gather_uncached(db: Database, f: Filters, today: date, problems: int = 10) -> dict:
    """:func:`gather` without the cache (what a cold dashboard load costs)."""
    compiled = newest_version(db, f.checklist_id) if f.checklist_id else None
    latest = latest_inspections(db, f)
    fails = failed_items(db, f, problems, latest=latest)
    return {
        "schools": schools_in_scope(db, f),
        "latest": latest,
        "section_rows": _section_tuples(db, latest) if compiled else [],
        "compiled": compiled,
        "rectifications": rectification_counts(db, f, today),
        "overdue": overdue_by_school(db, f, today),
        "failed_items": fails,
        "labels": item_labels(db, {r["checklist_id"] for r in fails}),
    }


# A province's overview rows take tens of MB: keep only the last few sets of filters.
CACHE_SIZE = 4
_cache: OrderedDict[tuple, dict] = OrderedDict()
_cache_lock = threading.Lock()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _cache_key(db: Database, f: Filters, today: date, problems: int) -> tuple | None:
    """None (no caching) for an in-memory database or one without the version counter.

    The file path keeps two databases apart within a process, ``origin`` a file replaced
    by another at the same path, and ``n`` every write since.
    """
    try:
        version = db.execute("SELECT origin, n FROM bureau_data_version WHERE id = 1").fetchone()
    except sqlite3.OperationalError:
        return None
    path = next((r[2] for r in db.execute("PRAGMA database_list") if r[1] == "main"), "")
    if version is None or not path:
        return None
    return (path, *version, f, today, problems)


# ---------------------------------------------------------------------------
# A school's own history (bureau view)


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
            """SELECT r.*, i.date AS inspection_date FROM rectifications r
               JOIN inspections i ON i.id = r.inspection_id
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


def export_items(db: Database, f: Filters) -> Iterator[dict]:
    """Every answer of every inspection selected by the filters, in school and item order."""
    where, params = _inspection_where(f)
    return db.query(
        f"""SELECT i.id AS inspection_id, i.date, i.type, i.checklist_id, i.checklist_hash,
                   s.code AS school_code, s.name AS school_name, t.name AS township,
                   a.item_id, a.section_id, a.value, a.outcome, a.earned, a.possible, a.note
            FROM inspections i JOIN schools s ON s.id = i.school_id
            JOIN regions t ON t.id = s.township_id
            JOIN inspection_answers a ON a.inspection_id = i.id
            WHERE {where}
            ORDER BY s.code, i.date, i.id""",
        params,
    )


def export_findings(db: Database, f: Filters) -> Iterator[dict]:
    where, params = _inspection_where(f)
    return db.query(
        f"""SELECT i.id AS inspection_id, i.date, i.checklist_id, s.code AS school_code,
                   s.name AS school_name, t.name AS township, a.item_id, a.section_id, a.value,
                   r.problem, r.basis, r.action, r.owner, r.deadline
            FROM inspections i JOIN schools s ON s.id = i.school_id
            JOIN regions t ON t.id = s.township_id
            JOIN inspection_answers a
                 ON a.inspection_id = i.id AND a.outcome = 'fail'
            LEFT JOIN rectifications r ON r.inspection_id = i.id AND r.item_id = a.item_id
            WHERE {where}
            ORDER BY s.code, i.date, i.id, r.seq""",
        params,
    )


def export_rectifications(db: Database, f: Filters) -> Iterator[dict]:
    where, params = _inspection_where(f)
    return db.query(
        f"""SELECT r.id, r.seq, r.problem, r.basis, r.action, r.owner, r.deadline, r.status,
                   r.extension_until, r.closed_at, r.created_at, i.date AS inspection_date,
                   s.code AS school_code, s.name AS school_name, t.name AS township
            FROM rectifications r JOIN inspections i ON i.id = r.inspection_id
            JOIN schools s ON s.id = r.school_id JOIN regions t ON t.id = s.township_id
            WHERE {where}
            ORDER BY s.code, i.date, r.seq""",
        params,
    )


# ---------------------------------------------------------------------------
# Bulletins in the reports table (written by storage.reports.store)


def reports_of_kind(db: Database, kind: str, limit: int = 100) -> list[dict]:
    return list(
        db.query(
            "SELECT * FROM reports WHERE kind = ? ORDER BY created_at DESC, version DESC LIMIT ?",
            [kind, limit],
        )
    )
