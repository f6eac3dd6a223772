"""Files kept beside the database (photos, evidence, issued documents), written so that once
their row is committed they survive a crash and a power cut; and whole folders (a backup, a
restore) flushed before anything declares them complete.

A phone drops its own copy of an inspection and its photos as soon as the server confirms
them (static/js/inspector/outbox.js), so what the server has confirmed must already be on the
disk, not in the page cache the kernel writes out some seconds later.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_file(path: Path, data: bytes) -> None:
    """Put ``data`` at ``path``, durably: a crash leaves the whole file or none.

    The bytes go to a ``.part`` file of this write's own (two uploads of one photo at once
    each write their own), which is flushed to the disk, renamed into place, and the folder's
    entry flushed too, with the entries of any folders this write created.
    """
    created = _make_folders(path.parent)
    tmp = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    for folder in (path.parent, *(p.parent for p in created)):
        sync_folder(folder)


def sync_tree(root: Path) -> None:
    """Flush every file and folder under ``root``, and root's own entry in its parent.

    For trees written with plain copies, a backup or a restore: the kernel writes copied bytes
    out some seconds later, and a rename or a database row naming the tree can reach the disk
    before them, so a power cut would leave a complete-looking tree of empty files.
    """
    for folder, _folders, names in os.walk(root, topdown=False):
        for name in names:
            sync_file(Path(folder, name))
        sync_folder(Path(folder))
    sync_folder(root.parent)


def sync_file(path: Path) -> None:
    """Flush a file written with a plain copy to the disk (its entry is its folder's)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and any missing parents; the ones created, deepest first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for p in reversed(missing):
        p.mkdir(exist_ok=True)
    return missing


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries (a file renamed into it, a folder made in it) to the disk."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
