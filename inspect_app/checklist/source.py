"""A checklist document rebuilt from a compiled version, for versions stored without a source.

Versions stored before the library kept sources (and any version whose source is lost) have
only their compiled JSON. This writes it back as the document a YAML file would hold —
expressions as text, defaults left out — and `rebuilt_document` only returns it when it
compiles to exactly the same content hash, so a download can never differ from the version
inspections were scored with. Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

from inspect_app.checklist import loader
from inspect_app.checklist.diff import expression_text
from inspect_app.checklist.loader import (
    CHOICE_KEYS,
    FIX_KEYS,
    ITEM_EXPRESSIONS,
    ITEM_KEYS,
    REQUIRED_BY_DEFAULT,
    SECTION_KEYS,
    TOP_KEYS,
)


def _item(item: dict) -> dict:
    allowed = ITEM_KEYS.get(item["type"], ())
    out: dict[str, Any] = {}
    for key in allowed:
        value = item.get(key)
        if value is None or value is False:
            continue
        if key in ITEM_EXPRESSIONS:
            out[key] = expression_text(value)
        elif key == "required":
            if value != (item["type"] in REQUIRED_BY_DEFAULT):
                out[key] = value
        elif key == "choices":
            out[key] = [
                {k: c[k] for k in CHOICE_KEYS if c.get(k) is not None and c.get(k) is not False}
                for c in value
            ]
        elif key == "fix":
            out[key] = {k: value[k] for k in FIX_KEYS if value.get(k) is not None}
        elif isinstance(value, dict):  # e.g. sample: {min, max}: an unset bound is left out
            out[key] = {k: v for k, v in value.items() if v is not None}
        else:
            out[key] = value
    if item.get("required") is False and item["type"] in REQUIRED_BY_DEFAULT:
        out["required"] = False
    return out


def document(compiled: dict) -> dict:
    """The document of a compiled checklist (check it with `rebuilt_document`)."""
    out: dict[str, Any] = {}
    for key in TOP_KEYS:
        value = compiled.get(key)
        if key == "sections":
            out[key] = [
                {
                    **{
                        k: (expression_text(s[k]) if k == "applies_if" else s[k])
                        for k in SECTION_KEYS
                        if k != "items" and s.get(k) is not None
                    },
                    "items": [_item(i) for i in s["items"]],
                }
                for s in value or []
            ]
        elif value is None or value == [] or (key == "kind" and value == "inspection"):
            continue
        else:
            out[key] = value
    return out


def rebuilt_document(compiled: dict) -> dict | None:
    """The document when it compiles back to the same hash, else None (never a near-copy)."""
    from inspect_app.checklist.workbook import dump_yaml

    doc = document(compiled)
    checklist, errors = loader._build("rebuilt.yaml", dump_yaml(doc), False)  # noqa: SLF001
    if errors or checklist is None or checklist.hash != compiled.get("hash"):
        return None
    return doc
