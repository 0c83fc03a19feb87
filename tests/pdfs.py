"""Reading the portal's PDFs back as a reader's software would: the text pypdf extracts."""

from __future__ import annotations

import io
import unicodedata

import pypdf


def extracted_text(pdf: bytes) -> str:
    """The text of every page, as pypdf extracts it (through each font's text mapping), in NFC."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return unicodedata.normalize("NFC", text)


def extracted_lines(pdf: bytes) -> str:
    """The extracted text with its line breaks made spaces: a paragraph reads as one string."""
    return " ".join(extracted_text(pdf).split())
