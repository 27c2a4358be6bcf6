"""A staff member's photo as the window display and the rating pad show it (工作证).

The manager uploads a JPEG, PNG or WebP; the server never keeps or serves what was uploaded. It
decodes it (refusing anything else, and images too large to decode safely), turns it upright as
the camera said, crops it to a 3:4 portrait around the centre, scales it to
:data:`PHOTO_SIZE` and encodes a fresh JPEG: no EXIF, no GPS position, no camera serial reaches a
screen. The result is named by its SHA-256, so the same photo is stored once and a URL never
shows a different picture.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

UPLOAD_LIMIT = 5 * 1024 * 1024
"""Bytes an upload may have: a phone's photo fits; more is a mistake."""
PIXEL_LIMIT = 40_000_000
"""Pixels an upload may have (a 40-megapixel camera); past that decoding it is refused."""
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
ACCEPTED_TYPES = ("image/jpeg", "image/png", "image/webp")
PHOTO_SIZE = (300, 400)
"""Width and height of the photo as stored and shown: a 3:4 portrait, like a staff card's."""
JPEG_QUALITY = 85


def photo_path(centre: str, sha256: str) -> str:
    """Where the server serves a stored photo (``web.api_staff_photos`` routes it): the views and
    the bus give this path; a screen loads it from the server (the display client through itself)."""
    return f"/api/v1/centres/{centre}/staff-photos/{sha256}.jpg"


class PhotoRefused(ValueError):
    """An upload that is not a photo the server can use; the message says why, for the manager."""


@dataclass(frozen=True)
class StaffPhoto:
    sha256: str
    image: bytes
    """The JPEG as stored and served."""


def staff_photo(upload: bytes) -> StaffPhoto:
    """The stored photo made from ``upload``, or :class:`PhotoRefused` saying what is wrong with it."""
    if not upload:
        raise PhotoRefused("The upload is empty: choose a JPEG, PNG or WebP photo")
    if len(upload) > UPLOAD_LIMIT:
        raise PhotoRefused(f"The photo has {len(upload):,} bytes; at most {UPLOAD_LIMIT:,} are taken")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(upload), formats=sorted(ACCEPTED_FORMATS))
            if picture.width * picture.height > PIXEL_LIMIT:
                raise PhotoRefused(f"The photo has {picture.width}×{picture.height} pixels; take a smaller one")
            picture.load()
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRefused("This is not a JPEG, PNG or WebP photo") from None
    except (OSError, ValueError, SyntaxError) as error:  # Pillow's words for a truncated or corrupt file
        raise PhotoRefused(f"The photo cannot be read: {error}") from None
    upright = ImageOps.exif_transpose(picture) or picture
    portrait = ImageOps.fit(upright.convert("RGB"), PHOTO_SIZE, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    portrait.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    image = out.getvalue()
    return StaffPhoto(hashlib.sha256(image).hexdigest(), image)
