"""The bureau's own 点评 text in a bulletin: plain text with one tiny markup rule, made into blocks.

A clerk types into a textarea. Blank lines separate paragraphs; a line that starts with a
number and a mark (``1.``, ``1．``, ``1、``, ``（1）``, ``(1)``) starts an item of a numbered
list. Nothing else is markup: the blocks carry plain text, and every template that shows
them (the PDF, the preview, the Word copy) escapes it, so ``<b>`` prints as ``<b>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_CHARS = 5000  # about three pages of Chinese text: a 点评, not an appendix
_ITEM = re.compile(r"^\s*(?:(\d{1,3})\s*[.．、]|[（(]\s*(\d{1,3})\s*[)）])\s*(.*)$")
# C0 controls except tab and newline, DEL and C1: they print as boxes or break Word files.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CJK_END = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]$")


class CommentaryError(ValueError):
    """The text cannot go into a document; the message is Chinese, for the page."""


@dataclass(frozen=True)
class Block:
    """A paragraph (``kind == "p"``, ``text``) or a numbered list (``"ol"``, ``items``, ``start``)."""

    kind: str
    text: str = ""
    items: tuple[str, ...] = field(default_factory=tuple)
    start: int = 1


def _join(lines: list[str]) -> str:
    """Lines the clerk wrapped by hand, as one run of text: Chinese joins without a space."""
    out = ""
    for line in lines:
        if out and not (_CJK_END.search(out) or _CJK_END.search(line[:1])):
            out += " "
        out += line
    return out


def clean(text: str | None) -> str:
    """The text as stored: newlines normalised, control characters and outer blank lines gone."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _CONTROL.sub("", text).strip()


def parse(text: str | None) -> list[Block]:
    """Blocks of ``text`` in order; raises :class:`CommentaryError` when it is too long."""
    text = clean(text)
    if len(text) > MAX_CHARS:
        raise CommentaryError(f"点评内容不能超过 {MAX_CHARS} 字（现有 {len(text)} 字）")
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", text):
        blocks += _chunk_blocks(chunk)
    return blocks


def _chunk_blocks(chunk: str) -> list[Block]:
    """One blank-line-separated chunk: a paragraph, a list, or a lead-in paragraph then a list."""
    out: list[Block] = []
    paragraph: list[str] = []
    items: list[list[str]] = []
    start = 1
    for raw in chunk.split("\n"):
        line = raw.strip()
        if not line:
            continue
        match = _ITEM.match(line)
        if match:
            if paragraph:
                out.append(Block("p", text=_join(paragraph)))
                paragraph = []
            if not items:
                start = int(match.group(1) or match.group(2))
            body = match.group(3).strip()
            items.append([body] if body else [])
        elif items:
            items[-1].append(line)  # a wrapped line continues the item above
        else:
            paragraph.append(line)
    if paragraph:
        out.append(Block("p", text=_join(paragraph)))
    if items:
        out.append(Block("ol", items=tuple(_join(i) for i in items), start=start))
    return out
