"""A slip as a PNG: the raster renderer's image, for the manager page and the docs.

Whatever the profile's mode, the preview is drawn as the raster printer would print it, at the
profile's paper width, one pixel a dot.
"""

from __future__ import annotations

import io

from ticket_printer.layout import PrinterProfile, layout
from ticket_printer.raster import draw
from ticket_printer.slips import Slip


def render_png(slip: Slip, profile: PrinterProfile) -> bytes:
    image = draw(layout(slip, profile), profile.paper, profile.module_dots).image
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
