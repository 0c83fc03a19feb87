"""Fonts for the portal's PDFs: a name or title in any script prints as typed.

The PDFs embed fonts from the operating system's font packages (Debian: fonts-noto-core,
fonts-dejavu-core, fonts-nanum, fonts-droid-fallback), found in ``settings.FONT_DIRS``. Noto Sans
draws Latin with every European accent, Greek and Cyrillic; when a character is not in it, the
line falls back, character by character, to the first of ``FALLBACKS`` that has it: Arabic and
Hebrew (right to left), Devanagari, Bengali, Tamil, Gurmukhi, Thai, Korean, then Chinese and
Japanese. Text is shaped with HarfBuzz (uharfbuzz), so Arabic letters join and Indic vowel signs
sit where they belong.

A document loads only the fonts its text needs (``prepare`` reads its characters once), shapes
text only when it needs shaping, and reuses what earlier documents in the process parsed of each
font file; only the fonts and glyphs drawn are embedded, so a receipt in any script stays small
and quick to make.

Three things are added to fpdf2 (``PortalPDF``, ``ClusterTextOutput``) so that the text a PDF
carries is the text typed: every glyph of a shaped cluster maps back to text, a right-to-left
name is one run, and a line after one that began in a fallback font is drawn in its own font.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import PDFResourceType
from fpdf.fonts import SubsetMap, TTFFont
from fpdf.line_break import Fragment
from fpdf.output import OutputProducer
from fpdf.syntax import PDFContentStream

SANS = "sans"  # the family for ordinary text
MONO = "mono"  # the family for codes and fingerprints
Ranges = tuple[tuple[int, int], ...]  # ranges of code points, first and last
PACKAGES = "fonts-noto-core fonts-dejavu-core fonts-nanum fonts-droid-fallback"


@dataclass(frozen=True)
class Face:
    """One font family: the files of its regular and (if it has one) bold style."""

    family: str
    regular: str
    bold: str = ""
    # The characters it draws, when only some of its own should be used (None: all of them).
    only: Ranges | None = None

    def files(self) -> list[str]:
        return [name for name in (self.regular, self.bold) if name]


PRIMARY = Face(SANS, "NotoSans-Regular.ttf", "NotoSans-Bold.ttf")
MONOSPACED = Face(MONO, "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf")
HANGUL = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF))
# Tried in this order for each character the face in use lacks.
FALLBACKS = (
    Face("arabic", "NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"),
    Face("hebrew", "NotoSansHebrew-Regular.ttf", "NotoSansHebrew-Bold.ttf"),
    Face("devanagari", "NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf"),
    Face("bengali", "NotoSansBengali-Regular.ttf", "NotoSansBengali-Bold.ttf"),
    Face("tamil", "NotoSansTamil-Regular.ttf", "NotoSansTamil-Bold.ttf"),
    Face("gurmukhi", "NotoSansGurmukhi-Regular.ttf", "NotoSansGurmukhi-Bold.ttf"),
    Face("thai", "NotoSansThai-Regular.ttf", "NotoSansThai-Bold.ttf"),
    Face("korean", "NanumGothic.ttf", "NanumGothicBold.ttf", only=HANGUL),
    Face("cjk", "DroidSansFallbackFull.ttf"),
    Face("symbols", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
)
FACES = (PRIMARY, MONOSPACED, *FALLBACKS)


class MissingFont(ImproperlyConfigured):
    """A font file the PDFs need is in none of the font directories."""


def font_dirs() -> list[Path]:
    return [Path(folder) for folder in settings.FONT_DIRS]


def find(name: str) -> Path:
    """The path of the font file ``name`` in the first font directory that has it."""
    return _find(tuple(settings.FONT_DIRS), name)


@cache
def _find(folders: tuple[str, ...], name: str) -> Path:
    # Looked up once per process for each set of directories: ``covers`` asks for every
    # character of a document, and the files do not move while the portal runs. A missing file
    # raises, which is not kept, so installing it later is seen.
    for folder in map(Path, folders):
        if (folder / name).is_file():
            return folder / name
    raise MissingFont(
        f"The font file {name} is in none of the font directories "
        f"({', '.join(folders) or 'none set'}). Install the "
        f"font packages ({PACKAGES}) or set PORTAL_FONT_DIRS to the folders that hold them."
    )


def missing_files() -> list[str]:
    """Every font file the PDFs need that no font directory holds."""
    missing = []
    for face in FACES:
        for name in face.files():
            try:
                find(name)
            except MissingFont:
                missing.append(name)
    return missing


@cache
def _characters(path: Path) -> frozenset[int]:
    """The code points a font file draws (read once per process)."""
    font = ttLib.TTFont(path, lazy=True)
    try:
        return frozenset(font.getBestCmap() or ())
    finally:
        font.close()


def covers(face: Face, char: str) -> bool:
    point = ord(char)
    if face.only is not None and not any(low <= point <= high for low, high in face.only):
        return False
    return point in _characters(find(face.regular))


_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")


def fallbacks_for(texts: Iterable[str]) -> list[Face]:
    """The fallback faces ``texts`` need, in ``FALLBACKS`` order: for each character that Noto
    Sans lacks, the first fallback that has it. Characters no face has are left to show as gaps."""
    chars = set().union(*(set(text) for text in texts))
    needed: set[str] = set()
    for char in sorted(chars):
        if _INVISIBLE.match(char) or covers(PRIMARY, char):
            continue
        for face in FALLBACKS:
            if covers(face, char):
                needed.add(face.family)
                break
    return [face for face in FALLBACKS if face.family in needed]


# Tables fpdf2 drops from the fonts it embeds; HarfBuzz shapes from the font file itself.
_NOT_EMBEDDED = ("GDEF", "GPOS", "GSUB", "MATH", "FFTM", "hdmx", "meta", "SVG ", "COLR", "CPAL")


@cache
def _parsed(path: Path, style: str, only: Ranges | None) -> TTFFont:
    """A font file as fpdf2 reads it (character map, widths, metrics), once per process."""
    scratch = FPDF()
    scratch.add_font("parsed", style, path, unicode_range=list(only) if only else None)
    return scratch.fonts[f"parsed{style}"]


@cache
def _glyph_order(path: Path, style: str, only: Ranges | None) -> tuple[str, ...]:
    """The font's glyph names in order, which fontTools otherwise works out for each document
    (slow for a font with tens of thousands of glyphs and no names of its own)."""
    return tuple(_parsed(path, style, only).ttfont.getGlyphOrder())


def _add_file(pdf: FPDF, family: str, style: str, name: str, face: Face) -> None:
    """Add a font file to ``pdf`` as fpdf2's ``add_font`` would, reusing what an earlier
    document parsed: only the glyph outlines it embeds are read from the file again."""
    path = find(name)
    font = copy.copy(_parsed(path, style, face.only))
    font.i = len(pdf.fonts) + 1
    font.fontkey = f"{family}{style}"
    # The document's subset is cut from this copy of the file, never from the shared one.
    font.ttfont = ttLib.TTFont(path, recalcTimestamp=False, lazy=True)
    font.ttfont.setGlyphOrder(list(_glyph_order(path, style, face.only)))
    for tag in _NOT_EMBEDDED:  # fpdf2 leaves them out of the subset; reading them is slow
        if tag in font.ttfont:
            del font.ttfont[tag]
    font._hbfont = None
    font.desc = copy.copy(font.desc)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    pdf.fonts[font.fontkey] = font


def _add(pdf: FPDF, face: Face) -> None:
    _add_file(pdf, face.family, "", face.regular, face)
    if face.bold:
        _add_file(pdf, face.family, "B", face.bold, face)


class PortalPDF(FPDF):
    """An FPDF whose text extracts as typed (see ``ClusterTextOutput``), and whose lines after
    one that ended in a fallback font are drawn in their own font."""

    def _parse_chars(self, text: str, markdown: bool, **kwargs: Any) -> Iterator[Fragment]:
        # Words in one fallback font with only spaces between them are drawn as one run in that
        # font, spaces included: a right-to-left name is then one run, which text extraction
        # reads back in its logical order rather than word by word.
        fragments: list[Fragment] = []
        for fragment in super()._parse_chars(text, markdown, **kwargs):
            if len(fragments) >= 2 and self._joined_by_spaces(
                fragments[-2], fragments[-1], fragment
            ):
                spaces = fragments.pop()
                first = fragments.pop()
                fragment = Fragment(
                    first.characters + spaces.characters + fragment.characters,
                    first.graphics_state,
                    first.k,
                    first.link,
                )
            fragments.append(fragment)
        yield from fragments

    def _joined_by_spaces(self, first: Fragment, spaces: Fragment, last: Fragment) -> bool:
        return (
            first.font is last.font
            and first.font.fontkey in self._fallback_font_ids
            and 0x20 in first.font.cmap
            and set(spaces.characters) == {" "}
            and first.font_size_pt == spaces.font_size_pt == last.font_size_pt
            and first.link == spaces.link == last.link
            and first.text_color == spaces.text_color == last.text_color
        )

    def _render_styled_text_line(self, text_line: Any, *args: Any, **kwargs: Any) -> bool:
        drawn = super()._render_styled_text_line(text_line, *args, **kwargs)
        # fpdf2 treats a fallback font as chosen only within the line's text object, but a PDF
        # keeps the last font chosen: the next line would be drawn with the fallback font's
        # glyphs. Have the next line choose its font again.
        if any(fragment.font is not self.current_font for fragment in text_line.fragments):
            self.current_font_is_set_on_page = False
        return drawn

    def output(self, *args: object, **kwargs: object) -> bytes:  # type: ignore[override]
        if not kwargs.get("linearize"):
            kwargs.setdefault("output_producer_class", ClusterTextOutput)
        return super().output(*args, **kwargs)  # type: ignore[arg-type]


def needs_shaping(texts: Iterable[str]) -> bool:
    """Whether drawing ``texts`` needs HarfBuzz: right-to-left letters, combining marks (Indic
    and Thai vowel signs, accents typed separately), joiners or conjoining Hangul jamo. Other
    text (Latin, Greek, Cyrillic, Chinese, Japanese, Hangul syllables) is drawn glyph by glyph,
    which is much quicker."""
    for char in set().union(*(set(text) for text in texts)):
        if (
            unicodedata.bidirectional(char) in ("R", "AL", "AN")
            or unicodedata.category(char).startswith("M")
            or char in "\u200c\u200d"
            or 0x1100 <= ord(char) <= 0x11FF
            or 0xA960 <= ord(char) <= 0xA97F
            or 0xD7B0 <= ord(char) <= 0xD7FF
        ):
            return True
    return False


def prepare(pdf: FPDF, texts: Iterable[str]) -> None:
    """Give ``pdf`` the fonts it needs to draw ``texts`` (everything it will print), with
    fallback between them and, when they need it, text shaping; set the SANS family afterwards
    with ``set_font``."""
    texts = list(texts)
    _add(pdf, PRIMARY)
    _add(pdf, MONOSPACED)
    needed = fallbacks_for(texts)
    for face in needed:
        _add(pdf, face)
    if needed:
        pdf.set_fallback_fonts([face.family for face in needed], exact_match=False)
    if needs_shaping(texts):
        # Paragraphs read left to right (the documents are in English); a name in Arabic or
        # Hebrew within one runs right to left.
        pdf.set_text_shaping(use_shaping_engine=True, direction="ltr")


_BFCHAR = re.compile(rb"<([0-9A-F]{4})> <")


class ClusterTextOutput(OutputProducer):
    """fpdf2's output, with a text mapping for every glyph shaping produces, embedding only the
    fonts the pages use.

    When shaping draws one piece of text (a cluster: a Devanagari syllable, say) with several
    glyphs, fpdf2 maps the first glyph to the cluster's text and leaves the others unmapped, so
    copying or extracting the text gave stray control characters. Here each glyph that carries
    no text of its own maps to the empty string, so the text extracted is the text typed.
    """

    def bufferize(self) -> bytearray:
        # Only the fonts some page draws with are embedded (a document is given its bold and
        # monospaced faces whether it uses them or not).
        catalog = self.fpdf._resource_catalog
        every_font = catalog.font_registry
        used = catalog.get_used_resources(PDFResourceType.FONT)
        catalog.font_registry = {key: font for key, font in every_font.items() if font.i in used}
        self._mapped_fonts = iter(
            sorted(
                (font for font in self.fpdf.fonts.values() if hasattr(font, "subset")),
                key=lambda font: font.i,
            )
        )
        try:
            return super().bufferize()
        finally:
            catalog.font_registry = every_font

    def _add_pdf_obj(self, pdf_obj: object, trace_label: str | None = None) -> int:
        if (
            trace_label == "fonts"
            and isinstance(pdf_obj, PDFContentStream)
            and pdf_obj.filter is None
            and pdf_obj.content_stream().startswith(b"/CIDInit")
            and b"<0000> <FFFF>" in pdf_obj.content_stream()
        ):
            font = next(self._mapped_fonts, None)
            if font is not None:
                _add_empty_entries(pdf_obj, font)
        return super()._add_pdf_obj(pdf_obj, trace_label)  # type: ignore[arg-type]


def _add_empty_entries(stream: PDFContentStream, font: object) -> None:
    contents = stream.content_stream()
    mapped = {int(code, 16) for code in _BFCHAR.findall(contents)}
    textless = sorted(
        code
        for glyph, code in font.subset.items()  # type: ignore[attr-defined]
        if glyph is not None and not glyph.unicode and code not in mapped
    )
    with_text = {code for glyph, code in font.subset.items() if glyph is not None and glyph.unicode}  # type: ignore[attr-defined]
    if not textless or with_text != mapped:
        return  # not the font this mapping was made for: leave it as fpdf2 made it
    blocks = []
    for start in range(0, len(textless), 100):  # at most 100 entries a block
        chunk = textless[start : start + 100]
        entries = "".join(f"<{code:04X}> <>\n" for code in chunk)
        blocks.append(f"{len(chunk)} beginbfchar\n{entries}endbfchar\n")
    block = "".join(blocks).encode("latin-1")
    stream._contents = contents.replace(b"endcmap", block + b"endcmap", 1)
    stream.length = len(stream._contents)
