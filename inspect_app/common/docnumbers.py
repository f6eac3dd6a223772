"""Document numbers (文号) as a bureau writes them: 青督检〔2026〕12号.

Each kind of document (report, notice, bulletin) has its own pattern and its own sequence,
restarting at 1 every year. A pattern is text with ``{year}`` and ``{seq}`` in it;
``{seq:03d}`` pads the number (青督检〔2026〕012号). Storage hands out the sequence numbers.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

KINDS = {
    "report": "督导检查报告",
    "notice": "整改通知书",
    "bulletin": "督导通报",
    "rectification_report": "整改报告",
    "followup_record": "回头看记录",
}
DEFAULT_PATTERNS = {
    "report": "青督检〔{year}〕{seq}号",
    "notice": "青督改〔{year}〕{seq}号",
    "bulletin": "青督通〔{year}〕{seq}号",
    "rectification_report": "青督改报〔{year}〕{seq}号",
    "draw": "青督抽〔{year}〕{seq}号",
    "followup_record": "青督回〔{year}〕{seq}号",
}


class PatternError(ValueError):
    """A configured pattern that cannot make a number; the message is Chinese."""


def check_pattern(pattern: str) -> None:
    """Raise :class:`PatternError` unless ``pattern`` names exactly ``year`` and ``seq``."""
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
        if fields != {"year", "seq"}:
            raise PatternError(f"文号格式「{pattern}」须包含且只包含 {{year}} 和 {{seq}}")
        pattern.format(year=2026, seq=1)
    except (ValueError, IndexError) as exc:
        if isinstance(exc, PatternError):
            raise
        raise PatternError(f"文号格式「{pattern}」无法使用：{exc}") from None


def patterns(config: Mapping) -> dict[str, str]:
    """The configured patterns (``DOCUMENT_NUMBER_PATTERNS``) over the defaults, checked."""
    chosen = {**DEFAULT_PATTERNS, **(config.get("DOCUMENT_NUMBER_PATTERNS") or {})}
    for pattern in chosen.values():
        check_pattern(pattern)
    return chosen


def format_number(pattern: str, year: int, seq: int) -> str:
    return pattern.format(year=year, seq=seq)
