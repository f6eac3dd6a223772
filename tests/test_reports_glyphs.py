"""A character no installed font can draw is an error in strict mode, never a silent box."""

from __future__ import annotations

import logging

import pytest

from inspect_app.documents.render import MissingGlyphError, html_to_pdf

# U+10900 PHOENICIAN LETTER ALF: not in Noto CJK nor in any font this product needs
UNDRAWABLE = "\U00010900"


def page(text: str) -> str:
    return (
        '<html lang="zh-CN"><head><style>html{font-family:"Noto Sans CJK SC"}</style>'
        f"</head><body><p>{text}</p></body></html>"
    )


def test_missing_glyph_fails_in_strict_mode():
    with pytest.raises(MissingGlyphError) as info:
        html_to_pdf(page("校舍安全" + UNDRAWABLE), strict=True)
    assert "U+10900" in str(info.value)


def test_missing_glyph_is_logged_otherwise(caplog):
    with caplog.at_level(logging.WARNING, logger="inspect_app.documents"):
        pdf = html_to_pdf(page("校舍安全" + UNDRAWABLE), strict=False)
    assert pdf.startswith(b"%PDF-")
    assert any(
        "U+10900" in r.getMessage() for r in caplog.records if r.name == "inspect_app.documents"
    )


def test_chinese_text_renders_strictly():
    assert html_to_pdf(page("督导检查报告：一票否决、整改时限 ㎡ ≥ 10%"), strict=True)
