"""Blueprints, one per kind of user, plus errors and the helpers they share."""

from __future__ import annotations

from datetime import date

from flask import current_app

from inspect_app.common.clock import today_in_china


def today() -> date:
    """Today in China; the ``TODAY_OVERRIDE`` setting (YYYY-MM-DD) freezes it for tests and demos."""
    return today_in_china(current_app.config.get("TODAY_OVERRIDE"))
