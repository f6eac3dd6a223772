"""The schema, as a named sequence of sqlite-utils migrations.

Append new migrations at the end; never edit or reorder one that has shipped, because
deployed databases record each applied name in ``_sqlite_migrations``.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("inspect_app")


@migrations(name="0001_regions_schools_users")
def _regions_schools_users(db: Database) -> None:
    db.table("regions").create(
        {"id": int, "name": str, "kind": str, "parent_id": int},
        pk="id",
        foreign_keys=[("parent_id", "regions", "id")],
        not_null={"name", "kind"},
    )
    db.table("regions").create_index(["parent_id", "name"], unique=True)
    db.table("schools").create(
        {
            "id": int,
            "code": str,
            "name": str,
            "township_id": int,
            "stage": str,
            "boarding": int,
            "township_central": int,
            "poverty_village": int,
            "enrolment": int,
            "principal": str,
            "phone": str,
            "address": str,
            "latitude": float,
            "longitude": float,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("township_id", "regions", "id")],
        not_null={"code", "name", "township_id", "stage"},
        defaults={"boarding": 0, "township_central": 0, "poverty_village": 0, "enrolment": 0},
    )
    db.table("schools").create_index(["code"], unique=True)
    db.table("schools").create_index(["township_id"])
    db.table("users").create(
        {
            "id": int,
            "username": str,
            "display_name": str,
            "role": str,
            "school_id": int,
            "password_hash": str,
            "active": int,
            "created_at": str,
            "last_login_at": str,
        },
        pk="id",
        foreign_keys=[("school_id", "schools", "id")],
        not_null={"username", "display_name", "role", "password_hash"},
        defaults={"active": 1},
    )
    db.table("users").create_index(["username"], unique=True)


@migrations(name="0002_audit_log")
def _audit_log(db: Database) -> None:
    db.table("audit_log").create(
        {
            "id": int,
            "at": str,
            "user_id": int,
            "username": str,
            "action": str,
            "target": str,
            "detail": str,
            "ip": str,
        },
        pk="id",
        not_null={"at", "action"},
    )
    db.table("audit_log").create_index(["at"])
    # Append-only is enforced by the database itself, not by convention.
    for action in ("UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER audit_log_no_{action.lower()} BEFORE {action} ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )


@migrations(name="0003_login_failures")
def _login_failures(db: Database) -> None:
    db.table("login_failures").create(
        {"id": int, "key": str, "at": str}, pk="id", not_null={"key", "at"}
    )
    db.table("login_failures").create_index(["key", "at"])


@migrations(name="0004_checklist_versions")
def _checklist_versions(db: Database) -> None:
    # Every checklist version ever used, keyed by its content hash, so an old inspection
    # is always scored against exactly the checklist it was filled with.
    db.table("checklist_versions").create(
        {
            "hash": str,
            "checklist_id": str,
            "version": str,
            "title": str,
            "compiled": str,
            "stored_at": str,
        },
        pk="hash",
        not_null={"checklist_id", "compiled", "stored_at"},
    )
    db.table("checklist_versions").create_index(["checklist_id"])


@migrations(name="0005_inspections")
def _inspections(db: Database) -> None:
    db.table("photos").create(
        {"sha256": str, "path": str, "mime": str, "width": int, "height": int, "size": int,
         "uploaded_by": int, "uploaded_at": str},
        pk="sha256", not_null={"path", "mime", "uploaded_at"},
    )  # fmt: skip
    db.table("inspections").create(
        {
            "id": str,  # a UUID made on the phone: the idempotency key of the sync API
            "school_id": int,
            "checklist_hash": str,
            "checklist_id": str,
            "type": str,
            "date": str,
            "inspector_id": int,
            "school_rep_name": str,
            "school_rep_title": str,
            "location": str,
            "location_note": str,
            "total": float,
            "grade": str,
            "vetoed": int,
            "findings": int,
            "complete": int,
            "result": str,
            "client_mismatch": str,
            "payload": str,
            "payload_sha256": str,
            "started_at": str,
            "phone_time": str,
            "received_at": str,
            "status": str,  # valid | superseded | revoked
            "supersedes": str,
        },
        pk="id",
        foreign_keys=[
            ("school_id", "schools", "id"),
            ("checklist_hash", "checklist_versions", "hash"),
            ("inspector_id", "users", "id"),
            ("supersedes", "inspections", "id"),
        ],
        not_null={
            "school_id",
            "checklist_hash",
            "checklist_id",
            "type",
            "date",
            "payload",
            "received_at",
            "status",
        },
        defaults={"status": "valid"},
    )
    db.table("inspections").create_index(["school_id", "date"])
    db.table("inspections").create_index(["date"])
    db.table("inspections").create_index(["inspector_id"])
    db.table("inspection_answers").create(
        {"inspection_id": str, "item_id": str, "section_id": str, "value": str, "outcome": str,
         "earned": float, "possible": float, "note": str, "prefilled": int},
        pk=("inspection_id", "item_id"),
        foreign_keys=[("inspection_id", "inspections", "id")],
    )  # fmt: skip
    db.table("inspection_answers").create_index(["item_id", "outcome"])
    db.table("inspection_photos").create(
        {
            "inspection_id": str,
            "photo_sha256": str,
            "item_id": str,
            "caption": str,
            "position": int,
        },
        pk=("inspection_id", "position"),
        foreign_keys=[("inspection_id", "inspections", "id"), ("photo_sha256", "photos", "sha256")],
    )
    db.table("signatures").create(
        {
            "inspection_id": str,
            "role": str,
            "name": str,
            "title": str,
            "signed_at": str,
            "png": bytes,
        },
        pk=("inspection_id", "role"),
        foreign_keys=[("inspection_id", "inspections", "id")],
    )


@migrations(name="0006_assignments")
def _assignments(db: Database) -> None:
    # 督导计划: which inspector is responsible for which school in a period, and how many visits.
    db.table("assignments").create(
        {"id": int, "inspector_id": int, "school_id": int, "period_start": str, "period_end": str,
         "planned_visits": int, "created_by": int, "created_at": str},
        pk="id",
        foreign_keys=[("inspector_id", "users", "id"), ("school_id", "schools", "id")],
        not_null={"inspector_id", "school_id", "period_start", "period_end"},
        defaults={"planned_visits": 2},
    )  # fmt: skip
    db.table("assignments").create_index(["inspector_id", "period_start"])
    db.table("assignments").create_index(["school_id"])


@migrations(name="0007_rectifications")
def _rectifications(db: Database) -> None:
    # 整改事项: one per finding. Current state is kept on the row for fast lists; every change
    # is also an append-only event, so the history is never edited in place.
    db.table("rectifications").create(
        {
            "id": int,
            "inspection_id": str,
            "school_id": int,
            "item_id": str,
            "section_id": str,
            "seq": int,  # 序号 within the inspection's 整改清单
            "problem": str,
            "basis": str,
            "action": str,
            "owner": str,
            "deadline": str,
            "status": str,  # pending 待整改 | submitted 已提交整改 | returned 退回 | closed 已销号
            "extension_until": str,  # a requested new deadline awaiting the reviewer, or NULL
            "reviewer_id": int,  # the inspector who found it; bureau users may review any
            "version": int,  # bumped on every change: two reviewers cannot both act on one state
            "created_at": str,
            "updated_at": str,
            "closed_at": str,
            "closed_by": int,
        },
        pk="id",
        foreign_keys=[
            ("inspection_id", "inspections", "id"),
            ("school_id", "schools", "id"),
            ("reviewer_id", "users", "id"),
            ("closed_by", "users", "id"),
        ],
        not_null={
            "inspection_id",
            "school_id",
            "item_id",
            "problem",
            "deadline",
            "status",
            "created_at",
        },
        defaults={"status": "pending", "version": 1},
    )
    db.table("rectifications").create_index(["inspection_id", "item_id"], unique=True)
    db.table("rectifications").create_index(["school_id", "status"])
    db.table("rectifications").create_index(["status", "deadline"])
    db.table("rectification_events").create(
        {"id": int, "rectification_id": int, "at": str, "user_id": int, "actor": str, "kind": str,
         "text": str, "data": str, "evidence": str},
        pk="id",
        foreign_keys=[("rectification_id", "rectifications", "id"), ("user_id", "users", "id")],
        not_null={"rectification_id", "at", "kind"},
    )  # fmt: skip
    db.table("rectification_events").create_index(["rectification_id", "at"])
    for action in ("UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER rectification_events_no_{action.lower()} BEFORE {action} ON rectification_events "
            "BEGIN SELECT RAISE(ABORT, 'rectification_events is append-only'); END"
        )
    # Evidence a school uploads: JPEG/PNG re-encoded, or PDF checked; content-addressed like photos.
    db.table("evidence_files").create(
        {"sha256": str, "path": str, "mime": str, "size": int, "original_name": str,
         "uploaded_by": int, "uploaded_at": str},
        pk="sha256", not_null={"path", "mime", "uploaded_at"},
    )  # fmt: skip
    # Time-limited, revocable links for a principal without an account, scoped to one school.
    db.table("access_links").create(
        {"token_hash": str, "school_id": int, "created_by": int, "created_at": str, "expires_at": str,
         "revoked_at": str},
        pk="token_hash",
        foreign_keys=[("school_id", "schools", "id"), ("created_by", "users", "id")],
        not_null={"school_id", "created_at", "expires_at"},
    )  # fmt: skip


@migrations(name="0008_notifications")
def _notifications(db: Database) -> None:
    # In-app notifications; addressed to one user or to every account of a school.
    db.table("notifications").create(
        {"id": int, "user_id": int, "school_id": int, "kind": str, "text": str, "link": str,
         "dedupe_key": str, "created_at": str, "read_at": str},
        pk="id",
        foreign_keys=[("user_id", "users", "id"), ("school_id", "schools", "id")],
        not_null={"kind", "text", "created_at"},
    )  # fmt: skip
    db.table("notifications").create_index(["user_id", "read_at"])
    db.table("notifications").create_index(["school_id", "read_at"])
    db.table("notifications").create_index(["dedupe_key"], unique=True)


@migrations(name="0009_reports")
def _reports(db: Database) -> None:
    # Every signed document issued: inspection reports, rectification notices, bulletins.
    # The id is what the QR code carries (/verify/<id>); the PDF is stored once, as signed.
    db.table("reports").create(
        {
            "id": str,
            "kind": str,  # report | notice | bulletin
            "subject_id": str,  # the inspection id, or a bulletin's period key
            "school_id": int,
            "version": int,
            "sha256": str,
            "path": str,
            "size": int,
            "created_at": str,
            "status": str,  # valid 有效 | superseded 已被新版本取代 | revoked 已撤销
            "superseded_by": str,
            "revoked_reason": str,
        },
        pk="id",
        foreign_keys=[("school_id", "schools", "id"), ("superseded_by", "reports", "id")],
        not_null={"kind", "subject_id", "version", "sha256", "path", "created_at", "status"},
        defaults={"status": "valid"},
    )
    db.table("reports").create_index(["subject_id", "kind", "version"], unique=True)
    db.table("reports").create_index(["sha256"])


@migrations(name="0010_inspection_sections")
def _inspection_sections(db: Database) -> None:
    # Bureau roll-ups (ranking, heat map, township averages) need each inspection's section
    # sums; summing ~80 answer rows per inspection on every dashboard load is what made the
    # province-sized benchmark slow. The database keeps the sums itself, so every way an
    # answer row is written keeps them right. Rows add up in insertion order — the Result's
    # document order — so earned/possible equal the scoring function's section sums.
    db.table("inspection_sections").create(
        {"inspection_id": str, "section_id": str, "earned": float, "possible": float, "failed": int},
        pk=("inspection_id", "section_id"),
        foreign_keys=[("inspection_id", "inspections", "id")],
    )  # fmt: skip
    db.execute(
        """CREATE TRIGGER inspection_answers_sum_sections AFTER INSERT ON inspection_answers
           BEGIN
             INSERT INTO inspection_sections (inspection_id, section_id, earned, possible, failed)
             VALUES (NEW.inspection_id, NEW.section_id, COALESCE(NEW.earned, 0),
                     COALESCE(NEW.possible, 0), NEW.outcome = 'fail')
             ON CONFLICT (inspection_id, section_id) DO UPDATE SET
               earned = earned + excluded.earned,
               possible = possible + excluded.possible,
               failed = failed + excluded.failed;
           END"""
    )
    db.execute(
        """CREATE TRIGGER inspection_answers_unsum_sections AFTER DELETE ON inspection_answers
           BEGIN
             UPDATE inspection_sections SET
               earned = earned - COALESCE(OLD.earned, 0),
               possible = possible - COALESCE(OLD.possible, 0),
               failed = failed - (OLD.outcome = 'fail')
             WHERE inspection_id = OLD.inspection_id AND section_id = OLD.section_id;
           END"""
    )
    db.execute(
        """INSERT INTO inspection_sections (inspection_id, section_id, earned, possible, failed)
           SELECT inspection_id, section_id, SUM(COALESCE(earned, 0)), SUM(COALESCE(possible, 0)),
                  SUM(outcome = 'fail')
           FROM inspection_answers GROUP BY inspection_id, section_id"""
    )
    # Latest valid inspection per school in a date range: the ranking's window query.
    db.table("inspections").create_index(["status", "date", "school_id"], if_not_exists=True)
    # Most often failed items: only failed answers are read (a small part of all answers).
    db.execute(
        "CREATE INDEX IF NOT EXISTS inspection_answers_failed "
        "ON inspection_answers (inspection_id, item_id) WHERE outcome = 'fail'"
    )


# Each inspection's failed and assessed item ids, as one string each (every id preceded by
# char(31)); rebuilt from the answers whenever a row is deleted or changed, so it stays exact.
_OUTCOMES_OF = """
    INSERT INTO inspection_outcomes (inspection_id, failed, assessed)
    SELECT {ref}.inspection_id,
           COALESCE(group_concat(CASE WHEN outcome = 'fail' AND item_id IS NOT NULL
                                      THEN char(31) || item_id END, ''), ''),
           COALESCE(group_concat(CASE WHEN outcome IN ('pass', 'fail') AND item_id IS NOT NULL
                                      THEN char(31) || item_id END, ''), '')
    FROM inspection_answers WHERE inspection_id = {ref}.inspection_id
    ON CONFLICT (inspection_id) DO UPDATE SET failed = excluded.failed, assessed = excluded.assessed;
    DELETE FROM inspection_outcomes WHERE inspection_id = {ref}.inspection_id
      AND NOT EXISTS (SELECT 1 FROM inspection_answers WHERE inspection_id = {ref}.inspection_id);"""


@migrations(name="0011_bureau_read_paths")
def _bureau_read_paths(db: Database) -> None:
    # The most often failed items and how often each was assessed, over the latest inspection
    # of every school in a period: one short row per inspection instead of ~80 answer rows
    # (counting those for a province took seconds). Answers are written once at receipt; the
    # insert trigger appends, the delete/update triggers rebuild the inspection's row.
    db.execute(
        """CREATE TABLE inspection_outcomes (
             inspection_id TEXT PRIMARY KEY,
             failed TEXT NOT NULL DEFAULT '',
             assessed TEXT NOT NULL DEFAULT '')"""
    )
    db.execute(
        """CREATE TRIGGER inspection_answers_outcomes_insert AFTER INSERT ON inspection_answers
           BEGIN
             INSERT INTO inspection_outcomes (inspection_id, failed, assessed)
             VALUES (NEW.inspection_id,
                     CASE WHEN NEW.outcome = 'fail' AND NEW.item_id IS NOT NULL
                          THEN char(31) || NEW.item_id ELSE '' END,
                     CASE WHEN NEW.outcome IN ('pass', 'fail') AND NEW.item_id IS NOT NULL
                          THEN char(31) || NEW.item_id ELSE '' END)
             ON CONFLICT (inspection_id) DO UPDATE SET
               failed = failed || excluded.failed, assessed = assessed || excluded.assessed;
           END"""
    )
    db.execute(
        "CREATE TRIGGER inspection_answers_outcomes_delete AFTER DELETE ON inspection_answers "
        f"BEGIN {_OUTCOMES_OF.format(ref='OLD')} END"
    )
    db.execute(
        "CREATE TRIGGER inspection_answers_outcomes_update "
        "AFTER UPDATE OF inspection_id, item_id, outcome ON inspection_answers "
        f"BEGIN {_OUTCOMES_OF.format(ref='OLD')} {_OUTCOMES_OF.format(ref='NEW')} END"
    )
    db.execute(
        """INSERT INTO inspection_outcomes (inspection_id, failed, assessed)
           SELECT inspection_id,
                  COALESCE(group_concat(CASE WHEN outcome = 'fail' AND item_id IS NOT NULL
                                             THEN char(31) || item_id END, ''), ''),
                  COALESCE(group_concat(CASE WHEN outcome IN ('pass', 'fail') AND item_id IS NOT NULL
                                             THEN char(31) || item_id END, ''), '')
           FROM inspection_answers WHERE inspection_id IS NOT NULL GROUP BY inspection_id"""
    )
    # Latest inspection per school in a period: every column that query reads, in the index
    # itself, so the period's inspections are one range of the index and no table row is read.
    db.execute(
        """CREATE INDEX inspections_period ON inspections
           (status, date, school_id, received_at, checklist_id, type, id, checklist_hash, total,
            grade, vetoed, findings, inspector_id)"""
    )
    db.execute("DROP INDEX IF EXISTS idx_inspections_status_date_school_id")  # a prefix of it
    # A school's previous inspection with the same checklist (the ranking's 变化 column).
    db.execute(
        "CREATE INDEX inspections_previous ON inspections "
        "(school_id, checklist_id, status, date, received_at)"
    )
    # Rectification counts and the overdue list read these columns only (the rows are wide).
    db.execute(
        "CREATE INDEX rectifications_by_inspection ON rectifications "
        "(inspection_id, status, deadline, extension_until, school_id, seq)"
    )


# One rectification's key in rectification_tally ({ref} is NEW or OLD): closed items all share
# one row per inspection; open ones are grouped by deadline and effective deadline (an
# extension under review counts as the deadline for the overdue figure).
_TALLY_KEY = """{ref}.inspection_id, {ref}.school_id, {ref}.status = 'closed',
    CASE WHEN {ref}.status = 'closed' THEN '' ELSE {ref}.deadline END,
    CASE WHEN {ref}.status = 'closed' THEN '' ELSE COALESCE({ref}.extension_until, {ref}.deadline) END"""
_TALLY_ADD = f"""
    INSERT INTO rectification_tally (inspection_id, school_id, closed, deadline, due, n)
    VALUES ({_TALLY_KEY.format(ref="NEW")}, 1)
    ON CONFLICT (inspection_id, school_id, closed, deadline, due) DO UPDATE SET n = n + 1;"""
_TALLY_MATCH = """inspection_id = OLD.inspection_id AND school_id = OLD.school_id
    AND closed = (OLD.status = 'closed')
    AND deadline = CASE WHEN OLD.status = 'closed' THEN '' ELSE OLD.deadline END
    AND due = CASE WHEN OLD.status = 'closed' THEN '' ELSE COALESCE(OLD.extension_until, OLD.deadline) END"""
_TALLY_REMOVE = f"""
    UPDATE rectification_tally SET n = n - 1 WHERE {_TALLY_MATCH};
    DELETE FROM rectification_tally WHERE {_TALLY_MATCH} AND n <= 0;"""


@migrations(name="0012_rectification_tally")
def _rectification_tally(db: Database) -> None:
    # The bureau's rectification counts and overdue-by-school list read a province's ~half a
    # million rectifications; this tally holds how many each inspection has per (school,
    # closed, deadline, effective deadline) — about one or two rows per inspection — so they
    # are summed from tens of thousands of rows. Overdue depends on the day, so open items
    # keep their deadlines. Triggers keep it exact on every insert, update and delete.
    # deadline/due have no declared type: values compare exactly as in rectifications.
    db.execute(
        """CREATE TABLE rectification_tally (
             inspection_id TEXT NOT NULL,
             school_id INTEGER NOT NULL,
             closed INTEGER NOT NULL,
             deadline NOT NULL,
             due NOT NULL,
             n INTEGER NOT NULL,
             PRIMARY KEY (inspection_id, school_id, closed, deadline, due)
           ) WITHOUT ROWID"""
    )
    db.execute(
        f"CREATE TRIGGER rectifications_tally_insert AFTER INSERT ON rectifications "
        f"BEGIN {_TALLY_ADD} END"
    )
    db.execute(
        f"CREATE TRIGGER rectifications_tally_delete AFTER DELETE ON rectifications "
        f"BEGIN {_TALLY_REMOVE} END"
    )
    db.execute(
        "CREATE TRIGGER rectifications_tally_update AFTER UPDATE OF inspection_id, school_id, "
        f"status, deadline, extension_until ON rectifications BEGIN {_TALLY_REMOVE} {_TALLY_ADD} END"
    )
    db.execute(
        f"""INSERT INTO rectification_tally (inspection_id, school_id, closed, deadline, due, n)
            SELECT {_TALLY_KEY.format(ref="r")}, COUNT(*) FROM rectifications r
            GROUP BY 1, 2, 3, 4, 5"""
    )


# What the bureau's roll-ups read; a write to any of them bumps bureau_data_version.
_VERSIONED = {
    "inspections": ("INSERT", "UPDATE", "DELETE"),
    "inspection_answers": ("INSERT", "UPDATE", "DELETE"),
    "rectifications": ("INSERT", "UPDATE", "DELETE"),
    "schools": ("INSERT", "UPDATE", "DELETE"),
    "regions": ("INSERT", "UPDATE", "DELETE"),
    "checklist_versions": ("INSERT", "UPDATE", "DELETE"),
    "users": ("INSERT", "UPDATE OF display_name", "DELETE"),
}


@migrations(name="0013_bureau_data_version")
def _bureau_data_version(db: Database) -> None:
    # A counter every write the dashboard could show bumps (in the writer's transaction), so
    # a computed overview can be reused until the next such write (storage.analytics.gather).
    # ``origin`` is random per database, so a file recreated at the same path is never
    # mistaken for the old one.
    db.execute(
        "CREATE TABLE bureau_data_version (id INTEGER PRIMARY KEY, origin TEXT NOT NULL, "
        "n INTEGER NOT NULL)"
    )
    db.execute("INSERT INTO bureau_data_version VALUES (1, lower(hex(randomblob(16))), 0)")
    for table, events in _VERSIONED.items():
        for event in events:
            name = f"{table}_bump_version_{event.split()[0].lower()}"
            db.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} "
                "BEGIN UPDATE bureau_data_version SET n = n + 1 WHERE id = 1; END"
            )


@migrations(name="0014_bureau_school_paths")
def _bureau_school_paths(db: Database) -> None:
    # A province's dashboard walks the schools once and seeks each school's newest valid
    # inspection in the period, its previous one and its rectification tally; these indexes
    # make every seek an index-only lookup (no wide inspection row, no sort of the period).
    db.execute(
        """CREATE INDEX inspections_school_latest ON inspections
           (school_id, status, date, received_at, checklist_id, type, id, checklist_hash, total,
            grade, vetoed, findings, inspector_id)"""
    )
    # The previous inspection's figures come from the index too (the ranking's 变化 column).
    db.execute("DROP INDEX IF EXISTS inspections_previous")
    db.execute(
        "CREATE INDEX inspections_previous ON inspections "
        "(school_id, checklist_id, status, date, received_at, id, total, grade)"
    )
    # Section sums of the latest inspections without visiting the table's rows.
    db.execute(
        "CREATE INDEX inspection_sections_sums ON inspection_sections "
        "(inspection_id, section_id, earned, possible)"
    )


@migrations(name="0015_export_answers")
def _export_answers(db: Database) -> None:
    # The bureau's export reads every answer of a period's inspections, inspection by
    # inspection (3.2 M rows for a province's year). Through the primary key each answer cost
    # a second seek into the table; with every exported column in this index an inspection's
    # answers are one contiguous index range (measured: 4.2 s of SQLite work down to 1.5 s).
    db.execute(
        """CREATE INDEX inspection_answers_export ON inspection_answers
           (inspection_id, item_id, outcome, earned, possible, value, note)"""
    )


# rectification_tally's key from 0016 on: an open item counts against its deadline alone.
_TALLY_KEY_16 = """{ref}.inspection_id, {ref}.school_id, {ref}.status = 'closed',
    CASE WHEN {ref}.status = 'closed' THEN '' ELSE {ref}.deadline END"""
_TALLY_ADD_16 = f"""
    INSERT INTO rectification_tally (inspection_id, school_id, closed, deadline, n)
    VALUES ({_TALLY_KEY_16.format(ref="NEW")}, 1)
    ON CONFLICT (inspection_id, school_id, closed, deadline) DO UPDATE SET n = n + 1;"""
_TALLY_MATCH_16 = """inspection_id = OLD.inspection_id AND school_id = OLD.school_id
    AND closed = (OLD.status = 'closed')
    AND deadline = CASE WHEN OLD.status = 'closed' THEN '' ELSE OLD.deadline END"""
_TALLY_REMOVE_16 = f"""
    UPDATE rectification_tally SET n = n - 1 WHERE {_TALLY_MATCH_16};
    DELETE FROM rectification_tally WHERE {_TALLY_MATCH_16} AND n <= 0;"""


@migrations(name="0016_tally_on_deadline")
def _tally_on_deadline(db: Database) -> None:
    # Overdue means past the deadline on every page: a requested extension stops nothing until
    # it is approved (and then it is the deadline). The dashboard's count alone still used the
    # requested date, from the tally's "due" column; the tally is rebuilt without it.
    for trigger in ("insert", "delete", "update"):
        db.execute(f"DROP TRIGGER rectifications_tally_{trigger}")
    db.execute("DROP TABLE rectification_tally")
    db.execute(
        """CREATE TABLE rectification_tally (
             inspection_id TEXT NOT NULL,
             school_id INTEGER NOT NULL,
             closed INTEGER NOT NULL,
             deadline NOT NULL,
             n INTEGER NOT NULL,
             PRIMARY KEY (inspection_id, school_id, closed, deadline)
           ) WITHOUT ROWID"""
    )
    db.execute(
        "CREATE TRIGGER rectifications_tally_insert AFTER INSERT ON rectifications "
        f"BEGIN {_TALLY_ADD_16} END"
    )
    db.execute(
        "CREATE TRIGGER rectifications_tally_delete AFTER DELETE ON rectifications "
        f"BEGIN {_TALLY_REMOVE_16} END"
    )
    db.execute(
        "CREATE TRIGGER rectifications_tally_update AFTER UPDATE OF inspection_id, school_id, "
        f"status, deadline ON rectifications BEGIN {_TALLY_REMOVE_16} {_TALLY_ADD_16} END"
    )
    db.execute(
        f"""INSERT INTO rectification_tally (inspection_id, school_id, closed, deadline, n)
            SELECT {_TALLY_KEY_16.format(ref="r")}, COUNT(*) FROM rectifications r
            GROUP BY 1, 2, 3, 4"""
    )


@migrations(name="0018_sessions")
def _sessions(db: Database) -> None:
    # A login is a row here, and the cookie names it: logout, a password reset or deactivation
    # deletes rows, and a copied cookie stops working at once. Only the SHA-256 of the random
    # session id is stored, so a copy of the database logs nobody in.
    db.table("sessions").create(
        {
            "id": int,
            "token_sha256": str,
            "user_id": int,
            "created_at": str,
            "last_seen_at": str,
            "remember": int,
            "user_agent": str,
            "ip": str,
        },
        pk="id",
        foreign_keys=[("user_id", "users", "id")],
        not_null={"token_sha256", "user_id", "created_at", "last_seen_at"},
        defaults={"remember": 0, "user_agent": "", "ip": ""},
    )
    db.table("sessions").create_index(["token_sha256"], unique=True)
    db.table("sessions").create_index(["user_id"])
    # Set for accounts whose password someone else chose (an administrator, a reset): the
    # first login asks for a new one before anything else.
    db.table("users").add_column("must_change_password", int, not_null_default=0)
    # Who has shown the bytes of a photo. Naming a photo's hash proves nothing (the hash shows
    # in addresses and reports), so an inspection may only cite photos its inspector uploaded.
    db.table("photo_uploads").create(
        {"sha256": str, "user_id": int, "at": str},
        pk=("sha256", "user_id"),
        foreign_keys=[("sha256", "photos", "sha256"), ("user_id", "users", "id")],
        not_null={"at"},
    )
    db.execute(
        """INSERT OR IGNORE INTO photo_uploads (sha256, user_id, at)
           SELECT sha256, uploaded_by, uploaded_at FROM photos WHERE uploaded_by IS NOT NULL"""
    )
    # Photos already cited stay usable by the inspector who cited them (their phone had them).
    db.execute(
        """INSERT OR IGNORE INTO photo_uploads (sha256, user_id, at)
           SELECT ip.photo_sha256, i.inspector_id, i.received_at
           FROM inspection_photos ip JOIN inspections i ON i.id = ip.inspection_id
           WHERE i.inspector_id IS NOT NULL"""
    )


@migrations(name="0019_bulletin_records")
def _bulletin_records(db: Database) -> None:
    # What a bulletin covers and who issued it, for the list of issued bulletins; the
    # bureau's own 点评 text is kept as typed, so a Word copy says what the PDF says.
    db.table("bulletins").create(
        {
            "report_id": str,
            "period_kind": str,
            "period_key": str,
            "checklist_id": str,
            "checklist_title": str,
            "commentary": str,
            "inspected": int,
            "issued_by": int,
        },
        pk="report_id",
        foreign_keys=[("report_id", "reports", "id"), ("issued_by", "users", "id")],
        not_null={"period_kind", "period_key", "checklist_id", "checklist_title"},
        defaults={"commentary": ""},
    )


@migrations(name="0021_document_numbers")
def _document_numbers(db: Database) -> None:
    # 文号: one sequence per kind of document and year. A number is reserved for a report id
    # before rendering (it is printed on the PDF) and given back if the document is not stored;
    # the primary key is what makes a duplicate impossible.
    db.table("document_numbers").create(
        {"kind": str, "year": int, "seq": int, "report_id": str, "reserved_at": str},
        pk=("kind", "year", "seq"),
        not_null={"kind", "year", "seq", "reserved_at"},
    )
    db.table("document_numbers").create_index(["report_id"], unique=True)
    # The number as printed; documents issued before numbering have none.
    db.table("reports").add_column("doc_number", str)
    db.execute(
        "CREATE UNIQUE INDEX idx_reports_doc_number ON reports (doc_number) "
        "WHERE doc_number IS NOT NULL"
    )


@migrations(name="0022_document_jobs")
def _document_jobs(db: Database) -> None:
    # Issuing an inspection's documents is a job in the database, claimed by the one document
    # worker process under a lease: a crashed worker's job is claimed again when its lease
    # runs out, a failure is kept with its reason and retried later, and a job that keeps
    # failing waits for an admin without holding up any other.
    db.table("document_jobs").create(
        {
            "id": int,
            "inspection_id": str,
            "status": str,  # queued 排队中 | running 生成中 | done 已完成 | failed 已停止重试
            "attempts": int,
            "run_after": str,  # not claimed before this (back-off after a failure)
            "lease_until": str,  # a running job whose lease has passed is claimed again
            "claim": str,  # the current claim's token: only its holder may finish the job
            "claimed_by": str,  # the worker holding it (host:pid)
            "last_error": str,
            "created_at": str,
            "updated_at": str,
            "finished_at": str,
        },
        pk="id",
        foreign_keys=[("inspection_id", "inspections", "id")],
        not_null={"inspection_id", "status", "attempts", "run_after", "created_at", "updated_at"},
        defaults={"status": "queued", "attempts": 0},
    )
    # One job per inspection: enqueueing twice (a retried upload, a replayed import) is a no-op.
    db.table("document_jobs").create_index(["inspection_id"], unique=True)
    db.table("document_jobs").create_index(["status", "run_after"])
    # Inspections received before this migration that still lack their report.
    db.execute(
        """INSERT INTO document_jobs (inspection_id, status, attempts, run_after, created_at, updated_at)
           SELECT i.id, 'queued', 0, i.received_at, i.received_at, i.received_at
           FROM inspections i
           WHERE i.status = 'valid' AND NOT EXISTS (
             SELECT 1 FROM reports r WHERE r.subject_id = i.id AND r.kind = 'report')"""
    )
    # Each worker process records that it is alive, for the admin page and /healthz.
    db.table("worker_heartbeats").create(
        {
            "worker_id": str,
            "pid": int,
            "started_at": str,
            "beat_at": str,
            "job_id": int,
            "issued": int,
            "failed": int,
        },
        pk="worker_id",
        not_null={"pid", "started_at", "beat_at"},
        defaults={"issued": 0, "failed": 0},
    )


@migrations(name="0023_responsible_units")
def _responsible_units(db: Database) -> None:
    # 责任单位: many findings are the county's to fix (编制, 改薄 projects, broadband, subsidies
    # paid by 财政), not the school's. A unit is a county department or a township government;
    # an item with no unit is the school's own. A department account (role ``department``)
    # answers its unit's items, at every school.
    db.table("units").create(
        {"id": int, "name": str, "kind": str, "head": str, "active": int, "created_at": str},
        pk="id",
        not_null={"name", "kind", "created_at"},
        defaults={"active": 1},
    )  # fmt: skip
    db.table("units").create_index(["name"], unique=True)
    # Plain ALTER TABLE: sqlite-utils' add_column(fk=...) rebuilds the table, which would drop
    # the tally and data-version triggers on rectifications and users.
    for table in ("rectifications", "users"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN unit_id INTEGER REFERENCES units(id)")
    db.table("rectifications").create_index(["unit_id", "status"])


@migrations(name="0023b_rectification_findings")
def _rectification_findings(db: Database) -> None:
    # One item per problem: a failed checklist item found again at a school that still has an
    # open item for it joins that item instead of opening a second. Each inspection's findings
    # are kept here (which item each joined, with the problem as that visit measured it), so an
    # inspection's 整改清单 still lists every problem it found.
    db.execute(
        """CREATE TABLE rectification_findings (
             inspection_id TEXT NOT NULL REFERENCES inspections(id),
             item_id TEXT NOT NULL,
             rectification_id INTEGER NOT NULL REFERENCES rectifications(id),
             seq INTEGER NOT NULL,
             problem TEXT NOT NULL,
             found_on TEXT NOT NULL,
             PRIMARY KEY (inspection_id, item_id)
           )"""
    )
    db.execute(
        "CREATE INDEX rectification_findings_by_item ON rectification_findings (rectification_id)"
    )
    db.execute(
        """INSERT INTO rectification_findings
           SELECT r.inspection_id, r.item_id, r.id, r.seq, r.problem, i.date
           FROM rectifications r JOIN inspections i ON i.id = r.inspection_id"""
    )
    # 编号: unique in the school's list across inspections (2026-017), by year of the finding.
    # repeats: how many later visits found the problem again (屡查屡犯 when > 0).
    # evidence_required: whether an answer needs a file (from the checklist, kept per item).
    for column in (
        "number TEXT",
        "repeats INTEGER NOT NULL DEFAULT 0",
        "evidence_required INTEGER NOT NULL DEFAULT 1",
    ):
        db.execute(f"ALTER TABLE rectifications ADD COLUMN {column}")
    # Numbered in a keyed temporary table first: a window inside a correlated subquery is
    # computed again for every row, which never finishes on a province's half a million items.
    db.execute(
        """CREATE TEMP TABLE rectification_numbers AS
           SELECT r.id AS id, printf('%s-%03d', substr(i.date, 1, 4),
                    ROW_NUMBER() OVER (PARTITION BY r.school_id, substr(i.date, 1, 4)
                                       ORDER BY i.date, i.received_at, r.inspection_id, r.seq)
                  ) AS number
           FROM rectifications r JOIN inspections i ON i.id = r.inspection_id"""
    )
    db.execute("CREATE UNIQUE INDEX temp.rectification_numbers_id ON rectification_numbers (id)")
    db.execute(
        """UPDATE rectifications SET number = (
             SELECT n.number FROM rectification_numbers n WHERE n.id = rectifications.id)"""
    )
    db.execute("DROP TABLE temp.rectification_numbers")
    db.execute("CREATE UNIQUE INDEX rectifications_number ON rectifications (school_id, number)")


@migrations(name="0023c_rectification_reports")
def _rectification_reports(db: Database) -> None:
    # 整改报告: within 30 days of the notice the school sends one written report per inspection
    # (standards.md, 省), gathering the measures of all its items; it is issued as a signed PDF
    # with its own 文号 (reports.kind = 'rectification_report', issued by the document worker).
    db.execute(
        """CREATE TABLE rectification_reports (
             id INTEGER PRIMARY KEY,
             inspection_id TEXT NOT NULL UNIQUE REFERENCES inspections(id),
             school_id INTEGER NOT NULL REFERENCES schools(id),
             summary TEXT NOT NULL,
             items TEXT NOT NULL,
             evidence TEXT NOT NULL DEFAULT '[]',
             submitted_by INTEGER REFERENCES users(id),
             submitted_by_name TEXT NOT NULL,
             submitted_at TEXT NOT NULL
           )"""
    )
    db.execute("CREATE INDEX rectification_reports_by_school ON rectification_reports (school_id)")


@migrations(name="0023d_notification_channels")
def _notification_channels(db: Database) -> None:
    # Notifications that reach people: beside the in-app list, e-mail (SMTP) and a signed
    # webhook the bureau points at its SMS or WeChat gateway. Per user and channel: the address
    # (e-mail, or the phone number / WeChat id the gateway needs), which events (a JSON list of
    # notice kinds; empty = all) and whether they come as one daily digest.
    db.execute(
        """CREATE TABLE notification_channels (
             user_id INTEGER NOT NULL REFERENCES users(id),
             channel TEXT NOT NULL,
             address TEXT NOT NULL,
             events TEXT NOT NULL DEFAULT '[]',
             digest INTEGER NOT NULL DEFAULT 0,
             PRIMARY KEY (user_id, channel)
           )"""
    )
    # The delivery log: one row per message to send, with its attempts (retries back off) and
    # outcome; status queued 待发送 | digest 待汇总 | sent 已发送 | failed 已放弃.
    db.execute(
        """CREATE TABLE notification_deliveries (
             id INTEGER PRIMARY KEY,
             user_id INTEGER NOT NULL REFERENCES users(id),
             channel TEXT NOT NULL,
             address TEXT NOT NULL,
             kind TEXT NOT NULL,
             text TEXT NOT NULL,
             link TEXT NOT NULL DEFAULT '',
             status TEXT NOT NULL,
             attempts INTEGER NOT NULL DEFAULT 0,
             next_attempt_at TEXT NOT NULL,
             last_error TEXT,
             created_at TEXT NOT NULL,
             delivered_at TEXT
           )"""
    )
    db.execute(
        "CREATE INDEX notification_deliveries_due ON notification_deliveries (status, next_attempt_at)"
    )


@migrations(name="0024_surveys")
def _surveys(db: Database) -> None:
    # Survey versions (kind: survey) apart from checklist_versions, which every inspection
    # figure and filter reads: a questionnaire is never counted or offered as an inspection.
    db.table("survey_versions").create(
        {"hash": str, "survey_id": str, "version": str, "title": str, "compiled": str,
         "stored_at": str},
        pk="hash",
        not_null={"survey_id", "title", "compiled", "stored_at"},
    )  # fmt: skip
    # A round: one survey version asked at a set of schools over a period (or at the school of
    # one inspection). Respondents may answer while it is open.
    db.table("survey_rounds").create(
        {
            "id": int,
            "survey_id": str,
            "survey_hash": str,
            "title": str,
            "period_key": str,  # common/periods key ("2026-T1"), or None for an inspection's round
            "period_label": str,
            "inspection_id": str,
            "status": str,  # open | closed (vocabulary.SURVEY_ROUND_STATUS)
            "closes_on": str,  # the last day answers are taken (Beijing date), or None
            "created_by": int,
            "created_at": str,
            "closed_at": str,
        },
        pk="id",
        foreign_keys=[
            ("survey_hash", "survey_versions", "hash"),
            ("inspection_id", "inspections", "id"),
            ("created_by", "users", "id"),
        ],
        not_null={"survey_id", "survey_hash", "title", "status", "created_by", "created_at"},
        defaults={"status": "open"},
    )
    db.table("survey_rounds").create_index(["inspection_id"])
    # Each school of a round has its own unguessable link code (the poster's QR code).
    db.table("survey_round_schools").create(
        {"id": int, "round_id": int, "school_id": int, "code": str},
        pk="id",
        foreign_keys=[("round_id", "survey_rounds", "id"), ("school_id", "schools", "id")],
        not_null={"round_id", "school_id", "code"},
    )
    db.table("survey_round_schools").create_index(["code"], unique=True)
    db.table("survey_round_schools").create_index(["round_id", "school_id"], unique=True)
    db.table("survey_round_schools").create_index(["school_id"])
    # Anonymous answers: no account, no name, no address, no time of day (the day only). The
    # device token is a random value the browser keeps, stored hashed: one answer per device.
    db.table("survey_responses").create(
        {
            "id": str,  # the browser's UUID for this answer: a re-send of it is not a second one
            "round_id": int,
            "school_id": int,
            "respondent_group": str,  # vocabulary.RESPONDENT_GROUPS key
            "device_hash": str,
            "answers": str,  # JSON {item: value}
            "received_on": str,
        },
        pk="id",
        foreign_keys=[("round_id", "survey_rounds", "id"), ("school_id", "schools", "id")],
        not_null={"round_id", "school_id", "respondent_group", "device_hash", "answers",
                  "received_on"},
    )  # fmt: skip
    db.table("survey_responses").create_index(["round_id", "device_hash"], unique=True)
    db.table("survey_responses").create_index(["round_id", "school_id", "respondent_group"])
    # Per-address limit on answers: a keyed hash of the address, deleted once the window ends.
    db.table("survey_throttle").create(
        {"id": int, "address_hash": str, "at": str},
        pk="id",
        not_null={"address_hash", "at"},
    )
    db.table("survey_throttle").create_index(["address_hash", "at"])
    db.table("survey_throttle").create_index(["at"])


@migrations(name="0025_checklist_library")
def _checklist_library(db: Database) -> None:
    # Which version of each checklist phones are given, kept in the database so that a
    # version published in the app is served by every server process at once, no restart.
    # file_hash: the version last read from CHECKLIST_DIR, so a changed file still publishes
    # itself at start-up while an unchanged one leaves an in-app publication alone.
    db.table("checklist_library").create(
        {"checklist_id": str, "current_hash": str, "retired_at": str, "file_hash": str,
         "updated_at": str},
        pk="checklist_id",
        foreign_keys=[("current_hash", "checklist_versions", "hash")],
        not_null={"current_hash", "updated_at"},
    )  # fmt: skip
    # The source of a version as YAML (what downloads give, XLSX is made from it), by hash.
    db.table("checklist_sources").create(
        {"hash": str, "yaml": str, "stored_at": str},
        pk="hash",
        foreign_keys=[("hash", "checklist_versions", "hash")],
        not_null={"yaml", "stored_at"},
    )
    # Every upload, good or not: its errors in Chinese, or its compiled version (a draft
    # until published; a draft's version is not in checklist_versions before that).
    db.table("checklist_uploads").create(
        {"id": int, "checklist_id": str, "file_name": str, "format": str, "original": bytes,
         "yaml": str, "compiled": str, "hash": str, "errors": str, "uploaded_by": int,
         "uploaded_at": str, "published_at": str, "published_by": int},
        pk="id",
        foreign_keys=[("uploaded_by", "users", "id"), ("published_by", "users", "id")],
        not_null={"file_name", "format", "errors", "uploaded_at"},
    )  # fmt: skip
    db.table("checklist_uploads").create_index(["checklist_id", "uploaded_at"])
    # Publication history: which version became current when, by whom (None: from the file).
    db.table("checklist_publications").create(
        {"id": int, "checklist_id": str, "hash": str, "published_at": str, "published_by": int,
         "origin": str},
        pk="id",
        foreign_keys=[("hash", "checklist_versions", "hash"), ("published_by", "users", "id")],
        not_null={"checklist_id", "hash", "published_at", "origin"},
    )  # fmt: skip
    db.table("checklist_publications").create_index(["checklist_id", "published_at"])


@migrations(name="0026_figure_sets")
def _figure_sets(db: Database) -> None:
    # A province's overview takes about a second of one core to compute, and each server
    # process kept its own copy in memory, so every process started cold (3.8 s through the
    # server, p95 6–9 s at 10 bureau users). Computed once, the figures are kept here for
    # every process (storage/figure_sets.py): ``head`` is what the dashboard shows (zlib-
    # compressed JSON), ``figure_rows`` one row per ranked school, ``figure_orders`` the
    # ranking's positions in each order a table can be sorted by, so a page of the ranking
    # reads its 60 rows. ``version`` is the bureau_data_version the figures were computed at.
    db.execute(
        """CREATE TABLE figure_sets (
             id INTEGER PRIMARY KEY,
             key TEXT NOT NULL UNIQUE,
             version TEXT NOT NULL,
             computed_at TEXT NOT NULL,
             seconds REAL NOT NULL,
             viewed_at TEXT,
             head BLOB NOT NULL)"""
    )
    db.execute("CREATE INDEX figure_sets_viewed ON figure_sets (viewed_at)")
    db.execute(
        """CREATE TABLE figure_rows (
             set_id INTEGER NOT NULL REFERENCES figure_sets(id) ON DELETE CASCADE,
             position INTEGER NOT NULL,
             row TEXT NOT NULL,
             PRIMARY KEY (set_id, position)
           ) WITHOUT ROWID"""
    )
    db.execute(
        """CREATE TABLE figure_orders (
             set_id INTEGER NOT NULL REFERENCES figure_sets(id) ON DELETE CASCADE,
             sort TEXT NOT NULL,  -- e.g. total:desc
             positions BLOB NOT NULL,  -- 32-bit little-endian positions in figure_rows
             PRIMARY KEY (set_id, sort)
           ) WITHOUT ROWID"""
    )


@migrations(name="0026b_export_jobs")
def _export_jobs(db: Database) -> None:
    # A province's full-year workbook takes 12–40 s to write: as a web request it ran into a
    # reverse proxy's timeout. The bureau now asks for an export, the worker writes it
    # (claimed under a lease, as document_jobs), reports how far it is in done/total, and any
    # server process offers the finished file for download.
    db.table("export_jobs").create(
        {
            "id": int,
            "format": str,  # xlsx | zip
            "args": str,  # the filters and day, as bureau/stored.py keys them
            "label": str,  # what the list calls it: the period and checklist in words
            "status": str,  # queued 排队中 | running 导出中 | done 已完成 | failed 失败 | expired 已过期
            "done": int,
            "total": int,
            "stage": str,  # the sheet being written
            "attempts": int,
            "run_after": str,
            "lease_until": str,
            "claim": str,
            "claimed_by": str,
            "last_error": str,
            "path": str,
            "filename": str,
            "size": int,
            "rows": str,  # rows written per sheet (JSON)
            "requested_by": int,
            "created_at": str,
            "updated_at": str,
            "finished_at": str,
        },
        pk="id",
        foreign_keys=[("requested_by", "users", "id")],
        not_null={
            "format",
            "args",
            "label",
            "status",
            "done",
            "total",
            "attempts",
            "run_after",
            "created_at",
            "updated_at",
        },  # fmt: skip
        defaults={"status": "queued", "done": 0, "total": 0, "attempts": 0},
    )
    db.table("export_jobs").create_index(["status", "run_after"])


@migrations(name="0026c_draws")
def _draws(db: Database) -> None:
    # 回避: an inspector is never drawn for a school listed here, or for any school of a
    # listed township (their former school, the township they live in); an inspector's own
    # school (users.school_id) is avoided without a row.
    db.table("draw_conflicts").create(
        {"id": int, "inspector_id": int, "school_id": int, "township_id": int, "reason": str,
         "created_by": int, "created_at": str},
        pk="id",
        foreign_keys=[("inspector_id", "users", "id"), ("school_id", "schools", "id"),
                      ("township_id", "regions", "id"), ("created_by", "users", "id")],
        not_null={"inspector_id", "reason", "created_at"},
    )  # fmt: skip
    db.table("draw_conflicts").create_index(["inspector_id"])
    # 双随机 draws: everything the draw was computed from (the schools and inspectors in
    # order, the conflicts, share and seed) and its result, so anyone can compute it again
    # from the published seed; the signed record is a report of kind "draw".
    db.table("draws").create(
        {"id": int, "period_kind": str, "period_key": str, "seed": str, "inputs": str,
         "result": str, "digest": str, "report_id": str, "created_by": int, "created_at": str},
        pk="id",
        foreign_keys=[("report_id", "reports", "id"), ("created_by", "users", "id")],
        not_null={"period_kind", "period_key", "seed", "inputs", "result", "digest",
                  "created_at"},
    )  # fmt: skip


@migrations(name="0027_survey_round_reports")
def _survey_round_reports(db: Database) -> None:
    # The report version that carries a closed round's final figures: a round opened for an
    # inspection closes after its report was issued, and the next version prints the figures
    # exactly once (times alone cannot tell, both are stamped to the second).
    db.execute("ALTER TABLE survey_rounds ADD COLUMN report_id TEXT REFERENCES reports(id)")


# rectification_tally's key from 0028 on: an item a county unit fixes (unit_id, 0 for the
# school's own) counts against that unit, not against the school.
_TALLY_KEY_28 = """{ref}.inspection_id, {ref}.school_id, COALESCE({ref}.unit_id, 0),
    {ref}.status = 'closed', CASE WHEN {ref}.status = 'closed' THEN '' ELSE {ref}.deadline END"""
_TALLY_ADD_28 = f"""
    INSERT INTO rectification_tally (inspection_id, school_id, unit_id, closed, deadline, n)
    VALUES ({_TALLY_KEY_28.format(ref="NEW")}, 1)
    ON CONFLICT (inspection_id, school_id, unit_id, closed, deadline) DO UPDATE SET n = n + 1;"""
_TALLY_MATCH_28 = """inspection_id = OLD.inspection_id AND school_id = OLD.school_id
    AND unit_id = COALESCE(OLD.unit_id, 0) AND closed = (OLD.status = 'closed')
    AND deadline = CASE WHEN OLD.status = 'closed' THEN '' ELSE OLD.deadline END"""
_TALLY_REMOVE_28 = f"""
    UPDATE rectification_tally SET n = n - 1 WHERE {_TALLY_MATCH_28};
    DELETE FROM rectification_tally WHERE {_TALLY_MATCH_28} AND n <= 0;"""


@migrations(name="0028_unit_overdue")
def _unit_overdue(db: Database) -> None:
    # Only the school's own pages left out the items a county department or township fixes
    # (0023): the dashboard, the ranking, the bulletin and the clocks counted them against the
    # school. The tally is rebuilt with the item's unit in its key, so every bureau figure can
    # count an item against whoever must fix it.
    for trigger in ("insert", "delete", "update"):
        db.execute(f"DROP TRIGGER rectifications_tally_{trigger}")
    db.execute("DROP TABLE rectification_tally")
    db.execute(
        """CREATE TABLE rectification_tally (
             inspection_id TEXT NOT NULL,
             school_id INTEGER NOT NULL,
             unit_id INTEGER NOT NULL,  -- 0: the school's own items
             closed INTEGER NOT NULL,
             deadline NOT NULL,
             n INTEGER NOT NULL,
             PRIMARY KEY (inspection_id, school_id, unit_id, closed, deadline)
           ) WITHOUT ROWID"""
    )
    db.execute(
        "CREATE TRIGGER rectifications_tally_insert AFTER INSERT ON rectifications "
        f"BEGIN {_TALLY_ADD_28} END"
    )
    db.execute(
        "CREATE TRIGGER rectifications_tally_delete AFTER DELETE ON rectifications "
        f"BEGIN {_TALLY_REMOVE_28} END"
    )
    db.execute(
        "CREATE TRIGGER rectifications_tally_update AFTER UPDATE OF inspection_id, school_id, "
        f"unit_id, status, deadline ON rectifications BEGIN {_TALLY_REMOVE_28} {_TALLY_ADD_28} END"
    )
    db.execute(
        f"""INSERT INTO rectification_tally (inspection_id, school_id, unit_id, closed, deadline, n)
            SELECT {_TALLY_KEY_28.format(ref="r")}, COUNT(*) FROM rectifications r
            GROUP BY 1, 2, 3, 4, 5"""
    )
    # 逾期升级 as a record (it was only a notice): one row per item and deadline (``key``
    # overdue:<deadline>), or per visit that found an overdue item again (repeat:<inspection>),
    # with whom it was raised against, so the bulletin can count the period's escalations by
    # unit. Earlier escalations are read back from their notices' keys (esc:<item>:<deadline>:…).
    db.execute(
        """CREATE TABLE rectification_escalations (
             id INTEGER PRIMARY KEY,
             rectification_id INTEGER NOT NULL REFERENCES rectifications(id),
             key TEXT NOT NULL,
             reason TEXT NOT NULL,  -- overdue 逾期未整改 | repeat 逾期后再次发现
             deadline TEXT NOT NULL,
             days_overdue INTEGER NOT NULL,
             school_id INTEGER NOT NULL REFERENCES schools(id),
             unit_id INTEGER REFERENCES units(id),  -- NULL: the school's own item
             day TEXT NOT NULL,  -- the Beijing date it was escalated on (what periods count)
             at TEXT NOT NULL,
             UNIQUE (rectification_id, key)
           )"""
    )
    db.execute("CREATE INDEX rectification_escalations_day ON rectification_escalations (day)")
    db.execute(
        """INSERT OR IGNORE INTO rectification_escalations
             (rectification_id, key, reason, deadline, days_overdue, school_id, unit_id, day, at)
           SELECT r.id, 'overdue:' || e.deadline, 'overdue', e.deadline,
                  MAX(0, CAST(julianday(date(e.at, '+8 hours')) - julianday(e.deadline)
                              AS INTEGER)),
                  r.school_id, r.unit_id, date(e.at, '+8 hours'), e.at
           FROM (SELECT CAST(substr(k, 1, instr(k, ':') - 1) AS INTEGER) AS id,
                        substr(k, instr(k, ':') + 1, 10) AS deadline, MIN(created_at) AS at
                 FROM (SELECT substr(dedupe_key, 5) AS k, created_at FROM notifications
                       WHERE dedupe_key LIKE 'esc:%')
                 GROUP BY 1, 2) e
           JOIN rectifications r ON r.id = e.id"""
    )
    # Figure sets computed before this counted unit items against schools: a new data version
    # makes every stored set (and every process's cached rows) stale, so they are recomputed.
    db.execute("UPDATE bureau_data_version SET n = n + 1 WHERE id = 1")


@migrations(name="0028b_rectification_report_versions")
def _rectification_report_versions(db: Database) -> None:
    # A school may revise its 整改报告 (a mistake, a measure completed later): each revision is
    # a new version with its reason, issued with a new 文号 that supersedes the previous PDF
    # (kept, and marked on /verify), as inspection reports are reissued. One row per version:
    # the table is rebuilt without its one-per-inspection constraint (nothing refers to it).
    db.execute(
        """CREATE TABLE rectification_reports_v (
             id INTEGER PRIMARY KEY,
             inspection_id TEXT NOT NULL REFERENCES inspections(id),
             school_id INTEGER NOT NULL REFERENCES schools(id),
             version INTEGER NOT NULL DEFAULT 1,
             reason TEXT NOT NULL DEFAULT '',  -- why this version replaces the previous one
             summary TEXT NOT NULL,
             items TEXT NOT NULL,
             evidence TEXT NOT NULL DEFAULT '[]',
             submitted_by INTEGER REFERENCES users(id),
             submitted_by_name TEXT NOT NULL,
             submitted_at TEXT NOT NULL,
             UNIQUE (inspection_id, version)
           )"""
    )
    db.execute(
        """INSERT INTO rectification_reports_v (id, inspection_id, school_id, version, reason,
             summary, items, evidence, submitted_by, submitted_by_name, submitted_at)
           SELECT id, inspection_id, school_id, 1, '', summary, items, evidence, submitted_by,
                  submitted_by_name, submitted_at FROM rectification_reports"""
    )
    db.execute("DROP TABLE rectification_reports")
    db.execute("ALTER TABLE rectification_reports_v RENAME TO rectification_reports")
    db.execute("CREATE INDEX rectification_reports_by_school ON rectification_reports (school_id)")


@migrations(name="0028c_unit_heads_and_delivery_leases")
def _unit_heads_and_delivery_leases(db: Database) -> None:
    # A unit's head (units.head was only a name) gets an e-mail address and a phone number
    # (the SMS / WeChat gateway's address), kept by the bureau, so an escalation of the unit's
    # item reaches the person who answers for it, account or not.
    for column in ("head_email", "head_phone"):
        db.execute(f"ALTER TABLE units ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
    # The delivery log is rebuilt: a delivery to a unit's head has no user (user_id NULL,
    # unit_id set); ``dedupe_key`` makes one escalation one message however many processes
    # raise it; ``claim``/``lease_until`` let every server process's document worker send due
    # deliveries without two of them sending one (status sending while claimed; a lease that
    # passed — a killed process — is claimed again).
    db.execute(
        """CREATE TABLE notification_deliveries_v (
             id INTEGER PRIMARY KEY,
             user_id INTEGER REFERENCES users(id),
             unit_id INTEGER REFERENCES units(id),
             channel TEXT NOT NULL,
             address TEXT NOT NULL,
             kind TEXT NOT NULL,
             text TEXT NOT NULL,
             link TEXT NOT NULL DEFAULT '',
             status TEXT NOT NULL,  -- queued | digest | sending | digest_sending | sent | failed
             attempts INTEGER NOT NULL DEFAULT 0,
             next_attempt_at TEXT NOT NULL,
             last_error TEXT,
             created_at TEXT NOT NULL,
             delivered_at TEXT,
             dedupe_key TEXT,
             claim TEXT,
             lease_until TEXT,
             CHECK (user_id IS NOT NULL OR unit_id IS NOT NULL)
           )"""
    )
    db.execute(
        """INSERT INTO notification_deliveries_v (id, user_id, channel, address, kind, text, link,
             status, attempts, next_attempt_at, last_error, created_at, delivered_at)
           SELECT id, user_id, channel, address, kind, text, link, status, attempts,
                  next_attempt_at, last_error, created_at, delivered_at
           FROM notification_deliveries"""
    )
    db.execute("DROP TABLE notification_deliveries")
    db.execute("ALTER TABLE notification_deliveries_v RENAME TO notification_deliveries")
    db.execute(
        "CREATE INDEX notification_deliveries_due ON notification_deliveries (status, next_attempt_at)"
    )
    db.execute(
        "CREATE UNIQUE INDEX notification_deliveries_once ON notification_deliveries (dedupe_key) "
        "WHERE dedupe_key IS NOT NULL"
    )


@migrations(name="0029_followup_visits")
def _followup_visits(db: Database) -> None:
    # 回头看: an inspector goes back to a school and checks its open items on the spot. The
    # visit is kept as the phone sent it (payload and its digest make a re-send recognisable),
    # with each item's result, the photos that prove it and both signatures; the items' own
    # changes are rectification_events of kind "followup".
    db.table("followup_visits").create(
        {"id": str, "school_id": int, "inspector_id": int, "date": str, "started_at": str,
         "phone_time": str, "received_at": str, "location": str, "location_note": str,
         "school_rep_name": str, "school_rep_title": str, "school_absent_reason": str,
         "fixed": int, "partial": int, "not_fixed": int, "payload": str, "payload_sha256": str},
        pk="id",
        foreign_keys=[("school_id", "schools", "id"), ("inspector_id", "users", "id")],
        not_null={"school_id", "inspector_id", "date", "received_at", "payload",
                  "payload_sha256", "fixed", "partial", "not_fixed"},
    )  # fmt: skip
    db.table("followup_visits").create_index(["school_id", "date"])
    db.table("followup_results").create(
        {"visit_id": str, "rectification_id": int, "position": int, "result": str, "note": str,
         "status_before": str, "status_after": str, "outcome": str},
        pk=("visit_id", "rectification_id"),
        foreign_keys=[("visit_id", "followup_visits", "id"),
                      ("rectification_id", "rectifications", "id")],
        not_null={"position", "result", "note", "status_before", "status_after"},
    )  # fmt: skip
    db.table("followup_results").create_index(["rectification_id"])
    db.table("followup_photos").create(
        {"visit_id": str, "position": int, "rectification_id": int, "photo_sha256": str,
         "evidence_sha256": str, "caption": str, "stamp": str},
        pk=("visit_id", "position"),
        foreign_keys=[("visit_id", "followup_visits", "id"),
                      ("rectification_id", "rectifications", "id"),
                      ("photo_sha256", "photos", "sha256")],
        not_null={"rectification_id", "photo_sha256", "evidence_sha256"},
    )  # fmt: skip
    db.table("followup_signatures").create(
        {"visit_id": str, "role": str, "name": str, "title": str, "signed_at": str,
         "png": bytes},
        pk=("visit_id", "role"),
        foreign_keys=[("visit_id", "followup_visits", "id")],
        not_null={"name", "png"},
    )  # fmt: skip


@migrations(name="0029b_reviewer_index")
def _reviewer_index(db: Database) -> None:
    # 工作台 asks on every visit online which schools an inspector may go back to (回头看):
    # those in the plan and those where they review an open item. Without this the second
    # read a province's 540 000 items (0.6 s per visit, bench/bench_followup.py); the review
    # queue and the overdue count by reviewer filter on it too.
    db.execute("CREATE INDEX rectifications_by_reviewer ON rectifications (reviewer_id, status)")


@migrations(name="0030_export_fragments")
def _export_fragments(db: Database) -> None:
    # Each inspection's rows of the export's long sheets (检查条目, 问题清单, 整改情况),
    # rendered and deflated once: a province's year is 4.3 M rows, whose rendering took
    # 30 s of CPU and minutes on a busy machine; copied from here it takes a second or two.
    # ``fingerprint`` covers what the rows show of the inspection and its school; the
    # triggers below remove the fragments whose answers, findings or items change; valid_from
    # /valid_to bound the days a fragment with open items holds (overdue days change daily).
    # ``token`` is the reservation of the export rendering it (data NULL until kept).
    # Strings that recur across inspections and are no one's data (checklist wording,
    # outcome and status names, county units) are shared strings of every workbook, by a
    # stable number kept in export_strings (append-only, so a kept fragment's numbers hold);
    # all other text is written in the fragment itself.
    db.execute(
        """CREATE TABLE export_strings (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE)"""
    )
    db.execute(
        """CREATE TABLE export_fragments (
             inspection_id TEXT NOT NULL,
             sheet TEXT NOT NULL,  -- items | findings | rectifications
             fingerprint TEXT NOT NULL,
             token TEXT NOT NULL,
             rows INTEGER NOT NULL,
             crc INTEGER NOT NULL,
             size INTEGER NOT NULL,
             valid_from TEXT,
             valid_to TEXT,
             data BLOB,
             PRIMARY KEY (inspection_id, sheet)
           )"""
    )
    rect_sheets = "sheet IN ('findings', 'rectifications')"
    for event, ref in (("insert", "NEW"), ("update", "OLD"), ("delete", "OLD")):
        db.execute(
            f"""CREATE TRIGGER export_fragments_answers_{event} AFTER {event.upper()}
                ON inspection_answers BEGIN
                DELETE FROM export_fragments WHERE inspection_id = {ref}.inspection_id; END"""
        )
        db.execute(
            f"""CREATE TRIGGER export_fragments_findings_{event} AFTER {event.upper()}
                ON rectification_findings BEGIN
                DELETE FROM export_fragments
                WHERE inspection_id = {ref}.inspection_id AND {rect_sheets}; END"""
        )
    for event in ("update", "delete"):
        db.execute(
            f"""CREATE TRIGGER export_fragments_rectifications_{event} AFTER {event.upper()}
                ON rectifications BEGIN
                DELETE FROM export_fragments WHERE {rect_sheets} AND inspection_id IN
                  (SELECT inspection_id FROM rectification_findings
                   WHERE rectification_id = OLD.id); END"""
        )
    db.execute(
        f"""CREATE TRIGGER export_fragments_units_update AFTER UPDATE OF name ON units BEGIN
            DELETE FROM export_fragments WHERE {rect_sheets} AND inspection_id IN
              (SELECT f.inspection_id FROM rectification_findings f
               JOIN rectifications r ON r.id = f.rectification_id WHERE r.unit_id = OLD.id); END"""
    )


@migrations(name="0031_survey_library")
def _survey_library(db: Database) -> None:
    # Surveys published through the library like checklists (storage/library.py, kind
    # survey): which version new survey rounds are opened with, each version's YAML source and
    # the publication history. Tables of their own beside survey_versions, so a survey is
    # never offered as an inspection; a round keeps the version it was opened with.
    db.table("survey_library").create(
        {"survey_id": str, "current_hash": str, "retired_at": str, "file_hash": str,
         "updated_at": str},
        pk="survey_id",
        foreign_keys=[("current_hash", "survey_versions", "hash")],
        not_null={"current_hash", "updated_at"},
    )  # fmt: skip
    db.table("survey_sources").create(
        {"hash": str, "yaml": str, "stored_at": str},
        pk="hash",
        foreign_keys=[("hash", "survey_versions", "hash")],
        not_null={"yaml", "stored_at"},
    )
    db.table("survey_publications").create(
        {"id": int, "survey_id": str, "hash": str, "published_at": str, "published_by": int,
         "origin": str},
        pk="id",
        foreign_keys=[("hash", "survey_versions", "hash"), ("published_by", "users", "id")],
        not_null={"survey_id", "hash", "published_at", "origin"},
    )  # fmt: skip
    db.table("survey_publications").create_index(["survey_id", "published_at"])


@migrations(name="0030b_rectification_waiting")
def _rectification_waiting(db: Database) -> None:
    # The bureau's home panel counts extension requests waiting for a decision: few items
    # among a province's 540 000, found without reading the others.
    db.execute(
        "CREATE INDEX rectifications_extension ON rectifications (status) "
        "WHERE extension_until IS NOT NULL"
    )


@migrations(name="0032_bulk_answers_photo_stamps")
def _bulk_answers_photo_stamps(db: Database) -> None:
    # bulk: the answer was set by 本部分其余项均符合 on the phone (payload bulk_confirmed), so
    # the report can say how many were. stamp: the photo's stamp data as checked on arrival
    # (inspections/stamps.py), stamp_warnings its doubts, shown beside the photo. Inspections
    # received before keep NULL: their stamps were never checked, so none is printed as such.
    db.execute("ALTER TABLE inspection_answers ADD COLUMN bulk INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE inspection_photos ADD COLUMN stamp TEXT")
    db.execute("ALTER TABLE inspection_photos ADD COLUMN stamp_warnings TEXT NOT NULL DEFAULT '[]'")


@migrations(name="0033_followup_photo_stamps")
def _followup_photo_stamps(db: Database) -> None:
    # 回头看 photos' stamps are checked on arrival as an inspection's are (inspections/stamps.py):
    # stamp holds the clean data or NULL, stamp_warnings its doubts, printed in the record's
    # captions. Visits received before stored the phone's data unchecked ('{}' when none): the
    # empty ones become NULL; the others are read through the same check when printed.
    db.execute("ALTER TABLE followup_photos ADD COLUMN stamp_warnings TEXT NOT NULL DEFAULT '[]'")
    db.execute("UPDATE followup_photos SET stamp = NULL WHERE stamp = '{}'")


@migrations(name="0033b_followup_record_documents")
def _followup_record_documents(db: Database) -> None:
    # The 回头看记录 is an issued document (reports kind "followup_record", its own 文号): the
    # document worker issues it once a visit is received and records it here. Visits already
    # on record wait with NULL, and the worker issues theirs too.
    db.execute(
        "ALTER TABLE followup_visits ADD COLUMN record_report_id TEXT REFERENCES reports(id)"
    )
    db.execute(
        "CREATE INDEX followup_visits_unrecorded ON followup_visits (received_at) "
        "WHERE record_report_id IS NULL"
    )


@migrations(name="0034_escalation_log_index")
def _escalation_log_index(db: Database) -> None:
    # The bureau's 逾期升级督办记录 counts a period's escalations by unit and reason (and the
    # bulletin by unit): every column those read is in this index, so a province's 250 000
    # escalations of one day are counted without a lookup into the table for each.
    db.execute(
        "CREATE INDEX rectification_escalations_counted ON rectification_escalations "
        "(day, unit_id, reason, school_id, rectification_id)"
    )


@migrations(name="0035_export_fragment_upkeep")
def _export_fragment_upkeep(db: Database) -> None:
    # Kept 整改情况 rows no longer depend on the day: an open item's 是否逾期 and 逾期天数
    # are slots the export fills (bureau/xlsx.py Slot), listed in ``slots``; the days a
    # fragment held for (valid_from, valid_to) go, and so do the rows kept with them (they
    # are rendered again in the new form). An inspection no longer valid, or deleted, is in
    # no export: its fragments are removed with it instead of being kept for ever.
    db.execute("DELETE FROM export_fragments WHERE sheet = 'rectifications'")
    db.execute("ALTER TABLE export_fragments DROP COLUMN valid_from")
    db.execute("ALTER TABLE export_fragments DROP COLUMN valid_to")
    db.execute("ALTER TABLE export_fragments ADD COLUMN slots BLOB")
    db.execute(
        """DELETE FROM export_fragments WHERE inspection_id NOT IN
             (SELECT id FROM inspections WHERE status = 'valid')"""
    )
    db.execute(
        """CREATE TRIGGER export_fragments_inspections_invalid AFTER UPDATE OF status
             ON inspections WHEN NEW.status != 'valid' BEGIN
             DELETE FROM export_fragments WHERE inspection_id = OLD.id; END"""
    )
    db.execute(
        """CREATE TRIGGER export_fragments_inspections_delete AFTER DELETE ON inspections BEGIN
             DELETE FROM export_fragments WHERE inspection_id = OLD.id; END"""
    )


@migrations(name="0036_export_fragment_index")
def _export_fragment_index(db: Database) -> None:
    # The idle export worker's change check and a chunk's kept fragments read a sheet's
    # (inspection, fingerprint) pairs of the fragments that hold data: from this index they
    # are read without touching the ~100 MB of fragment data in the table's pages.
    db.execute(
        "CREATE INDEX export_fragments_kept ON export_fragments (sheet, inspection_id, "
        "fingerprint) WHERE data IS NOT NULL"
    )
