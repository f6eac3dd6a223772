"""Storage: the only package that speaks SQL. Views and the core call these functions."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils.db import Table


def inserted_id(table: Table) -> int:
    """The primary key of the row ``table.insert(...)`` just wrote (sqlite-utils types it Optional)."""
    if table.last_pk is None:
        raise RuntimeError(f"{table.name}: the insert wrote no row")
    return table.last_pk
