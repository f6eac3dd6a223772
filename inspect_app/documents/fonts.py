"""The fonts documents are set in: find them, and say which characters they can draw.

Every document names ``"Noto Sans CJK SC"`` first in its CSS. If fontconfig cannot resolve it,
WeasyPrint would silently fall back to another font (or tofu boxes), so the document layer
refuses to render instead. After it come the symbol fonts (colour emoji, then Symbola's
symbols), which an inspector's note may need; they are optional: without them such characters
are printed as their code (see :func:`inspect_app.documents.render.printable`), never boxed.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from dataclasses import dataclass

CJK_FAMILY = "Noto Sans CJK SC"
DEBIAN_PACKAGE = "fonts-noto-cjk"
# The other fonts a document may embed, and the Debian package of each. report.css names
# Symbola after the CJK font; the emoji font is reached by fontconfig's fallback instead,
# because naming it made Pango draw every digit from it (wide, colour-font digits).
SYMBOL_FAMILIES = {"Noto Color Emoji": "fonts-noto-color-emoji", "Symbola": "fonts-symbola"}

# Characters no font needs to draw: layout controls and the invisible marks HarfBuzz shapes to
# nothing (joiners, variation selectors, tags of flag sequences, soft hyphen, BOM), so a note
# that holds them is not flagged as undrawable.
_INVISIBLE_RANGES = (
    (0x09, 0x0A), (0x0D, 0x0D), (0xAD, 0xAD), (0x34F, 0x34F), (0x200B, 0x200F),
    (0x2028, 0x202E), (0x2060, 0x2064), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xE0001, 0xE0001), (0xE0020, 0xE007F), (0xE0100, 0xE01EF),
)  # fmt: skip
_CHARSET_RANGE = re.compile(r"^([0-9a-f]+)(?:-([0-9a-f]+))?$")


class FontMissingError(RuntimeError):
    """The CJK font needed for Chinese reports is not installed."""


@dataclass(frozen=True)
class DocumentFont:
    """One family of the documents' font stack, as fontconfig resolves it."""

    family: str
    path: str
    package: str


def _missing(detail: str) -> FontMissingError:
    return FontMissingError(
        f"缺少中文字体「{CJK_FAMILY}」，无法生成报告。请安装 Debian 软件包 {DEBIAN_PACKAGE}"
        f"（apt-get install {DEBIAN_PACKAGE}）。 / "
        f"The CJK font {CJK_FAMILY!r} is not installed ({detail}); "
        f"install the Debian package {DEBIAN_PACKAGE}."
    )


def _fc_match(fmt: str, family: str = CJK_FAMILY) -> str:
    if shutil.which("fc-match") is None:
        raise _missing("fc-match (fontconfig) not found")
    try:
        proc = subprocess.run(
            ["fc-match", "-f", fmt, family],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise _missing(f"fc-match failed: {exc}") from exc
    return proc.stdout.strip()


def _resolves_to(family: str, answer: str) -> bool:
    # fontconfig lists every localized family name, comma-separated, and substitutes another
    # family for an unknown name rather than failing.
    return family in [name.strip() for name in answer.split(",")]


@functools.cache
def check_cjk_font() -> str:
    """Return the font file fontconfig resolves for Noto Sans CJK SC.

    Raises :class:`FontMissingError` when fontconfig substitutes another family (its
    normal behaviour for an unknown name). The answer is cached per process: fonts are
    not installed while the app runs.
    """
    answer = _fc_match("%{family}\n%{file}")
    family, _, path = answer.partition("\n")
    if not _resolves_to(CJK_FAMILY, family) or not path:
        raise _missing(f"fontconfig resolves it to {family or 'nothing'!r}")
    return path


@functools.cache
def document_fonts() -> tuple[DocumentFont, ...]:
    """The CJK font, then each installed symbol font: the only fonts a document may embed."""
    stack = [DocumentFont(CJK_FAMILY, check_cjk_font(), DEBIAN_PACKAGE)]
    for family, package in SYMBOL_FAMILIES.items():
        family_names, _, path = _fc_match("%{family}\n%{file}", family).partition("\n")
        if _resolves_to(family, family_names) and path:
            stack.append(DocumentFont(family, path, package))
    return tuple(stack)


def _charset(family: str) -> set[str]:
    """The characters fontconfig says a family covers (what Pango itself chooses fonts by)."""
    chars: set[str] = set()
    for token in _fc_match("%{charset}", family).split():
        match = _CHARSET_RANGE.match(token)
        if match:
            first = int(match.group(1), 16)
            last = int(match.group(2) or match.group(1), 16)
            chars.update(map(chr, range(first, last + 1)))
    return chars


@functools.cache
def drawable_characters() -> frozenset[str]:
    """Every character some font of the stack draws, plus the invisible ones."""
    chars: set[str] = set()
    for font in document_fonts():
        chars |= _charset(font.family)
    for first, last in _INVISIBLE_RANGES:
        chars.update(map(chr, range(first, last + 1)))
    # The stack's fonts all cover ASCII, but an ASCII control (a pasted \x07) is drawn by none.
    chars.difference_update(chr(c) for c in (*range(0x20), 0x7F) if chr(c) not in "\t\n\r")
    return frozenset(chars)
