"""QR codes as PNG data URIs, for printing verification links on documents."""

from __future__ import annotations

import base64
import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.pil import PilImage


def qr_png(text: str, *, box_size: int = 6, border: int = 2) -> bytes:
    """Encode ``text`` as a black-on-white QR code PNG (error correction level M)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    code.add_data(text)
    code.make(fit=True)
    image = code.make_image(PilImage, fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def qr_data_uri(text: str, **kwargs) -> str:
    """``data:image/png;base64,...`` of :func:`qr_png`, ready for an ``<img src>``."""
    return "data:image/png;base64," + base64.b64encode(qr_png(text, **kwargs)).decode("ascii")
