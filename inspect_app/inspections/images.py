"""Checking and re-encoding uploaded images, so nothing but a clean JPEG or PNG is ever stored.

Type is decided by content (Pillow decoding the whole image), never by name or header. Only
pixels are kept: EXIF, XMP, comments and colour profiles are all dropped.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_SIDE = 1600
MAX_PIXELS = 40_000_000  # refuses decompression bombs long before memory runs out


class ImageRejected(ValueError):
    """The upload is not an acceptable image; ``str()`` is the Chinese reason."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    mime: str
    width: int
    height: int


def too_large(size: int) -> str | None:
    """Why a photo of ``size`` bytes is refused for its size, or None."""
    if size > MAX_UPLOAD_BYTES:
        return f"文件过大（{size / 1048576:.1f} MB），照片不能超过 10 MB。"
    return None


def _open(data: bytes, allowed: set[str]) -> Image.Image:
    if not data:
        raise ImageRejected("文件为空。")
    if problem := too_large(len(data)):
        raise ImageRejected(problem)
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in allowed:
            raise ImageRejected(
                f"不支持的图片格式（{image.format}），只接受 {'、'.join(sorted(allowed))}。"
            )
        if image.width * image.height > MAX_PIXELS:
            raise ImageRejected("图片像素过多，请降低分辨率后重试。")
        # WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES, which would let a cut-off
        # upload decode "successfully"; so check the end-of-image marker ourselves as well.
        if not _complete(image.format, data):
            raise ImageRejected("图片不完整（上传中断或文件已损坏），请重新上传。")
        image.load()  # decodes every byte: a corrupt or fake file fails here
    except ImageRejected:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        raise ImageRejected("文件不是有效的图片，或图片已损坏。") from exc
    return image


def _complete(kind: str, data: bytes) -> bool:
    if kind == "JPEG":
        return data.rstrip(b"\0").endswith(b"\xff\xd9")
    if kind == "PNG":
        return b"IEND" in data[-64:]
    return True


def clean_photo(data: bytes) -> CleanImage:
    """A photo as evidence: JPEG or PNG in, upright JPEG (longest side ≤ 1600 px) out, metadata dropped."""
    image = ImageOps.exif_transpose(_open(data, {"JPEG", "PNG"}))
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = background
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    _pixels_only(image.convert("RGB")).save(out, "JPEG", quality=82, optimize=True)
    return CleanImage(out.getvalue(), "image/jpeg", image.width, image.height)


def _pixels_only(image: Image.Image) -> Image.Image:
    """The image without what it carried beside its pixels.

    Pillow writes some of ``info`` back when saving (a JPEG's COM comment, XMP, a PNG's ICC
    profile), and a comment can hold anything, ``<script>`` included. EXIF (location, phone
    model) is already gone: it is only written when asked for. Phone photos arrive re-encoded
    by the page's canvas, so they are sRGB already and losing a colour profile changes nothing.
    """
    image.info.clear()
    return image


def clean_signature(data: bytes) -> CleanImage:
    """A signature pad drawing: PNG in, PNG out; a pad with (almost) no ink is refused."""
    image = _open(data, {"PNG"}).convert("RGBA")
    if image.width > 2000 or image.height > 1000:
        raise ImageRejected("签名图片尺寸异常。")
    # Ink is any pixel that is both visible and not near-white.
    alpha = image.getchannel("A").point(lambda a: 255 if a > 32 else 0)
    dark = image.convert("L").point(lambda v: 255 if v < 200 else 0)
    inked = Image.composite(dark, Image.new("L", image.size, 0), alpha)
    if sum(inked.histogram()[255:]) < 30:
        raise ImageRejected("签名为空，请重新签名。")
    out = io.BytesIO()
    _pixels_only(image).save(out, "PNG", optimize=True)
    return CleanImage(out.getvalue(), "image/png", image.width, image.height)


def signature_png(entry) -> bytes:
    """A signature as the phone sends it (``{"name", "png": data URI}``) → clean PNG bytes.

    Both an inspection's and a 回头看 visit's signatures arrive this way; the signer's name is
    required because a drawing alone does not say who signed.
    """
    if not isinstance(entry, dict) or not str(entry.get("name") or "").strip():
        raise ImageRejected("缺少签名人姓名")
    data_uri = entry.get("png", "")
    prefix = "data:image/png;base64,"
    if not isinstance(data_uri, str) or not data_uri.startswith(prefix):
        raise ImageRejected("签名应为 PNG 图片")
    try:
        raw = base64.b64decode(data_uri[len(prefix) :], validate=True)
    except ValueError as exc:
        raise ImageRejected("签名图片数据损坏") from exc
    return clean_signature(raw).data
