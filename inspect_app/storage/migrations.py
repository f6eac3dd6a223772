"""The schema, as a named sequence of sqlite-utils migrations.

Append new migrations at the end; never edit or reorder one that has shipped, because
deployed databases record each applied name in ``_sqlite_migrations``.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("inspect_app")

STAGES = ("幼儿园", "小学", "初中", "九年一贯制", "完全中学", "高中", "中职", "教学点")
ROLES = ("inspector", "school", "bureau", "admin")


@migrations(name="0001_regions_schools_users")
def _regions_schools_users(db: Database) -> None:
    db["regions"].create(
        {"id": int, "name": str, "kind": str, "parent_id": int},
        pk="id",
        foreign_keys=[("parent_id", "regions", "id")],
        not_null={"name", "kind"},
    )
    db["regions"].create_index(["parent_id", "name"], unique=True)
    db["schools"].create(
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
    db["schools"].create_index(["code"], unique=True)
    db["schools"].create_index(["township_id"])
    db["users"].create(
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
    db["users"].create_index(["username"], unique=True)


@migrations(name="0002_audit_log")
def _audit_log(db: Database) -> None:
    db["audit_log"].create(
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
    db["audit_log"].create_index(["at"])
    # Append-only is enforced by the database itself, not by convention.
    for action in ("UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER audit_log_no_{action.lower()} BEFORE {action} ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )


@migrations(name="0003_login_failures")
def _login_failures(db: Database) -> None:
    db["login_failures"].create({"id": int, "key": str, "at": str}, pk="id", not_null={"key", "at"})
    db["login_failures"].create_index(["key", "at"])


@migrations(name="0004_checklist_versions")
def _checklist_versions(db: Database) -> None:
    # Every checklist version ever used, keyed by its content hash, so an old inspection
    # is always scored against exactly the checklist it was filled with.
    db["checklist_versions"].create(
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
    db["checklist_versions"].create_index(["checklist_id"])


@migrations(name="0005_inspections")
def _inspections(db: Database) -> None:
    db["photos"].create(
        {"sha256": str, "path": str, "mime": str, "width": int, "height": int, "size": int,
         "uploaded_by": int, "uploaded_at": str},
        pk="sha256", not_null={"path", "mime", "uploaded_at"},
    )  # fmt: skip
    db["inspections"].create(
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
    db["inspections"].create_index(["school_id", "date"])
    db["inspections"].create_index(["date"])
    db["inspections"].create_index(["inspector_id"])
    db["inspection_answers"].create(
        {"inspection_id": str, "item_id": str, "section_id": str, "value": str, "outcome": str,
         "earned": float, "possible": float, "note": str, "prefilled": int},
        pk=("inspection_id", "item_id"),
        foreign_keys=[("inspection_id", "inspections", "id")],
    )  # fmt: skip
    db["inspection_answers"].create_index(["item_id", "outcome"])
    db["inspection_photos"].create(
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
    db["signatures"].create(
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
    db["assignments"].create(
        {"id": int, "inspector_id": int, "school_id": int, "period_start": str, "period_end": str,
         "planned_visits": int, "created_by": int, "created_at": str},
        pk="id",
        foreign_keys=[("inspector_id", "users", "id"), ("school_id", "schools", "id")],
        not_null={"inspector_id", "school_id", "period_start", "period_end"},
        defaults={"planned_visits": 2},
    )  # fmt: skip
    db["assignments"].create_index(["inspector_id", "period_start"])
    db["assignments"].create_index(["school_id"])
