"""Tesseract reading one printed line back, as the thermal-slip tests check titles and case numbers."""

from __future__ import annotations

import io
import subprocess

from PIL import Image


def ocr_line(image: Image.Image) -> str:
    """The text tesseract reads on ``image``, taken as one line (Chinese and English), stripped."""
    png = io.BytesIO()
    image.convert("L").save(png, format="PNG")
    result = subprocess.run(
        ["tesseract", "stdin", "stdout", "-l", "chi_sim+eng", "--psm", "7"],
        input=png.getvalue(),
        capture_output=True,
        check=True,
        timeout=60,
    )
    return result.stdout.decode("utf-8").strip()
