"""Files kept beside the database (photos, evidence, issued documents), written so that once
their row is committed they survive a crash and a power cut.

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
        _sync_folder(folder)


def _make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and any missing parents; the ones created, deepest first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for p in reversed(missing):
        p.mkdir(exist_ok=True)
    return missing


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
