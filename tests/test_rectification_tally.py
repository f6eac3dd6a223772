"""rectification_tally (migrations 0012, 0016, 0028) and the overview cache's version (0013) stay
exact; an item a county unit fixes counts against the unit, not against the school (0028)."""

from __future__ import annotations

import random
from datetime import date

import pytest

from inspect_app.bureau import figures, gathering
from inspect_app.common import periods
from inspect_app.storage import analytics as store
from inspect_app.storage.db import migrate, open_database

DIRECT = """SELECT inspection_id, school_id, COALESCE(unit_id, 0), status = 'closed',
       CASE WHEN status = 'closed' THEN '' ELSE deadline END, COUNT(*)
FROM rectifications GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"""
TALLY = """SELECT inspection_id, school_id, unit_id, closed, deadline, n FROM rectification_tally
ORDER BY 1, 2, 3, 4, 5"""


def old_counts(db, f, today):
    """Counted straight from the rows: overdue is open and past the deadline (a requested
    extension stops nothing until approved)."""
    where, params = store.inspection_where(f)
    sql = f"""SELECT COUNT(*) AS total, COALESCE(SUM(r.status != 'closed'), 0) AS open,
        COALESCE(SUM(r.status != 'closed' AND r.deadline < ?), 0)
            AS overdue,
        COALESCE(SUM(r.status = 'closed'), 0) AS closed,
        COALESCE(SUM(r.status != 'closed' AND r.deadline < ? AND r.unit_id IS NULL), 0)
            AS overdue_school,
        COALESCE(SUM(r.status != 'closed' AND r.deadline < ? AND r.unit_id IS NOT NULL), 0)
            AS overdue_units
        FROM rectifications r JOIN inspections i ON i.id = r.inspection_id WHERE {where}"""
    day = today.isoformat()
    return dict(next(db.query(sql, [day, day, day, *params])))


def old_by_unit(db, f, today):
    """Overdue items of county units, per unit, straight from the rows."""
    where, params = store.inspection_where(f)
    sql = f"""SELECT r.unit_id, u.name, u.kind, COUNT(*) AS count,
        COUNT(DISTINCT r.school_id) AS schools, MIN(r.deadline) AS oldest
        FROM rectifications r JOIN inspections i ON i.id = r.inspection_id
        JOIN units u ON u.id = r.unit_id
        WHERE {where} AND r.status != 'closed' AND r.deadline < ?
        GROUP BY r.unit_id ORDER BY count DESC, oldest, u.name"""
    return list(db.query(sql, [*params, today.isoformat()]))


def old_overdue(db, f, today, keep=2):
    """The window query the tally replaced."""
    where, params = store.inspection_where(f)
    sql = f"""WITH o AS (
        SELECT r.id, r.school_id, i.date AS inspection_date, ROW_NUMBER() OVER w AS rn,
               COUNT(*) OVER w AS school_count, FIRST_VALUE(r.deadline) OVER w AS school_oldest
        FROM rectifications r JOIN inspections i ON i.id = r.inspection_id
        WHERE {where} AND r.status != 'closed' AND r.deadline < ? AND r.unit_id IS NULL
        WINDOW w AS (PARTITION BY r.school_id ORDER BY r.deadline, r.seq, r.id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING))
    SELECT o.id, o.school_id, r.problem, r.deadline, r.status, r.owner, r.seq,
           o.inspection_date, s.code AS school_code, s.name AS school_name,
           t.name AS township, o.school_count, o.school_oldest
    FROM o JOIN rectifications r ON r.id = o.id
    JOIN schools s ON s.id = o.school_id JOIN regions t ON t.id = s.township_id
    WHERE o.rn <= ? ORDER BY s.code, o.rn"""
    return list(db.query(sql, [*params, today.isoformat(), keep]))


def old_latest(db, f):
    """The window query the per-school seeks (migration 0014) replaced."""
    cte, params = store._latest_cte(f)
    sql = f"""WITH {cte}
        SELECT l.*, s.code AS school_code, s.name AS school_name, s.stage, s.township_id,
               t.name AS township, u.display_name AS inspector_name,
               p.id AS prev_id, p.total AS prev_total, p.grade AS prev_grade, p.date AS prev_date
        FROM latest l JOIN schools s ON s.id = l.school_id JOIN regions t ON t.id = s.township_id
        LEFT JOIN users u ON u.id = l.inspector_id
        LEFT JOIN inspections p ON p.rowid = (
            SELECT q.rowid FROM inspections q
            WHERE q.school_id = l.school_id AND q.checklist_id = l.checklist_id
              AND q.status = 'valid' AND (q.date, q.received_at) < (l.date, l.received_at)
            ORDER BY q.date DESC, q.received_at DESC LIMIT 1)
        ORDER BY l.school_id"""
    return list(db.query(sql, params))


