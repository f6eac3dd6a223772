"""What an uploaded PDF holds beyond pages: scripts, actions, embedded files (read with pypdf).

Every object of the file is parsed, those inside compressed object streams included, which a
scan of the raw bytes cannot see. No Flask, no database: bytes in, a verdict out.
"""

from __future__ import annotations

import io
from typing import Literal

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject

Problem = Literal["active", "encrypted", "no_pages", "unreadable"]

# Keys that hold actions or code, and action types (/S) that do something other than move
# within the document.
_ACTIVE_KEYS = {"/JS", "/JavaScript", "/AA", "/OpenAction", "/EmbeddedFiles", "/XFA",
                "/RichMedia", "/RichMediaContent"}  # fmt: skip
_ACTIVE_VALUES = {"/JavaScript", "/Launch", "/EmbeddedFile", "/RichMedia", "/SubmitForm",
                  "/ImportData", "/Rendition", "/Movie", "/Sound", "/GoToE", "/ResetForm"}  # fmt: skip
_HARMLESS_OPEN_ACTIONS = {"/GoTo"}
# What pypdf raises on a damaged file. PyPdfError, not just PdfReadError: LimitReachedError
# (an xref table claiming more entries than the file holds) is a sibling of PdfReadError.
_BROKEN = (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError)


def problem(data: bytes) -> Problem | None:
    """Why ``data`` cannot be kept as a harmless document, or None when it can.

    "active": it names active content; "encrypted": it needs a password to read, so it
    cannot be checked; "no_pages": it shows nothing; "unreadable": pypdf cannot parse it
    (a viewer might still repair it and find what we could not see).
    """
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except NotImplementedError:
        # pypdf opens only the standard password handler: a certificate-encrypted file
        # (Adobe.PubSec, as some office systems export) or an unknown cipher cannot be read.
        return "encrypted"
    except _BROKEN:
        return "unreadable"
    try:
        if reader.is_encrypted and not reader.decrypt(""):
            return "encrypted"
        if len(reader.pages) == 0:
            return "no_pages"
        objects: list[PdfObject | None] = [reader.trailer]
        numbers = {(num, gen) for gen, table in reader.xref.items() for num in table}
        numbers |= {(num, 0) for num in reader.xref_objStm}
        for num, gen in sorted(numbers):
            objects.append(reader.get_object(IndirectObject(num, gen, reader)))
    except (*_BROKEN, NotImplementedError):  # here, a stream filter pypdf does not have
        return "unreadable"
    return "active" if any(_active(obj) for obj in objects) else None


def _active(obj: PdfObject | None, depth: int = 0) -> bool:
    """Whether a parsed object names active content (indirect references are checked where
    they are defined, since every defined object is visited)."""
    if depth > 64:  # nesting no real document needs; refuse rather than recurse without end
        return True
    if isinstance(obj, DictionaryObject):
        for key, value in obj.items():
            if key in _ACTIVE_KEYS and not (key == "/OpenAction" and _harmless_open(value)):
                return True
            if _active(value, depth + 1):
                return True
        return False
    if isinstance(obj, ArrayObject):
        return any(_active(item, depth + 1) for item in obj)
    return isinstance(obj, NameObject) and obj in _ACTIVE_VALUES


def _harmless_open(value: PdfObject) -> bool:
    # Many writers open at a page: [page /Fit] or a /GoTo action. Anything else is refused.
    target = value.get_object() if isinstance(value, IndirectObject) else value
    if isinstance(target, ArrayObject):
        return True
    return isinstance(target, DictionaryObject) and target.get("/S") in _HARMLESS_OPEN_ACTIONS
