"""The 文号 a document is issued under: reserved before rendering, given back if issuing fails.

Used where a document is stored (documents/issuing.py for reports and notices,
bureau/bulletins.py for bulletins)::

    with numbering.numbered(db, config, "report", report_id) as doc_number:
        pdf = render(..., doc_number)         # printed on the document
        reports.store(..., doc_number=doc_number)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from sqlite_utils import Database

from inspect_app.common import docnumbers
from inspect_app.common.clock import today_in_china
from inspect_app.storage import document_numbers


@contextmanager
def numbered(db: Database, config: Mapping, kind: str, report_id: str) -> Iterator[str]:
    """The next number of ``kind`` this year (Beijing time), for ``report_id``."""
    pattern = docnumbers.patterns(config)[kind]
    year = today_in_china(config.get("TODAY_OVERRIDE")).year
    seq = document_numbers.reserve(db, kind, year, report_id)
    try:
        yield docnumbers.format_number(pattern, year, seq)
    except BaseException:
        document_numbers.release(db, kind, year, seq, report_id)
        raise
