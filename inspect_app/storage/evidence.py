"""Evidence files on disk, content-addressed under ``<instance>/evidence`` (never under static/)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol

from sqlite_utils import Database

from inspect_app.common.clock import stamp
from inspect_app.storage.files import write_file


class CleanEvidence(Protocol):
    """What storage needs of a checked evidence file (``rectification.evidence`` makes them)."""

    data: bytes
    mime: str
    extension: str


def get(db: Database, sha256: str) -> dict | None:
    rows = list(db.query("SELECT * FROM evidence_files WHERE sha256 = ?", [sha256]))
    return rows[0] if rows else None


def store(
    db: Database, folder: str, evidence: CleanEvidence, name: str, user_id: int | None
) -> dict:
    """Keep a checked file under the hash of its (cleaned) content; the same file twice is one."""
    sha256 = hashlib.sha256(evidence.data).hexdigest()
    path = Path(folder) / sha256[:2] / f"{sha256}.{evidence.extension}"
    if not path.exists():
        write_file(path, evidence.data)
    db.table("evidence_files").insert(
        {"sha256": sha256, "path": str(path.relative_to(folder)), "mime": evidence.mime,
         "size": len(evidence.data), "original_name": name[:200], "uploaded_by": user_id,
         "uploaded_at": stamp()},
        ignore=True,
    )  # fmt: skip
    return {"sha256": sha256, "mime": evidence.mime, "name": name[:200]}


def path_of(folder: str, row: dict) -> Path:
    return Path(folder) / row["path"]
