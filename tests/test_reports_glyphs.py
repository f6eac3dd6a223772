"""Every document is glyph-complete or not made: no box, no fallback font, ever.

Text a template prints that no document font can draw comes out as its code and is listed at
the end of the document; anything else that would draw a box stops the document.
"""

from __future__ import annotations

import logging
import subprocess

import pytest
from markupsafe import Markup

from inspect_app.documents import fonts
from inspect_app.documents.layout import embedded_fonts
from inspect_app.documents.render import (
    MissingGlyphError,
    html_to_pdf,
    printable,
    render_notice,
    render_report,
)
from tests.sample_report import sample_context, sample_notice_context

# U+10900 PHOENICIAN LETTER ALF: in no font this product installs
UNDRAWABLE = "\U00010900"
EMOJI_NOTE = "食堂很干净👍，家长满意😀🥲（已整改✅）"


def page(text: str, family: str = '"Noto Sans CJK SC"') -> str:
    return (
        f'<html lang="zh-CN"><head><style>html{{font-family:{family}}}</style>'
        f"</head><body><p>{text}</p></body></html>"
    )


def pdftext(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_a_box_in_the_html_stops_the_document():
    with pytest.raises(MissingGlyphError) as info:
        html_to_pdf(page("校舍安全" + UNDRAWABLE))
    assert "U+10900" in str(info.value)


def test_a_fallback_font_stops_the_document():
    # What issue 12's concurrent renders produced: Chinese set in DejaVu Sans, no warning.
    with pytest.raises(MissingGlyphError) as info:
        html_to_pdf(page("Inspection 2026", family='"DejaVu Sans"'))
    assert "DejaVu" in str(info.value) and "未签发" in str(info.value)


def test_chinese_text_renders():
    pdf = html_to_pdf(page("督导检查报告：一票否决、整改时限 ㎡ ≥ 10%"))
    assert embedded_fonts(pdf) == {"Noto-Sans-CJK-SC"}


def test_printable_replaces_only_what_no_font_draws():
    assert printable("校舍安全👍") == "校舍安全👍"
    assert printable("阿" + UNDRAWABLE + "\x07") == "阿[U+10900][U+0007]"
    kept = printable(Markup("<b>王" + UNDRAWABLE + "</b>"))
    assert isinstance(kept, Markup) and kept == Markup("<b>王[U+10900]</b>")
    assert printable(42) == 42


def test_invisible_marks_are_not_flagged_and_render():
    # joiner sequence, emoji variation selector, zero-width space, soft hyphen, flag tags
    text = (
        "家庭👨\u200d👩\u200d👧 ☎\ufe0f 零\u200b宽 软\u00adhyphen 🏴\U000e0067\U000e0062\U000e007f"
    )
    assert printable(text) == text
    assert html_to_pdf(page(text))


def test_emoji_note_renders_in_an_emoji_font(caplog):
    if "Noto Color Emoji" not in [f.family for f in fonts.document_fonts()]:
        pytest.skip("fonts-noto-color-emoji 未安装（scripts/system-deps.sh 安装它）")
    context, photos = sample_context(n_photos=1)
    first = next(iter(context["result"]["items"]))
    context["notes"][first] = EMOJI_NOTE
    with caplog.at_level(logging.WARNING, logger="inspect_app.documents"):
        pdf = render_report(context, photo_loader=photos.__getitem__)
    assert embedded_fonts(pdf) <= {
        "Noto-Sans-CJK-SC",
        "Noto-Sans-CJK-SC-Bold",
        "Noto-Color-Emoji",
        "Noto-Color-Emoji-Bold",
    }
    assert "Noto-Color-Emoji" in embedded_fonts(pdf)
    assert "👍" in pdftext(pdf) and "一、检查结论" in pdftext(pdf)
    assert "无法显示" not in pdftext(pdf)  # nothing was replaced
    assert not caplog.records


def test_undrawable_character_is_printed_as_its_code_and_listed(caplog):
    context = sample_notice_context()
    context["school"] = dict(context["school"], name="乔庄镇" + UNDRAWABLE + "小学")
    with caplog.at_level(logging.WARNING, logger="inspect_app.documents"):
        pdf = render_notice(context)
    text = pdftext(pdf).replace("\n", "")
    assert "乔庄镇[U+10900]小学" in text
    assert "现有字体无法显示" in text and "[U+10900]。" in text  # the closing note
    assert any("U+10900" in r.getMessage() for r in caplog.records)
    assert embedded_fonts(pdf) <= {"Noto-Sans-CJK-SC", "Noto-Sans-CJK-SC-Bold"}
