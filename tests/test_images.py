import io

import pytest
from PIL import Image, ImageDraw

from inspect_app.inspections.images import ImageRejected, clean_photo, clean_signature


def jpeg(width=2400, height=1200, orientation=None) -> bytes:
    image = Image.new("RGB", (width, height), "skyblue")
    ImageDraw.Draw(image).rectangle((0, 0, width // 4, height // 4), fill="red")
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_photo_is_downscaled_and_reencoded():
    clean = clean_photo(jpeg())
    assert (clean.width, clean.height) == (1600, 800)
    assert Image.open(io.BytesIO(clean.data)).format == "JPEG"


def test_exif_orientation_is_applied():
    clean = clean_photo(jpeg(800, 400, orientation=6))  # rotated 90° in the camera
    assert (clean.width, clean.height) == (400, 800)
    assert "exif" not in Image.open(io.BytesIO(clean.data)).info


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "文件为空"),
        (b"<html><script>alert(1)</script></html>", "不是有效的图片"),
        (jpeg()[:2000], "图片不完整"),
        (b"GIF89a" + b"\0" * 100, "不是有效的图片"),
    ],
)
def test_bad_uploads_are_refused_with_reason(data, reason):
    with pytest.raises(ImageRejected, match=reason):
        clean_photo(data)


def test_truncated_image_refused_even_after_weasyprint_import():
    import weasyprint  # noqa: F401  (it flips Pillow's LOAD_TRUNCATED_IMAGES for the whole process)

    with pytest.raises(ImageRejected, match="图片不完整"):
        clean_photo(jpeg()[:5000])


def test_non_jpeg_png_format_refused():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    with pytest.raises(ImageRejected, match="不支持的图片格式"):
        clean_photo(out.getvalue())


def test_oversized_upload_refused():
    with pytest.raises(ImageRejected, match="照片不能超过 10 MB"):
        clean_photo(b"\xff\xd8" + b"\0" * (10 * 1024 * 1024 + 1))


def signature(ink: bool) -> bytes:
    image = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    if ink:
        ImageDraw.Draw(image).line(
            [(40, 150), (200, 40), (360, 160), (560, 60)], fill=(0, 0, 0, 255), width=4
        )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_signature_with_ink_accepted_and_blank_refused():
    assert clean_signature(signature(True)).mime == "image/png"
    with pytest.raises(ImageRejected, match="签名为空"):
        clean_signature(signature(False))


def markers(data: bytes) -> list[int]:
    """The JPEG segment markers before the image data (APPn, COM, DQT, ...)."""
    found, at = [], 2
    while at < len(data) and data[at] == 0xFF and data[at + 1] != 0xDA:
        found.append(data[at + 1])
        at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return found


def test_comments_and_every_kind_of_metadata_are_dropped():
    image = Image.new("RGB", (600, 400), "skyblue")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x8825] = {1: "N", 2: (26.0, 35.0, 0.0)}  # GPS position
    out = io.BytesIO()
    image.save(
        out, "JPEG", exif=exif.tobytes(), comment=b"<script>alert(1)</script>",
        icc_profile=b"\0" * 128, xmp=b"<x:xmpmeta>secret</x:xmpmeta>",
    )  # fmt: skip
    dirty = out.getvalue()
    assert b"<script>" in dirty and 0xFE in markers(dirty)  # the comment is really there
    clean = clean_photo(dirty).data
    assert b"<script>" not in clean and b"PhoneMaker" not in clean and b"secret" not in clean
    # Only JFIF's APP0 is left beside the tables: no COM (FE), APP1 EXIF/XMP (E1), APP2 ICC (E2).
    assert not {0xFE, 0xE1, 0xE2} & set(markers(clean))
    assert set(Image.open(io.BytesIO(clean)).info) <= {
        "jfif",
        "jfif_version",
        "jfif_unit",
        "jfif_density",
        "dpi",
    }


def test_png_photo_comment_does_not_survive():
    from PIL import PngImagePlugin

    meta = PngImagePlugin.PngInfo()
    meta.add_text("Comment", "<script>alert(1)</script>")
    out = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(out, "PNG", pnginfo=meta)
    assert b"<script>" not in clean_photo(out.getvalue()).data
