"""Blueprints, one per kind of user, plus errors and the shared form helpers."""
