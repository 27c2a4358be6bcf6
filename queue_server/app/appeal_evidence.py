"""The files a window sends with the appeal of a bad rating (申诉): photos and PDF documents.

A photo is decoded (anything else is refused), turned upright, scaled to at most
:data:`IMAGE_EDGE` pixels on its longer side and encoded as a fresh JPEG, as a staff photo is
(queue_server.app.staff_photos): no EXIF or GPS position is kept. A PDF is kept as sent once its
header and end marker say it is one. Each is named by the SHA-256 of what is stored, so the same
file sent twice is stored once, and is at most :data:`EVIDENCE_LIMIT` bytes as sent.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from queue_server.domain.appeals import EvidenceType

EVIDENCE_LIMIT = 640 * 1024
"""Bytes a file may have as sent (the page shrinks a phone's photo before it sends it)."""
PIXEL_LIMIT = 40_000_000
"""Pixels a photo may have; past that decoding it is refused."""
IMAGE_EDGE = 1600
"""The longer side of a photo as stored: enough to read a screen or a form on it."""
JPEG_QUALITY = 85
MAX_NAME = 120
PDF_END_WINDOW = 2048
"""A PDF's end marker (%%EOF) is within this many bytes of its end."""


class EvidenceRefused(ValueError):
    """A file that cannot be evidence; the message says why, for the window (``zh``: in Chinese)."""

    def __init__(self, message: str, zh: str) -> None:
        super().__init__(message)
        self.zh = zh


@dataclass(frozen=True, slots=True)
class Evidence:
    sha256: str
    media_type: EvidenceType
    data: bytes
    """As stored and served."""


def evidence_path(centre: str, sha256: str) -> str:
    """Where the server serves a stored file (``web.api_appeal_evidence`` routes it)."""
    return f"/api/v1/centres/{centre}/appeal-evidence/{sha256}"


def file_name(name: str) -> str:
    """The name to show: the last part of a path, without control characters, at most :data:`MAX_NAME`."""
    last = re.split(r"[\\/]", name)[-1]
    return re.sub(r"[\x00-\x1f\x7f]", "", last).strip()[:MAX_NAME]


def evidence_file(upload: bytes) -> Evidence:
    """The stored file made from ``upload``, or :class:`EvidenceRefused` saying what is wrong with it."""
    if not upload:
        raise EvidenceRefused(
            "The file is empty: choose a photo (JPEG, PNG, WebP) or a PDF",
            "文件是空的：请选择照片（JPEG、PNG、WebP）或PDF",
        )
    if len(upload) > EVIDENCE_LIMIT:
        raise EvidenceRefused(
            f"The file has {len(upload):,} bytes; at most {EVIDENCE_LIMIT:,} are taken",
            f"文件有{len(upload):,}字节，最多{EVIDENCE_LIMIT:,}字节",
        )
    if upload.startswith(b"%PDF-"):
        if b"%%EOF" not in upload[-PDF_END_WINDOW:]:
            raise EvidenceRefused(
                "The PDF is cut short (it has no end marker): send the whole file",
                "PDF文件不完整（没有结束标记），请上传完整文件",
            )
        return Evidence(hashlib.sha256(upload).hexdigest(), EvidenceType.PDF, upload)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(upload), formats=["JPEG", "PNG", "WEBP"])
            if picture.width * picture.height > PIXEL_LIMIT:
                raise EvidenceRefused(
                    f"The photo has {picture.width}×{picture.height} pixels; take a smaller one",
                    f"照片有{picture.width}×{picture.height}像素，请换一张较小的",
                )
            picture.load()
    except EvidenceRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise EvidenceRefused(
            "This is not a photo (JPEG, PNG, WebP) or a PDF", "这不是照片（JPEG、PNG、WebP）或PDF文件"
        ) from None
    except (OSError, ValueError, SyntaxError) as error:  # Pillow's words for a truncated or corrupt file
        raise EvidenceRefused(f"The photo cannot be read: {error}", "照片读不出来，文件可能已损坏") from None
    upright = (ImageOps.exif_transpose(picture) or picture).convert("RGB")
    upright.thumbnail((IMAGE_EDGE, IMAGE_EDGE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    data = out.getvalue()
    return Evidence(hashlib.sha256(data).hexdigest(), EvidenceType.JPEG, data)