@pytest.fixture
def bench_db(tmp_path):
    path = str(tmp_path / "t.db")
    migrate(path)
    db = open_database(path)
    rng = random.Random(3)
    with db.conn:
        db.execute("INSERT INTO regions (id, name, kind) VALUES (1, '县', 'county')")
        db.execute(
            "INSERT INTO regions (id, name, kind, parent_id) VALUES (2, '镇', 'township', 1)"
        )
        db.execute(
            "INSERT INTO checklist_versions (hash, checklist_id, title, compiled, stored_at) "
            "VALUES ('h', 'c', 'C', '{}', '2026-01-01')"
        )
        for s in range(1, 7):
            db.execute(
                "INSERT INTO schools (id, code, name, township_id, stage) VALUES (?, ?, ?, 2, '小学')",
                [s, f"S{s}", f"学校{s}"],
            )
        for unit, name in ((1, "县财政局"), (2, "镇人民政府")):  # 责任单位 of some items
            db.execute(
                "INSERT INTO units (id, name, kind, created_at) VALUES (?, ?, 'department', '')",
                [unit, name],
            )
        for n in range(24):
            day = date(2026, 1 + n % 12, 1 + n % 27).isoformat()
            db.execute(
                "INSERT INTO inspections (id, school_id, checklist_hash, checklist_id, type, date, "
                "payload, received_at, status) VALUES (?, ?, 'h', 'c', '综合督导', ?, '{}', ?, ?)",
                [f"i{n:02d}", 1 + n % 6, day, day + "T08:00", "revoked" if n == 5 else "valid"],
            )
            for seq in range(1, rng.randrange(1, 7)):
                db.execute(
                    "INSERT INTO rectifications (inspection_id, school_id, item_id, seq, problem, "
                    "deadline, status, unit_id, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, '2026-01-01')",
                    [f"i{n:02d}", 1 + n % 6, f"item{seq}", rng.choice([seq, 1, None]),
                     f"问题{n}-{seq}", f"2026-{1 + rng.randrange(12):02d}-15",
                     rng.choice(["pending", "submitted", "returned", "closed"]),
                     rng.choice([None, None, 1, 2])],
                )  # fmt: skip
    yield db
    db.close()


def check(db):
    assert db.execute(TALLY).fetchall() == db.execute(DIRECT).fetchall()
    year = periods.year_period(2026)
    for f in (
        periods.Filters(period=year),
        periods.Filters(period=periods.quarter_period(2026, 2)),
        periods.Filters(period=year, stage="初中"),
    ):
        for today in (date(2026, 3, 1), date(2026, 8, 20), date(2027, 1, 1)):
            assert store.overdue_by_school(db, f, today) == old_overdue(db, f, today)
            assert store.overdue_by_school(db, f, today, keep=1) == old_overdue(db, f, today, 1)
            counts, schools = store.rectifications_by_school(db, f, today)
            assert counts == old_counts(db, f, today)
            assert store.overdue_by_unit(db, f, today) == old_by_unit(db, f, today)
            old = {r["school_id"]: (r["school_count"], r["school_oldest"])
                   for r in old_overdue(db, f, today)}  # fmt: skip
            assert {s["school_id"]: (s["count"], s["oldest"]) for s in schools} == old
            assert store.latest_inspections(db, f) == old_latest(db, f)


