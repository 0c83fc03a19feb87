"""QR codes drawn on the portal's PDFs (a first sign-in letter, a signature receipt)."""

from __future__ import annotations

import segno
from fpdf import FPDF


def modules(url: str) -> list[list[bool]]:
    """The QR code for ``url``, row by row: True for a dark module."""
    return [[bool(dark) for dark in row] for row in segno.make(url, error="m", micro=False).matrix]


def draw(pdf: FPDF, url: str, *, x: float, y: float, size: float) -> None:
    """Draw ``url`` as a QR code, one filled square per dark module (no image needed), so it
    prints sharp at any size and needs nothing a PDF/A file may not hold."""
    matrix = modules(url)
    cell = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for row, dark_modules in enumerate(matrix):
        for column, dark in enumerate(dark_modules):
            if dark:
                pdf.rect(x + column * cell, y + row * cell, cell, cell, style="F")
