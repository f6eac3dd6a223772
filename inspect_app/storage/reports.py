"""Issued documents (signed PDFs): stored once as signed, by id, with their SHA-256 and status."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database

from inspect_app.common.clock import stamp
from inspect_app.storage.db import write
from inspect_app.storage.files import write_file


def get(db: Database, report_id: str) -> dict | None:
    return next(db.query("SELECT * FROM reports WHERE id = ?", [report_id]), None)


def by_sha256(db: Database, sha256: str) -> dict | None:
    return next(db.query("SELECT * FROM reports WHERE sha256 = ?", [sha256]), None)


def for_subject(db: Database, subject_id: str, kind: str) -> list[dict]:
    return list(
        db.query(
            "SELECT * FROM reports WHERE subject_id = ? AND kind = ? ORDER BY version",
            [subject_id, kind],
        )
    )


def current(db: Database, subject_id: str, kind: str) -> dict | None:
    return next(
        db.query(
            "SELECT * FROM reports WHERE subject_id = ? AND kind = ? AND status = 'valid' ORDER BY version DESC LIMIT 1",
            [subject_id, kind],
        ),
        None,
    )


def store(
    db: Database,
    reports_dir: str,
    *,
    report_id: str,
    kind: str,
    subject_id: str,
    school_id: int | None,
    version: int,
    sha256: str,
    pdf: bytes,
    doc_number: str | None = None,
    docx: bytes | None = None,
    along: Callable[[Database], None] | None = None,
) -> dict:
    """Write the signed PDF and its row; the previous valid version of the subject is superseded.

    ``doc_number`` is the 文号 printed on it (reserved by documents/numbering.py); ``docx``
    its unsigned Word copy, kept beside it (documents/word.py). ``along`` writes what belongs
    with the document (a bulletin's record) in the same transaction: both or neither.
    """
    path = Path(reports_dir) / kind / f"{report_id}.pdf"
    write_file(path, pdf)
    copy = path.with_suffix(".docx")
    if docx is not None:
        write_file(copy, docx)
    try:
        with write(db):
            previous = current(db, subject_id, kind)
            db.table("reports").insert(
                {"id": report_id, "kind": kind, "subject_id": subject_id, "school_id": school_id, "version": version,
                 "sha256": sha256, "path": str(path.relative_to(reports_dir)), "size": len(pdf),
                 "created_at": stamp(), "status": "valid", "doc_number": doc_number}
            )  # fmt: skip
            if previous:
                db.table("reports").update(
                    previous["id"], {"status": "superseded", "superseded_by": report_id}
                )
            if along is not None:
                along(db)
    except BaseException:
        # Another issue of the same version won (or the write failed): no row will ever point
        # at this file, so it must not stay behind as an orphan in reports/.
        path.unlink(missing_ok=True)
        copy.unlink(missing_ok=True)
        raise
    return db.table("reports").get(report_id)


def read_copy(reports_dir: str, row: dict) -> bytes | None:
    """The document's Word copy, or None when it was issued before copies were kept."""
    copy = (Path(reports_dir) / row["path"]).with_suffix(".docx")
    return copy.read_bytes() if copy.exists() else None


def revoke(db: Database, report_id: str, reason: str) -> None:
    db.table("reports").update(report_id, {"status": "revoked", "revoked_reason": reason})


def read(reports_dir: str, row: dict) -> bytes:
    return (Path(reports_dir) / row["path"]).read_bytes()
