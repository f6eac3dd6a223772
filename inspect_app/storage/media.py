"""Uploaded photos on disk, content-addressed under ``<instance>/media`` (never under static/)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from sqlite_utils import Database

from inspect_app.common.clock import stamp
from inspect_app.storage.files import write_file


class CleanImage(Protocol):
    """What storage needs of a checked, re-encoded image (``inspections.images`` makes them)."""

    # Read-only members, so the frozen dataclass in inspections.images satisfies them.
    @property
    def data(self) -> bytes: ...
    @property
    def mime(self) -> str: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...


def _path(media_dir: str, sha256: str) -> Path:
    return Path(media_dir) / sha256[:2] / f"{sha256}.jpg"


def get(db: Database, sha256: str) -> dict | None:
    rows = list(db.query("SELECT * FROM photos WHERE sha256 = ?", [sha256]))
    return rows[0] if rows else None


def missing(db: Database, hashes: list[str], user_id: int | None = None) -> list[str]:
    """The hashes the server has no photo for; with ``user_id``, also those this user never
    uploaded (an inspection may only cite photos its inspector has shown the bytes of)."""
    if not hashes:
        return []
    marks = ",".join("?" * len(hashes))
    params: list[str | int]
    if user_id is None:
        sql, params = f"SELECT sha256 FROM photos WHERE sha256 IN ({marks})", [*hashes]
    else:
        sql = f"SELECT sha256 FROM photo_uploads WHERE user_id = ? AND sha256 IN ({marks})"
        params = [user_id, *hashes]
    found = {r["sha256"] for r in db.query(sql, params)}
    return [h for h in hashes if h not in found]


def uploaded_by(db: Database, sha256: str, user_id: int) -> bool:
    row = db.execute(
        "SELECT 1 FROM photo_uploads WHERE sha256 = ? AND user_id = ?", [sha256, user_id]
    ).fetchone()
    return row is not None


def record_upload(db: Database, sha256: str, user_id: int | None) -> None:
    """Note that ``user_id`` sent the bytes of a stored photo (checked against its hash)."""
    if user_id is not None:
        db.execute(
            "INSERT OR IGNORE INTO photo_uploads (sha256, user_id, at) VALUES (?, ?, ?)",
            [sha256, user_id, stamp()],
        )


def store(
    db: Database, media_dir: str, sha256: str, image: CleanImage, user_id: int | None
) -> bool:
    """Store a cleaned photo under the phone's hash. Returns False when it was already there.

    Either way the uploader has shown its bytes, so it may cite the photo from now on.
    """
    if get(db, sha256):
        record_upload(db, sha256, user_id)
        return False
    path = _path(media_dir, sha256)
    write_file(path, image.data)
    db.table("photos").insert(
        {"sha256": sha256, "path": str(path.relative_to(media_dir)), "mime": image.mime,
         "width": image.width, "height": image.height, "size": len(image.data),
         "uploaded_by": user_id, "uploaded_at": stamp()},
        ignore=True,
    )  # fmt: skip
    record_upload(db, sha256, user_id)
    return True


def read(media_dir: str, row: dict) -> bytes:
    return (Path(media_dir) / row["path"]).read_bytes()
