"""Blueprints, one per kind of user, plus errors and the helpers they share."""

from __future__ import annotations

import json
from datetime import date

from flask import current_app, request

from inspect_app.common.clock import today_in_china


def today() -> date:
    """Today in China; the ``TODAY_OVERRIDE`` setting (YYYY-MM-DD) freezes it for tests and demos."""
    return today_in_china(current_app.config.get("TODAY_OVERRIDE"))


def json_object_body() -> dict | None:
    """The request body as a JSON object, or None when it is empty, not JSON or not an object.

    The phone's uploads (an inspection, a 回头看 visit) are read this way; the caller answers
    400 with its own wording for None.
    """
    try:
        payload = json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None
