"""Passwords: argon2id hashing at the deployment's cost, and refusing ones that are easy to guess."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH = 8
# zxcvbn's score 3 means about 10^8 guesses or more: out of reach of throttled online guessing
# and costly offline against argon2. Score 2 still admits "woaini1314" and "duxue2026!".
MIN_SCORE = 3
# Words of this system's own world that zxcvbn's English lists do not know; a password built
# on them is the first thing someone who knows the deployment would try.
SITE_WORDS = ("jiaoyu", "jiaoyuju", "duxue", "ducha", "xuexiao", "jyj", "qingshan", "fupin")


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


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_cost: int) -> str:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost).hash(
        secrets.token_urlsafe(16)
    )


def check_password_or_dummy(password_hash: str | None, password: str, config: Mapping) -> bool:
    """Like check_password, but with no account to check against it still spends the same
    argon2 time on a dummy hash, so the answer's timing does not tell whether a username exists."""
    if password_hash is None:
        dummy = _dummy_hash(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"])
        check_password(dummy, password, config)
        return False
    return check_password(password_hash, password, config)


def needs_rehash(password_hash: str, config: Mapping) -> bool:
    """True when a stored hash was made at another cost than the one now configured."""
    try:
        return _hasher(config).check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


# Why a password was refused, by the kind of pattern zxcvbn found in it.
_PATTERN_REASONS = {
    "dictionary": "包含常见密码、常用单词或人名",
    "spatial": "含有键盘上相邻的按键，如 qwerty、1qaz2wsx",
    "repeat": "含有重复的字符或片段，如 aaaa、abcabc",
    "sequence": "含有连续的字母或数字，如 123456、abcdef",
    "regex": "含有年份",
    "date": "含有日期，如生日",
}


def weakness(password: str, personal: Iterable[str] = ()) -> str | None:
    """A Chinese reason why ``password`` is too easy to guess, or None when it is acceptable.

    ``personal`` holds the account's own words (username, name, school code): a password
    built from them is refused too.
    """
    if len(password) < MIN_LENGTH:
        return f"密码至少需要 {MIN_LENGTH} 位。"
    if len(password) > 128:
        return "密码不能超过 128 位。"
    # zxcvbn's cost grows with length; the first 64 characters decide any realistic case.
    mine = [word for word in personal if word]
    result = zxcvbn(password[:64], user_inputs=[*mine, *SITE_WORDS])
    if result["score"] >= MIN_SCORE:
        return None
    lowered = {word.lower() for word in mine}
    reasons = []
    for match in result["sequence"]:
        if match["pattern"] == "dictionary" and match.get("dictionary_name") == "user_inputs":
            token = match.get("matched_word", "").lower()
            reason: str | None = (
                "包含用户名、姓名或学校代码" if token in lowered else "包含本系统的常用词"
            )
        else:
            reason = _PATTERN_REASONS.get(match["pattern"])
        if reason and reason not in reasons:
            reasons.append(reason)
    why = f"：{'；'.join(reasons)}" if reasons else ""
    return (
        f"密码太容易被猜到{why}。"
        "请换一个更长、更不规则的密码，例如几个不相关的词加数字和符号，至少 10 位。"
    )
