"""The one reading of a phone's signature entry, used by inspections and 回头看 visits alike."""

import base64
import io

import pytest
from PIL import Image, ImageDraw

from inspect_app.inspections import receiving
from inspect_app.inspections.images import ImageRejected, signature_png
from inspect_app.rectification import followups


def drawing() -> bytes:
    image = Image.new("RGBA", (300, 120), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 60), (290, 60)], fill=(0, 0, 0, 255), width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def entry(name="张三", png: bytes | str | None = None) -> dict:
    if png is None:
        png = drawing()
    uri = png if isinstance(png, str) else "data:image/png;base64," + base64.b64encode(png).decode()
    return {"name": name, "png": uri}


def test_signature_is_cleaned_to_png():
    data = signature_png(entry())
    assert data.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(data)).size == (300, 120)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "缺少签名人姓名"),
        ({"name": None, "png": ""}, "缺少签名人姓名"),
        (entry(name="  "), "缺少签名人姓名"),
        (entry(png="data:image/jpeg;base64,AAAA"), "签名应为 PNG 图片"),
        (entry(png="data:image/png;base64,@@@"), "签名图片数据损坏"),
    ],
)
def test_bad_signature_entries_are_refused_with_reason(value, reason):
    with pytest.raises(ImageRejected, match=reason):
        signature_png(value)


def test_inspections_and_followups_share_the_one_reader():
    # A private copy in either module is what the review found; both now call the images one.
    assert receiving.signature_png is signature_png
    assert followups.signature_png is signature_png
    assert not hasattr(receiving, "_signature_png")
    assert not hasattr(followups, "_signature")
