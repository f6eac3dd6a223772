"""The checklist library as stored: which version is current, uploads, sources, publications.

The current version of each checklist is a row here, so every server process reads the same
answer from the database: publishing in the app reaches all of them at once, no restart.
Versions themselves stay in checklist_versions (immutable, by content hash).

Surveys (满意度测评 questionnaires, kind: survey) are published the same way into tables of
their own (survey_library, survey_publications, survey_sources beside survey_versions), so a
survey is never offered as an inspection and the bureau's inspection figures never read one;
`kind` picks the tables. Uploads are one table for both: what a file is, is known once read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database

from inspect_app.common.clock import stamp
from inspect_app.storage import audit
from inspect_app.storage import checklists as versions
from inspect_app.storage import surveys as survey_versions
from inspect_app.storage.db import write


@dataclass(frozen=True)
class Kind:
    name: str  # the compiled document's kind: "inspection" | "survey"
    library: str
    versions: str
    publications: str
    sources: str
    id: str  # the column naming the checklist (or survey) in those tables
    uses: str  # table of what used a version: inspections or survey rounds
    uses_hash: str
    audit: str  # prefix of its audit actions
    store_version: Callable[[Database, str, dict], None]


INSPECTION = Kind("inspection", "checklist_library", "checklist_versions",
                  "checklist_publications", "checklist_sources", "checklist_id", "inspections",
                  "checklist_hash", "checklist", versions.store_version)  # fmt: skip
SURVEY = Kind("survey", "survey_library", "survey_versions", "survey_publications",
              "survey_sources", "survey_id", "survey_rounds", "survey_hash", "survey",
              survey_versions.store_version)  # fmt: skip


def kind_of(compiled: dict) -> Kind:
    return SURVEY if compiled.get("kind") == "survey" else INSPECTION


def kind_of_hash(db: Database, version_hash: str) -> Kind | None:
    """Which library a stored version belongs to (content hashes are unique across both)."""
    for kind in (INSPECTION, SURVEY):
        if next(db.query(f"SELECT 1 FROM {kind.versions} WHERE hash = ?", [version_hash]), None):
            return kind
    return None


def current_hashes(db: Database, kind: Kind = INSPECTION) -> dict[str, str]:
    """checklist (or survey) id → current version hash, of those not retired."""
    return {
        r["id"]: r["current_hash"]
        for r in db.query(
            f"SELECT {kind.id} AS id, current_hash FROM {kind.library} "
            f"WHERE retired_at IS NULL ORDER BY {kind.id}"
        )
    }


def entry(db: Database, checklist_id: str, kind: Kind = INSPECTION) -> dict | None:
    """The library row; its id is under "checklist_id" for a survey too (one set of pages)."""
    return next(
        db.query(
            f"SELECT *, {kind.id} AS checklist_id FROM {kind.library} WHERE {kind.id} = ?",
            [checklist_id],
        ),
        None,
    )


def store_source(
    db: Database, checklist_hash: str, yaml_text: str, kind: Kind = INSPECTION
) -> None:
    db.table(kind.sources).insert(
        {"hash": checklist_hash, "yaml": yaml_text, "stored_at": stamp()}, ignore=True
    )


def source(db: Database, checklist_hash: str, kind: Kind | None = None) -> str | None:
    for k in (kind,) if kind else (INSPECTION, SURVEY):
        row = next(db.query(f"SELECT yaml FROM {k.sources} WHERE hash = ?", [checklist_hash]), None)
        if row:
            return row["yaml"]
    return None


def seed_from_file(db: Database, compiled: dict, yaml_text: str) -> bool:
    """Make a CHECKLIST_DIR file's version known; returns True when it became current.

    A file seen for the first time, or changed since it was last read, is published (the
    deployer's edit is a publication); an unchanged file leaves the library as it is, so a
    version published in the app survives restarts.
    """
    checklist_id, checklist_hash = compiled["id"], compiled["hash"]
    kind = kind_of(compiled)
    # Read before taking the write lock: every server process reads every file at start-up,
    # and a file unchanged since it was last read (its version and source were stored with
    # that reading) needs no write; processes starting together no longer queue for the lock.
    known = entry(db, checklist_id, kind)
    if known is not None and known["file_hash"] == checklist_hash:
        return False
    with write(db):
        kind.store_version(db, checklist_hash, compiled)
        store_source(db, checklist_hash, yaml_text, kind)
        row = entry(db, checklist_id, kind)
        if row is not None and row["file_hash"] == checklist_hash:
            return False
        now = stamp()
        if row is None:
            db.table(kind.library).insert(
                {kind.id: checklist_id, "current_hash": checklist_hash,
                 "retired_at": None, "file_hash": checklist_hash, "updated_at": now}
            )  # fmt: skip
        else:
            db.table(kind.library).update(
                checklist_id,
                {"current_hash": checklist_hash, "file_hash": checklist_hash, "updated_at": now},
            )
        if row is None or row["current_hash"] != checklist_hash:
            db.table(kind.publications).insert(
                {kind.id: checklist_id, "hash": checklist_hash, "published_at": now,
                 "published_by": None, "origin": "file"}
            )  # fmt: skip
            audit.record(
                db, f"{kind.audit}.publish_file", target=checklist_id,
                detail={"hash": checklist_hash, "version": compiled.get("version")},
            )  # fmt: skip
        return True


def overview(db: Database, kind: Kind = INSPECTION) -> list[dict]:
    """Every checklist (or survey) of the library with its current version (and its number,
    第 n 版) and how often it was used (inspections, or survey rounds opened with it)."""
    rows = list(
        db.query(
            f"""SELECT l.{kind.id} AS checklist_id, l.current_hash, l.retired_at, l.updated_at,
                      v.title, v.version,
                      (SELECT COUNT(*) FROM {kind.versions} w
                        WHERE w.{kind.id} = l.{kind.id}) AS versions,
                      (SELECT COUNT(*) FROM {kind.uses} i
                        WHERE i.{kind.id} = l.{kind.id}) AS inspections
                 FROM {kind.library} l JOIN {kind.versions} v ON v.hash = l.current_hash
                ORDER BY l.retired_at IS NOT NULL, v.title"""
        )
    )
    for row in rows:
        row["number"] = version_numbers(db, row["checklist_id"], kind).get(row["current_hash"])
    return rows


def version_numbers(db: Database, checklist_id: str, kind: Kind = INSPECTION) -> dict[str, int]:
    """hash → 第 n 版: versions of a checklist numbered in the order they were first published
    (a version stored before the library kept publications counts from when it was stored)."""
    return {
        r["hash"]: r["number"]
        for r in db.query(
            f"""SELECT hash, ROW_NUMBER() OVER (ORDER BY COALESCE(first, stored_at), stored_at, hash)
                      AS number
                 FROM (SELECT v.hash, v.stored_at,
                              (SELECT MIN(p.published_at) FROM {kind.publications} p
                                WHERE p.hash = v.hash) AS first
                         FROM {kind.versions} v WHERE v.{kind.id} = ?)""",
            [checklist_id],
        )
    }


def published_upload(db: Database, checklist_hash: str) -> dict | None:
    """The upload a version was last published from: the clerk's own file, as uploaded."""
    return next(
        db.query(
            """SELECT id, file_name, format, original, published_at FROM checklist_uploads
                WHERE hash = ? AND published_at IS NOT NULL AND original IS NOT NULL
                ORDER BY published_at DESC, id DESC LIMIT 1""",
            [checklist_hash],
        ),
        None,
    )


def versions_of(db: Database, checklist_id: str, kind: Kind = INSPECTION) -> list[dict]:
    """Every stored version of a checklist (or survey), newest first, with its number (第 n 版),
    its use, its publications and the upload it was published from."""
    numbers = version_numbers(db, checklist_id, kind)
    rows = list(
        db.query(
            f"""SELECT v.hash, v.version, v.title, v.stored_at,
                      (SELECT COUNT(*) FROM {kind.uses} i WHERE i.{kind.uses_hash} = v.hash)
                        AS inspections,
                      (SELECT MAX(p.published_at) FROM {kind.publications} p
                        WHERE p.hash = v.hash) AS published_at,
                      (SELECT u.display_name FROM {kind.publications} p
                         LEFT JOIN users u ON u.id = p.published_by
                        WHERE p.hash = v.hash ORDER BY p.id DESC LIMIT 1) AS published_by,
                      (SELECT p.origin FROM {kind.publications} p
                        WHERE p.hash = v.hash ORDER BY p.id DESC LIMIT 1) AS origin,
                      EXISTS (SELECT 1 FROM {kind.sources} s WHERE s.hash = v.hash)
                        AS has_source,
                      (SELECT c.id FROM checklist_uploads c
                        WHERE c.hash = v.hash AND c.published_at IS NOT NULL
                          AND c.original IS NOT NULL
                        ORDER BY c.published_at DESC, c.id DESC LIMIT 1) AS upload_id,
                      (SELECT c.file_name FROM checklist_uploads c
                        WHERE c.hash = v.hash AND c.published_at IS NOT NULL
                          AND c.original IS NOT NULL
                        ORDER BY c.published_at DESC, c.id DESC LIMIT 1) AS upload_name
                 FROM {kind.versions} v WHERE v.{kind.id} = ?
                ORDER BY COALESCE(published_at, v.stored_at) DESC, v.stored_at DESC""",
            [checklist_id],
        )
    )
    for row in rows:
        row["number"] = numbers.get(row["hash"])
    return rows


def save_upload(
    db: Database,
    *,
    file_name: str,
    fmt: str,
    original: bytes,
    yaml_text: str | None,
    compiled: dict | None,
    errors: list[str],
    checklist_id: str | None,
    user: dict,
    ip: str = "",
) -> int:
    with write(db):
        table = db.table("checklist_uploads")
        table.insert(
            {"checklist_id": checklist_id, "file_name": file_name, "format": fmt,
             "original": original, "yaml": yaml_text,
             "compiled": json.dumps(compiled, ensure_ascii=False) if compiled else None,
             "hash": compiled["hash"] if compiled else None,
             "errors": json.dumps(errors, ensure_ascii=False), "uploaded_by": user["id"],
             "uploaded_at": stamp(), "published_at": None, "published_by": None}
        )  # fmt: skip
        upload_id = int(table.last_rowid or 0)
        audit.record(
            db, "checklist.upload", user=user, target=checklist_id or file_name,
            detail={"upload": upload_id, "file": file_name, "format": fmt,
                    "errors": len(errors), "hash": compiled["hash"] if compiled else None},
            ip=ip,
        )  # fmt: skip
    return upload_id


def upload(db: Database, upload_id: int) -> dict | None:
    row = next(
        db.query(
            """SELECT c.*, u.display_name AS uploaded_by_name FROM checklist_uploads c
                 LEFT JOIN users u ON u.id = c.uploaded_by WHERE c.id = ?""",
            [upload_id],
        ),
        None,
    )
    if row is None:
        return None
    row["errors"] = json.loads(row["errors"])
    row["compiled"] = json.loads(row["compiled"]) if row["compiled"] else None
    return row


def recent_uploads(db: Database, limit: int = 20) -> list[dict]:
    return list(
        db.query(
            """SELECT c.id, c.checklist_id, c.file_name, c.format, c.hash, c.uploaded_at,
                      c.published_at, json_array_length(c.errors) AS error_count,
                      u.display_name AS uploaded_by_name
                 FROM checklist_uploads c LEFT JOIN users u ON u.id = c.uploaded_by
                ORDER BY c.id DESC LIMIT ?""",
            [limit],
        )
    )


class PublishRefused(Exception):
    """Why an upload cannot be published (a Chinese sentence)."""


def publish(
    db: Database, upload_id: int, user: dict, ip: str = "", compared_with: str | None = None
) -> dict:
    """Make an upload's version the current one of its checklist, in one transaction.

    Returns {"checklist_id", "hash", "previous", "number" (第 n 版), "version",
    "published_at"}. Publishing the version that is already
    current changes nothing but is refused with a reason, as is an upload with errors.
    `compared_with`: the current version the clerk read the differences against ("" for
    none); when another version became current since, publishing is refused, so that two
    clerks publishing at once never replace each other's version unseen.
    """
    with write(db):
        row = upload(db, upload_id)
        if row is None:
            raise PublishRefused("找不到这次上传")
        if row["errors"] or not row["compiled"]:
            raise PublishRefused("这次上传的文件还有错误，改正后重新上传才能发布")
        compiled = row["compiled"]
        checklist_id, checklist_hash = compiled["id"], compiled["hash"]
        kind = kind_of(compiled)
        current = entry(db, checklist_id, kind)
        if (
            current is not None
            and current["current_hash"] == checklist_hash
            and current["retired_at"] is None
        ):
            raise PublishRefused("这个版本已经是当前版本，无需再次发布")
        now_current = current["current_hash"] if current else ""
        if compared_with is not None and compared_with != now_current:
            raise PublishRefused(
                f"在您查看差异之后，已有人发布了这份{'调查问卷' if kind is SURVEY else '检查单'}的另一个版本。"
                "请查看与新的当前版本的差异后再决定是否发布"
            )
        kind.store_version(db, checklist_hash, compiled)
        store_source(db, checklist_hash, row["yaml"], kind)
        now = stamp()
        if current is None:
            db.table(kind.library).insert(
                {kind.id: checklist_id, "current_hash": checklist_hash,
                 "retired_at": None, "file_hash": None, "updated_at": now}
            )  # fmt: skip
        else:
            db.table(kind.library).update(
                checklist_id,
                {"current_hash": checklist_hash, "retired_at": None, "updated_at": now},
            )
        db.table(kind.publications).insert(
            {kind.id: checklist_id, "hash": checklist_hash, "published_at": now,
             "published_by": user["id"], "origin": row["format"]}
        )  # fmt: skip
        db.table("checklist_uploads").update(
            upload_id, {"published_at": now, "published_by": user["id"]}
        )
        previous = current["current_hash"] if current else None
        audit.record(
            db, f"{kind.audit}.publish", user=user, target=checklist_id,
            detail={"hash": checklist_hash, "version": compiled.get("version"),
                    "previous": previous, "upload": upload_id},
            ip=ip,
        )  # fmt: skip
        number = version_numbers(db, checklist_id, kind)[checklist_hash]
    return {"checklist_id": checklist_id, "hash": checklist_hash, "previous": previous,
            "number": number, "version": compiled.get("version"), "published_at": now,
            "kind": kind.name}  # fmt: skip


def set_retired(
    db: Database,
    checklist_id: str,
    retired: bool,
    user: dict,
    ip: str = "",
    kind: Kind = INSPECTION,
) -> bool:
    """Retire (no longer offered to phones, or for new survey rounds) or restore a checklist
    (or survey); False when nothing changed."""
    with write(db):
        row = entry(db, checklist_id, kind)
        if row is None or (row["retired_at"] is not None) == retired:
            return False
        db.table(kind.library).update(
            checklist_id, {"retired_at": stamp() if retired else None, "updated_at": stamp()}
        )
        audit.record(
            db, f"{kind.audit}.retire" if retired else f"{kind.audit}.restore", user=user,
            target=checklist_id, detail={"hash": row["current_hash"]}, ip=ip,
        )  # fmt: skip
    return True


def record_download(
    db: Database,
    checklist_hash: str,
    fmt: str,
    user: dict,
    ip: str = "",
    kind: Kind = INSPECTION,
) -> None:
    with write(db):
        audit.record(
            db, f"{kind.audit}.download", user=user, target=checklist_hash, detail={"format": fmt},
            ip=ip,
        )  # fmt: skip


def history(
    db: Database, checklist_id: str, limit: int = 50, kind: Kind = INSPECTION
) -> list[dict]:
    """The audit entries about one checklist (or survey), newest first; the action without
    its kind's prefix ("publish", "retire" …)."""
    rows = list(
        db.query(
            f"""SELECT at, username, substr(action, instr(action, '.') + 1) AS action, detail
                 FROM audit_log
                WHERE (action LIKE '{kind.audit}.%' OR action = 'checklist.upload')
                  AND (target = ? OR target IN
                      (SELECT hash FROM {kind.versions} WHERE {kind.id} = ?))
                ORDER BY id DESC LIMIT ?""",
            [checklist_id, checklist_id, limit],
        )
    )
    return rows
