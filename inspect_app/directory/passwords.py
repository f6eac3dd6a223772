"""Password hashing (argon2id), with the cost a deployment configures."""

from __future__ import annotations

from collections.abc import Mapping

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


def _hasher(config: Mapping) -> PasswordHasher:
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"], memory_cost=config["ARGON2_MEMORY_COST"]
    )


def hash_password(password: str, config: Mapping) -> str:
    return _hasher(config).hash(password)


def check_password(password_hash: str, password: str, config: Mapping) -> bool:
    try:
        return _hasher(config).verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