def test_tally_matches_direct_counts_through_changes(bench_db):
    db = bench_db
    check(db)
    assert db.execute("SELECT COUNT(*) FROM rectification_tally").fetchone()[0] > 0
    # Both kinds are late on the test day: the split is exercised, not vacuous.
    counts, _ = store.rectifications_by_school(
        db, periods.Filters(period=periods.year_period(2026)), date(2027, 1, 1)
    )
    assert counts["overdue_school"] > 0 and counts["overdue_units"] > 0
    assert counts["overdue"] == counts["overdue_school"] + counts["overdue_units"]
    ids = [r[0] for r in db.execute("SELECT id FROM rectifications ORDER BY id")]
    with db.conn:  # state changes, extensions granted / requested, deadlines moved
        db.execute("UPDATE rectifications SET status = 'closed' WHERE id IN (?, ?, ?)", ids[:3])
        db.execute("UPDATE rectifications SET status = 'returned' WHERE id = ?", [ids[3]])
        db.execute("UPDATE rectifications SET extension_until = '2026-12-31' WHERE id % 4 = 0")
        db.execute("UPDATE rectifications SET deadline = '2026-02-02' WHERE id % 5 = 0")
        db.execute("UPDATE rectifications SET extension_until = NULL WHERE id % 8 = 0")
        db.execute("UPDATE rectifications SET problem = 'x' WHERE id = ?", [ids[4]])
        # the bureau moves items between the school and the county's units
        db.execute("UPDATE rectifications SET unit_id = 2 WHERE id % 7 = 0")
        db.execute("UPDATE rectifications SET unit_id = NULL WHERE id % 6 = 1")
    check(db)
    with db.conn:  # reopen everything, then delete some and a whole inspection's items
        db.execute("UPDATE rectifications SET status = 'pending' WHERE status = 'closed'")
        db.execute("DELETE FROM rectifications WHERE id % 3 = 0")
        db.execute("DELETE FROM rectifications WHERE inspection_id = 'i07'")
    check(db)
    with db.conn:
        db.execute("DELETE FROM rectifications")
    assert db.execute("SELECT COUNT(*) FROM rectification_tally").fetchone()[0] == 0
    check(db)


def test_rectifications_filed_under_another_school(bench_db):
    """A rectification whose school is not its inspection's counts for its own school."""
    db = bench_db
    with db.conn:
        db.execute("UPDATE rectifications SET school_id = 1 + school_id % 6 WHERE id % 2 = 0")
    check(db)


def test_overview_cache_follows_writes(bench_db):
    db = bench_db
    gathering.clear_cache()
    f = periods.Filters(period=periods.year_period(2026))
    today = date(2026, 8, 20)
    first = gathering.gather(db, f, today)
    assert gathering.gather(db, f, today) is first  # reused while nothing changed
    assert gathering.gather(db, f, date(2026, 8, 21)) is not first  # another day
    with db.conn:
        db.execute("UPDATE rectifications SET status = 'closed'")
    after = gathering.gather(db, f, today)
    assert after is not first
    assert after == gathering.gather_uncached(db, f, today)
    assert after["rectifications"]["open"] == 0
    assert after["overdue_schools"] == [] and after["overdue"] == []
    # The bulletin asks for each school's first overdue rows; the pages only for the counts.
    with db.conn:
        db.execute("UPDATE rectifications SET status = 'pending'")
    rows = gathering.gather(db, f, today, overdue_rows=2)
    assert rows["overdue"] == store.overdue_by_school(db, f, today) != []
    entries = figures.overview(rows, f, today).overdue_by_school
    assert entries == figures.overdue_by_school(store.overdue_by_school(db, f, today))
    assert gathering.gather(db, f, today)["overdue"] == []
    with db.conn:
        db.execute("UPDATE inspections SET status = 'revoked' WHERE id = 'i00'")
    assert gathering.gather(db, f, today) == gathering.gather_uncached(db, f, today)
    with db.conn:
        db.execute("UPDATE schools SET name = '新名' WHERE id = 1")
    assert any(s["name"] == "新名" for s in gathering.gather(db, f, today)["schools"])
    with db.conn:
        db.execute(
            "INSERT INTO users (id, username, display_name, role, password_hash, active) "
            "VALUES (9, 'u', '督学', 'inspector', 'x', 1)"
        )
    version = db.execute("SELECT n FROM bureau_data_version").fetchone()[0]
    with db.conn:  # a login stamp is not something the overview shows; a name is
        db.execute("UPDATE users SET last_login_at = '2026-08-20' WHERE id = 9")
    assert db.execute("SELECT n FROM bureau_data_version").fetchone()[0] == version
    with db.conn:
        db.execute("UPDATE users SET display_name = '督学甲' WHERE id = 9")
    assert db.execute("SELECT n FROM bureau_data_version").fetchone()[0] == version + 1
