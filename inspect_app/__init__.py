"""inspect_app: field inspections for education bureaus (教育督导检查).

The package root stays light, so that ``import inspect_app.checklist`` (the core) loads
neither Flask nor the PDF stack: the app factory lives in :mod:`inspect_app.app` and is
imported only when an app is built (``flask --app inspect_app`` finds ``create_app`` here).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application (see :func:`inspect_app.app.create_app`)."""
    from inspect_app.app import create_app as build

    return build(test_config)
